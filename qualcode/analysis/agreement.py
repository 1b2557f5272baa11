"""Inter-coder agreement figures, computed from plain rating lists (no database here).

Ratings are given as *reliability data*, the layout Krippendorff uses: one list per coder,
one position per unit, ``None`` where that coder did not rate that unit::

    ratings = [[1, 0, 1, None],   # coder A on units 1..4
               [1, 0, 0, 1]]      # coder B

Every function also takes ``weights``: how many identical units each position stands for
(character-level agreement compresses runs of characters that got the same ratings into
one weighted position). A figure that cannot be computed (no units, or every unit got the
same single value so chance agreement is total) is ``None``, where scikit-learn and the
``krippendorff`` package give NaN or raise.

>>> round(cohen_kappa([1, 0, 1, 1], [1, 0, 0, 1]), 3)
0.5
>>> percent_agreement([[1, 0, 1, 1], [1, 0, 0, 1]])
0.75
"""

from __future__ import annotations

from collections import Counter
from typing import Hashable, Sequence

Rating = Hashable | None
EPS = 1e-12

__all__ = [
    "percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha",
    "kappa_label", "alpha_label", "in_words", "describe", "same_sets", "SCALES",
]

#: The one reading of the figures used everywhere words are given (page, summaries, CLI):
#: kappa in Landis and Koch's bands (how strong the agreement beyond chance is), alpha against
#: Krippendorff's cut-offs (whether the coding is reliable enough to draw conclusions from).
#: The two answer different questions, so every phrase names its figure and its scale.
SCALES = ("Kappa is put in words on Landis and Koch's scale: below 0 less than chance, up to 0.20 slight, "
          "0.21–0.40 fair, 0.41–0.60 moderate, 0.61–0.80 substantial, above 0.80 almost perfect agreement. "
          "Alpha is judged by Krippendorff's standard for drawing conclusions: 0.8 or more reliable, "
          "0.667 to 0.8 good enough only for tentative conclusions, below 0.667 unreliable. "
          "Landis and Koch describe how strong the agreement is; Krippendorff's standard is stricter, "
          "so a code can show substantial agreement by kappa and still be too unreliable by alpha to "
          "draw conclusions from.")


def _weights(n: int, weights: Sequence[float] | None) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValueError(f"{len(weights)} weights for {n} units")
    return [float(w) for w in weights]


