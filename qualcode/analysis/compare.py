"""Comparing code prevalence across the values of an attribute (2018 vs 2021, roles...).

For each code a 2 x k table (units with / without the code, per group) is tested:

- two groups and any expected count below 5: Fisher's exact test (two-sided);
- otherwise Pearson's chi-square test without continuity correction (flagged
  ``low_expected`` when k > 2 and an expected count is below 5: no exact test then);
- a code present in every unit or in none cannot be tested (p is NaN).

Effect size: Cramér's V (for two groups that is |phi|), plus for two groups the
difference in prevalence (second minus first, percentage points). p-values are adjusted
across codes with Benjamini-Hochberg. Groups with fewer than ``small_group`` units are
flagged. The unit is the document for document attributes and the participant (speaker)
for speaker attributes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from qualcode.analysis.facts import Facts, attribute_level
from qualcode.analysis.frequencies import frequencies
from qualcode.errors import NotFoundError

MIN_EXPECTED = 5


def bh_adjust(p: "list[float] | np.ndarray") -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (NaNs stay NaN and are not counted).

    >>> [round(float(x), 4) for x in bh_adjust([0.01, 0.04, 0.03])]
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    out[ok] = adj
    return out


def table_test(table: np.ndarray) -> dict:
    """Test one 2 x k table (rows: with, without). Returns test, statistic, p, cramers_v, min_expected."""
    table = np.asarray(table, dtype=float)
    n = table.sum()
    rows, cols = table.sum(axis=1), table.sum(axis=0)
    res = {"test": "none", "statistic": np.nan, "p": np.nan, "cramers_v": np.nan, "min_expected": np.nan}
    if n == 0 or (rows == 0).any() or (cols == 0).any() or table.shape[1] < 2:  # (one group: nothing to compare)
        return res
    expected = np.outer(rows, cols) / n
    res["min_expected"] = float(expected.min())
    chi2 = float(((table - expected) ** 2 / expected).sum())
    k = min(table.shape) - 1
    res["cramers_v"] = math.sqrt(chi2 / (n * k)) if k > 0 else np.nan
    if table.shape[1] == 2 and expected.min() < MIN_EXPECTED:
        _, p = stats.fisher_exact(table.astype(int), alternative="two-sided")
        res.update(test="fisher", statistic=np.nan, p=float(p))
    else:
        dof = (table.shape[0] - 1) * (table.shape[1] - 1)
        res.update(test="chi2", statistic=chi2, p=float(stats.chi2.sf(chi2, dof)))
    return res


def compare(
    facts: Facts,
    *,
    by: str,
    groups: "list[str] | None" = None,
    small_group: int = 5,
    rollup: bool = True,
) -> pd.DataFrame:
    """Prevalence of every code across the values of ``by``, tested and BH-adjusted.

    Columns: code_id, code, unit, then for each group ``<g> n`` (units with the code),
    ``<g> N`` (units in the group), ``<g> %``; then test, statistic, p, p_adjusted,
    cramers_v, difference (two groups only), low_expected, small_groups.

    >>> compare(facts, by="year", groups=["2018", "2021"])  # doctest: +SKIP
    """
    level = attribute_level(facts, by)
    unit, denom = ("documents", "documents_total") if level == "document" else ("participants", "participants_total")
    long = frequencies(facts, by=by, rollup=rollup)
    values = list(dict.fromkeys(long[by]))
    if groups is not None:
        missing = [gv for gv in groups if gv not in values]
        if missing:
            raise NotFoundError(f"{by} has no value {missing[0]!r}", hint="values: " + ", ".join(values))
        values = list(groups)
    long = long[long[by].isin(values)]
    totals = long.drop_duplicates(by).set_index(by)[denom].reindex(values)
    small = [v for v in values if totals[v] < small_group]
    base = long.drop_duplicates("code_id")[["code_id", "code"]].reset_index(drop=True)
    rows = []
    for code_id in base["code_id"]:
        part = long[long["code_id"] == code_id].set_index(by).reindex(values)
        with_code = part[unit].to_numpy(dtype=float)
        total = part[denom].to_numpy(dtype=float)
        res = table_test(np.vstack([with_code, total - with_code]))
        row = {"code_id": code_id, "unit": unit[:-1]}
        for v, a, t in zip(values, with_code, total):
            row[f"{v} n"], row[f"{v} N"] = int(a), int(t)
            row[f"{v} %"] = 100.0 * a / t if t else np.nan
        row.update(res)
        if len(values) == 2:
            p0 = with_code[0] / total[0] if total[0] else np.nan
            p1 = with_code[1] / total[1] if total[1] else np.nan
            row["difference"] = 100.0 * (p1 - p0)
        row["low_expected"] = bool(res["test"] == "chi2" and res["min_expected"] < MIN_EXPECTED)
        row["small_groups"] = ", ".join(small)
        rows.append(row)
    out = base.merge(pd.DataFrame(rows), on="code_id")
    out.insert(out.columns.get_loc("p") + 1, "p_adjusted", bh_adjust(out["p"].to_numpy()))
    return out


TEST_NAMES = {"fisher": "Fisher's exact test", "chi2": "Chi-square test", "none": "not testable"}


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def finding(row: "pd.Series | dict", *, by: str, values: "list[str]", unit: str, alpha: float = 0.05) -> str:
    """One sentence that says what the test of one code found, in plain words.

    >>> finding({"test": "fisher", "p_adjusted": 0.01, "2018 %": 10.0, "2021 %": 80.0,
    ...          "low_expected": False, "small_groups": ""}, by="year", values=["2018", "2021"],
    ...         unit="document")
    "More often in 2021 (80% of documents) than in 2018 (10%): a real difference (Fisher's exact test, adjusted p = 0.010)."
    >>> finding({"test": "fisher", "p_adjusted": 0.4, "North %": 0.0, "South %": 100.0, "low_expected": False,
    ...          "small_groups": "North (3), South (3)"}, by="site", values=["North", "South"], unit="document")
    "Too few documents to tell the site groups apart (North 0%, South 100%; Fisher's exact test, adjusted p = 0.400). Small groups: North (3), South (3)."
    """
    pcts = {v: row.get(f"{v} %") for v in values}
    pcts = {v: float(p) for v, p in pcts.items() if p is not None and not pd.isna(p)}
    if row.get("test") == "none" or not pcts or pd.isna(row.get("p_adjusted", np.nan)):
        return f"Not testable: the code is in every {unit} or in none of them."
    hi = max(pcts, key=pcts.get)
    lo = min(pcts, key=pcts.get)
    p = float(row["p_adjusted"])
    test = TEST_NAMES.get(str(row.get("test")), str(row.get("test")))
    where = f"{test}, adjusted {_p_text(p)}"
    if p < alpha and hi != lo:
        text = (f"More often in {hi} ({pcts[hi]:.0f}% of {unit}s) than in {lo} ({pcts[lo]:.0f}%): "
                f"a real difference ({where}).")
    else:
        spread = ", ".join(f"{v} {pcts[v]:.0f}%" for v in values if v in pcts)
        if row.get("small_groups"):  # walk 31: "No clear difference" of 0% against 100% in 3 documents each
            text = f"Too few {unit}s to tell the {by} groups apart ({spread}; {where})."
        else:
            text = f"No clear difference between the {by} groups ({spread}; {where})."
    if row.get("low_expected"):
        text += " Few units per group: read with care."
    if row.get("small_groups"):
        text += f" Small groups: {row['small_groups']}."
    return text


def readable(df: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """The comparison with column names a reader understands and a sentence per code.

    Columns: Code, one "<value>" column per group ("3 of 5 (60%)"), Test, p, Adjusted p,
    Effect size (Cramér's V), Finding. Rows stay in the order of ``df``. The test's own p is shown
    beside the adjusted one (walk 38: a reader checking a test by hand found only the adjusted).
    """
    if df.empty:
        return pd.DataFrame(columns=["Code", "Test", "p", "Adjusted p", "Effect size (Cramér's V)", "Finding"])
    values = [c[:-2] for c in df.columns if c.endswith(" n") and f"{c[:-2]} N" in df.columns]
    unit = str(df["unit"].iloc[0]) if "unit" in df.columns else "unit"
    out = pd.DataFrame({"Code": df["code"].to_numpy()})
    for v in values:
        out[f"{by} {v}"] = [f"{int(n)} of {int(t)} ({100.0 * n / t:.0f}%)" if t else "-"
                            for n, t in zip(df[f"{v} n"], df[f"{v} N"])]
    out["Test"] = [TEST_NAMES.get(str(t), str(t)) for t in df["test"]]
    out["p"] = df["p"].to_numpy()
    out["Adjusted p"] = df["p_adjusted"].to_numpy()
    out["Effect size (Cramér's V)"] = df["cramers_v"].to_numpy()
    out["Finding"] = [finding(r, by=by, values=values, unit=unit) for _, r in df.iterrows()]
    return out
