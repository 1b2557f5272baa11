"""Code co-occurrence (excerpt or document level) and the code-by-document matrix.

Both are sparse incidence products: a 0/1 matrix units x codes ``X`` gives the
co-occurrence counts ``X.T @ X`` (the diagonal is each code's own count) and Jaccard
``count / (n_a + n_b - count)``. Codes are taken as coded (no parent roll-up) unless
``rollup=True``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from qualcode.analysis.facts import Facts, code_order, code_table, expand_rollup, lookup, used_codes

LEVELS = ("excerpt", "document")


def _incidence(facts: Facts, ids: list[str], *, level: str, rollup: bool) -> sparse.csr_matrix:
    """The 0/1 units x codes matrix; rows are the unit ids themselves (empty rows cost
    nothing in the product, and no sort is needed to number the units)."""
    inc = expand_rollup(facts.pairs, ids, facts.codebook, rollup=rollup)
    unit = inc["excerpt"] if level == "excerpt" else inc["document"]
    if len(unit) == 0:
        return sparse.csr_matrix((0, len(ids)), dtype=np.int64)
    if level == "document":  # several excerpts of one document: keep one (document, code)
        n = max(len(ids), 1)
        key = np.unique(unit * n + inc["code"])
        unit, code = key // n, key % n
    else:  # (excerpt, code) incidences are already distinct
        code = inc["code"]
    rows = unit - int(unit.min())
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, code)),
                             shape=(int(rows.max()) + 1, len(ids)))


def cooccurrence_matrix(facts: Facts, *, level: str = "excerpt", value: str = "count",
                        rollup: bool = False) -> pd.DataFrame:
    """Square frame codes x codes of co-occurrence counts (or ``value="jaccard"``)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    used = used_codes(facts.pairs)
    ids = code_order(facts.codebook, used)
    x = _incidence(facts, ids, level=level, rollup=rollup)
    counts = (x.T @ x).toarray().astype(np.int64)
    if value == "count":
        data = counts
    elif value == "jaccard":
        n = np.diag(counts).astype(float)
        union = n[:, None] + n[None, :] - counts
        with np.errstate(divide="ignore", invalid="ignore"):
            data = np.where(union > 0, counts / union, 0.0)
    else:
        raise ValueError("value must be 'count' or 'jaccard'")
    return pd.DataFrame(data, index=pd.Index(ids, name="code_id"), columns=ids)


def cooccurrence(facts: Facts, *, level: str = "excerpt", rollup: bool = False) -> pd.DataFrame:
    """Every unordered pair of codes: code_a, code_b, name_a, name_b, n_a, n_b, count, jaccard.

    ``n_a``: units (excerpts or documents) with code a; ``count``: units with both.
    Pairs are listed in codebook order, including pairs that never co-occur.

    >>> cooccurrence(facts, level="document").sort_values("count").tail(3)  # doctest: +SKIP
    """
    m = cooccurrence_matrix(facts, level=level, rollup=rollup)
    ids = list(m.index)
    counts = m.to_numpy()
    names = dict(zip(ids, code_table(facts.codebook, ids)["code"]))
    ia, ib = np.triu_indices(len(ids), k=1)
    n = np.diag(counts)
    c = counts[ia, ib]
    union = n[ia] + n[ib] - c
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, c / np.maximum(union, 1), 0.0)
    return pd.DataFrame({
        "code_a": [ids[i] for i in ia], "code_b": [ids[i] for i in ib],
        "name_a": [names[ids[i]] for i in ia], "name_b": [names[ids[i]] for i in ib],
        "n_a": n[ia], "n_b": n[ib], "count": c, "jaccard": jac,
    })


def case_matrix(facts: Facts, *, values: str = "binary", rollup: bool = True,
                attributes: bool = True) -> pd.DataFrame:
    """The code-by-document (case) matrix for mixed-methods work.

    One row per document: document_id, document (name), its attributes (when
    ``attributes``), then one column per code id holding 0/1 (``values="binary"``) or the
    number of coded excerpts (``values="counts"``), parents rolled up.
    """
    if values not in ("binary", "counts"):
        raise ValueError("values must be 'binary' or 'counts'")
    used = used_codes(facts.pairs)
    ids = code_order(facts.codebook, used)
    docs = facts.documents["document_id"].to_numpy(dtype=np.int64)
    inc = expand_rollup(facts.pairs, ids, facts.codebook, rollup=rollup)
    row = lookup(pd.Series(np.arange(len(docs)), index=docs), inc["document"], default=-1)
    ok = row >= 0
    mat = np.zeros((len(docs), len(ids)), dtype=np.int64)
    np.add.at(mat, (row[ok], inc["code"][ok]), 1)
    if values == "binary":
        mat = (mat > 0).astype(np.int64)
    out = pd.DataFrame({"document_id": docs, "document": facts.documents["name"].to_numpy()})
    if attributes and len(facts.doc_attrs):
        wide = facts.doc_attrs.pivot_table(index="document_id", columns="key", values="value", aggfunc="first")
        for key in wide.columns:
            name = str(key) if str(key) not in set(ids) | {"document_id", "document"} else f"attr:{key}"
            out[name] = out["document_id"].map(wide[key])
    codes = pd.DataFrame(mat, columns=ids)
    return pd.concat([out, codes], axis=1)