def _units(ratings: Sequence[Sequence[Rating]]) -> int:
    lengths = {len(r) for r in ratings}
    if len(lengths) > 1:
        raise ValueError(f"coders rated different numbers of units: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _patterns(ratings: Sequence[Sequence[Rating]], weights: Sequence[float] | None) -> list[tuple[tuple, float]]:
    """Distinct unit rating vectors with their total weight.

    Every figure here depends only on how often each vector of ratings occurs, so a
    yes/no code over thousands of units collapses to a handful of patterns.
    """
    n = _units(ratings)
    w = _weights(n, weights)
    acc: dict[tuple, float] = {}
    for u, vec in enumerate(zip(*ratings)) if ratings else ():
        acc[vec] = acc.get(vec, 0.0) + w[u]
    return list(acc.items())


def _counts(vec: tuple) -> Counter:
    return Counter(x for x in vec if x is not None)


def percent_agreement(
    ratings: Sequence[Sequence[Rating]], *, weights: Sequence[float] | None = None
) -> float | None:
    """Share of agreeing coder pairs, averaged over units that two or more coders rated.

    With two coders this is simply the share of units on which they gave the same rating.

    >>> round(percent_agreement([[1, 1, 0], [1, 0, 0], [1, 1, 0]]), 3)  # 3 coders
    0.778
    """
    total = agree = 0.0
    for vec, wu in _patterns(ratings, weights):
        counts = _counts(vec)
        m = sum(counts.values())
        if m < 2:
            continue
        pairs = sum(c * (c - 1) for c in counts.values()) / (m * (m - 1))
        agree += wu * pairs
        total += wu
    return agree / total if total > 0 else None


def cohen_kappa(
    a: Sequence[Rating], b: Sequence[Rating], *, weights: Sequence[float] | None = None
) -> float | None:
    """Cohen's kappa for two coders (units where either is ``None`` are left out).

    Matches ``sklearn.metrics.cohen_kappa_score(a, b, sample_weight=weights)``; ``None``
    where that returns NaN (both coders gave one and the same value throughout).

    >>> cohen_kappa([0, 1, 0, 1], [0, 1, 1, 0])
    0.0
    """
    if len(a) != len(b):
        raise ValueError(f"coder A rated {len(a)} units, coder B {len(b)}")
    total = agree = 0.0
    ma: Counter = Counter()
    mb: Counter = Counter()
    for (x, y), wu in _patterns([a, b], weights):
        if x is None or y is None:
            continue
        total += wu
        agree += wu if x == y else 0.0
        ma[x] += wu
        mb[y] += wu
    if total <= 0:
        return None
    po = agree / total
    pe = sum(ma[c] * mb[c] for c in ma) / (total * total)
    if 1.0 - pe < EPS:
        return None
    return (po - pe) / (1.0 - pe)


def fleiss_kappa(
    ratings: Sequence[Sequence[Rating]], *, weights: Sequence[float] | None = None
) -> float | None:
    """Fleiss' kappa for two or more coders, over the units that *every* coder rated.

    (With two coders it equals Scott's pi, not Cohen's kappa.)

    >>> round(fleiss_kappa([[1, 0, 1, 0], [1, 0, 1, 1], [1, 0, 0, 0]]), 3)
    0.333
    """
    m = len(ratings)
    if m < 2:
        return None
    total = p_sum = 0.0
    cat: Counter = Counter()
    for vec, wu in _patterns(ratings, weights):
        if any(x is None for x in vec):
            continue
        counts = _counts(vec)
        total += wu
        p_sum += wu * (sum(c * c for c in counts.values()) - m) / (m * (m - 1))
        for c, k in counts.items():
            cat[c] += wu * k
    if total <= 0:
        return None
    p_bar = p_sum / total
    pe = sum((v / (total * m)) ** 2 for v in cat.values())
    if 1.0 - pe < EPS:
        return None
    return (p_bar - pe) / (1.0 - pe)


def krippendorff_alpha(
    ratings: Sequence[Sequence[Rating]], *, weights: Sequence[float] | None = None
) -> float | None:
    """Krippendorff's alpha, nominal level, for any number of coders and missing ratings.

    Matches ``krippendorff.alpha(reliability_data, level_of_measurement="nominal")``
    (with ``None`` as NaN); ``None`` where only one value occurs among pairable ratings.

    >>> round(krippendorff_alpha([[1, 0, 1, None], [1, 0, 0, 1]]), 3)
    0.444
    """
    o: Counter = Counter()  # coincidences o[(c, k)]
    for vec, wu in _patterns(ratings, weights):
        counts = _counts(vec)
        m = sum(counts.values())
        if m < 2:
            continue
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nk - 1) if c == k else nc * nk
                if pairs:
                    o[(c, k)] += wu * pairs / (m - 1)
    marg: Counter = Counter()
    for (c, _k), v in o.items():
        marg[c] += v
    n = sum(marg.values())
    if n <= 1:
        return None
    observed = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(marg[c] * marg[k] for c in marg for k in marg if c != k)
    if expected <= EPS:
        return None
    return 1.0 - (n - 1) * observed / expected


def kappa_label(value: float | None) -> str:
    """Plain words for a kappa (Landis and Koch's bands).

    A kappa shown as 0.00 is no agreement beyond chance (walk 13: "0.00 · slight agreement"
    on a code the two coders never both applied). Judged on the value as shown, to two decimals
    (walk 21: "kappa 0.80: almost perfect agreement" beside the legend's "0.61–0.80 substantial",
    for a kappa of 0.8026).

    >>> kappa_label(0.72), kappa_label(0.001), kappa_label(-0.2), kappa_label(0.8026), kappa_label(0.806)
    ('substantial agreement', 'no agreement beyond chance', 'less than chance agreement', 'substantial agreement', 'almost perfect agreement')
    """
    if value is None:
        return "cannot be computed"
    value = round(float(value), 2)
    if value <= -0.005:
        return "less than chance agreement"
    if value < 0.005:
        return "no agreement beyond chance"
    for upper, words in ((0.2, "slight agreement"), (0.4, "fair agreement"), (0.6, "moderate agreement"),
                         (0.8, "substantial agreement")):
        if value <= upper:
            return words
    return "almost perfect agreement"


