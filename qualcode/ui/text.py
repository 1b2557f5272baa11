"""Showing user text safely: transcript text is never HTML and never Markdown that runs.

Transcript text goes through ``st.text`` (no Markdown, no HTML). Where a short piece of
user text must sit inside Markdown (a speaker name in a header, a code name on a button),
:func:`md` escapes every character Markdown or Streamlit's directives could act on.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from qualcode.core.text import plural  # noqa: F401  (the UI's pages import it from here)

# CommonMark lets any ASCII punctuation be backslash-escaped; ':' also stops Streamlit's
# :color[...] / :material/...: directives, '$' stops LaTeX, '<' '>' stop raw HTML.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'^%@/])")
# Streamlit's Markdown turns " -> ", " <- ", " <-> ", " -- ", " >= ", " <= ", " ~= " into arrows,
# a dash and signs, escaped or not (walk 9: a file's "->" was shown as "→"): an invisible word
# joiner (U+2060) after the first character keeps them as written (only there: "-->" stays as
# it is, so the page's own search still finds it).
_ARROWS = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")  # only where Streamlit rewrites ("-->" stays)


def md(text: object) -> str:
    """Escape ``text`` for use inside a Markdown string (shown literally).

    >>> md("[link](http://evil) <b>")
    '\\\\[link\\\\]\\\\(http\\\\:\\\\/\\\\/evil\\\\) \\\\<b\\\\>'
    """
    kept = _ARROWS.sub(lambda m: m.group(1)[0] + "\u2060" + m.group(1)[1:], str(text))
    return _MD_SPECIAL.sub(r"\\\1", kept).replace("\n", " ")


# a piece of a file quoted in a message, as Python's repr writes it: '...' (or "..." when it
# holds a quote), opened after no letter (an apostrophe, "file's", opens nothing)
_QUOTED = re.compile(r"""(?<![\w'"])('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")(?!\w)""")


def code_span(text: str) -> str:
    """``text`` as Markdown inline code: shown exactly as written (no escapes, no arrows made
    of "->", no hidden characters), a backtick inside included.

    >>> code_span("00:01:24.000 -> 00:01:34000"), code_span("a`b")
    ('`00:01:24.000 -> 00:01:34000`', '``a`b``')
    """
    text = str(text).replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_quoting(text: object) -> str:
    """A message that quotes a file's words (``'...'``, as a reader's problem writes them) for
    Markdown: each quoted piece in inline code, exactly as in the file, so a coder can copy it
    and find it there (walk 26: ``md`` kept a cue timing's "->" with an invisible joiner, and
    the copied text was not found in the file); the rest escaped by :func:`md`.

    >>> print(md_quoting("a.vtt, line 6: cue timing '0:0x -> 0:2' cannot be read"))
    a\\.vtt, line 6\\: cue timing `0:0x -> 0:2` cannot be read
    """
    import ast

    out, at = [], 0
    text = str(text)
    for m in _QUOTED.finditer(text):
        out.append(md(text[at:m.start()]))
        try:
            words = ast.literal_eval(m.group(1))
        except (ValueError, SyntaxError):
            words = m.group(1)[1:-1]
        out.append(code_span(words))
        at = m.end()
    out.append(md(text[at:]))
    return "".join(out)


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


def source_labels(n: dict[str, int]) -> dict[str | None, str]:
    """The choices of "Count from" (Themes, Export) for a project of ``n["transcripts"]``
    transcripts and ``n["surveys"]`` survey respondents.

    >>> source_labels({"transcripts": 4, "surveys": 40})[None]
    'Everything (4 transcripts and 40 survey respondents)'
    """
    return {None: f"Everything ({plural(n['transcripts'], 'transcript')} and "
                  f"{plural(n['surveys'], 'survey respondent')})",
            "transcripts": f"Transcripts only ({n['transcripts']})",
            "surveys": f"Survey answers only ({plural(n['surveys'], 'respondent')})"}


def excerpts(n: int) -> str:
    """``n`` with "excerpt" or "excerpts", for labels and titles.

    >>> excerpts(1), excerpts(3)
    ('1 excerpt', '3 excerpts')
    """
    return plural(n, "excerpt")


def distinct(labels: dict, *, invisible: bool = False) -> dict:
    """``labels`` (key -> label) with every label made unique, in order.

    Streamlit's select widgets send the *label* of a choice back from the browser and map it
    to the first or last option with that label, so two options labelled alike cannot both be
    chosen (a word slider once coded from the second "I've" when the coder left it at the
    whole excerpt). A repeated label gets " (2)", " (3)" ...; with ``invisible`` (words in a
    slider, where a number would read as part of the text) zero-width spaces instead.

    >>> distinct({1: "a", 2: "b", 3: "a"})
    {1: 'a', 2: 'b', 3: 'a (2)'}
    >>> [len(v) for v in distinct({1: "I", 2: "I"}, invisible=True).values()]
    [1, 2]
    """
    taken = set(labels.values())
    seen: dict[str, int] = {}
    out = {}
    for key, label in labels.items():
        n = seen.get(label, 0) + 1
        seen[label] = n
        if n == 1:
            out[key] = label
            continue
        k = n
        new = label + ("\u200b" * (k - 1) if invisible else f" ({k})")
        while new in taken:
            k += 1
            new = label + ("\u200b" * (k - 1) if invisible else f" ({k})")
        taken.add(new)
        out[key] = new
    return out


def pooled_coders(coders: list[str], consensus: str = "consensus") -> str:
    """Who a pooled count holds: the people by name, the consensus (a reserved coder, not a
    third person: walk 7 read "3 coders (consensus, ellen, sam)") said as such.

    >>> pooled_coders(["consensus", "ellen", "sam"])
    '2 coders (ellen, sam) and the consensus'
    >>> pooled_coders(["ana", "ben"])
    '2 coders (ana, ben)'
    """
    people = [c for c in coders if c != consensus]
    text = f"{plural(len(people), 'coder')} ({', '.join(md(c) for c in people)})"
    return text + (" and the consensus" if consensus in coders else "")


def wrong_kind(filename: str, kinds: tuple[str, ...], what: str, how: str = "") -> str | None:
    """The refusal, in plain words, of an upload whose extension is not one of ``kinds``; None
    when it is. The uploaders take any file and say this instead of Streamlit's type filter,
    whose "application/rtf files are not allowed" gave no advice (walk 16).

    >>> print(wrong_kind("codes.rtf", ("yaml", "yml", "qdc"), "A codebook file"))
    codes.rtf: a codebook file must be a .yaml, .yml or .qdc file, and this is a .rtf file. Save it as one of those and upload it again.
    >>> wrong_kind("codes.QDC", ("yaml", "yml", "qdc"), "A codebook file") is None
    True
    """
    ext = PurePath(filename).suffix.lower()
    if ext.lstrip(".") in kinds:
        return None
    listed = ", ".join(f".{k}" for k in kinds[:-1]) + f" or .{kinds[-1]}" if len(kinds) > 1 else f".{kinds[0]}"
    got = f"a {ext} file" if ext else "a file without an extension"
    return (f"{filename}: {what[:1].lower()}{what[1:]} must be a {listed} file, and this is {got}. "
            f"{how or 'Save it as one of those'} and upload it again.")
