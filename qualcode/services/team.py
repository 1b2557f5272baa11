"""Team work: agreement between coders, disagreement review and consensus, the audit log,
independent coding, and signing coders in.

Decisions in this module (documented in docs/teams.md):

- A *unit* of excerpt-level agreement is an excerpt that every compared coder has
  reviewed (the ``reviews`` table). A coder's rating of a code on a unit is 1 when they
  applied the code anywhere inside the excerpt, else 0. Character level: the units are
  the characters of those excerpts; a rating is 1 when a span of that code covers the
  character.
- The suggestion engine can join as coder ``"engine"``: its rating is 1 when a suggestion
  for that code is stored for the excerpt (what was shown to the coders, whatever they
  did with it), on excerpts of documents the engine has scored.
- Consensus codings belong to the reserved coder ``"consensus"`` (origin ``consensus``);
  the audit event ``consensus`` names the person who resolved. So resolving never changes
  a person's own codings or their agreement figures.
- Independent coding: a coder sees their own codings and consensus codings only.
"""

from __future__ import annotations

import hmac
import json
import re
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable, Mapping

from qualcode.analysis import agreement as metrics
from qualcode.core import CONSENSUS_CODER, Codebook, Coding, Origin, Suggestion, SuggestionStatus
from qualcode.errors import ExportError, NotFoundError, QualcodeError
from qualcode.core import commands as cmd
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.export.tables import csv_text
from qualcode.services.project import ProjectContext
from qualcode.storage import codes as code_store
from qualcode.storage import coding as store
from qualcode.storage import meta
from qualcode.storage import team as team_store

# The agreement figures' words, for the Agreement page (the UI reaches analysis through services).
SCALES = metrics.SCALES
kappa_label = metrics.kappa_label
alpha_verdict = metrics.alpha_verdict

CONSENSUS = CONSENSUS_CODER
ENGINE = "engine"
RESERVED = (CONSENSUS, ENGINE)
INDEPENDENT_KEY = "independent_coding"
LEVELS = ("excerpt", "character")


# --- settings --------------------------------------------------------------------------

def independent_coding(ctx: ProjectContext) -> bool:
    """Whether coders work blind to each other's codings (a project setting)."""
    with ctx.session(readonly=True) as s:
        return bool(meta.get_setting(s, INDEPENDENT_KEY, False))


@handles(cmd.SetIndependentCoding)
class _SetIndependent:
    @staticmethod
    def apply(s, ctx, cid, c: cmd.SetIndependentCoding) -> Outcome:
        raw = meta.get_setting(s, INDEPENDENT_KEY, None)
        before = bool(raw)
        if before == c.on:
            return Outcome(c.on, record=False)
        meta.set_setting(s, INDEPENDENT_KEY, c.on)
        return Outcome(c.on, INDEPENDENT_KEY, {"value": before, "set": raw is not None}, {"value": c.on})

    @staticmethod
    def revert(s, ev, cid) -> None:
        before = ev.before or {}
        meta.restore_setting(s, INDEPENDENT_KEY, bool(before.get("value", False)), was_set=before.get("set", True))


def set_independent_coding(ctx: ProjectContext, on: bool) -> bool:
    """Turn independent coding on or off (audited). Returns the new value.

    >>> set_independent_coding(ctx, True)  # doctest: +SKIP
    True
    """
    return executor.execute(ctx, cmd.SetIndependentCoding(on=bool(on)))


# --- what a coder may see ------------------------------------------------------------

def visible_codings(
    ctx: ProjectContext, *, document_id: int | None = None, excerpt_ids: Iterable[int] | None = None
) -> list[Coding]:
    """The codings this coder may see: all of them, or with independent coding on, their
    own plus consensus codings. The UI shows codings through this function.

    >>> [c.coder for c in visible_codings(ctx, document_id=1)]  # doctest: +SKIP
    ['alice', 'consensus']
    """
    with ctx.session(readonly=True) as s:
        codings = store.list_codings(s, document_id=document_id,
                                     excerpt_ids=list(excerpt_ids) if excerpt_ids is not None else None)
        if not meta.get_setting(s, INDEPENDENT_KEY, False):
            return codings
    return [c for c in codings if c.coder in (ctx.coder, CONSENSUS)]