def alpha_label(value: float | None) -> str:
    """Plain words for Krippendorff's alpha (his own cut-offs: 0.8 and 0.667).

    >>> alpha_label(0.7)
    'tentative: good enough only for tentative conclusions'
    """
    if value is None:
        return "cannot be computed"
    if value >= 0.8:
        return "reliable"
    if value >= 0.667:
        return "tentative: good enough only for tentative conclusions"
    return "unreliable: the coders do not apply this code consistently yet"


def in_words(kappa: float | None, alpha: float | None) -> str:
    """Both figures with their words, each naming its scale (see ``SCALES``).

    >>> in_words(0.63, 0.64)
    "kappa 0.63: substantial agreement (Landis and Koch); alpha 0.64: unreliable by Krippendorff's 0.667"
    >>> in_words(0.72, 0.71)
    "kappa 0.72: substantial agreement (Landis and Koch); alpha 0.71: tentative by Krippendorff's 0.667–0.8"
    """
    parts = []
    if kappa is not None:
        parts.append(f"kappa {kappa:.2f}: {kappa_label(kappa)} (Landis and Koch)")
    if alpha is not None:
        parts.append(f"alpha {alpha:.2f}: {alpha_verdict(alpha)}")
    return "; ".join(parts)


def alpha_verdict(value: float | None) -> str:
    """Krippendorff's judgement of an alpha in a few words, naming the cut-off it is held to.

    >>> alpha_verdict(0.85), alpha_verdict(0.7), alpha_verdict(0.5)
    ("reliable by Krippendorff's 0.8", "tentative by Krippendorff's 0.667–0.8", "unreliable by Krippendorff's 0.667")
    """
    if value is None:
        return "cannot be computed"
    if value >= 0.8:
        return "reliable by Krippendorff's 0.8"
    if value >= 0.667:
        return "tentative by Krippendorff's 0.667–0.8"
    return "unreliable by Krippendorff's 0.667"


def same_sets(sets: dict[str, Sequence[set]]) -> dict:
    """Per-excerpt agreement: on how many excerpts every coder gave the same set of codes.

    ``sets[coder][u]`` is the set of codes that coder applied to excerpt ``u`` (an empty set:
    reviewed, no code). Returns ``excerpts``, ``same_codes``, ``differ`` and
    ``excerpt_agreement`` (share, ``None`` without excerpts).

    >>> same_sets({"ana": [{"a"}, set(), {"a", "b"}], "ben": [{"a"}, set(), {"a"}]})
    {'excerpts': 3, 'same_codes': 2, 'differ': 1, 'excerpt_agreement': 0.6666666666666666}
    """
    columns = list(sets.values())
    n = len(columns[0]) if columns else 0
    same = sum(1 for u in range(n) if len({frozenset(col[u]) for col in columns}) == 1)
    return {"excerpts": n, "same_codes": same, "differ": n - same,
            "excerpt_agreement": same / n if n else None}


def describe(figures: dict, *, unit_name: str = "excerpts", min_units: int = 10) -> str:
    """One sentence about a set of figures (``units``, ``percent_agreement``, kappa, alpha).

    >>> describe({"units": 40, "percent_agreement": 0.9, "cohen_kappa": 0.72,
    ...           "krippendorff_alpha": 0.71})
    "The coders agree on 90% of 40 excerpts (kappa 0.72: substantial agreement (Landis and Koch); alpha 0.71: tentative by Krippendorff's 0.667–0.8)."
    """
    units = figures.get("units") or 0
    if not units:
        return f"No {unit_name} were rated by all of these coders yet, so there is nothing to compare."
    if "same_codes" in figures:
        return _headline(figures, unit_name=unit_name, min_units=min_units)
    pa = figures.get("percent_agreement")
    kappa = figures.get("cohen_kappa")
    if kappa is None:
        kappa = figures.get("fleiss_kappa")
    alpha = figures.get("krippendorff_alpha")
    if kappa is None and alpha is None:
        text = (f"The coders agree on {pa:.0%} of {units} {unit_name}, but kappa and alpha cannot be "
                "computed: every rating was the same (for example nobody applied the code).")
    else:
        text = f"The coders agree on {pa:.0%} of {units} {unit_name} ({in_words(kappa, alpha)})."
    if units < min_units:
        text += f" Only {units} {unit_name}: too few to trust."
    return text


