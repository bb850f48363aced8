"""The run's response cache, stored in its ledger: a resumed step never pays twice."""

from __future__ import annotations

from talkgit.git.ledger import Ledger

CACHE_DIRECTORY = "cache"


class LedgerCache:
    """A ResponseCache whose entries are ``cache/<request-sha256>.json`` in the run ledger.

    Each put is its own compare-and-swap ledger commit, written the moment a call is
    answered, so a crash right after a paid call still keeps the answer.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def get(self, key: str) -> str | None:
        with self.ledger.repo.lock:
            data = self.ledger.read(f"{CACHE_DIRECTORY}/{key}.json")
        return None if data is None else data.decode()

    def put(self, key: str, value: str) -> None:
        self.ledger.write(
            {f"{CACHE_DIRECTORY}/{key}.json": value.encode()}, message="talkgit: cache a reply"
        )
