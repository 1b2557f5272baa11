"""Calibration: turn the engine's decision scores into probabilities that mean what they say.

The decision score is shifted so that 0.5 is each code's threshold (an F1-tuned cut, not a
probability of being right). ``Calibrator`` maps it to ``P(the coder applies the code)``:

- cold (fewer than ``MIN_DECISIONS`` decisions): the global mapping of the prior's margin
  fitted on both dev sets (``prior.CAL_A``, ``prior.CAL_B``);
- learned: a Platt fit of ``logit(score)`` on the scores the coder was shown *before*
  deciding each excerpt (the engine records them at each ``fit``: out-of-sample for free),
  shrunk towards the score itself (``a = 1, b = 0``) with weight ``SHRINK_N / (n + SHRINK_N)``:
  the decisions come from the review queue, which picks excerpts scored near the threshold,
  so a Platt fit on a few hundred of them is noisy and biased. Measured (ECE of the shown
  test-half suggestions, seed 0, disaster-dev / talkmoves-dev): Platt alone @100 0.269 /
  0.176, @200 0.113 / 0.226, @500 0.061 / 0.084; shrunk (``SHRINK_N`` 100) 0.080 / 0.058,
  0.056 / 0.117, 0.044 / 0.101 (the raw score: 0.146 / 0.274, 0.192 / 0.185, 0.200 /
  0.191). ``SHRINK_N`` 200: 0.064 / 0.107, 0.070 / 0.058, 0.083 / 0.116; shrinking
  towards the codebook's mapping instead: 0.323 / 0.158 @100 (worse).

Measured and dropped (walk 10: "Trust 47% after the coder accepted every Trust"): a per-code
intercept on top of the shared mapping, the MAP shift of each code's own shown-score decisions
under a normal prior of sd tau (Newton, all codes at once). ECE of the shown test-half
suggestions @0 / 100 / 200 / 500, seeds 0 / 1, shared mapping -> tau 0.5: disaster-dev 0.104 /
0.082 / 0.052 / 0.043 and 0.111 / 0.084 / 0.067 / 0.071 -> 0.104 / 0.064 / 0.062 / 0.032 and
0.111 / 0.063 / 0.066 / 0.036, but talkmoves-dev 0.071 / 0.150 / 0.220 / 0.064 and 0.105 /
0.062 / 0.096 / 0.068 -> 0.071 / 0.191 / 0.255 / 0.103 and 0.105 / 0.124 / 0.117 / 0.041
(tau 1 and 2: worse still on talkmoves). The review queue's picks, near each code's
threshold, are too biased a sample to read one code's rate from.

The codebook's mapping says at most ``COLD_MAX`` (walk 24: a code just added, whose name held
the study's own subject, "Mentor-mentee trust · 96% chance, very sure" on every excerpt that
said "mentor"): however well an excerpt matches a code's words, a codebook alone is not that
sure. Measured (zero-shot, the shown test-half suggestions, seeds 0 / 1), the bins over 0.8 were
right 0.66 / 0.72 (0.8-0.9) and 0.75 / 0.75 (0.9-1) of the time on disaster-dev, 0 / 0 on
talkmoves-dev, against a mean probability of 0.85-0.96; every bin over 0.5 said too much on
both. So the mapping's upper half is pressed linearly into (0.5, ``COLD_MAX``]: order kept (the
chips are sorted by it). ECE of those suggestions (bench_evaluate, budget 0, 5 December 2026),
as before -> a hard cap at 0.75 -> pressed: disaster-dev 0.117 / 0.124 -> 0.079 / 0.087 -> 0.068
/ 0.076, talkmoves-dev 0.071 / 0.105 -> 0.071 / 0.105 -> 0.070 / 0.103; macro-F1 unchanged
(0.344 / 0.361 and 0.077 / 0.067: probabilities decide nothing).

``reliability`` and ``ece`` measure it (bins of probability vs the share right).

>>> round(ece(np.array([0.9, 0.9, 0.1, 0.1]), np.array([1, 1, 0, 0])), 2)
0.1
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualcode.suggest.prior import CAL_A, CAL_B, SLOPE

MIN_DECISIONS = 50   # reviewed excerpts before the coder's own decisions calibrate
COLD_MAX = 0.75      # the codebook's mapping says no more than this (see the module docstring)
MIN_POSITIVE = 10    # ... and codes applied among them
SHRINK_N = 100.0     # decisions at which the Platt fit and the raw score weigh the same


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class Calibrator:
    """``probability = sigmoid(a * logit(score) + b)``; monotone in the score.

    >>> cal = Calibrator()                       # cold: the dev sets' mapping
    >>> bool(cal(np.array([[0.9]]))[0, 0] > cal(np.array([[0.6]]))[0, 0])
    True
    """

    def __init__(self) -> None:
        # cold: logit(score) = SLOPE * d, and P = sigmoid(CAL_A * d + CAL_B)
        self.a, self.b = CAL_A / SLOPE, CAL_B
        self.source = "codebook"
        self.n = 0

    def fit(self, scores: np.ndarray, labels: np.ndarray, *, n_decisions: int) -> "Calibrator":
        """Platt fit on (score shown, decision) pairs; keeps the cold mapping while few."""
        s, y = np.ravel(scores), np.ravel(labels) > 0
        self.n = int(n_decisions)
        if n_decisions < MIN_DECISIONS or y.sum() < MIN_POSITIVE or y.all():
            return self
        from sklearn.linear_model import LogisticRegression

        x = _logit(s)[:, None]
        lr = LogisticRegression(C=1.0, max_iter=200).fit(x, y)
        a = float(lr.coef_[0, 0])
        if a <= 0:  # not monotone increasing: scores carry no signal yet, keep the prior's map
            return self
        w = n_decisions / (n_decisions + SHRINK_N)
        self.a, self.b, self.source = w * a + (1 - w), w * float(lr.intercept_[0]), "decisions"
        return self

    def __call__(self, S: np.ndarray) -> np.ndarray:
        z = self.a * _logit(S) + self.b
        p = (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)
        if self.source != "codebook":
            return p
        # above one half, pressed linearly into (0.5, COLD_MAX]: still in order (the chips are
        # sorted by it, and A takes the first), never above COLD_MAX
        return np.where(p > 0.5, 0.5 + (p - 0.5) * ((COLD_MAX - 0.5) / 0.5), p).astype(np.float32)


def reliability(p: np.ndarray, y: np.ndarray, *, bins: int = 10) -> list[dict[str, Any]]:
    """Bins of predicted probability [lo, hi): count, mean probability, share right."""
    p, y = np.ravel(p).astype(np.float64), (np.ravel(y) > 0).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    k = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for i in range(bins):
        m = k == i
        n = int(m.sum())
        out.append({"lo": round(float(edges[i]), 2), "hi": round(float(edges[i + 1]), 2), "n": n,
                    "mean_p": round(float(p[m].mean()), 4) if n else None,
                    "share_right": round(float(y[m].mean()), 4) if n else None})
    return out


def ece(p: np.ndarray, y: np.ndarray, *, bins: int = 10) -> float:
    """Expected calibration error: sum over bins of (share of items) x |mean p - share right|."""
    table = reliability(p, y, bins=bins)
    total = sum(r["n"] for r in table)
    if not total:
        return 0.0
    p, y = np.ravel(p).astype(np.float64), (np.ravel(y) > 0).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    k = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    err = 0.0
    for i in range(bins):
        m = k == i
        if m.any():
            err += m.sum() / total * abs(p[m].mean() - y[m].mean())
    return float(err)