def visible_suggestions(
    ctx: ProjectContext, *, document_id: int | None = None, status: str | None = None
) -> list[Suggestion]:
    """Suggestions as this coder should see them. With independent coding on, a suggestion
    decided by another coder shows this coder's own verdict on it, or pending (theirs stays hidden).

    A suggestion row has one status for everyone (schema), so in independent mode the
    last decision is stored there; each coder's own decisions are in their codings,
    reviews and the audit log, which is what agreement uses.
    """
    with ctx.session(readonly=True) as s:
        sugg = store.list_suggestions(s, document_id=document_id)
        independent = bool(meta.get_setting(s, INDEPENDENT_KEY, False))
        others = [sg.id for sg in sugg if sg.decided_by and sg.decided_by != ctx.coder]
        mine = store.own_decisions(s, ctx.coder_id(s), others) if independent and others else {}
    if independent:
        for sg in sugg:
            if sg.decided_by and sg.decided_by != ctx.coder:
                own = mine.get(sg.id)
                sg.status = SuggestionStatus(own) if own else SuggestionStatus.PENDING
                sg.decided_by, sg.decided_at = (ctx.coder, None) if own else (None, None)
        # a colleague's model learned from their decisions: its open suggestions are not shown
        sugg = [sg for sg in sugg if not (sg.status == SuggestionStatus.PENDING and sg.from_colleague(ctx.coder))]
    if status:
        sugg = [sg for sg in sugg if sg.status.value == status]
    return sugg


# --- agreement ------------------------------------------------------------------------

def _pick_coders(s, coders: Iterable[str] | None) -> dict[str, int]:
    names = [c.strip() for c in coders] if coders else [
        c for c in team_store.reviewing_coders(s) if c not in RESERVED]
    names = [n for n in dict.fromkeys(names) if n and n != ENGINE]
    return team_store.coder_ids(s, names)


def _code_ids(cb: Codebook, code: str | None, used: Iterable[str]) -> list[str]:
    if code is not None:
        if cb.get(code) is None:
            raise NotFoundError(f"no code {code!r}", hint="see the codes with: qualcode codebook show",
                                app_hint="pick one of the codes on the Codebook page")
        return [code]
    ids = [c.id for c in cb.codable_codes()]
    known = set(ids)
    return ids + sorted(set(used) - known)


def _parents_of(cb: Codebook, targets: Iterable[str]) -> dict[str, list[str]]:
    """Per code, its ancestors among ``targets``: a sub-code counts for its parent in agreement
    as it does in Themes (walk 16: alice coded a sentence "Trust and rapport", bob "Trust and
    rapport" and its parent "Mentoring relationship"; Themes counted both under the parent,
    Agreement called the parent less than chance agreement)."""
    by, wanted = cb.by_id(), set(targets)
    out: dict[str, list[str]] = {}
    for c in cb.codes:
        chain, cur, seen = [], c.parent, {c.id}
        while cur and cur in by and cur not in seen:
            seen.add(cur)
            if cur in wanted:
                chain.append(cur)
            cur = by[cur].parent
        if chain:
            out[c.id] = chain
    return out


def _with_parents(applied: dict[int, dict[str, list]], up: dict[str, list[str]]) -> None:
    """Add to each excerpt's codes (``{code: spans}``) the parents ``up`` rolls them into."""
    for codes in applied.values():
        for code_id in list(codes):
            for parent in up.get(code_id, ()):
                codes.setdefault(parent, []).extend(codes[code_id])


def _code_family(cb: Codebook, code: str | None) -> tuple[str | None, set[str] | None]:
    """For a query about one code: the code_id to fetch by (None: fetch all, then keep
    ``family``, the code and its sub-codes, which count for it)."""
    if code is None or not cb.descendants(code):
        return code, None
    return None, {code, *cb.descendants(code)}


def _summarise(fig: dict, *, unit_name: str) -> dict:
    kappa = fig.get("cohen_kappa", fig.get("fleiss_kappa"))
    fig["label"] = metrics.kappa_label(kappa)  # Landis and Koch: for kappa only (alpha: alpha_label)
    fig["alpha_label"] = metrics.alpha_label(fig.get("krippendorff_alpha"))
    fig["summary"] = metrics.describe(fig, unit_name=unit_name)
    return fig


def _ratings(
    names: list[str],
    units: list[int],
    code_ids: list[str],
    applied: dict[str, dict[int, dict[str, list[tuple[int, int]]]]],
    spans: dict[int, tuple[int, int]],
    level: str,
) -> dict[str, tuple[list[list[int]], list[int] | None]]:
    """Per code: (ratings coders x units, weights) at the chosen level."""
    out: dict[str, tuple[list[list[int]], list[int] | None]] = {}
    for code_id in code_ids:
        if level == "excerpt":
            out[code_id] = ([[int(code_id in applied[n].get(u, {})) for u in units] for n in names], None)
            continue
        ratings: list[list[int]] = [[] for _ in names]
        weights: list[int] = []
        for u in units:
            start, end = spans[u]
            r, w = metrics.char_segments(start, end, [applied[n].get(u, {}).get(code_id, []) for n in names])
            for i, row in enumerate(r):
                ratings[i].extend(row)
            weights.extend(w)
        out[code_id] = (ratings, weights)
    return out


