"""Ranking a 600-file repository for a task: the file it is about first, wherever it sorts."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkgit.git.repo import GitRepo
from talkgit.repomap.index import RepoIndex, build_index
from talkgit.repomap.rank import mentioned, rank, words
from tests.support.gitrepo import make_repo

MODULES = 600
TARGET = "zz/zeta_ledger.py"  # sorts after every other file
CALLEE = "pkg/journal.py"
CALLER = "pkg/billing.py"
CENTRAL = "pkg/audit.py"  # every module calls it: first without a task
NO_SYMBOLS = ("README.md", "docs/guide.md", "data/config.json")


def module(n: int) -> str:
    calls = "\n".join(f"    handle_{m:03d}(value)" for m in ((n + 1) % MODULES, (n + 7) % MODULES))
    return (
        f"from pkg import mod_{(n + 1) % MODULES:03d}\n\n\n"
        f"def handle_{n:03d}(value):\n{calls}\n    return record_audit_event(value)\n\n\n"
        f"class Worker{n:03d}:\n    def run(self):\n        return handle_{n:03d}(self)\n"
    )


FILES = {
    **{f"pkg/mod_{n:03d}.py": module(n) for n in range(MODULES)},
    CENTRAL: "def record_audit_event(value):\n    return value\n",
    CALLEE: "def write_journal_line(entry):\n    return entry\n",
    CALLER: "from zz.zeta_ledger import reconcile_ledger_entries\n\n\n"
    "def close_month(book):\n    return reconcile_ledger_entries(book)\n",
    TARGET: "from pkg.journal import write_journal_line\n\n\n"
    "def reconcile_ledger_entries(entries):\n"
    "    return [write_journal_line(e) for e in entries]\n\n\n"
    "class LedgerBook:\n    def balance(self):\n        return 0\n",
    **{path: "plain text\n" for path in NO_SYMBOLS},
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> RepoIndex:
    path = make_repo(tmp_path_factory.mktemp("rank") / "repo", FILES)
    repo = GitRepo.discover(Path(path))
    return build_index(repo, repo.head(), None)


def position(ranked: list[str], path: str) -> int:
    return ranked.index(path) + 1


def test_every_file_is_ranked_once(index):
    ranked = rank(index, "anything at all")

    assert sorted(ranked) == sorted(FILES)
    assert len(index.paths) > 600
    assert ranked == rank(index, "anything at all")


@pytest.mark.parametrize(
    "task",
    [
        "reconcile_ledger_entries drops the last entry",
        "LedgerBook.balance should not be zero",
        "the bug is in zz/zeta_ledger.py",
        "fix zeta_ledger.py, it rounds wrongly",
        "something in ./zz/zeta_ledger.py",
        "the zeta_ledger module rounds wrongly",
        "the ledgerbook is never balanced",
    ],
    ids=["symbol", "class-and-method", "path", "file-name", "dotted-path", "stem", "prose"],
)
def test_the_file_a_task_names_ranks_first(index, task):
    assert rank(index, task)[0] == TARGET


def test_without_the_task_the_files_sort_by_how_central_they_are(index):
    ranked = rank(index, "tidy up")

    assert ranked[0] == CENTRAL
    assert min(position(ranked, TARGET), position(ranked, CALLER)) > 100


def test_the_files_it_calls_and_the_files_calling_it_come_next(index):
    ranked = rank(index, "reconcile_ledger_entries drops the last entry")

    assert set(ranked[1:3]) == {CALLEE, CALLER}
    assert position(ranked, CENTRAL) > 3


def test_a_focus_file_ranks_first(index):
    ranked = rank(index, "", focus=[TARGET, "not/in/the/tree.py"])

    assert ranked[0] == TARGET
    assert position(ranked, CALLEE) == 2  # what it uses


def test_files_without_symbols_come_last_unless_named(index):
    plain = rank(index, "handle_300 is slow")
    named = rank(index, "handle_300 is slow; see docs/guide.md")

    assert sorted(plain[-3:]) == sorted(NO_SYMBOLS)
    assert position(named, "docs/guide.md") <= 3
    assert sorted(named[-2:]) == ["README.md", "data/config.json"]


def test_a_plain_word_counts_less_than_code(index):
    found = words("Make `run` call handle_001() and fix Worker001.run, the record. It is slow.")

    assert found["handle_001"] == found["Worker001"] == found["run"] == 1.0  # `quoted`, dotted
    assert found["Make"] == found["record"] == found["slow"] == found["the"] == 0.1
    assert "It" not in found and "is" not in found  # two letters


def test_the_teleport_goes_to_definers_and_a_smaller_share_to_users(index):
    mentions = mentioned(index, "reconcile_ledger_entries")
    target, caller = index.numbers[TARGET], index.numbers[CALLER]

    assert set(mentions.files) == {target, caller}
    assert mentions.files[target] > 3 * mentions.files[caller]
    assert mentions.names == {"reconcile_ledger_entries": 9.0}
