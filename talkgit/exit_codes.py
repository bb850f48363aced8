"""Exit codes, in one place. docs/exit-codes.md documents each; keep the two in step."""

from typing import Final

OK: Final = 0
FAILURE: Final = 1  # the job ran and its answer is "no": blocking findings, a failed run
USAGE: Final = 2  # bad command line (click uses 2 as well)
CONFIG: Final = 3
REPOSITORY: Final = 4
NOT_FOUND: Final = 5
CONFLICT: Final = 6
MODEL: Final = 7
TOOL: Final = 8
NO_SPACE: Final = 9  # the disk is full; nothing half-written, resumable once freed
INTERRUPTED: Final = 130  # Ctrl-C, as shells report SIGINT
