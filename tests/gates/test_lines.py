from __future__ import annotations

from difflib import SequenceMatcher

from hypothesis import given
from hypothesis import strategies as st

from talkgit.gates.lines import Changed, Unchanged, locate
from talkgit.git.diff import Hunk


def test_no_hunks_no_move() -> None:
    assert locate((), 7) == Unchanged(7)


def test_lines_below_an_insertion_move_down_and_the_inserted_lines_replaced_none() -> None:
    hunks = (Hunk(4, 0, 5, 2),)  # two lines after base line 4
    assert [locate(hunks, line) for line in (4, 5, 6, 7)] == [
        Unchanged(4),
        Changed(4, 6),  # none replaced: base lines 4 and 5 either side stand in
        Changed(4, 6),
        Unchanged(5),
    ]


def test_an_insertion_at_the_top_has_only_the_first_line_beside_it() -> None:
    hunks = (Hunk(0, 0, 1, 1),)
    assert (locate(hunks, 1), locate(hunks, 2)) == (Changed(1, 2), Unchanged(1))


def test_a_deletion_after_a_line_moves_only_the_lines_below() -> None:
    hunks = (Hunk(5, 2, 4, 0),)  # base lines 5 and 6 deleted after head line 4
    assert (locate(hunks, 4), locate(hunks, 5)) == (Unchanged(4), Unchanged(7))
    assert locate((Hunk(1, 2, 0, 0),), 1) == Unchanged(3)  # deleted at the top


def test_a_replacement_names_the_base_lines_it_replaced() -> None:
    hunks = (Hunk(2, 1, 2, 3), Hunk(9, 2, 11, 1))
    assert [locate(hunks, line) for line in (1, 2, 4, 5, 10, 11, 12)] == [
        Unchanged(1),
        Changed(2, 3),
        Changed(2, 3),
        Unchanged(3),
        Unchanged(8),
        Changed(9, 11),
        Unchanged(11),
    ]


def hunks_of(base: list[str], head: list[str]) -> tuple[Hunk, ...]:
    """The hunks a unified diff would show, from difflib's opcodes (same conventions)."""
    opcodes = SequenceMatcher(None, base, head, autojunk=False).get_opcodes()
    return tuple(
        Hunk(i1 + 1 if i2 > i1 else i1, i2 - i1, j1 + 1 if j2 > j1 else j1, j2 - j1)
        for tag, i1, i2, j1, j2 in opcodes
        if tag != "equal"
    )


texts = st.lists(st.sampled_from(["a", "b", "c", "assert x", ""]), max_size=15)


@given(base=texts, head=texts)
def test_property_every_head_line_is_placed_by_the_diff(base: list[str], head: list[str]) -> None:
    hunks = hunks_of(base, head)
    unchanged = []
    for line in range(1, len(head) + 1):
        where = locate(hunks, line)
        if isinstance(where, Unchanged):
            assert base[where.line - 1] == head[line - 1]
            unchanged.append(where.line)
        else:
            assert 1 <= where.start < where.stop <= len(base) + 2
    assert unchanged == sorted(set(unchanged))  # in order, each base line once
    assert len(unchanged) == len(base) - sum(h.old_lines for h in hunks)
