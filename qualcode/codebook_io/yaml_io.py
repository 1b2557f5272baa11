"""YAML codebook files <-> :class:`~qualcode.core.Codebook`, with line numbers for errors.

The file is parsed twice from the same text: ``yaml.compose`` gives the node tree with
each mapping's ``start_mark`` (so every problem can name its line), ``safe_load`` the
values. Writing keeps the key order of the documented format and drops empty fields, so a
project's codebook exported and imported again is the same codebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qualcode.codebook_io.guid import code_guid
from qualcode.codebook_io.validate import LIST_FIELDS, Lines
from qualcode.core import Code, Codebook
from qualcode.errors import Problem


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # same results, ~10x faster when libyaml is there


def _line(node: yaml.Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _key_lines(node: yaml.Node, file: str | None, problems: list[Problem]) -> dict[str, int]:
    """Line of each key of a mapping node; duplicate keys become problems."""
    out: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return out
    for k, _v in node.value:
        key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
        if key in out:
            problems.append(Problem(f"key {key!r} appears twice in one mapping (first on line {out[key]})",
                                    file=file, line=_line(k)))
        else:
            out[key] = _line(k)
    return out


# Aliases may add at most this many nodes beyond those written in the file: a "billion
# laughs" file of a few lines that expands to billions of nodes is refused before it is built.
MAX_ALIAS_NODES = 100_000


class _AliasBomb(Exception):
    def __init__(self, node: yaml.Node, why: str) -> None:
        self.node, self.why = node, why


class _Unusual(Exception):
    """A tag or key the fast build does not handle (timestamps, sets, merge keys, ...):
    PyYAML's own constructor builds the document instead."""


_T = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT, _MAP, _SEQ = (_T + t for t in ("str", "null", "bool", "int", "float", "map", "seq"))
_BOOLS = yaml.constructor.SafeConstructor.bool_values


def _build(root: yaml.Node, loader: Any, *, build: bool = True) -> Any:
    """The document's data from its node tree in one linear pass, refusing alias bombs.

    A node graph whose expansion (aliases followed) exceeds the written nodes by more than
    :data:`MAX_ALIAS_NODES`, or that refers to itself, raises :class:`_AliasBomb` before
    anything is expanded. The data is what ``yaml.safe_load`` gives (an aliased node is one
    shared object, as there); it is built here because PyYAML's generic constructor costs
    several times as much on a 100,000-code file. Unusual tags raise :class:`_Unusual`;
    ``build=False`` only checks for alias bombs (before PyYAML builds such a document).
    """
    scalar_node, mapping_node = yaml.ScalarNode, yaml.MappingNode
    value: dict[int, Any] = {}
    size: dict[int, int] = {}
    visiting: set[int] = set()
    written = 0

    def scalar(node: yaml.ScalarNode) -> Any:
        if not build:
            return None
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _BOOLS[node.value.lower()]
        if tag == _INT:
            return loader.construct_yaml_int(node)
        if tag == _FLOAT:
            return loader.construct_yaml_float(node)
        raise _Unusual(tag)

    if type(root) is scalar_node:
        return scalar(root)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]  # iterative post-order: (node, children done?)
    while stack:
        node, done = stack.pop()
        key = id(node)
        is_map = type(node) is mapping_node
        if done:
            visiting.discard(key)
            total = 1
            if is_map:
                if build and node.tag != _MAP:
                    raise _Unusual(node.tag)
                out: Any = {}
                for k, v in node.value:
                    if build and type(k) is not scalar_node:
                        raise _Unusual("a key that is not text")
                    kid, vid = id(k), id(v)
                    if kid not in size:
                        written += 1
                        size[kid], value[kid] = 1, scalar(k)
                    if vid not in size:  # a scalar value (collections are done already)
                        written += 1
                        size[vid], value[vid] = 1, scalar(v)
                    if build:
                        out[value[kid]] = value[vid]
                    total += size[kid] + size[vid]
            else:
                if build and node.tag != _SEQ:
                    raise _Unusual(node.tag)
                out = []
                for v in node.value:
                    vid = id(v)
                    if vid not in size:
                        written += 1
                        size[vid], value[vid] = 1, scalar(v)
                    out.append(value[vid])
                    total += size[vid]
            if total > written + MAX_ALIAS_NODES:
                raise _AliasBomb(node, f"aliases expand it past {MAX_ALIAS_NODES:,} extra entries")
            size[key], value[key] = total, out
            continue
        if key in size:
            continue
        if key in visiting:
            raise _AliasBomb(node, "an alias refers to the entry it sits in")
        visiting.add(key)
        written += 1
        stack.append((node, True))
        children = [n for pair in node.value for n in pair] if is_map else node.value
        for c in children:
            if type(c) is scalar_node:
                continue
            cid = id(c)
            if cid in visiting:
                raise _AliasBomb(c, "an alias refers to the entry it sits in")
            if cid not in size:
                stack.append((c, False))
    return value[id(root)]


