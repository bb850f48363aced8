"""The value types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from talkgit.errors import ConfigError
from talkgit.llm import CallPolicy, Usage


def test_usages_add_up():
    total = Usage(1, 2, Decimal("0.5")) + Usage(10, 20, Decimal("0.25"))

    assert total == Usage(11, 22, Decimal("0.75"))


def test_default_policy():
    assert CallPolicy() == CallPolicy(timeout=120.0, retries=4, backoff_base=1.0, backoff_max=30.0)


@pytest.mark.parametrize(
    "options",
    [{"timeout": 0}, {"timeout": -1}, {"retries": -1}, {"backoff_base": -0.1}, {"backoff_max": -5}],
)
def test_a_nonsensical_policy_is_a_config_error(options):
    with pytest.raises(ConfigError):
        CallPolicy(**options)