def _block(names, units, code_ids, applied, spans, level, unit_name, names_of_codes) -> dict:
    """Figures per code and pooled over codes, for one set of coders and units."""
    per_code = _ratings(names, units, code_ids, applied, spans, level)
    codes: dict[str, dict] = {}
    pooled: list[list[int]] = [[] for _ in names]
    pooled_w: list[int] = []
    used = 0
    for code_id, (ratings, weights) in per_code.items():
        fig = metrics.figures(ratings, weights=weights)
        w = weights or [1] * len(units)
        fig["applied"] = {n: int(sum(wi for wi, x in zip(w, ratings[i]) if x)) for i, n in enumerate(names)}
        fig["name"] = names_of_codes.get(code_id, code_id)
        codes[code_id] = _summarise(fig, unit_name=unit_name)
        if not any(fig["applied"].values()):
            continue  # a code nobody applied here would only inflate overall agreement
        used += 1
        for i, row in enumerate(ratings):
            pooled[i].extend(row)
        pooled_w.extend(w)
    overall = metrics.figures(pooled, weights=pooled_w)
    overall["decisions"] = overall["units"]
    overall["units"] = sum(spans[u][1] - spans[u][0] for u in units) if level == "character" else len(units)
    overall["codes"] = used
    # The headline: per excerpt, did the coders give the same set of codes? (What a reader
    # means by agreement, and what the Disagreements list counts.)
    overall.update(metrics.same_sets({n: [set(applied[n].get(u, {})) & set(code_ids) for u in units]
                                      for n in names}))
    return {"units": overall["units"], "codes": codes, "overall": _summarise(overall, unit_name=unit_name)}


IMPORT_SLACK_S = 5.0  # reviews finished this close to a project's import came in with it


def _switches(events: list[dict[str, Any]], now_on: bool) -> tuple[bool, list[tuple[datetime, bool]]]:
    """Independent coding over time, from the audit log (oldest first): its value before the
    first change, and each change (a toggle, or an undo of one) with its time."""
    toggles = {ev["id"]: ev for ev in events if ev["action"] == "setting" and ev["entity_id"] == INDEPENDENT_KEY}
    changes = []
    for ev in events:
        if ev["id"] in toggles:
            changes.append((ev["at"], bool((ev["after"] or {}).get("value"))))
        elif ev["action"] == "undo" and ev["undo_of"] in toggles:
            changes.append((ev["at"], bool((toggles[ev["undo_of"]]["before"] or {}).get("value"))))
    first = next(iter(toggles.values()), None)
    return (bool((first["before"] or {}).get("value")) if first else now_on), changes


