"""Showing user text safely: transcript text is never HTML and never Markdown that runs.

Transcript text goes through ``st.text`` (no Markdown, no HTML). Where a short piece of
user text must sit inside Markdown (a speaker name in a header, a code name on a button),
:func:`md` escapes every character Markdown or Streamlit's directives could act on.
"""

from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be backslash-escaped; ':' also stops Streamlit's
# :color[...] / :material/...: directives, '$' stops LaTeX, '<' '>' stop raw HTML.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'^%@/])")


def md(text: object) -> str:
    """Escape ``text`` for use inside a Markdown string (shown literally).

    >>> md("[link](http://evil) <b>")
    '\\\\[link\\\\]\\\\(http\\\\:\\\\/\\\\/evil\\\\) \\\\<b\\\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def shorten(text: str, n: int = 80) -> str:
    """One line of at most ``n`` characters.

    >>> shorten("a  b\\nc", 80)
    'a b c'
    """
    one = " ".join(str(text).split())
    if len(one) <= n:
        return one
    cut = one[: n - 1]
    space = cut.rfind(" ")
    if space > n // 2:  # end at a word, not mid-word
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def tail(text: str, n: int = 400) -> str:
    """The last ``n`` characters or so, starting at a word (for context before an excerpt).

    >>> tail("one two three four", 12)
    '…three four'
    """
    one = " ".join(str(text).split())
    if len(one) <= n:
        return one
    cut = one[-n:]
    space = cut.find(" ")
    if 0 <= space < n // 2:
        cut = cut[space + 1:]
    return "…" + cut


def excerpts(n: int) -> str:
    """``n`` with "excerpt" or "excerpts", for labels and titles.

    >>> excerpts(1), excerpts(3)
    ('1 excerpt', '3 excerpts')
    """
    return f"{n} excerpt{'s' * (n != 1)}"
