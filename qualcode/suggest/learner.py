"""Learning from a coder's decisions: per-code classifiers over embeddings + context.

Why this design (it must retrain in well under a second for 2,000 decisions):

1. One ridge regression, solved in closed form for all codes at once (the codes share the
   features, so one d x d solve serves them all). The ridge penalty is picked from a small
   grid by exact leave-one-out error, which ridge gives for free (the hat-matrix identity).
2. Per code, a small logistic regression (scikit-learn) stacks the leave-one-out ridge
   score with the cold-start prior (codebook z-score and its margin over the other codes).
   This is the blend of learned evidence and codebook prior; it learns per code how much
   to trust each. While a code has few positives, the result is further mixed with the
   pure prior (weight n_pos / 5).
3. Per code, the decision threshold that maximises F1 on those (out-of-sample) scores of
   the coder's own decisions. Scores are then shifted so that 0.5 is that threshold: the
   app's default threshold means "this code's tuned threshold".
4. The speaker role is a feature; on top, a code is gated off for a role where the coder
   has decided on many excerpts and never used it (teacher codes on student sentences).
5. At most ``max_per_excerpt`` suggestions per excerpt, learned from how many codes the
   coder gives an excerpt (95th percentile).
"""

from __future__ import annotations

import math

import numpy as np

from qualcode.suggest.prior import SLOPE, Z0

LAMBDAS = (100.0, 600.0, 3000.0)
MIN_POS = 2
GATE_MIN = 15


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def best_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Threshold maximising F1 of ``p >= t`` against ``y`` (grid 0.05..0.95)."""
    best_t, best_f = 0.5, -1.0
    pos = y.sum()
    for t in np.arange(0.05, 0.951, 0.025):
        pred = p >= t
        tp = float((pred & (y > 0)).sum())
        fp = float(pred.sum()) - tp
        f = 2 * tp / max(1.0, 2 * tp + fp + (pos - tp))
        if f > best_f + 1e-9:
            best_t, best_f = float(t), f
    return best_t, best_f


def prior_features(z: np.ndarray, j: int) -> np.ndarray:
    """The prior's evidence for code j: its z-score and its margin over the best other code."""
    if z.shape[1] > 1:
        others = np.delete(z, j, axis=1).max(axis=1)
    else:
        others = np.zeros(z.shape[0])
    return np.column_stack([z[:, j], z[:, j] - others])


def cold_proba(z: np.ndarray) -> np.ndarray:
    p = _sigmoid(SLOPE * (z - Z0))
    if z.shape[1] > 2:
        second = np.sort(z, axis=1)[:, -2][:, None]
        p = np.where(z >= second, p, np.minimum(p, 0.49))
    return p


class Logistic:
    """L2-regularised logistic regression on a few features by Newton's method (IRLS).

    The same model as sklearn's LogisticRegression(C=1/l2), in a few milliseconds for the
    handful of stacking features, which keeps a full retrain well under a second.
    """

    def __init__(self, l2: float = 1.0, iters: int = 25) -> None:
        self.l2, self.iters = l2, iters
        self.w: np.ndarray | None = None

    def fit(self, F: np.ndarray, y: np.ndarray) -> "Logistic":
        A = np.column_stack([F, np.ones(len(F))])
        w = np.zeros(A.shape[1])
        reg = np.full(A.shape[1], self.l2)
        reg[-1] = 1e-6  # the intercept is not penalised
        for _ in range(self.iters):
            p = _sigmoid(A @ w)
            g = A.T @ (p - y) + reg * w
            H = (A * (p * (1 - p))[:, None]).T @ A + np.diag(reg)
            step = np.linalg.solve(H, g)
            w -= step
            if np.abs(step).max() < 1e-6:
                break
        self.w = w
        return self

    def predict(self, F: np.ndarray) -> np.ndarray:
        return _sigmoid(np.column_stack([F, np.ones(len(F))]) @ self.w)


