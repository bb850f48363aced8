from __future__ import annotations

import pytest

from talkgit.errors import NotFoundError, UsageError
from talkgit.git import names


def test_layout_names_follow_the_contract() -> None:
    assert names.step_branch("ab12cd34", 3, "fix-fib") == "refs/heads/talkgit/ab12cd34/03-fix-fib"
    assert names.integration_branch("ab12cd34") == "refs/heads/talkgit/ab12cd34/integration"
    assert names.ledger_ref("ab12cd34") == "refs/talkgit/runs/ab12cd34"


@pytest.mark.parametrize("bad", ["", "UPPER", "a b", "../x", "x/y", "-lead", "a" * 64])
def test_bad_step_ids_are_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="not a step id"):
        names.step_branch("ab12cd34", 1, bad)


def test_new_run_ids_are_short_and_unique() -> None:
    seen: set[str] = set()
    for _ in range(200):
        run = names.new_run_id(seen)
        assert len(run) == 8 and run not in seen
        names.check_run_id(run)
        seen.add(run)


def test_run_ids_resolve_by_unique_prefix() -> None:
    known = ["ab12cd34", "ab99ffff", "c0ffee00"]
    assert names.resolve_run_id("c0", known) == "c0ffee00"
    assert names.resolve_run_id("ab12", known) == "ab12cd34"
    with pytest.raises(NotFoundError, match="ambiguous"):
        names.resolve_run_id("ab", known)
    with pytest.raises(NotFoundError, match="no run matches"):
        names.resolve_run_id("dd", known)
