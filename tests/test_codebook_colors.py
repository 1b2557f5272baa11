"""Codes' colours (walk 24): the shipped codebooks' codes are told apart in the transcript's
highlights (Barriers #e63946 and Outcomes #b56576 read as one pink), and a code added in the
app gets a colour of its own, distinct from the codebook's, which the .qdpx export carries."""

from __future__ import annotations

import io
import itertools
import zipfile

import pytest
from lxml import etree

from qualcode import codebook_io, services
from qualcode.services import codebook as cbs
from qualcode.services import export as ex
from qualcode.services.project import DATA_DIR

SHIPPED = sorted((DATA_DIR / "codebooks").glob("*.yaml"))
CLEAR = 15.0  # delta E of the highlights; the walk's "same pink" was 12.5


def _close_pairs(codes) -> list[tuple[str, str, float]]:
    return [(a.id, b.id, round(cbs.color_distance(a.color, b.color), 1))
            for a, b in itertools.combinations(codes, 2) if cbs.color_distance(a.color, b.color) < CLEAR]


def test_the_walks_pinks_are_close_by_this_measure():
    assert cbs.color_distance("#e63946", "#b56576") < CLEAR
    assert cbs.color_distance("#e63946", "#2a9d8f") > 2 * CLEAR


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_codebooks_codes_have_clearly_distinct_colours(path):
    cb = codebook_io.load_codebook(path)
    assert all(c.color for c in cb.codes), path.name
    # what the transcript highlights: every codable code against every other
    assert _close_pairs([c for c in cb.codes if c.codable]) == []
    # and the top of the tree (the groupings on the Codebook page)
    assert _close_pairs([c for c in cb.codes if c.parent is None]) == []


def test_the_default_codebook_is_among_those_checked():
    assert services.DEFAULT_CODEBOOK.resolve() in [p.resolve() for p in SHIPPED]


def test_a_code_added_without_a_colour_gets_one_distinct_from_the_codebooks(project):
    used = [c.color for c in cbs.get_codebook(project).codes if c.color]
    added = cbs.add_code(project, {"name": "Water", "definition": "Taps, hoses, watering."})
    assert added.color in cbs.NEW_CODE_COLORS and added.color not in used
    # the palette's colour farthest from the ones in use
    nearest = min(cbs.color_distance(added.color, u) for u in used)
    assert all(min(cbs.color_distance(p, u) for u in used) <= nearest for p in cbs.NEW_CODE_COLORS)
    assert cbs.get_code(project, added.id).color == added.color  # stored
    second = cbs.add_code(project, {"name": "Soil", "definition": "Earth, compost."})
    assert second.color and second.color != added.color
    assert cbs.color_distance(second.color, added.color) >= CLEAR
    # a colour given is kept
    own = cbs.add_code(project, {"name": "Sun", "definition": "Light.", "color": "#123456"})
    assert own.color == "#123456"


def test_in_a_small_codebook_the_new_colour_is_clearly_apart_from_every_code(tmp_path):
    ctx = services.init_project(tmp_path / "p", coder="alice", codebook=DATA_DIR / "codebooks" / "generic-starter.yaml")
    try:
        used = [c.color for c in cbs.get_codebook(ctx).codes]
        added = cbs.add_code(ctx, {"name": "Money", "definition": "Funding, budgets."})
        assert min(cbs.color_distance(added.color, u) for u in used) >= CLEAR
    finally:
        ctx.close()


def test_the_qdpx_export_carries_the_new_codes_colour(project):
    added = cbs.add_code(project, {"name": "Water", "definition": "Taps, hoses, watering."})
    with zipfile.ZipFile(io.BytesIO(ex.qdpx_bytes(project))) as z:
        root = etree.fromstring(z.read("project.qde"))
    codes = {c.get("name"): c for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    assert codes["Water"].get("color") == added.color
    assert all(c.get("color") for c in codes.values())  # every code has one, as the walk expected
