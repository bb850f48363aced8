"""Gates: static-analysis agents (ruff, mypy, bandit, pytest, placeholders) that decide merges."""
