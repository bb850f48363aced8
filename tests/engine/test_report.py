from __future__ import annotations

import io
import os
import pty

from talkgit.engine.report import PlainReporter, RichReporter, SilentReporter, reporter_for


def test_a_terminal_gets_colour_and_a_pipe_gets_plain_lines() -> None:
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        reporter = reporter_for(as_json=False, stream=terminal)
        assert isinstance(reporter, RichReporter)
        reporter.line("[01] fix: merged", "green")
    shown = os.read(leader, 1000)
    os.close(leader)
    assert b"\x1b[" in shown and b"[01] fix: merged" in shown

    pipe = io.StringIO()
    plain = reporter_for(as_json=False, stream=pipe)
    assert isinstance(plain, PlainReporter)
    plain.line("[01] fix: merged", "green")
    assert pipe.getvalue() == "[01] fix: merged\n"
    assert isinstance(reporter_for(as_json=True), SilentReporter)