INDENT_HINT = ("check the indentation of this line and the one before it: each code's fields line up under its "
               "id, with spaces, not tabs; a value with ': ' in it needs quotes")
TAB_HINT = ("this line is indented with a tab: YAML indents with spaces only; replace the tab with spaces so "
            "each code's fields line up under its id")
_INDENT_PROBLEMS = ("mapping values are not allowed", "could not find expected ':'", "did not find expected key",
                    "did not find expected '-' indicator", "expected <block end>", "block mapping",
                    "block sequence", "block collection", "expected <document start>",
                    "did not find expected <document start>")


def syntax_hint(exc: yaml.YAMLError, text: str) -> str | None:
    """What to do about a YAML syntax error, in plain words (None when there is nothing to add).

    PyYAML's C and Python parsers word the same errors differently; both are recognised.

    >>> try:
    ...     yaml.safe_load("codes:\\n  - id: a\\n    name: A\\n      definition: d\\n")
    ... except yaml.YAMLError as exc:
    ...     print(syntax_hint(exc, "").split(":")[0])
    check the indentation of this line and the one before it
    """
    problem = str(getattr(exc, "problem", None) or exc).lower()
    context = str(getattr(exc, "context", None) or "").lower()
    mark, opened = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and 0 <= mark.line < len(lines) else ""
    indent = line[:len(line) - len(line.lstrip(" \t-"))]
    if "\t" in indent or "tab" in problem or "'\\t'" in problem:
        return TAB_HINT
    if "cannot start any token" in problem:
        col = mark.column if mark is not None else -1
        start = line[col] if 0 <= col < len(line) and not line[col].isspace() else "@ or `"
        return f"a value that starts with {start} needs quotes around it"
    if "unknown escape" in problem:
        return ("inside double quotes a backslash starts an escape: put the value in single quotes "
                "('C:\\notes') or write each backslash twice")
    if "quoted scalar" in context or ("end of stream" in problem and "quot" in context):
        where = f" on line {opened.line + 1}" if opened is not None else ""
        return f"a quote opened{where} is never closed: close it at the end of the value"
    if "undefined alias" in problem:
        return "a *name refers to an &name defined nowhere above it: write the value out instead"
    if any(p in problem for p in _INDENT_PROBLEMS):
        return INDENT_HINT
    if "flow" in context or any(p in problem for p in ("expected ',' or ']'", "expected ',' or '}'")):
        return "a list in [brackets] or a mapping in {braces} is not closed, or a value in it needs quotes"
    return None


def parse_yaml(text: str, *, file: str | None = None) -> tuple[Any, Lines, list[Problem]]:
    """Parse codebook YAML text: ``(data, lines, problems)``; data is None on a syntax error.

    The text is composed once into nodes (with lines), then built into data in one pass
    that refuses alias bombs before they expand.
    """
    problems: list[Problem] = []
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            data = None
        else:
            try:
                data = _build(root, loader)
            except _Unusual:  # PyYAML builds it, once the whole graph is checked for alias bombs
                _build(root, loader, build=False)
                data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = syntax_hint(exc, text)
        problems.append(Problem(f"not valid YAML: {what}" + (f"; {hint}" if hint else ""), file=file,
                                line=None if mark is None else mark.line + 1))
        return None, Lines(), problems
    except _AliasBomb as exc:
        problems.append(Problem(f"the YAML is refused: {exc.why} (a file built to exhaust memory?); write "
                                "repeated entries out instead of pointing at them with aliases (*name)",
                                file=file, line=_line(exc.node)))
        return None, Lines(), problems
    except RecursionError:
        problems.append(Problem("the YAML nests too deeply to read", file=file))
        return None, Lines(), problems
    finally:
        loader.dispose()
    lines = Lines()
    if isinstance(root, yaml.MappingNode):
        lines.top = _key_lines(root, file, problems)
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "codes" and isinstance(v, yaml.SequenceNode):
                for i, item in enumerate(v.value):
                    lines.codes.append(_line(item))
                    for key, ln in _key_lines(item, file, problems).items():
                        lines.fields[(i, key)] = ln
    return data, lines, problems


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, (str, int, float)):
        return [str(v).strip()]
    return [str(x).strip() for x in v if isinstance(x, (str, int, float))]