def _headline(figures: dict, *, unit_name: str, min_units: int) -> str:
    """The overall sentence: per-excerpt agreement first, then what is pooled.

    >>> _headline({"units": 16, "excerpts": 16, "same_codes": 11, "differ": 5, "codes": 3,
    ...            "decisions": 48, "percent_agreement": 0.875, "cohen_kappa": 0.7,
    ...            "krippendorff_alpha": 0.69}, unit_name="excerpts", min_units=10)  # doctest: +NORMALIZE_WHITESPACE
    "The coders gave the same codes to 11 of 16 excerpts (69%); they differ on 5. Code by code, pooled over the
    3 codes someone used (48 excerpt × code decisions; codes nobody used are left out): 88% agreement;
    kappa 0.70: substantial agreement (Landis and Koch); alpha 0.69: tentative by Krippendorff's 0.667–0.8."
    """
    n, same, differ = figures["excerpts"], figures["same_codes"], figures["differ"]
    share = same / n if n else 0.0
    text = (f"The coders gave the same codes to {same} of {n} excerpts ({share:.0%}); "
            + (f"they differ on {differ}." if differ else "they agree on every one."))
    pa = figures.get("percent_agreement")
    kappa = figures.get("cohen_kappa")
    if kappa is None:
        kappa = figures.get("fleiss_kappa")
    alpha = figures.get("krippendorff_alpha")
    codes = figures.get("codes") or 0
    if codes and pa is not None:
        what = "character" if unit_name == "characters" else "excerpt"
        words = in_words(kappa, alpha)
        text += (f" Code by code, pooled over the {codes} code{'s' * (codes != 1)} someone used "
                 f"({figures.get('decisions', 0):,} {what} × code decisions; codes nobody used are left out): "
                 f"{pa:.0%} agreement" + (f"; {words}." if words else "."))
    if n < min_units:
        text += f" Only {n} excerpts: too few to trust."
    return text


def figures(ratings: Sequence[Sequence[Rating]], *, weights: Sequence[float] | None = None) -> dict:
    """Every figure for one set of ratings, with the number of units behind them.

    ``units`` counts units every coder rated (weights summed), ``units_differ`` those of
    them on which the coders did not all give the same rating (with two coders:
    ``units * (1 - percent_agreement)``); ``cohen_kappa`` is only present for exactly two
    coders.

    >>> f = figures([[1, 0, 0], [1, 0, 1]])
    >>> f["units"], f["units_differ"], round(f["percent_agreement"], 3), round(f["cohen_kappa"], 3)
    (3, 1, 0.667, 0.4)
    """
    n = _units(ratings)
    w = _weights(n, weights)
    rated = [u for u in range(n) if all(r[u] is not None for r in ratings)]
    units = sum(w[u] for u in rated)
    differ = sum(w[u] for u in rated if len({r[u] for r in ratings}) > 1)
    out: dict = {"units": int(units) if float(units).is_integer() else units,
                 "units_differ": int(differ) if float(differ).is_integer() else differ,
                 "percent_agreement": percent_agreement(ratings, weights=w)}
    if len(ratings) == 2:
        out["cohen_kappa"] = cohen_kappa(ratings[0], ratings[1], weights=w)
    out["fleiss_kappa"] = fleiss_kappa(ratings, weights=w)
    out["krippendorff_alpha"] = krippendorff_alpha(ratings, weights=w)
    return out


def char_segments(
    start: int, end: int, spans: Sequence[Sequence[tuple[int, int]]]
) -> tuple[list[list[int]], list[int]]:
    """Character-level units of one excerpt, compressed into runs.

    ``spans[i]`` are coder i's coded spans (document offsets) of one code in the excerpt
    ``start:end``. Returns ``(ratings, weights)``: one position per run of characters
    that every coder rated alike (1 = inside one of their spans), weighted by its length.

    >>> char_segments(0, 10, [[(0, 4)], [(2, 10)]])
    ([[1, 1, 0], [0, 1, 1]], [2, 2, 6])
    """
    cuts = {start, end}
    for coder_spans in spans:
        for a, b in coder_spans:
            cuts.update(x for x in (a, b) if start < x < end)
    edges = sorted(cuts)
    ratings: list[list[int]] = [[] for _ in spans]
    weights: list[int] = []
    for a, b in zip(edges, edges[1:]):
        if b <= a:
            continue
        weights.append(b - a)
        for i, coder_spans in enumerate(spans):
            ratings[i].append(int(any(sa <= a and b <= sb for sa, sb in coder_spans)))
    return ratings, weights
