"""In Chromium: deciding in the side panel does not move its buttons (walk 50).

After an accept, the "Coded here" box (memo, recode, remove) for the new coding was drawn at the
top of the side panel, above Accept, Reject and "Nothing more here": every button below moved
down by the box's height, and a coder's next quick click landed on another button (walk 50:
li accepted "Trusted messengers" she had never chosen; two "Nothing more here" clicks were
lost). The box now comes after the panel's decisions, so they stay where the coder saw them.
"""

from __future__ import annotations

import pytest

from qualcode import services
from qualcode.storage import documents as doc_store
from tests.browser.conftest import key, open_project, wait_idle
from tests.ui_helpers import seed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TURNS = [
    ("Interviewer", "interviewer", "How did the outreach reach people?"),
    ("Amara", "participant", "People listened because the health worker came from our street."),
    ("Li", "participant", "The mobile van came on Saturdays when we were not working."),
]


def _top(page, k: str) -> float:
    box = page.locator(key(k) + " button").first.bounding_box()
    assert box is not None, k
    return box["y"]


def test_an_accept_in_the_side_panel_leaves_its_other_buttons_where_they_were(tmp_path, module_app, page):
    """The first chip's code has a long name (the panel's Accept and Reject named it on two lines,
    walk 51), the next one's a short one."""
    from qualcode.services import codebook as cb_service

    project = tmp_path / "steady"
    ctx = services.init_project(project, coder="alice")
    cb_service.add_code(ctx, {"id": "relations", "parent": "trust", "definition": "How people relate.",
                              "name": "Relationships between the volunteers and the families they serve"})
    doc_id, sid = seed(ctx, name="outreach", turns=TURNS, codes=("relations", "buy_in", "evidence"))
    with ctx.session(readonly=True) as s:
        ex = doc_store.load_document(s, doc_id).excerpts
    ctx.close()
    open_project(page, module_app, project, more=f"doc={doc_id}&ex={ex[1].id}")
    none_key = f"focus-none-e{ex[1].id}"
    page.locator(key(none_key) + " button").first.wait_for(timeout=60_000)
    wait_idle(page)
    first, second = sid["1:relations"], sid["1:buy_in"]
    before = {k: _top(page, k) for k in (none_key, f"facc-{second}", f"frej-{second}")}
    page.locator(key(f"facc-{first}") + " button").first.click()
    page.wait_for_selector(key(f"fchip-{first}") + " >> text=accepted")
    page.locator('[class*="st-key-coded-"]').first.wait_for()  # the new coding's box is drawn...
    wait_idle(page)
    after = {k: _top(page, k) for k in before}
    moved = {k: round(after[k] - before[k]) for k in before if abs(after[k] - before[k]) > 2}
    assert not moved, f"buttons moved under the coder's pointer: {moved}"  # ...and nothing moved
    # the next click lands where the coder aims: the second chip's reject rejects it
    page.locator(key(f"frej-{second}") + " button").first.click()
    page.wait_for_selector(key(f"fchip-{second}") + " >> text=rejected")


def test_a_decided_chip_in_the_excerpts_view_keeps_its_place_and_size(tmp_path, module_app, page):
    """Walk 49: in the Excerpts view a decided chip became a badge narrower than the chip, the
    chips after it moved left, and the coder's next quick click on a cross missed (the
    suggestion came back pending later)."""
    from tests.browser.conftest import code_mode

    project = tmp_path / "chips"
    ctx = services.init_project(project, coder="alice")
    doc_id, sid = seed(ctx, name="outreach", turns=TURNS, codes=("trust", "buy_in", "evidence"))
    ctx.close()
    open_project(page, module_app, project, more=f"doc={doc_id}")
    page.locator(".qc-run").first.wait_for(timeout=60_000)
    code_mode(page, "Excerpts")
    first, second, third = sid["2:trust"], sid["2:buy_in"], sid["2:evidence"]
    page.locator(key(f"rej-{third}") + " button").first.wait_for()
    wait_idle(page)

    def where(*keys: str) -> dict[str, tuple[float, float]]:
        out = {}
        for k in keys or (f"acc-{second}", f"rej-{second}", f"rej-{third}"):
            box = page.locator(key(k) + " button").first.bounding_box()
            out[k] = (round(box["x"]), round(box["y"]))
        return out

    before = where()
    size = page.locator(key(f"chip-{first}-pending")).bounding_box()
    page.locator(key(f"rej-{first}") + " button").first.click()
    page.wait_for_selector(key(f"chip-{first}-rejected"))
    wait_idle(page)
    assert where() == before  # nothing moved under the pointer
    done = page.locator(key(f"chip-{first}-rejected")).bounding_box()
    assert abs(done["width"] - size["width"]) <= 2, (size, done)
    page.locator(key(f"acc-{second}") + " button").first.click()
    page.wait_for_selector(key(f"chip-{second}-accepted"))
    wait_idle(page)
    assert where(f"rej-{third}")[f"rej-{third}"] == before[f"rej-{third}"]
    page.locator(key(f"rej-{third}") + " button").first.click()  # lands where the coder aims
    page.wait_for_selector(key(f"chip-{third}-rejected"))
