"""Markdown made inert before it is posted: whatever wrote a plan, it pings and fakes nothing.

A plan is usually rendered by talkgit, but in the fork-safe pattern it comes from an
artifact a run of the pull request's code wrote, so every body passes through here on
its way to GitHub. Each trick is defused with a zero-width space where it would work:

- an @-mention (``@user``, ``@org/team``; and ``&#64;``, ``&commat;``, which GitHub
  decodes before it looks for mentions);
- HTML: a tag, comment or autolink (so no talkgit marker either), but for ``<sub>``
  inside a line;
- an image's ``![``;
- a heading, unless it is one of talkgit's own — of the verdict headlines, only the
  plan's — and a setext underline (``---`` under a line).

A zero-width space changes nothing anyone sees, in code or out, so this needs no
Markdown parser: every line is treated alike, inside code blocks and spans or not, and
no reading of where a code block ends can be tricked. The summary's marker and a review
comment's fingerprint marker are put back by talkgit, from the plan's fields.
"""

from __future__ import annotations

import re
from typing import Final

from talkgit.gates.base import Verdict
from talkgit.github.summary import COMMENT_LIMIT, SUMMARY_MARKER, headline, unmention

ZWSP: Final = "\u200b"
_AT_ENTITY: Final = re.compile(r"&(?=#0*64;?|#[xX]0*40;?|commat;?)")
_TAG: Final = re.compile(r"<(?!/?sub>)(?=[A-Za-z/!?])")
_SUB_ALONE: Final = re.compile(r"[ \t]*</?sub>[ \t]*")  # would open an HTML block
_IMAGE: Final = re.compile(r"!(?=\[)")
_HEADING: Final = re.compile(r"[\s>*+\-\d.)]*(?=#{1,6}(?:[ \t]|$))")
_UNDERLINE: Final = re.compile(r"[ \t>]*(?=(?:=+|-+)[ \t]*$)")
_SECTIONS: Final = re.compile(
    r"#### (?:New findings \(\d+\)|Provenance: \d+ of \d+ commits made by agents"
    r"|LLM review(?: \(`[^`]+`\))?)"
)
_FINDING_MARKER: Final = re.compile(r"\s*<!-- talkgit:finding [0-9a-z-]{1,80} -->\s*\Z")


_CUT: Final = "\n\n… (cut to fit GitHub's comment limit)\n"


def inert_summary(text: str, verdict: Verdict) -> str:
    """The summary comment: talkgit's marker, then ``text`` made inert for ``verdict``."""
    body = text.removeprefix(SUMMARY_MARKER).lstrip("\n")
    whole = f"{SUMMARY_MARKER}\n{inert(body, headline(verdict))}"
    # Each defused trick is a character longer: a summary full of them is cut again.
    return whole if len(whole) <= COMMENT_LIMIT else whole[: COMMENT_LIMIT - len(_CUT)] + _CUT


def inert_comment(text: str, marker: str) -> str:
    """A review comment: ``text`` made inert, then ``marker`` (talkgit's, from the plan)."""
    return f"{inert(_FINDING_MARKER.sub('', text))}\n\n{marker}"


def inert(text: str, *headings: str) -> str:
    """``text`` with no mention, HTML, image or heading (but ``headings``) left working."""
    return "\n".join(_line(line, headings) for line in text.split("\n"))


def _line(line: str, headings: tuple[str, ...]) -> str:
    text = unmention(_AT_ENTITY.sub("&" + ZWSP, line))
    text = _IMAGE.sub("!" + ZWSP, _TAG.sub("<" + ZWSP, text))
    if _SUB_ALONE.fullmatch(text):
        text = text.replace("<", "<" + ZWSP, 1)
    if text in headings or _SECTIONS.fullmatch(text):
        return text
    for shape in (_HEADING, _UNDERLINE):
        match = shape.match(text)
        if match is not None:
            return text[: match.end()] + ZWSP + text[match.end() :]
    return text
