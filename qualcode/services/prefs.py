"""Each coder's display preferences for the app (turns per page, ...), kept in the project
so they survive a new browser session. Not research data: they change nothing a coder
decided, but the change is still audited like every other setting.

>>> set_pref(ctx, "turns_per_page", 20)  # doctest: +SKIP
>>> get_pref(ctx, "turns_per_page", 10)  # doctest: +SKIP
20
"""

from __future__ import annotations

from typing import Any

from qualcode.errors import QualcodeError
from qualcode.core import commands as cmd
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.services.project import ProjectContext
from qualcode.storage import meta

KEY = "ui_prefs"
KNOWN = {"turns_per_page": int,
         # the Themes page's view and choices, so that a new session (a reload on another page, a new
         # tab) opens it as the coder left it (walk 42: the grouping went back to none after a reload)
         "themes_view": str, "themes_group": str, "themes_count": str, "themes_source": str,
         # the Code page's lines on codes added late that the coder hid (walk 47: "nothing more was
         # flagged on the 37 excerpts ..." stood on every document, its one button a sign-off)
         "late_hidden": lambda ids: sorted({str(i) for i in ids})}


def get_pref(ctx: ProjectContext, name: str, default: Any = None) -> Any:
    """This coder's preference ``name`` (``default`` when never set)."""
    with ctx.session(readonly=True) as s:
        prefs = meta.get_setting(s, KEY, {}) or {}
    return (prefs.get(ctx.coder) or {}).get(name, default)


def set_pref(ctx: ProjectContext, name: str, value: Any) -> Any:
    """Remember this coder's preference ``name`` (one transaction, audited). Returns it."""
    kind = KNOWN.get(name)
    if kind is None:
        raise QualcodeError(f"unknown preference {name!r}", hint="known: " + ", ".join(KNOWN))
    value = kind(value)
    executor.execute(ctx, cmd.SetPreference(name=name, value=value))
    return value


@handles(cmd.SetPreference)
class _SetPreference:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.SetPreference) -> Outcome:
        prefs = dict(meta.get_setting(s, KEY, {}) or {})
        mine = dict(prefs.get(ctx.coder) or {})
        before = mine.get(c.name)
        if before == c.value:
            return Outcome(c.value, record=False)
        mine[c.name] = c.value
        prefs[ctx.coder] = mine
        meta.set_setting(s, KEY, prefs)
        return Outcome(c.value, f"{ctx.coder}:{c.name}", {"value": before}, {"value": c.value})
