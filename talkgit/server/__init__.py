"""The resident check server: `talkgit check` and the commit hooks without start-up cost.

Turned on with ``TALKGIT_CHECK_SERVER=1`` (or ``check_server = true`` in the configuration).
handoff.py is imported on every command, so it uses the standard library only.
"""