class Head:
    """Per-code classifiers fitted on a coder's decisions (see the module docstring)."""

    def __init__(self, code_ids: list[str]) -> None:
        self.code_ids = list(code_ids)
        self.n = 0
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None
        self.lam = LAMBDAS[1]
        self.stack: dict[int, object] = {}
        self.mix: np.ndarray = np.zeros(len(code_ids))
        self.thresholds: np.ndarray = np.full(len(code_ids), 0.5)
        self.n_pos: np.ndarray = np.zeros(len(code_ids), dtype=int)
        self.gates: dict[int, set[str]] = {}
        self.max_per_excerpt: int | None = None
        self.train_f1: dict[str, float] = {}

    # -- fitting -------------------------------------------------------------------------
    def fit(self, X: np.ndarray, Y: np.ndarray, Z: np.ndarray, roles: list[str]) -> "Head":
        """X: standardised features (n, d); Y: 0/1 labels (n, codes); Z: prior z-scores."""
        n, C = Y.shape
        self.n = n
        self.n_pos = Y.sum(axis=0).astype(int)
        if n == 0:
            return self
        loo = self._ridge(X, Y)
        p_cold = cold_proba(Z)
        self.stack, self.mix = {}, np.zeros(C)
        for j in range(C):
            pos = int(self.n_pos[j])
            if pos < MIN_POS or n - pos < MIN_POS:
                p = p_cold[:, j]
            else:
                F = np.column_stack([loo[:, j], prior_features(Z, j)])
                lr = Logistic().fit(F, Y[:, j])
                self.stack[j] = lr
                self.mix[j] = min(1.0, pos / 5.0)
                p = self.mix[j] * lr.predict(F) + (1 - self.mix[j]) * p_cold[:, j]
            if pos >= 1:
                t, f = best_threshold(p, Y[:, j])
                self.thresholds[j] = t if pos >= MIN_POS else max(0.5, t)
                self.train_f1[self.code_ids[j]] = round(f, 4)
        self._fit_gates(Y, roles)
        counts = Y.sum(axis=1)
        coded = counts[counts > 0]
        self.max_per_excerpt = int(math.ceil(np.quantile(coded, 0.95))) if len(coded) >= 20 else None
        return self

    def _ridge(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Closed-form ridge for all codes; picks lambda by leave-one-out; returns LOO scores.

        One symmetric eigendecomposition (of X'X, or of XX' when there are fewer excerpts
        than features) serves every lambda of the grid and every code.
        """
        n, d = X.shape
        xm, ym = X.mean(axis=0), Y.mean(axis=0)
        Xc, Yc = X - xm, Y - ym
        var = Y.var(axis=0) + 1e-6
        dual = n < d
        if dual:
            lam_k, U = np.linalg.eigh(Xc @ Xc.T)          # n x n
            UtY = U.T @ Yc
        else:
            lam_k, V = np.linalg.eigh(Xc.T @ Xc)          # d x d
            XV = Xc @ V
            VtXtY = XV.T @ Yc
        lam_k = np.maximum(lam_k, 0.0)
        best = None
        for lam in LAMBDAS:
            shrink = lam_k / (lam_k + lam)
            if dual:
                fit = U @ (shrink[:, None] * UtY)
                h = (U ** 2) @ shrink + 1.0 / n
            else:
                fit = XV @ (VtXtY / (lam_k + lam)[:, None])
                h = (XV ** 2) @ (1.0 / (lam_k + lam)) + 1.0 / n
            loo_resid = (Yc - fit) / np.maximum(1.0 - h, 1e-3)[:, None]
            err = float(((loo_resid ** 2).mean(axis=0) / var).mean())
            if best is None or err < best[0]:
                best = (err, lam, Y - loo_resid)
        _, self.lam, loo = best
        if dual:
            alpha = U @ (UtY / (lam_k + self.lam)[:, None])
            self.W = Xc.T @ alpha
        else:
            self.W = V @ (VtXtY / (lam_k + self.lam)[:, None])
        self.b = ym - xm @ self.W
        return loo

    def _fit_gates(self, Y: np.ndarray, roles: list[str]) -> None:
        self.gates = {}
        roles_arr = np.array(roles)
        for r in set(roles):
            m = roles_arr == r
            if m.sum() < GATE_MIN:
                continue
            for j in range(Y.shape[1]):
                if self.n_pos[j] >= 3 and Y[m, j].sum() == 0:
                    self.gates.setdefault(j, set()).add(r)

    # -- scoring -------------------------------------------------------------------------
    def proba(self, X: np.ndarray, Z: np.ndarray, roles: list[str]) -> np.ndarray:
        """Scores in [0, 1] for each excerpt and code; 0.5 is each code's tuned threshold."""
        n, C = Z.shape
        p_cold = cold_proba(Z)
        if self.n == 0 or self.W is None:
            return p_cold.astype(np.float32)
        ridge = X @ self.W + self.b
        out = np.empty((n, C), dtype=np.float64)
        for j in range(C):
            lr = self.stack.get(j)
            if lr is None:
                p = p_cold[:, j]
            else:
                F = np.column_stack([ridge[:, j], prior_features(Z, j)])
                p = self.mix[j] * lr.predict(F) + (1 - self.mix[j]) * p_cold[:, j]
            out[:, j] = _sigmoid(_logit(p) - _logit(self.thresholds[j]))
        if self.gates:
            roles_arr = np.array(roles)
            for j, gated in self.gates.items():
                m = np.isin(roles_arr, list(gated))
                out[m, j] *= 0.1
        return out.astype(np.float32)


class LinearHead:
    """Per-code logistic regressions on sparse lexical + dense embedding features.

    Why (measured on talkmoves-dev, see bench/results/evaluate.json): one-vs-rest logistic
    regression with balanced class weights on [TF-IDF word and char n-grams, sentence
    embedding, speaker role, overlap with the preceding turn] learns the rare pragmatic
    codes from a few hundred decisions far better than a ridge on embeddings alone.

    - Role gate: a code is trained on, and suggested for, only the speaker roles on which
      the coder has used it, once the coder has decided on ``GATE_MIN`` excerpts of a role
      without ever using the code there (teacher codes never on student sentences).
    - While a code has few positives its probability is blended with the codebook prior
      (weight n_pos / 5), and below ``MIN_POS`` positives only the prior speaks.
    - ``thresholds``: per code, tuned on out-of-fold scores of the coder's decisions once a
      code has ``TUNE_MIN_POS`` positives (else 0.5, the balanced model's natural cut);
      scores are shifted so that 0.5 means "this code's threshold".
    """

    def __init__(self, code_ids: list[str], *, C: float = 0.3) -> None:
        self.code_ids = list(code_ids)
        self.C = C
        self.n = 0
        self.W: np.ndarray | None = None
        self.b: np.ndarray = np.zeros(len(code_ids))
        self.stack: dict[int, bool] = {}
        self.mix: np.ndarray = np.zeros(len(code_ids))
        self.thresholds: np.ndarray = np.full(len(code_ids), 0.5)
        self.n_pos: np.ndarray = np.zeros(len(code_ids), dtype=int)
        self.gates: dict[int, set[str]] = {}
        self.max_per_excerpt: int | None = None
        self.train_f1: dict[str, float] = {}

    def _allowed(self, roles_arr: np.ndarray, y: np.ndarray) -> np.ndarray:
        pos_roles = set(roles_arr[y > 0])
        names, counts = np.unique(roles_arr, return_counts=True)
        ok = [r for r, c in zip(names, counts) if r in pos_roles or c < GATE_MIN]
        return np.isin(roles_arr, ok)

    def fit(self, X, Y: np.ndarray, Z: np.ndarray, roles: list[str]) -> "LinearHead":
        """X: features (n, d), dense or scipy sparse; Y: 0/1 labels; Z: prior z-scores."""
        from sklearn.linear_model import LogisticRegression

        n, C = Y.shape
        self.n = n
        self.n_pos = Y.sum(axis=0).astype(int)
        self.stack, self.mix = {}, np.zeros(C)
        self.thresholds = np.full(C, 0.5)
        if n == 0:
            return self
        d = X.shape[1]
        self.W = np.zeros((d, C), dtype=np.float32)
        self.b = np.zeros(C)
        roles_arr = np.array(roles)
        for j in range(C):
            pos = int(self.n_pos[j])
            if pos < MIN_POS or n - pos < MIN_POS:
                continue
            m = self._allowed(roles_arr, Y[:, j])
            y = Y[m, j]
            if y.min() == y.max():
                continue
            # dual coordinate descent: fast when decisions are fewer than features
            lr = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", dual=True,
                                    tol=0.05, max_iter=200)
            lr.fit(X[m], y)
            self.W[:, j] = lr.coef_.ravel()
            self.b[j] = float(lr.intercept_[0])
            self.stack[j] = True
            self.mix[j] = min(1.0, pos / 5.0)
        self._fit_gates(Y, roles)
        counts = Y.sum(axis=1)
        coded = counts[counts > 0]
        self.max_per_excerpt = int(math.ceil(np.quantile(coded, 0.95))) if len(coded) >= 20 else None
        return self

    def _fit_gates(self, Y: np.ndarray, roles: list[str]) -> None:
        self.gates = {}
        roles_arr = np.array(roles)
        for r in set(roles):
            m = roles_arr == r
            if m.sum() < GATE_MIN:
                continue
            for j in range(Y.shape[1]):
                if self.n_pos[j] >= MIN_POS and Y[m, j].sum() == 0:
                    self.gates.setdefault(j, set()).add(r)

    def proba(self, X, Z: np.ndarray, roles: list[str]) -> np.ndarray:
        """Scores in [0, 1] per excerpt and code; 0.5 is each code's threshold."""
        n, C = Z.shape
        p_cold = cold_proba(Z)
        if self.n == 0 or self.W is None or not self.stack:
            out = p_cold.astype(np.float64)
        else:
            lin = np.asarray(X @ self.W) + self.b
            out = p_cold.astype(np.float64).copy()
            for j in self.stack:
                p = self.mix[j] * _sigmoid(lin[:, j]) + (1 - self.mix[j]) * p_cold[:, j]
                out[:, j] = _sigmoid(_logit(p) - _logit(self.thresholds[j]))
        if self.gates:
            roles_arr = np.array(roles)
            for j, gated in self.gates.items():
                out[np.isin(roles_arr, list(gated)), j] *= 0.1
        return out.astype(np.float32)
