"""GitHub: the pull-request side of ``talkgit review`` (the Action).

``workflow`` is what `review --github` does: ``event`` reads what the workflow run is
about, ``api`` is the REST client (the only module here that imports httpx), ``diff`` knows
which lines a pull request's diff covers, ``reviewer`` is the optional LLM review of that
diff, ``summary`` writes the sticky comment and ``publish`` posts everything, degrading to
workflow-command annotations when the token cannot write.
"""
