"""Do real changes, sent back as model replies in many forms, give their intended trees?

For each pair of released versions (tests/support/replays.py), every changed text file is
sent as the replies a model might write — SEARCH/REPLACE blocks exact or mangled, unified
diffs with right, wrong or no line numbers, whole files, new files — each parsed and
applied to the old file in memory. It prints, per form, how many replies reproduced what
they meant, how many were refused, and how many left a WRONG file: there must be none.

    python benchmarks/edit_replays.py [--project NAME ...] [--show-wrong]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.replays import PAIRS, Replay, changes, replays, table, tally


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", action="append", help="only this project (repeatable)")
    parser.add_argument("--show-wrong", action="store_true", help="print each WRONG reply")
    args = parser.parse_args()
    everything: list[Replay] = []
    started = time.perf_counter()
    for pair in PAIRS:
        if args.project and pair.name not in args.project:
            continue
        changed = changes(pair)
        if changed is None:
            print(f"{pair.id}: its sdists cannot be had; left out")
            continue
        replies = [replay for change in changed for replay in replays(change)]
        print(f"{pair.name} {pair.old} -> {pair.new}: {len(changed)} files, {len(replies)} replies")
        everything += replies
    tallies, wrong = tally(everything)
    seconds = time.perf_counter() - started
    print(f"\n{table(tallies)}\n\n{len(wrong)} WRONG ({seconds:.1f}s)")
    for replay in wrong if args.show_wrong else []:
        print(f"\n--- WRONG: {replay.form}: {replay.path}\n{replay.reply}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
