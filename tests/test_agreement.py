"""Agreement metrics against the reference implementations (scikit-learn, krippendorff)."""

from __future__ import annotations

import math
import random
import warnings

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from qualcode.analysis import agreement as ag


def ref_alpha(ratings):
    data = np.array([[np.nan if x is None else x for x in row] for row in ratings], dtype=float)
    try:
        value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    except ValueError:  # "There has to be more than one value in the domain."
        return None
    return None if math.isnan(value) else value


def ref_kappa(a, b, weights=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = cohen_kappa_score(a, b, sample_weight=weights)
    return None if math.isnan(value) else value


def ref_fleiss(ratings):
    """Fleiss' kappa written out from the 1971 paper's formulas (independent of ours)."""
    m = len(ratings)
    units = list(zip(*ratings))
    cats = sorted({x for u in units for x in u})
    counts = np.array([[u.count(c) for c in cats] for u in units], dtype=float)
    p_j = counts.sum(0) / (len(units) * m)
    p_i = ((counts ** 2).sum(1) - m) / (m * (m - 1))
    pe = (p_j ** 2).sum()
    if math.isclose(pe, 1.0):
        return None
    return (p_i.mean() - pe) / (1 - pe)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


EDGE_CASES = {
    "nobody used the code": [[0, 0, 0, 0], [0, 0, 0, 0]],
    "everyone always used it": [[1, 1, 1], [1, 1, 1]],
    "perfect agreement": [[1, 0, 1, 0, 0], [1, 0, 1, 0, 0]],
    "single unit, agree": [[1], [1]],
    "single unit, disagree": [[1], [0]],
    "complete disagreement": [[0, 1, 0, 1], [1, 0, 1, 0]],
    "one coder constant": [[1, 1, 1, 1], [1, 0, 1, 1]],
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_match_references(name):
    a, b = EDGE_CASES[name]
    assert close(ag.cohen_kappa(a, b), ref_kappa(a, b)), name
    assert close(ag.krippendorff_alpha([a, b]), ref_alpha([a, b])), name
    assert close(ag.fleiss_kappa([a, b]), ref_fleiss([a, b])), name


def test_edge_case_values_are_what_a_reader_expects():
    assert ag.cohen_kappa(*EDGE_CASES["perfect agreement"]) == 1.0
    assert ag.krippendorff_alpha(EDGE_CASES["perfect agreement"]) == 1.0
    assert ag.percent_agreement(EDGE_CASES["nobody used the code"]) == 1.0
    assert ag.cohen_kappa(*EDGE_CASES["nobody used the code"]) is None  # undefined, not 0 or 1
    assert ag.krippendorff_alpha(EDGE_CASES["nobody used the code"]) is None
    assert ag.cohen_kappa(*EDGE_CASES["complete disagreement"]) == -1.0
    assert ag.percent_agreement([[], []]) is None
    assert ag.cohen_kappa([], []) is None
    assert ag.figures([[1], [1]])["units"] == 1


@pytest.mark.parametrize("seed", range(40))
def test_random_two_coder_vectors_match(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 60)
    cats = rng.choice([[0, 1], [0, 1, 2], ["a", "b", "c", "d"]])
    p_agree = rng.random()
    a = [rng.choice(cats) for _ in range(n)]
    b = [x if rng.random() < p_agree else rng.choice(cats) for x in a]
    assert close(ag.cohen_kappa(a, b), ref_kappa(a, b))
    enc = {c: i for i, c in enumerate(cats)}
    ai, bi = [enc[x] for x in a], [enc[x] for x in b]
    assert close(ag.krippendorff_alpha([ai, bi]), ref_alpha([ai, bi]))
    assert close(ag.percent_agreement([a, b]), sum(x == y for x, y in zip(a, b)) / n)


@pytest.mark.parametrize("seed", range(30))
def test_random_many_coders_with_missing_values_match_krippendorff(seed):
    rng = random.Random(1000 + seed)
    coders, n = rng.randint(2, 6), rng.randint(1, 50)
    truth = [rng.randint(0, 2) for _ in range(n)]
    ratings = [[(t if rng.random() < 0.7 else rng.randint(0, 2)) if rng.random() > 0.2 else None
                for t in truth] for _ in range(coders)]
    assert close(ag.krippendorff_alpha(ratings), ref_alpha(ratings))


@pytest.mark.parametrize("seed", range(20))
def test_random_fleiss_matches_formula(seed):
    rng = random.Random(2000 + seed)
    coders, n = rng.randint(2, 6), rng.randint(1, 40)
    ratings = [[rng.randint(0, 1) for _ in range(n)] for _ in range(coders)]
    assert close(ag.fleiss_kappa(ratings), ref_fleiss(ratings))


def test_fleiss_on_the_published_example():
    # Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories -> 0.210.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    units = [[c for c, k in enumerate(row) for _ in range(k)] for row in table]
    ratings = [list(r) for r in zip(*units)]  # coders x units
    assert round(ag.fleiss_kappa(ratings), 3) == 0.210


def test_weights_equal_repeated_units():
    a, b, w = [1, 0, 1, 0], [1, 0, 0, 1], [3, 5, 2, 1]
    ra = [x for x, k in zip(a, w) for _ in range(k)]
    rb = [x for x, k in zip(b, w) for _ in range(k)]
    assert close(ag.cohen_kappa(a, b, weights=w), ag.cohen_kappa(ra, rb))
    assert close(ag.cohen_kappa(a, b, weights=w), ref_kappa(a, b, weights=w))
    assert close(ag.krippendorff_alpha([a, b], weights=w), ref_alpha([ra, rb]))
    assert close(ag.fleiss_kappa([a, b], weights=w), ref_fleiss([ra, rb]))
    assert close(ag.percent_agreement([a, b], weights=w), ag.percent_agreement([ra, rb]))


def test_char_segments_compress_runs_exactly():
    ratings, weights = ag.char_segments(10, 30, [[(10, 15), (20, 30)], [(12, 25)], []])
    assert sum(weights) == 20
    expanded = [[x for x, k in zip(row, weights) for _ in range(k)] for row in ratings]
    chars = range(10, 30)
    assert expanded[0] == [int(10 <= c < 15 or 20 <= c < 30) for c in chars]
    assert expanded[1] == [int(12 <= c < 25) for c in chars]
    assert expanded[2] == [0] * 20


def test_labels_are_plain_words():
    assert ag.kappa_label(0.9) == "almost perfect agreement"
    assert ag.kappa_label(-0.1) == "less than chance agreement"
    assert ag.kappa_label(None) == "cannot be computed"
    assert ag.alpha_label(0.85) == "reliable"
    assert ag.alpha_label(0.5).startswith("unreliable")
    text = ag.describe({"units": 4, "percent_agreement": 1.0, "cohen_kappa": None, "krippendorff_alpha": None})
    assert "cannot be computed" in text and "too few" in text


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        ag.cohen_kappa([1, 0], [1])
    with pytest.raises(ValueError):
        ag.krippendorff_alpha([[1, 0], [1]])
