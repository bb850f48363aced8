"""The LLM layer: the only code that talks to model providers (through litellm).

Importing this package never imports litellm; the first real model call does.
"""

from __future__ import annotations

from talkgit.llm.cache import DirectoryCache, MemoryCache
from talkgit.llm.client import LLM
from talkgit.llm.types import CallPolicy, Message, Reply, ResponseCache, Usage

__all__ = [
    "LLM",
    "CallPolicy",
    "DirectoryCache",
    "MemoryCache",
    "Message",
    "Reply",
    "ResponseCache",
    "Usage",
]
