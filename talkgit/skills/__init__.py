"""Skills: markdown playbooks in ``.talkgit/skills/`` put into the prompts of the steps they fit."""
