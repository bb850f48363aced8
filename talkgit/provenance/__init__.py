"""Provenance: what talkgit records about each step and run, and reading it back."""