def blindness(ctx: ProjectContext, *, coders: Iterable[str] | None = None,
              excerpt_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """Whether a comparison of ``coders`` was blind (walk 29: a second coder saw the first one's
    codes on the Code page, and the Agreement page reported kappa as if they had not).

    On an excerpt every one of them finished, a coder who finished it after a colleague among
    them had, in this project, while independent coding was off, had that colleague's codes on
    screen. Returns ``{"compared": the excerpts every coder finished, "open": of those, the
    excerpts with such a decision, "independent": the setting now}``. Reviews brought in by a
    merge or with an imported project were made elsewhere: they are never open themselves, and
    count from the moment they arrived.

    >>> blindness(ctx, coders=["maya", "theo"])  # doctest: +SKIP
    {'compared': 78, 'open': 78, 'independent': False}
    """
    with ctx.session(readonly=True) as s:
        people = _pick_coders(s, coders)
        times = team_store.review_times(s, people.values())
        events = team_store.audit_rows(s, action=["setting", "undo", "merge", "import_project"], newest_first=False)
        now_on = bool(meta.get_setting(s, INDEPENDENT_KEY, False))
    start, changes = _switches(events, now_on)
    arrived: dict[tuple[int, int], datetime] = {}  # (excerpt, coder) -> when a merge brought the review in
    imported_at = None
    for ev in events:
        if ev["action"] == "merge" and not ev["undone"]:
            for e, c in (ev["after"] or {}).get("reviews", []):
                arrived[(int(e), int(c))] = ev["at"]
        elif ev["action"] == "import_project" and imported_at is None:
            imported_at = ev["at"]

    def on_at(at: datetime) -> bool:
        value = start
        for when, v in changes:
            if when > at:
                break
            value = v
        return value

    allowed = set(excerpt_ids) if excerpt_ids is not None else None
    per: dict[int, list[tuple[datetime, bool]]] = {}  # excerpt -> (visible from, decided here)
    for e, c, at in times:
        if allowed is not None and e not in allowed:
            continue
        imported = imported_at is not None and (at - imported_at).total_seconds() <= IMPORT_SLACK_S
        per.setdefault(e, []).append((max(at, arrived.get((e, c), at)), (e, c) not in arrived and not imported))
    n = len(people)
    compared = [rs for rs in per.values() if len(rs) == n and n >= 2]
    opened = sum(1 for rs in compared
                 if any(here and not on_at(at) for at, here in sorted(rs, key=lambda r: r[0])[1:]))
    return {"compared": len(compared), "open": opened, "independent": now_on}


def agreement(
    ctx: ProjectContext,
    *,
    coders: Iterable[str] | None = None,
    code: str | None = None,
    level: str = "excerpt",
    include_engine: bool = False,
    pairs: bool = True,
    excerpt_ids: Iterable[int] | None = None,
) -> dict[str, Any]:
    """Inter-coder agreement per code and overall.

    Returns ``{"level", "coders", "units", "codes": {code_id: figures}, "overall":
    figures, "pairs": [...], "late", "not_coded", "blind"}`` (``blind``: :func:`blindness` of the
    coders compared, None with fewer than two people; ``not_coded``: excerpts every coder finished
    that are left out because their speaker's speech is not coded now, a role changed after
    coding); figures hold ``units``, ``percent_agreement``,
    ``cohen_kappa`` (two coders), ``fleiss_kappa``, ``krippendorff_alpha``, ``applied``
    (units each coder coded), ``label`` and ``summary`` (plain words). Overall figures
    pool the (unit, code) decisions of every code somebody applied on these units (codes
    nobody used would only inflate them); their ``units`` are excerpts (or characters),
    ``decisions`` the pooled count and ``codes`` how many codes were pooled. With more
    than two coders, ``pairs`` compare every two coders on the excerpts both reviewed
    (with the engine: how well it agrees with each person). ``excerpt_ids`` limits the
    units to those excerpts (one survey question, one group of documents).

    >>> agreement(ctx, coders=["alice", "bob"])["overall"]["cohen_kappa"]  # doctest: +SKIP
    0.72
    """
    if level not in LEVELS:
        raise QualcodeError(f"unknown agreement level {level!r}", hint="use excerpt or character")
    unit_name = "excerpts" if level == "excerpt" else "characters"
    with ctx.session(readonly=True) as s:
        people = _pick_coders(s, coders)
        names = list(people)
        if len(names) + int(include_engine) < 2:
            raise QualcodeError(
                "agreement needs at least two coders who have reviewed excerpts"
                + (f" (found: {', '.join(names)})" if names else ""),
                hint="let a second coder code the same excerpts (--coder NAME), or add --engine",
                app_hint="let a second coder code the same excerpts, or compare with the engine")
        reviewed_by_id = team_store.reviewed_sets(s, people.values())
        reviewed = {n: reviewed_by_id[people[n]] for n in names}
        anyhow = team_store.reviewed_sets(s, people.values(), codable_only=False)
        shut = set.intersection(*(anyhow[people[n]] for n in names)) - set.intersection(*reviewed.values()) \
            if names else set()
        if excerpt_ids is not None:
            allowed = set(excerpt_ids)
            reviewed = {n: set(r) & allowed for n, r in reviewed.items()}
            shut &= allowed
        everything = set().union(*reviewed.values()) if reviewed else set()
        if include_engine:
            reviewed[ENGINE] = team_store.engine_excerpts(s, everything)
            names.append(ENGINE)
        cb = code_store.load_codebook(s)
        fetch, family = _code_family(cb, code)
        rows = team_store.codings_on(s, everything, people.values(), code_id=fetch)
        sugg = team_store.suggestions_on(s, reviewed.get(ENGINE, ()), code_id=fetch) if include_engine else []
        if family is not None:
            rows = [r for r in rows if r[1] in family]
            sugg = [r for r in sugg if r[1] in family]
        code_ids = _code_ids(cb, code, {r[1] for r in rows} | {r[1] for r in sugg})
        names_of_codes = {c.id: c.shown_name for c in cb.codes}
        spans = {e: (d["start"], d["end"]) for e, d in team_store.excerpt_details(s, everything).items()} \
            if level == "character" else {}
        before = team_store.reviewed_before_code(s, set.intersection(*(reviewed[n] for n in names if n != ENGINE)),
                                                 [people[n] for n in names if n != ENGINE], code_ids)
    applied: dict[str, dict[int, dict[str, list[tuple[int, int]]]]] = {n: {} for n in names}
    name_of = {v: k for k, v in people.items()}
    for excerpt_id, code_id, coder_id, start, end in rows:
        applied[name_of[coder_id]].setdefault(excerpt_id, {}).setdefault(code_id, []).append((start, end))
    for excerpt_id, code_id, _score in sugg:
        full = spans.get(excerpt_id, (0, 0))
        applied[ENGINE].setdefault(excerpt_id, {}).setdefault(code_id, []).append(full)
    up = _parents_of(cb, code_ids)
    for per_excerpt in applied.values():
        _with_parents(per_excerpt, up)
    units = sorted(set.intersection(*(reviewed[n] for n in names)))
    result = {"level": level, "coders": names, "code": code,
              **_block(names, units, code_ids, applied, spans, level, unit_name, names_of_codes)}
    result["late"] = _late(before, units, applied, name_of)
    result["not_coded"] = len(shut)  # finished by all, left out: their speaker is not coded now
    result["blind"] = blindness(ctx, coders=list(people), excerpt_ids=excerpt_ids) if len(people) >= 2 else None
    result["pairs"] = []
    if pairs and len(names) > 2:
        for a, b in combinations(names, 2):
            pair_units = sorted(reviewed[a] & reviewed[b])
            block = _block([a, b], pair_units, code_ids, applied, spans, level, unit_name, names_of_codes)
            result["pairs"].append({"coders": [a, b], **block})
    return result


def _late(before: dict[str, dict[int, set[int]]], units: list[int], applied: dict, name_of: dict[int, str]
          ) -> dict[str, dict[str, int]]:
    """code id -> coder -> how many of the compared excerpts that coder had finished before the
    code was added, without it, where another coder applied it: disagreements that may only mean
    the code was not there to consider (walk 18: a code added after anna finished a document
    made kappa 0.00 for it). Counted, said, never dropped from the figures."""
    out: dict[str, dict[str, int]] = {}
    compared = set(units)
    for code_id, per_coder in before.items():
        for coder_id, early in per_coder.items():
            who = name_of[coder_id]
            n = sum(1 for u in early & compared if code_id not in applied[who].get(u, {})
                    and any(code_id in got.get(u, {}) for other, got in applied.items() if other != who))
            if n:
                out.setdefault(code_id, {})[who] = n
    return out


# --- disagreements and consensus -----------------------------------------------------

def disagreements(
    ctx: ProjectContext,
    *,
    coders: Iterable[str] | None = None,
    code: str | None = None,
    document_id: int | None = None,
    include_resolved: bool = False,
) -> list[dict[str, Any]]:
    """Excerpts reviewed by two or more of the coders where their codes differ.

    Each item: ``excerpt_id, document_id, document, order, text``, where a coder finds it
    (``speaker, start_ms, position, of``: see ``storage.team.excerpt_places``), ``coders``
    ({name: sorted code ids}, a sub-code's parents included: what Agreement compares),
    ``applied`` ({name: sorted code ids each coder put on it themselves}), ``differing``
    (codes some but not all applied), ``agreed``
    (codes all applied), ``memos`` ({name: [texts]}), ``consensus`` (codes, or None) and
    ``resolved``. Sorted by document and position.

    >>> disagreements(ctx)[0]["coders"]  # doctest: +SKIP
    {'alice': ['trust'], 'bob': []}
    """
    with ctx.session(readonly=True) as s:
        people = _pick_coders(s, coders)
        reviewed = team_store.reviewed_sets(s, people.values())
        seen: dict[int, list[str]] = {}
        for name, cid in people.items():
            for e in reviewed[cid]:
                seen.setdefault(e, []).append(name)
        candidates = {e for e, who in seen.items() if len(who) >= 2}
        if document_id is not None:
            candidates &= team_store.excerpts_of_document(s, document_id)
        cb = code_store.load_codebook(s)
        fetch, family = _code_family(cb, code)
        rows = team_store.codings_on(s, candidates, people.values(), code_id=fetch)
        cons_id = _consensus_id(s)
        cons_rows = team_store.codings_on(s, candidates, [cons_id], code_id=fetch) if cons_id else []
        if family is not None:
            rows = [r for r in rows if r[1] in family]
            cons_rows = [r for r in cons_rows if r[1] in family]
        resolved = team_store.reviewed_sets(s, [cons_id])[cons_id] if cons_id else set()
        name_of = {v: k for k, v in people.items()}
        applied: dict[int, dict[str, set[str]]] = {}
        for excerpt_id, code_id, coder_id, _a, _b in rows:
            applied.setdefault(excerpt_id, {}).setdefault(name_of[coder_id], set()).add(code_id)
        # the parents Agreement rolls sub-codes into (the codes it has rows for), so that each
        # row's drill-down lists exactly the excerpts its figures count as differing
        up = _parents_of(cb, [code] if code is not None else _code_ids(cb, None, {r[1] for r in rows}))
        own = {e: {n: set(c) for n, c in by.items()} for e, by in applied.items()}  # before the roll-up
        for by_coder in applied.values():
            for name, codes in by_coder.items():
                rolled = codes | {p for c in codes for p in up.get(c, ())}
                by_coder[name] = rolled & {code} if code is not None else rolled
        consensus: dict[int, set[str]] = {}
        for excerpt_id, code_id, _c, _a, _b in cons_rows:
            consensus.setdefault(excerpt_id, set()).add(code_id)
        found = []
        for e in candidates:
            if e in resolved and not include_resolved:
                continue
            by = {n: applied.get(e, {}).get(n, set()) for n in sorted(seen[e])}
            union = set().union(*by.values())
            common = set.intersection(*by.values())
            if union == common:
                continue
            found.append((e, by, union - common, common))
        details = team_store.excerpt_details(s, [f[0] for f in found])
        places = team_store.excerpt_places(s, [f[0] for f in found])
        memos: dict[int, dict[str, list[str]]] = {}
        for m in store.list_memos(s, excerpt_ids=[f[0] for f in found]):
            memos.setdefault(m.excerpt_id, {}).setdefault(m.coder, []).append(m.text)
    out = []
    for e, by, differing, common in found:
        d = details[e]
        out.append({**{k: d[k] for k in ("excerpt_id", "document_id", "document", "order", "text")}, **places[e],
                    "coders": {n: sorted(v) for n, v in by.items()},
                    # walk 50: the card listed a parent the coder never applied, and "Use amara's
                    # codes" recorded it in the consensus
                    "applied": {n: sorted(own.get(e, {}).get(n, set())) for n in by},
                    "differing": sorted(differing), "agreed": sorted(common),
                    "memos": memos.get(e, {}),
                    "consensus": sorted(consensus.get(e, set())) if e in resolved else None,
                    "resolved": e in resolved})
    out.sort(key=lambda x: (x["document_id"], x["order"]))
    return out


def _consensus_id(s) -> int | None:
    try:
        return team_store.coder_ids(s, [CONSENSUS])[CONSENSUS]
    except NotFoundError:
        return None


@handles(cmd.ResolveConsensus)
class _Consensus:
    @staticmethod
    def apply(s, ctx, resolver, c: cmd.ResolveConsensus) -> Outcome:
        if ctx.coder in RESERVED:
            raise QualcodeError(f"{ctx.coder!r} is reserved and cannot resolve disagreements",
                                hint="resolve as yourself: --coder YOUR_NAME",
                                app_hint="sign in as yourself to resolve disagreements")
        wanted = sorted(dict.fromkeys(c.code_ids))
        excerpt_id = c.excerpt_id
        cons = meta.get_or_create_coder(s, CONSENSUS)
        existing = team_store.consensus_codings(s, excerpt_id, cons)
        have = {r.code_id for r in existing}
        removed = []
        for r in existing:
            if r.code_id not in wanted:
                removed.append(store.remove_coding(s, r.id))
        added = []
        for code_id in wanted:
            if code_id not in have:
                cid, _created = store.add_coding(s, excerpt_id, code_id, cons, origin=Origin.CONSENSUS)
                added.append(cid)
        review_created = store.mark_reviewed(s, excerpt_id, cons)
        result = {"excerpt_id": excerpt_id, "codes": wanted, "added": sorted(set(wanted) - have),
                  "removed": sorted(r["code_id"] for r in removed)}
        return Outcome(result, excerpt_id, {"codes": sorted(have)},
                       {"codes": wanted, "added_coding_ids": added, "removed": removed,
                        "review_created": review_created, "consensus_coder_id": cons})

    @staticmethod
    def revert(s, ev, cid) -> None:
        after = ev.after or {}
        cons = after.get("consensus_coder_id")
        for coding_id in after.get("added_coding_ids", []):
            try:
                store.remove_coding(s, int(coding_id))
            except NotFoundError:
                pass
        for b in after.get("removed", []):
            store.restore_coding(s, b)
        if after.get("review_created") and cons:
            store.unmark_reviewed(s, int(ev.entity_id), int(cons))


def resolve_disagreement(ctx: ProjectContext, excerpt_id: int, code_ids: Iterable[str]) -> dict[str, Any]:
    """Record the agreed codes of an excerpt as consensus codings (one transaction).

    ``code_ids`` is the whole agreed set ([] = no code applies). Resolving again
    replaces the earlier consensus. Audited as ``consensus`` by the resolving coder;
    undo with :func:`undo`. Returns ``{"excerpt_id", "codes", "added", "removed"}``.

    >>> resolve_disagreement(ctx, 12, ["trust"])  # doctest: +SKIP
    {'excerpt_id': 12, 'codes': ['trust'], 'added': ['trust'], 'removed': []}
    """
    return executor.execute(ctx, cmd.ResolveConsensus(excerpt_id=excerpt_id, code_ids=tuple(code_ids)))


def undo(ctx: ProjectContext, steps: int = 1) -> list[dict[str, Any]]:
    """Undo this coder's last ``steps`` commands of any kind, consensus resolutions included
    (the one undo, :func:`qualcode.services.commands.undo`). Each undo is audited. Returns
    what was undone, newest first.
    """
    return executor.undo(ctx, steps)


def latest_change(ctx: ProjectContext) -> str | None:
    """The action Undo would take back next for this coder (``"merge"``, ``"accept"``, ...), or
    None: what an "Undo the merge" button may promise (walk 36: it stayed after the merge was
    undone, where it would have undone the coder's latest coding instead)."""
    from qualcode.storage import audit

    with ctx.session(readonly=True) as s:
        coder_id = meta.find_coder(s, ctx.coder)
        if coder_id is None:
            return None
        rows = audit.latest_rows(s, coder_id=coder_id, actions=tuple(cmd.undoable_actions()), limit=1)
        return rows[0].action if rows else None


# --- the audit log --------------------------------------------------------------------

def _when(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        raise QualcodeError(f"{value!r} is not a date", hint="write dates as 2024-05-01 or 2024-05-01T14:30") from None
    if dt.tzinfo is None:
        dt = dt.astimezone()  # local time, as the user typed it
    return dt


def audit_log(
    ctx: ProjectContext,
    *,
    coder: str | None = None,
    action: str | Iterable[str] | None = None,
    entity: str | None = None,
    entity_id: str | int | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Audit events, newest first: ``id, at, coder, action, entity, entity_id, before,
    after, undone, undo_of``. Filters combine; ``since``/``until`` take ISO dates.

    >>> audit_log(ctx, coder="bob", action="accept", limit=10)  # doctest: +SKIP
    """
    with ctx.session(readonly=True) as s:
        return team_store.audit_rows(s, coder=coder, action=action, entity=entity,
                                     entity_id=None if entity_id is None else str(entity_id),
                                     since=_when(since), until=_when(until), limit=limit)


def audit_actions(ctx: ProjectContext) -> list[str]:
    with ctx.session(readonly=True) as s:
        return team_store.audit_actions(s)


AUDIT_COLUMNS = ("id", "at", "coder", "change", "action", "entity", "entity_id", "before", "after", "undone",
                 "undo_of", "command")


def with_changes(ctx: ProjectContext, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit events with ``change``: each in words, as the Audit log tab says it
    (``services.messages.audit_lines``; walk 51: the downloads had only the stored record)."""
    from qualcode.services import messages

    return [{**r, "change": line} for r, line in zip(rows, messages.audit_lines(ctx, rows))]


def export_audit(ctx: ProjectContext, out: str | Path, *, fmt: str | None = None, **filters: Any) -> int:
    """Write the (filtered) audit log, oldest first, to CSV or JSON. Returns the count.

    In CSV, ``before`` and ``after`` are JSON text.

    >>> export_audit(ctx, "audit.csv", coder="bob")  # doctest: +SKIP
    42
    """
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "json"):
        raise ExportError(f"cannot write the audit log as {fmt!r}", file=str(out), hint="use a .csv or .json file")
    rows = with_changes(ctx, list(reversed(audit_log(ctx, **filters))))
    try:
        out.write_text(audit_text(rows, fmt=fmt), encoding="utf-8", newline="")
    except OSError as exc:
        raise ExportError(f"cannot write: {exc.strerror}", file=str(out), hint="check the folder exists and is writable") from None
    return len(rows)


def audit_text(rows: list[dict[str, Any]], *, fmt: str = "csv") -> str:
    """Audit events (as from :func:`audit_log`) as CSV or JSON text, in the given order.

    >>> audit_text([], fmt="csv").strip()
    'id,at,coder,change,action,entity,entity_id,before,after,undone,undo_of,command'
    """
    rows = [{**r, "at": r["at"].isoformat() if isinstance(r.get("at"), datetime) else r.get("at")} for r in rows]
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False, default=str)
    return csv_text(AUDIT_COLUMNS, ({**r, "before": json.dumps(r.get("before"), ensure_ascii=False, default=str),
                                     "after": json.dumps(r.get("after"), ensure_ascii=False, default=str),
                                     "command": json.dumps(r.get("command"), ensure_ascii=False, default=str)}
                                    for r in rows))


def reviewing_coders(ctx: ProjectContext) -> list[str]:
    """People who have reviewed excerpts (the default coders to compare)."""
    with ctx.session(readonly=True) as s:
        return [c for c in team_store.reviewing_coders(s) if c not in RESERVED]


def coders_summary(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Every coder with their number of codings, reviewed excerpts, events, last activity."""
    with ctx.session(readonly=True) as s:
        return team_store.coder_summary(s)


# --- signing in -----------------------------------------------------------------------

@handles(cmd.AddCoder)
class _AddCoder:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.AddCoder) -> Outcome:
        name = c.name.strip()
        if not name:
            raise QualcodeError("a coder needs a name", hint="type your name, then add it")
        if meta.find_coder(s, name) is not None:
            return Outcome(name, record=False)
        return Outcome(name, meta.get_or_create_coder(s, name), None, {"name": name})


def add_coder(ctx: ProjectContext, name: str) -> str:
    """Register a coder name (so it is offered on the Project page); returns it cleaned.

    >>> add_coder(ctx, " bob ")  # doctest: +SKIP
    'bob'
    """
    return executor.execute(ctx, cmd.AddCoder(name=name or ""))


def coder_from_login(user: Mapping[str, Any] | str | None, *, aliases: Mapping[str, str] | None = None) -> str | None:
    """The coder name for a signed-in user (Streamlit's ``st.user`` or a plain login).

    Uses ``aliases`` (login or e-mail -> coder name, e.g. from secrets) first, then the
    e-mail, then ``preferred_username``/``name``. Returns None when nobody is signed in.
    Reserved names (consensus, engine) are refused.

    >>> coder_from_login({"is_logged_in": True, "email": "Ana.Lopez@Example.org"})
    'ana.lopez@example.org'
    >>> coder_from_login("ana", aliases={"ana": "Ana L."})
    'Ana L.'
    """
    if user is None:
        return None
    if isinstance(user, str):
        keys = [user]
    else:
        if user.get("is_logged_in") is False:
            return None
        keys = [user.get(k) for k in ("email", "preferred_username", "name", "sub")]
    keys = [str(k).strip() for k in keys if k and str(k).strip()]
    if not keys:
        return None
    aliases = {str(k).strip().lower(): v for k, v in (aliases or {}).items()}
    for k in keys:
        if k.lower() in aliases:
            name = str(aliases[k.lower()]).strip()
            break
    else:
        name = keys[0].lower() if "@" in keys[0] else keys[0]
    name = re.sub(r"\s+", " ", name)[:200]
    if name.lower() in RESERVED:
        raise QualcodeError(f"{name!r} is a reserved coder name", hint="sign in with another name")
    return name


def check_password(given: str, expected: str | None) -> bool:
    """Constant-time password check for the simple shared-secret sign-in.

    >>> check_password("s3cret", "s3cret"), check_password("x", "s3cret"), check_password("", None)
    (True, False, False)
    """
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), str(expected).encode("utf-8"))


def used_codes_only(result: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """An :func:`agreement` result with only the codes some coder applied to the units (the
    Agreement page's rows and the CLI's, as pooled in the overall figures), and the ids of the
    codes left out (walk 34: the CLI listed them as "100% n/a", the page left them out)."""
    used = {k: f for k, f in result["codes"].items() if any((f.get("applied") or {}).values())}
    return {**result, "codes": used}, [k for k in result["codes"] if k not in used]
