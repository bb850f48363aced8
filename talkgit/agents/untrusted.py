"""Text someone else wrote, shown to a model as data, and the JSON a model replies with.

A diff, a pull request's description or a gate's message may say "ignore your instructions":
it goes inside delimiters whose name is a hash of that text, so the text cannot hold the
closing delimiter, under an instruction to treat it as data.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Final

from talkgit.filenames import as_bytes

_TAG_LIKE: Final = re.compile(r"</?untrusted-[0-9a-f]{16}>")


def fence_tag(*texts: str) -> str:
    """A delimiter name none of ``texts`` can close early: a hash of them all."""
    digest = hashlib.sha256(as_bytes("\0".join(texts))).hexdigest()[:16]
    return f"untrusted-{digest}"


def fenced(tag: str, text: str) -> str:
    # Look-alike tags (a forged fence with another hash) are removed, so the model sees
    # only the real ones.
    return f"<{tag}>\n{_TAG_LIKE.sub('[tag removed]', text)}\n</{tag}>"


def json_object_in(text: str) -> Any:
    """The JSON object from the first ``{`` to the last ``}`` of a reply, or None."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        return json.loads(text[start : end + 1])
    except ValueError:
        return None
