"""The collector is paused only inside the block, and left as the caller had it."""

from __future__ import annotations

import gc

import pytest

from talkgit.repomap import collector


def test_paused_inside_and_running_again_after_even_on_an_error():
    assert gc.isenabled()
    with pytest.raises(ValueError), collector.paused():
        assert not gc.isenabled()
        raise ValueError

    assert gc.isenabled()


def test_a_collector_the_caller_stopped_stays_stopped():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