def _text(v: Any) -> str:
    return v.strip() if isinstance(v, str) else ("" if v is None else str(v))


def code_from_dict(c: dict[str, Any]) -> Code:
    """A Code from one mapping of the file (lenient: ``check_raw`` reports type problems)."""
    color = c.get("color")
    guid = c.get("guid")
    return Code(
        id=_text(c.get("id")), name=_text(c.get("name")), definition=_text(c.get("definition")),
        parent=_text(c["parent"]) if c.get("parent") not in (None, "") else None,
        codable=bool(c.get("codable", True)), color=color.strip() if isinstance(color, str) else None,
        guid=guid.strip("{} ").lower() if isinstance(guid, str) else None,
        retired=bool(c.get("retired", False)),
        **{k: _as_list(c.get(k)) for k in LIST_FIELDS},
    )


def codebook_from_data(data: dict[str, Any], lines: Lines, *, default_name: str) -> tuple[Codebook, Lines]:
    """Build a Codebook from parsed data; returns the line map re-indexed to its codes."""
    codes, kept = [], Lines(top=lines.top)
    by_code: dict[int, list[tuple[str, int]]] = {}
    for (j, key), ln in lines.fields.items():
        by_code.setdefault(j, []).append((key, ln))
    raw_codes = data.get("codes")
    for i, c in enumerate(raw_codes if isinstance(raw_codes, list) else []):
        if isinstance(c, dict):
            codes.append(code_from_dict(c))
            kept.codes.append(lines.code(i))
            for key, ln in by_code.get(i, ()):
                kept.fields[(len(codes) - 1, key)] = ln
    version = data.get("version")
    cb = Codebook(name=_text(data.get("name")) or default_name, description=_text(data.get("description")),
                  version=version if isinstance(version, int) and not isinstance(version, bool) else None,
                  codes=codes)
    return cb, kept


def code_to_dict(c: Code) -> dict[str, Any]:
    """One code as the file writes it: documented key order, empty fields left out."""
    d: dict[str, Any] = {"id": c.id, "name": c.name}
    if c.parent:
        d["parent"] = c.parent
    if not c.codable:
        d["codable"] = False
    if c.definition:
        d["definition"] = c.definition
    for key in LIST_FIELDS:
        if getattr(c, key):
            d[key] = list(getattr(c, key))
    if c.color:
        d["color"] = c.color
    if c.guid and c.guid.lower() != code_guid(c.id):
        d["guid"] = c.guid  # from another tool: kept for round trips
    if c.retired:
        d["retired"] = True
    return d


def codebook_to_dict(cb: Codebook) -> dict[str, Any]:
    d: dict[str, Any] = {"name": cb.name}
    if cb.description:
        d["description"] = cb.description
    if cb.version is not None:
        d["version"] = cb.version
    d["codes"] = [code_to_dict(c) for c in cb.codes]
    return d


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(cb: Codebook) -> str:
    """The codebook as YAML text in the documented format.

    >>> print(dump_yaml(Codebook("Tiny", [Code("trust", "Trust", definition="Faith in others.")])).strip())
    name: Tiny
    codes:
    - id: trust
      name: Trust
      definition: Faith in others.
    """
    return yaml.dump(codebook_to_dict(cb), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100, default_flow_style=False)


def write_yaml(cb: Codebook, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(dump_yaml(cb), encoding="utf-8")
    return path
