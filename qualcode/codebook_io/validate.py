"""Rules a codebook must follow, checked all at once so a user sees every problem.

Two levels: :func:`check_raw` looks at the parsed YAML/JSON mapping (unknown fields, wrong
types, bad ids and colors) before any :class:`~qualcode.core.Code` exists;
:func:`validate_codebook` checks the structure of a :class:`~qualcode.core.Codebook`
(duplicate ids or names, unknown parents, cycles, missing definitions, bad colors). The
services run the second one on every change, so a project's codebook stays valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qualcode.core import Codebook
from qualcode.errors import Problem

ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
COLOR_RE = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")

TOP_FIELDS = {"name", "description", "version", "codes"}
LIST_FIELDS = ("include", "exclude", "examples", "counterexamples", "keywords")
CODE_FIELDS = {"id", "name", "parent", "codable", "definition", "color", "guid", "retired", *LIST_FIELDS}
GUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")


@dataclass
class Lines:
    """Where things are in the source file (1-based lines), when there is a file.

    ``codes[i]`` is the line of the i-th code's mapping; ``fields[(i, key)]`` the line of
    one of its keys; ``top[key]`` the line of a top-level key.
    """

    codes: list[int | None] = field(default_factory=list)
    fields: dict[tuple[int, str], int] = field(default_factory=dict)
    top: dict[str, int] = field(default_factory=dict)

    def code(self, i: int, key: str | None = None) -> int | None:
        if key is not None and (i, key) in self.fields:
            return self.fields[(i, key)]
        return self.codes[i] if i < len(self.codes) else None


def _close(names: set[str], word: str) -> str:
    import difflib

    if len(names) > 2000:  # difflib is slow on long lists; the hint is a courtesy, not a need
        return ""

    best = difflib.get_close_matches(word, sorted(names), n=1)
    return f" (did you mean {best[0]!r}?)" if best else ""


def check_raw(data: Any, *, file: str | None = None, lines: Lines | None = None) -> list[Problem]:
    """Problems in the parsed file before it becomes a Codebook (fields and types)."""
    lines = lines or Lines()
    out: list[Problem] = []

    def add(msg: str, line: int | None) -> None:
        out.append(Problem(msg, file=file, line=line))

    if not isinstance(data, dict):
        add("a codebook file must be a mapping with 'name' and 'codes'", 1)
        return out
    for key in data:
        if key not in TOP_FIELDS:
            add(f"unknown field {key!r} at the top level{_close(TOP_FIELDS, str(key))}; "
                f"allowed: {', '.join(sorted(TOP_FIELDS))}", lines.top.get(key))
    for key in ("name", "description"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            add(f"{key!r} must be text", lines.top.get(key))
    if "version" in data and data["version"] is not None and (
            not isinstance(data["version"], int) or isinstance(data["version"], bool)):
        add("'version' must be a whole number", lines.top.get("version"))
    codes = data.get("codes")
    if codes is None:
        add("the codebook has no 'codes' list", 1)
        return out
    if not isinstance(codes, list):
        add("'codes' must be a list of codes (each starting with '- id: ...')", lines.top.get("codes"))
        return out
    if not codes:
        add("'codes' is empty: a codebook needs at least one code", lines.top.get("codes"))
    for i, c in enumerate(codes):
        where = lines.code(i)
        if not isinstance(c, dict):
            add(f"code #{i + 1} must be a mapping with 'id', 'name' and 'definition'", where)
            continue
        label = f"code {c.get('id')!r}" if isinstance(c.get("id"), str) else f"code #{i + 1}"
        for key in c:
            if key not in CODE_FIELDS:
                add(f"{label}: unknown field {key!r}{_close(CODE_FIELDS, str(key))}", lines.code(i, key))
        cid = c.get("id")
        if cid is None or cid == "":
            add(f"{label}: missing 'id' (a stable slug such as 'peer_learning')", where)
        elif not isinstance(cid, str) or not ID_RE.match(cid):
            add(f"{label}: id {cid!r} is not a slug; use lowercase letters, digits and '_', "
                f"starting with a letter (e.g. {slugify(str(cid))!r})", lines.code(i, "id"))
        name = c.get("name")
        if name is None or (isinstance(name, str) and not name.strip()):
            add(f"{label}: missing 'name'", where)
        elif not isinstance(name, str):
            add(f"{label}: 'name' must be text", lines.code(i, "name"))
        for key in ("definition", "parent", "color", "guid"):
            if c.get(key) is not None and not isinstance(c[key], str):
                add(f"{label}: {key!r} must be text", lines.code(i, key))
        for key in ("codable", "retired"):
            if key in c and not isinstance(c[key], bool):
                add(f"{label}: {key!r} must be true or false", lines.code(i, key))
        for key in LIST_FIELDS:
            v = c.get(key)
            if v is None:
                continue
            if isinstance(v, str):
                continue  # one string is accepted as a one-item list
            if not isinstance(v, list) or not all(isinstance(x, (str, int, float)) for x in v):
                add(f"{label}: {key!r} must be a list of text items", lines.code(i, key))
        if isinstance(c.get("guid"), str) and not GUID_RE.match(c["guid"]):
            add(f"{label}: guid {c['guid']!r} is not a GUID (8-4-4-4-12 hex digits)", lines.code(i, "guid"))
    return out


def validate_codebook(
    cb: Codebook,
    *,
    file: str | None = None,
    lines: Lines | None = None,
    require_definitions: bool = True,
    known: "set[str] | frozenset[str]" = frozenset(),
) -> list[Problem]:
    """Structural problems of a codebook; an empty list means it is valid. ``known``: ids of
    codes outside it that may be parents (a file imported into a project: its codes may sit
    under the project's; the merged codebook is checked again).

    >>> from qualcode.core import Code
    >>> [p.message for p in validate_codebook(Codebook("x", [Code("a", "A", parent="zz")]))]
    ["code 'a': missing definition (codable codes need one; set codable: false for a grouping code)", "code 'a': parent 'zz' is not a code in this codebook"]
    """
    lines = lines or Lines()
    out: list[Problem] = []

    def add(msg: str, i: int, key: str | None = None, severity: str = "error") -> None:
        out.append(Problem(msg, file=file, line=lines.code(i, key), severity=severity))

    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    ids = {c.id for c in cb.codes}
    for i, c in enumerate(cb.codes):
        label = f"code {c.id!r}" if c.id else "the new code"
        if c.id in seen_ids:
            first = lines.code(seen_ids[c.id])
            add(f"duplicate id {c.id!r} (first used{' on line ' + str(first) if first else ''})"
                "; ids must be unique", i, "id")
        else:
            seen_ids[c.id] = i
        if c.id and not ID_RE.match(c.id):
            add(f"{label}: id is not a slug (lowercase letters, digits, '_')", i, "id")
        key = (c.name or "").strip().casefold()
        if key and not c.retired:
            if key in seen_names:
                first = lines.code(seen_names[key])
                other = cb.codes[seen_names[key]].id
                if first is None and lines.code(i) is not None:  # not in the file: the project's own code
                    # (walk 43: "(also code 'trust')" did not say that 'trust' was the project's)
                    add(f"{label}: the name {c.name!r} is already the project's code {other!r}; names must be "
                        "unique (rename it in the file, or give it the id "
                        f"{other!r} to update that code)", i, "name")
                else:
                    add(f"{label}: duplicate name {c.name!r} (also code {other!r}"
                        f"{', line ' + str(first) if first else ''}); names must be unique", i, "name")
            else:
                seen_names[key] = i
        if not (c.name or "").strip():
            add(f"{label}: missing name", i)
        if c.codable and not (c.definition or "").strip():
            add(f"{label}: missing definition (codable codes need one; set codable: false for a "
                "grouping code)", i, "definition", "error" if require_definitions else "warning")
        if c.parent is not None:
            if c.parent == c.id:
                add(f"{label}: a code cannot be its own parent", i, "parent")
            elif c.parent not in ids and c.parent not in known:
                add(f"{label}: parent {c.parent!r} is not a code in this codebook"
                    f"{_close(ids, c.parent)}", i, "parent")
        if c.color is not None and not COLOR_RE.match(c.color):
            add(f"{label}: color {c.color!r} is not '#rrggbb' or '#rgb'", i, "color")
        for name in LIST_FIELDS:
            items = getattr(c, name)
            if items and any(not str(x).strip() for x in items):
                add(f"{label}: {name!r} holds an empty item", i, name)
    _cycles(cb, add)
    return out


def _cycles(cb: Codebook, add) -> None:
    """Report each parent cycle once; linear in the number of codes (each code walked once)."""
    parent = {c.id: c.parent for c in cb.codes}
    index = {c.id: i for i, c in enumerate(cb.codes)}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in parent:
        if start in state:
            continue
        path: list[str] = []
        cur: str | None = start
        while cur is not None and cur in parent and cur not in state:
            state[cur] = 1
            path.append(cur)
            cur = parent[cur]
        if cur is not None and state.get(cur) == 1:
            loop = path[path.index(cur):]
            chain = " -> ".join([*loop, loop[0]])
            add(f"parent cycle: {chain}; a code cannot sit below itself", index[loop[0]], "parent")
        for p in path:
            state[p] = 2


def slugify(text: str, *, taken: set[str] | None = None) -> str:
    """A stable id from a name: lowercase ASCII words joined by '_' (unique in ``taken``).

    >>> slugify("Buy-in (principals)")
    'buy_in_principals'
    >>> slugify("Trust", taken={"trust"})
    'trust_2'
    """
    import unicodedata

    ascii_ = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")[:80] or "code"
    if not slug[0].isalpha():
        slug = "c_" + slug
    if taken is None or slug not in taken:
        return slug
    n = 2
    while f"{slug}_{n}" in taken:
        n += 1
    return f"{slug}_{n}"
