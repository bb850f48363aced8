"""talkgit: run teams of LLM agents on a git repository, with provenance kept in git."""

__version__ = "0.1.0"
