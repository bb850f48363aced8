"""Real changes sent back as model replies give their intended files, or are refused.

A bounded sample of benchmarks/edit_replays.py (tests/support/replays.py): every fourth
changed file of each pair of releases, at most three hunks of each, in every form.
"""

from __future__ import annotations

import pytest

from tests.support.replays import FORMS, PAIRS, Pair, Tally, Verdict, changes, replays, tally
from tests.support.sdists import require_sdist

FILE_STEP = 4
MAX_HUNKS = 3
# The sample reproduces 84-91% (a SEARCH elided without its REPLACE is always refused,
# and some blocks are ambiguous in their files); well below that is a regression.
LEAST_REPRODUCED = 0.75


@pytest.fixture(scope="module", params=PAIRS, ids=[pair.id for pair in PAIRS])
def judged(request: pytest.FixtureRequest) -> tuple[list[Tally], list[str]]:
    pair: Pair = request.param
    require_sdist(pair.name, pair.old)
    require_sdist(pair.name, pair.new)
    changed = changes(pair)
    assert changed, f"{pair.id}: no changed text files"
    sample = [replay for change in changed[::FILE_STEP] for replay in replays(change, MAX_HUNKS)]
    tallies, wrong = tally(sample)
    return tallies, [f"{replay.form}: {replay.path}" for replay in wrong]


def test_no_reply_leaves_a_wrong_file(judged: tuple[list[Tally], list[str]]) -> None:
    _, wrong = judged
    assert not wrong, "wrong files from: " + "; ".join(wrong)


def test_most_replies_reproduce_their_change(judged: tuple[list[Tally], list[str]]) -> None:
    tallies, _ = judged
    total = sum(t.total for t in tallies)
    reproduced = sum(t.counts[Verdict.REPRODUCED] for t in tallies)
    assert total >= 40
    assert reproduced / total >= LEAST_REPRODUCED


def test_every_form_is_replayed(judged: tuple[list[Tally], list[str]]) -> None:
    tallies, _ = judged
    assert [t.form for t in tallies if t.total] == list(FORMS)
