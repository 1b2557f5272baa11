"""Codebook files: validation messages with lines, the shipped codebooks, YAML and REFI-QDA
.qdc round trips, schema validity, and import of another tool's .qdc."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from lxml import etree

from qualcode import codebook_io
from qualcode.cli import main
from qualcode.codebook_io.qdc import compose_description, parse_description
from qualcode.core import Code, Codebook
from qualcode.errors import CodebookError
from qualcode.storage import codes as code_store
from tests.conftest import DATA, REPO

CB_DATA = DATA / "codebook"
DEFAULT = REPO / "codebooks" / "improvement-collaboration.yaml"
STARTER = REPO / "codebooks" / "generic-starter.yaml"
REQUIRED_IDS = {"trust", "buy_in", "learning_zone", "evidence", "team_composition", "hierarchy_voice",
                "failure_as_learning", "improvement_cycles", "empathy_interviews", "right_sized_problem",
                "content_experts", "coaching_facilitation", "protected_time", "structure_accountability",
                "sustainability_spread", "adapting_to_closures", "peer_learning"}


def errors(path):
    _, problems = codebook_io.validate_file(path)
    return [p for p in problems if p.severity == "error"]


@pytest.mark.parametrize("name, fragment, line", [
    ("duplicate_id.yaml", "duplicate id 'trust' (first used on line 3)", 6),
    ("duplicate_name.yaml", "duplicate name 'trust'", 7),
    ("unknown_parent.yaml", "parent 'relationship' is not a code", 5),
    ("cycle.yaml", "parent cycle: a -> b -> a", 5),
    ("missing_definition.yaml", "code 'trust': missing definition", 6),
    ("bad_color.yaml", "color 'teal' is not", 6),
    ("unknown_field.yaml", "unknown field 'exampels' (did you mean 'examples'?)", 6),
    ("bad_yaml.yaml", "not valid YAML", None),
])
def test_each_kind_of_error_is_reported_with_file_and_line(name, fragment, line):
    errs = errors(CB_DATA / name)
    assert len(errs) == 1, [str(e) for e in errs]
    assert fragment in errs[0].message
    assert errs[0].file == str(CB_DATA / name)
    if line is not None:
        assert errs[0].line == line
    else:
        assert errs[0].line is not None
    with pytest.raises(CodebookError) as exc:
        codebook_io.load_codebook(CB_DATA / name)
    assert exc.value.file == str(CB_DATA / name) and exc.value.line == errs[0].line


def test_every_problem_is_reported_not_just_the_first():
    errs = errors(CB_DATA / "many_errors.yaml")
    got = {(e.line, e.message.split(":")[0]) for e in errs}
    messages = " | ".join(e.message for e in errs)
    assert "duplicate id 'trust'" in messages
    assert "code 'trust': missing definition" in messages
    assert "color '#12345'" in messages
    assert "id 'Peer Learning' is not a slug" in messages and "'peer_learning'" in messages
    assert "parent 'nowhere'" in messages
    assert len(errs) == 5 and all(line for line, _ in got)
    assert [e.line for e in errs] == sorted(e.line for e in errs)
    with pytest.raises(CodebookError) as exc:
        codebook_io.load_codebook(CB_DATA / "many_errors.yaml")
    assert len(exc.value.problems) == 5 and "and 4 more problems" in str(exc.value)


def test_wrong_types_and_shapes(tmp_path):
    f = tmp_path / "types.yaml"
    f.write_text("name: T\nversion: two\ncodes:\n  - id: a\n    name: A\n    definition: d\n"
                 "    codable: maybe\n    include: {x: 1}\n  - just a string\n", encoding="utf-8")
    msgs = [(e.line, e.message) for e in errors(f)]
    assert (2, "'version' must be a whole number") in msgs
    assert any(line == 7 and "'codable' must be true or false" in m for line, m in msgs)
    assert any(line == 8 and "'include' must be a list" in m for line, m in msgs)
    assert any(line == 9 and "code #2 must be a mapping" in m for line, m in msgs)
    f.write_text("codes: []\n", encoding="utf-8")
    assert "empty" in errors(f)[0].message
    f.write_text("- a\n- b\n", encoding="utf-8")
    assert "must be a mapping" in errors(f)[0].message


def test_duplicate_yaml_keys_are_reported(tmp_path):
    f = tmp_path / "dupkey.yaml"
    f.write_text("name: T\ncodes:\n  - id: a\n    name: A\n    definition: d\n    name: B\n", encoding="utf-8")
    (e,) = errors(f)
    assert e.line == 6 and "key 'name' appears twice" in e.message


# A codebook whose second code has a field indented too far (line 8), and one indented with a tab (line 5).
BAD_INDENT = ("name: Team study\ncodes:\n  - id: trust\n    name: Trust\n    definition: Faith in others.\n"
              "  - id: protected_time\n    name: Protected time\n      definition: Time set aside for the team.\n")
TAB_INDENT = "name: Team study\ncodes:\n  - id: trust\n    name: Trust\n\tdefinition: Faith in others.\n"


@pytest.mark.parametrize("loader", ["C", "Python"])
@pytest.mark.parametrize("name, text, line, parser_words, hint", [
    ("indent.yaml", BAD_INDENT, 8, ("mapping values are not allowed",),
     "check the indentation of this line and the one before it: each code's fields line up under its id, "
     "with spaces, not tabs; a value with ': ' in it needs quotes"),
    ("tab.yaml", TAB_INDENT, 5, ("tab character", "'\\t'"),
     "this line is indented with a tab: YAML indents with spaces only"),
])
def test_a_yaml_syntax_error_says_what_to_do(tmp_path, monkeypatch, loader, name, text, line, parser_words, hint):
    import yaml

    from qualcode.codebook_io import yaml_io

    if loader == "C" and not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml")
    monkeypatch.setattr(yaml_io, "_LOADER", yaml.CSafeLoader if loader == "C" else yaml.SafeLoader)
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    (e,) = errors(f)
    assert e.file == str(f) and e.line == line
    assert e.message.startswith("not valid YAML: ") and any(w in e.message for w in parser_words)
    assert hint in e.message and "--" not in e.message
    with pytest.raises(CodebookError) as exc:
        codebook_io.load_codebook(f)
    assert exc.value.line == line and hint in exc.value.for_app() and f"line {line}" in exc.value.for_app()


def test_default_codebook_is_complete_and_two_levels():
    cb = codebook_io.load_codebook(DEFAULT)
    by_id = cb.by_id()
    assert REQUIRED_IDS <= set(by_id)
    codable = [c for c in cb.codes if c.codable]
    assert len(codable) >= 16
    for c in codable:
        assert c.parent and not by_id[c.parent].codable and by_id[c.parent].parent is None, c.id
        assert len(c.definition) > 80, c.id
        assert c.include and c.exclude and len(c.examples) >= 3 and c.keywords and c.color, c.id
    # exclusion criteria point at neighbouring codes by id: they must exist
    for c in codable:
        for rule in c.exclude:
            for word in rule.replace(";", " ").split():
                if "_" in word and word.strip(".,") not in by_id:
                    raise AssertionError(f"{c.id}: exclusion names unknown code {word}")
    names = [c.name.casefold() for c in cb.codes]
    assert len(names) == len(set(names))
    assert len({c.color for c in cb.codes}) == len(cb.codes)


def test_generic_starter_is_valid():
    cb = codebook_io.load_codebook(STARTER)
    assert 4 <= len([c for c in cb.codes if c.codable]) <= 12
    assert all(len(c.examples) >= 2 for c in cb.codes if c.codable)


def test_cli_validate(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["codebook", "validate", str(DEFAULT)])
    assert r.exit_code == 0, r.output
    assert r.output.count("\n") == 1 and "valid codebook" in r.output and "22 codes" in r.output
    r = runner.invoke(main, ["codebook", "validate", str(CB_DATA / "many_errors.yaml")])
    assert r.exit_code == 1
    assert "many_errors.yaml, line 6: duplicate id 'trust'" in r.output
    assert "5 errors" in r.output
    r = runner.invoke(main, ["codebook", "validate", "--json", str(CB_DATA / "cycle.yaml")])
    assert r.exit_code == 1
    import json

    data = json.loads(r.output)
    assert data["valid"] is False and data["problems"][0]["line"] == 5


def test_yaml_round_trip_is_lossless(tmp_path):
    cb = codebook_io.load_codebook(DEFAULT)
    cb.codes[1].retired = True
    cb.codes[2].guid = "0b3a7f0e-5c2d-4e8a-9f21-7d6c5b4a3e21"  # from another tool
    out = codebook_io.write_yaml(cb, tmp_path / "out.yaml")
    again = codebook_io.load_codebook(out)
    assert again == cb
    assert codebook_io.dump_yaml(again) == out.read_text(encoding="utf-8")


def test_guid_is_the_storage_guid():
    for cid in ("trust", "buy_in", "x"):
        assert codebook_io.code_guid(cid) == code_store.code_guid(cid)


def test_description_sections_round_trip():
    c = Code("trust", "Trust", definition="Faith.\n\nSecond paragraph.", include=["a", "two\nlines"],
             exclude=["b"], examples=['"Quote," she said.'], counterexamples=["c"], keywords=["k1", "k 2"])
    d = parse_description(compose_description(c))
    assert d == {"definition": c.definition, "include": c.include, "exclude": c.exclude,
                 "examples": c.examples, "counterexamples": c.counterexamples, "keywords": c.keywords,
                 "id": "trust"}
    assert parse_description("Just a memo\nfrom another tool.")["definition"] == "Just a memo\nfrom another tool."


@pytest.fixture
def xsd(shared_dir):
    return etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Codebook.xsd")))


def test_qdc_export_validates_and_carries_everything(tmp_path, xsd):
    cb = codebook_io.load_codebook(DEFAULT)
    cb.codes.append(Code("old", "Old code", definition="Gone.", retired=True))
    path = codebook_io.write_qdc(cb, tmp_path / "cb.qdc")
    doc = etree.parse(str(path))
    xsd.assertValid(doc)
    ns = {"q": "urn:QDA-XML:codebook:1.0"}
    top = doc.findall("q:Codes/q:Code", ns)
    assert [t.get("name") for t in top] == [c.name for c in cb.codes if c.parent is None and not c.retired]
    assert all(t.get("isCodable") == "false" for t in top)
    trust = doc.find(".//q:Code[@name='Trust']", ns)
    assert trust.getparent().get("name") == "Relationships"
    assert trust.get("isCodable") == "true" and trust.get("color") == "#00e178"
    assert trust.get("guid") == code_store.code_guid("trust")
    desc = trust.find("q:Description", ns).text
    c = cb.get("trust")
    assert desc.startswith(c.definition) and "Include:" in desc and "Exclude:" in desc
    assert c.examples[0] in desc and c.exclude[0] in desc
    assert doc.find(".//q:Code[@name='Old code']", ns) is None  # retired codes stay home
    # stable GUIDs: a second export is byte-identical
    assert codebook_io.write_qdc(cb, tmp_path / "again.qdc").read_bytes() == path.read_bytes()


def test_qdc_round_trip_keeps_ids_and_fields(tmp_path):
    cb = codebook_io.load_codebook(DEFAULT)
    cb.codes[1].name = "Trust between people"  # a renamed code keeps its id
    again = codebook_io.load_codebook(codebook_io.write_qdc(cb, tmp_path / "cb.qdc"))
    assert [dataclass_tuple(c) for c in again.codes] == [dataclass_tuple(c) for c in cb.codes]


def dataclass_tuple(c: Code):
    return (c.id, c.name, c.parent, c.codable, c.definition, c.include, c.exclude, c.examples,
            c.counterexamples, c.keywords, c.color)


def test_qdc_from_another_tool(tmp_path, xsd):
    cb, problems = codebook_io.validate_file(CB_DATA / "other_tool.qdc")
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
    warnings = [p.message for p in problems]
    assert any("two codes are named 'Other'" in w for w in warnings)
    assert any("<Sets>" in w for w in warnings)
    assert any("'other': missing definition" in w for w in warnings)  # a warning, not an error
    by_id = cb.by_id()
    assert [c.id for c in cb.codes] == ["relationships", "trust", "buy_in_support", "other", "data_use", "other_2"]
    assert by_id["trust"].parent == "relationships" and by_id["other_2"].parent == "data_use"
    assert by_id["relationships"].codable is False and by_id["other_2"].codable is True
    assert by_id["trust"].guid == "1c4b8a1f-6d3e-4f9b-8a32-8e7d6c5b4f32"  # kept, braces and case normalised
    assert by_id["buy_in_support"].definition == "Teachers and leaders back the plan.\nSecond line of the memo."
    assert by_id["other_2"].name == "Other (Data use)" and by_id["other_2"].color == "#abc"
    # exporting it again keeps the other tool's GUIDs, so it can go back there
    out = codebook_io.write_qdc(cb, tmp_path / "back.qdc")
    xsd.assertValid(etree.parse(str(out)))
    again = codebook_io.load_codebook(out)
    assert [(c.id, c.guid) for c in again.codes] == [(c.id, c.guid) for c in cb.codes]


@pytest.mark.parametrize("text, fragment", [
    ("<CodeBook", "not valid XML"),
    ("<Project xmlns='urn:QDA-XML:project:1.0'/>", "not <CodeBook>"),
    ("<CodeBook xmlns='urn:QDA-XML:codebook:1.0'/>", "no <Codes>"),
])
def test_broken_qdc(tmp_path, text, fragment):
    f = tmp_path / "x.qdc"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        codebook_io.load_codebook(f)
    assert fragment in str(exc.value) and exc.value.file == str(f) and exc.value.line


def test_empty_codebook_cannot_be_exported_to_qdc(tmp_path):
    with pytest.raises(CodebookError):
        codebook_io.write_qdc(Codebook("empty"), tmp_path / "x.qdc")
