"""WLSMV: diagonally weighted least squares CFA for ordinal items, as lavaan does it.

Model (lavaan's default *delta* parameterisation; Muthén 1984, Muthén & Asparouhov 2002):
for group ``g`` with loadings ``Lambda``, factor covariance ``Psi``, residual
covariances ``Theta`` (off-diagonal), intercepts ``nu``, factor means ``alpha``,
thresholds ``tau`` and scaling factors ``Delta`` (1 in the reference group), the
model-implied polychoric correlations and thresholds are

.. math:: \\rho_{ij} = \\Delta_i \\Delta_j [\\Lambda\\Psi\\Lambda' + \\Theta]_{ij}\\ (i \\ne j),
          \\qquad \\tau^*_{ik} = \\Delta_i (\\tau_{ik} - \\nu_i - [\\Lambda\\alpha]_i),

and the residual variances are not parameters: ``theta_ii = 1/Delta_i^2 -
[Lambda Psi Lambda']_ii``. With ``s_g`` the sample thresholds and polychoric correlations
of group ``g`` (:func:`evalkit.validation.polychoric`), ``Gamma_g`` their asymptotic
covariance (NACOV) and ``W_g = diag(Gamma_g)^-1``, DWLS minimises

.. math:: F = \\sum_g \\frac{n_g}{N} \\tfrac12 (s_g - \\sigma_g)' W_g (s_g - \\sigma_g),
          \\qquad T = 2 N F.

Robust ("sandwich") standard errors: ``V = (D'WD)^-1 D'W Gamma W D (D'WD)^-1 / (N - G)``
with ``D`` the Jacobian of the moments (lavaan ``se="robust.sem"``; lavaan's categorical
objective carries a factor ``(n_g - 1)/n_g``, so its test is ``T = sum_g (n_g - 1)
e_g' W_g e_g`` and its covariance divides by ``N - G``). The mean-and-variance
adjusted test (lavaan's WLSMV default ``test="scaled.shifted"``; Asparouhov & Muthén
2010): with ``U = W - W D (D'W D)^-1 D' W``, ``a = sqrt(df / tr[(U Gamma)^2])``,
``b = df - a tr(U Gamma)``, ``T_scaled = a T + b`` on ``df`` degrees of freedom
(lavaan reports ``chisq.scaling.factor = 1/a``). The baseline model has free thresholds
and zero correlations, scaled the same way. CFI, TLI and RMSEA (scaled and unscaled) use
lavaan 0.6's formulas; for DWLS lavaan's RMSEA divides by ``N - G`` (G groups) and
multiplies by ``sqrt(G)``. SRMR is lavaan's ``srmr`` for categorical data: the root mean
square of the correlation residuals, averaged over the ``p(p+1)/2`` elements of the
lower triangle including the (zero) diagonal (see :func:`_srmr`).

Measurement invariance for ordinal items follows Wu & Estabrook (2016) as
``semTools::measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
parameterization = "delta")`` writes it: configural (thresholds free, intercepts 0,
scales 1, factor variances 1, means 0); equal thresholds (intercepts and scaling factors
free in the other groups); equal thresholds and loadings (factor variances free in the
other groups too); scalar, ``group.equal = c("thresholds", "loadings", "intercepts")``
(intercepts 0 in every group, factor means free in the other groups) -- the only level
at which a uniform threshold shift of one item (uniform DIF) is not absorbed by that
item's intercept. Partial scalar invariance frees item intercepts (``group.partial =
"y07~1"``), chosen by the score test (lavaan ``modindices`` / ``lavTestScore``).
Nested models are compared with lavaan's ``lavTestLRT`` default for WLSMV, the
scaled-shifted difference test of Satorra (2000) (``method =
"satorra.2000"``): with the Jacobian ``D1`` of the larger model, ``P = (D1'W D1)^-1``, the
constraints ``A`` (the orthogonal complement of ``H = (D1'D1)^-1 D1' D0``),
``U = W D1 P A'(A P A')^-1 A P D1' W``, ``m = df0 - df1``, ``a = sqrt(m/tr[(U Gamma)^2])``,
``b = m - a tr(U Gamma)`` and ``T_diff = a (T0 - T1) + b``.

References
----------
Muthén, B. (1984). *Psychometrika*, 49, 115-132.
Muthén, B., du Toit, S. H. C., & Spisic, D. (1997). Robust inference using weighted least
squares and quadratic estimating equations in latent variable modeling with categorical
and continuous outcomes. Unpublished technical report.
Asparouhov, T., & Muthén, B. (2010). Simple second order chi-square correction.
Mplus technical appendix.
Satorra, A. (2000). Scaled and adjusted restricted tests in multi-sample analysis of
moment structures. In *Innovations in multivariate statistical analysis* (pp. 233-247).
Wu, H., & Estabrook, R. (2016). Identification of confirmatory factor analysis models of
different levels of invariance for ordered categorical outcomes. *Psychometrika*, 81,
1014-1045.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of
Statistical Software*, 48(2).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
from scipy import linalg, stats

from evalkit.core.checks import check_option
from evalkit.core.errors import EstimationError, ParameterError
from evalkit.methods.validation.model_syntax import ParsedModel, build_partable, number_free
from evalkit.methods.validation.ordinal import PolychoricResult, item_pairs, polychoric_codes
from evalkit.methods.validation.sem.data import prepare_ordinal
from evalkit.methods.validation.sem.estimator import DifferenceTestValues, Estimator, Sample
from evalkit.methods.validation.sem.fit_measures import (
    all_fit_indices,
    cfi,
    fit_indices,
    rmsea,
    rmsea_ci,
    scaled_indices,
    scaled_shifted,
    tli,
)
from evalkit.methods.validation.sem.model import ModelSpec
from evalkit.methods.validation.sem.optimize import OptimizerSettings

if TYPE_CHECKING:
    from evalkit.methods.validation.sem.results import CFAResult

__all__ = [
    "INVARIANCE_LEVELS",
    "LEVEL_GROUP_EQUAL",
    "WLSMVEstimator",
    "build_ordinal_partable",
    "OrdinalModel",
    "DWLSProblem",
    "satorra2000",
    "intercept_score_tests",
]

#: Wu & Estabrook (2016) levels, in order, and their semTools ``group.equal``:
#: ``configural`` (none), ``thresholds`` ("thresholds"), ``thresholds_loadings``
#: ("thresholds", "loadings"), ``scalar`` ("thresholds", "loadings", "intercepts").
INVARIANCE_LEVELS: tuple[str, ...] = ("configural", "thresholds", "thresholds_loadings", "scalar")
#: semTools ``measEq.syntax(group.equal=)`` of each level
LEVEL_GROUP_EQUAL: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "thresholds_loadings": ("thresholds", "loadings"),
    "scalar": ("thresholds", "loadings", "intercepts"),
}
_LATER_SCALES = ("thresholds", "thresholds_loadings", "scalar")
_LATER_VARIANCES = ("thresholds_loadings", "scalar")


# ========================================================================================
# the model
# ========================================================================================
def _renumber(pt: pd.DataFrame) -> pd.DataFrame:
    """Free indices from the rows' free flags and equality keys (order of rows), via the
    shared :func:`~evalkit.validation.model_syntax.number_free`."""
    keys = ["" if not r.is_free else (r.equal_key or f"row:{r.id}") for r in pt.itertuples(index=False)]
    pt = pt.copy()
    pt["free"] = number_free(keys)
    pt["value"] = np.where(pt["free"] > 0, np.nan, pt["value"])
    return pt.drop(columns="is_free")


def _intercept_partial(partial, parsed) -> tuple[set[str], tuple[str, ...]]:
    """Split ``partial`` into the items whose intercept is freed (``"y07~1"``) and the rest
    (handed to :func:`build_partable`)."""
    if isinstance(partial, str):
        partial = (partial,)
    items, rest = set(), []
    for p in partial or ():
        if not isinstance(p, str):
            raise ParameterError(f"partial entries are strings like 'y07~1', got {p!r}.")
        q = p.replace(" ", "")
        if q.endswith("~1") and q[:-2] in parsed.observed:
            items.add(q[:-2])
        else:
            rest.append(q)
    return items, tuple(rest)


def build_ordinal_partable(
    parsed: ParsedModel,
    n_groups: int,
    nth: dict[str, int],
    *,
    level: str | None = None,
    partial: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Parameter table of an ordinal CFA (delta parameterisation).

    ``level=None``: lavaan's ``cfa(..., ordered=)`` defaults (marker loadings, free factor
    variances, intercepts 0, scales 1, factor means 0). ``level`` in
    :data:`INVARIANCE_LEVELS`: Wu & Estabrook (2016) with ``std.lv`` (measEq.syntax).
    """
    ge = () if level is None else LEVEL_GROUP_EQUAL[level]
    free_nu, partial = _intercept_partial(partial, parsed)
    if free_nu and level != "scalar":
        raise ParameterError(
            "freeing item intercepts ('item~1') applies to the scalar level "
            "only (at the other levels they are free in later groups)."
        )
    if partial:
        raise ParameterError(
            "partial invariance for ordinal items frees item intercepts ('item~1') at the "
            f"scalar level; {list(partial)} is not supported (freeing thresholds or "
            "loadings needs the Wu & Estabrook re-identification per item)."
        )
    pt = build_partable(
        parsed,
        n_groups=n_groups,
        meanstructure=True,
        group_equal=ge,
        auto_fix_first=level is None,
        thresholds=nth,
    )
    pt = pt.copy()
    pt["is_free"] = pt["free"] > 0
    observed = set(parsed.observed)
    latent = set(parsed.latent)
    rows = []
    for r in pt.itertuples(index=False):
        free, value = r.is_free, r.value
        later = r.group > 1
        if r.mat == "theta" and r.row == r.col:
            free, value = False, np.nan  # delta parameterisation: not a parameter
        elif r.mat == "nu" and r.lhs in observed:
            # scalar: intercepts equal (0 in every group) unless freed by partial
            free = bool(
                later
                and (
                    level in ("thresholds", "thresholds_loadings") or (level == "scalar" and r.lhs in free_nu)
                )
            )
            value = np.nan if free else 0.0
        elif r.mat == "alpha":
            free = bool(later and level == "scalar")  # factor means free once nu are equal
            value = np.nan if free else 0.0
        elif r.mat == "psi" and r.row == r.col and level is not None:
            free = bool(later and level in _LATER_VARIANCES)
            value = np.nan if free else 1.0
        rows.append((free, value))
    pt["is_free"] = [f for f, _ in rows]
    pt["value"] = [v for _, v in rows]
    # free-in-later-groups rows must not share parameters across groups
    later_own = (
        pt["is_free"]
        & (pt["group"] > 1)
        & ((pt["mat"] == "nu") | (pt["mat"] == "alpha") | ((pt["mat"] == "psi") & (pt["row"] == pt["col"])))
    )
    pt.loc[later_own, "equal_key"] = ""
    # scaling factors (lavaan's ~*~)
    extra = []
    nid = int(pt["id"].max())
    oidx = {v: i for i, v in enumerate(parsed.observed)}
    for g in range(n_groups):
        for x in parsed.observed:
            nid += 1
            free = bool(g > 0 and level in _LATER_SCALES)
            extra.append(
                dict(
                    id=nid,
                    lhs=x,
                    op="~*~",
                    rhs=x,
                    group=g + 1,
                    free=0,
                    label="",
                    value=np.nan if free else 1.0,
                    user=0,
                    mat="delta",
                    row=oidx[x],
                    col=0,
                    equal_key="",
                    is_free=free,
                )
            )
    pt = pd.concat([pt, pd.DataFrame(extra)], ignore_index=True)
    del latent
    return _renumber(pt)


class OrdinalModel:
    """Moment structure (thresholds + polychoric correlations) on top of ModelSpec."""

    def __init__(self, pt: pd.DataFrame, parsed: ParsedModel, n_groups: int):
        self.pt = pt
        self.spec = ModelSpec(pt, parsed.observed, parsed.latent, n_groups, True)
        self.p = len(parsed.observed)
        self.G = n_groups
        self.npar = self.spec.npar
        self.pairs = item_pairs(self.p)
        self.pi = np.array([i for i, _ in self.pairs], dtype=int)
        self.pj = np.array([j for _, j in self.pairs], dtype=int)
        self._tau = []
        self._delta = []
        for g in range(n_groups):
            sub = pt.loc[pt["group"] == g + 1]
            t = sub.loc[sub["mat"] == "tau"].sort_values(["row", "col"])
            self._tau.append(
                dict(
                    row=t["row"].to_numpy(int),
                    free=t["free"].to_numpy(int) - 1,
                    value=t["value"].to_numpy(float),
                )
            )
            d = sub.loc[sub["mat"] == "delta"].sort_values("row")
            self._delta.append(
                dict(
                    row=d["row"].to_numpy(int),
                    free=d["free"].to_numpy(int) - 1,
                    value=d["value"].to_numpy(float),
                )
            )

    @staticmethod
    def _vals(theta, b):
        return np.where(b["free"] >= 0, theta[np.maximum(b["free"], 0)], b["value"])

    def parts(self, theta, g):
        M = self.spec.matrices(theta, g)
        L, P, T = M["lambda"], M["psi"], M["theta"].copy()
        np.fill_diagonal(T, 0.0)
        S0 = L @ P @ L.T + T
        mu = M["nu"] + L @ M["alpha"]
        tb = self._tau[g]
        tau = self._vals(theta, tb)
        delta = np.ones(self.p)
        db = self._delta[g]
        delta[db["row"]] = self._vals(theta, db)
        return S0, mu, tau, tb["row"], delta, M

    def moments(self, theta, g):
        S0, mu, tau, trow, delta, _ = self.parts(theta, g)
        th = delta[trow] * (tau - mu[trow])
        cor = delta[self.pi] * delta[self.pj] * S0[self.pi, self.pj]
        return np.concatenate([th, cor])

    def jacobian(self, theta, g):
        S0, mu, tau, trow, delta, _ = self.parts(theta, g)
        dS, dmu = self.spec.jacobian(theta, g)
        k = self.npar
        nth = len(tau)
        D = np.zeros((nth + len(self.pairs), k))
        # thresholds
        D[:nth] = -(delta[trow][:, None] * dmu[:, trow].T)
        tb = self._tau[g]
        fr = tb["free"]
        sel = fr >= 0
        np.add.at(D, (np.flatnonzero(sel), fr[sel]), delta[trow][sel])
        # correlations
        D[nth:] = (delta[self.pi] * delta[self.pj])[:, None] * dS[:, self.pi, self.pj].T
        # scaling factors
        db = self._delta[g]
        for r, f in zip(db["row"], db["free"]):
            if f < 0:
                continue
            m = trow == r
            D[np.flatnonzero(m), f] += tau[m] - mu[r]
            a = self.pi == r
            D[nth + np.flatnonzero(a), f] += delta[self.pj[a]] * S0[r, self.pj[a]]
            b = self.pj == r
            D[nth + np.flatnonzero(b), f] += delta[self.pi[b]] * S0[self.pi[b], r]
        return D

    def start(self, stats):
        """Start: first principal component per factor of the (pooled) polychoric matrix."""
        theta = np.zeros(self.npar)
        set_ = np.zeros(self.npar, dtype=bool)
        pt = self.pt
        R = np.mean([s.correlation.to_numpy() for s in stats], axis=0)
        spec = self.spec
        oidx = {v: i for i, v in enumerate(spec.observed)}
        lam0, psi0 = {}, {}
        for f in spec.latent:
            rows = pt.loc[(pt["mat"] == "lambda") & (pt["lhs"] == f) & (pt["group"] == 1)]
            idx = [oidx[x] for x in rows["rhs"]]
            w, v = np.linalg.eigh(R[np.ix_(idx, idx)])
            load = v[:, -1] * np.sqrt(max(w[-1], 1e-3))
            if load[0] < 0:  # lavaan: the first indicator's loading starts positive
                load = -load
            load = np.clip(load, -0.95, 0.95)
            marker = rows.iloc[0]
            if marker["free"] == 0:  # marker fixed at value
                scale = load[0] / (marker["value"] if marker["value"] else 1.0)
                scale = scale if abs(scale) > 0.05 else 0.5
                for x, lval in zip(rows["rhs"], load):
                    lam0[(f, x)] = lval / scale
                psi0[f] = scale**2
            else:
                for x, lval in zip(rows["rhs"], load):
                    lam0[(f, x)] = lval
                psi0[f] = 1.0
        for r in pt.itertuples(index=False):
            j = r.free - 1
            if j < 0 or set_[j]:
                continue
            g = r.group - 1
            if r.mat == "lambda":
                theta[j] = lam0.get((r.lhs, r.rhs), 0.5)
            elif r.mat == "psi":
                theta[j] = psi0.get(r.lhs, 1.0) if r.row == r.col else 0.0
            elif r.mat == "tau":
                s = stats[g]
                item = spec.observed[r.row]
                k = int(r.rhs[1:]) - 1
                theta[j] = float(s.item_thresholds[spec.observed.index(item)][k])
            elif r.mat == "delta":
                theta[j] = 1.0
            else:
                theta[j] = 0.0
            set_[j] = True
        return theta


# ========================================================================================
# estimation and inference
# ========================================================================================
class DWLSProblem:
    """DWLS discrepancy of an :class:`OrdinalModel` on per-group polychoric statistics."""

    settings = OptimizerSettings(
        tol=1e-10, max_iter=300, accept_rtol=1e-14, min_step=1e-10, fallback="BFGS", fallback_iter=500
    )

    def __init__(self, model: OrdinalModel, stats: list[PolychoricResult], estimator: WLSMVEstimator):
        self.estimator = estimator
        self.model = model
        self.spec = model.spec
        self.stats = stats
        self.n = np.array([s.n for s in stats], dtype=float)
        self.N = float(self.n.sum())
        self.w = self.n / self.N
        # lavaan's categorical objective: fmin_g = 1/2 (n_g - 1)/n_g e'We, groups weighted
        # by n_g / N, so that T = 2 N fmin = sum_g (n_g - 1) e_g' W_g e_g
        self.wf = (self.n - 1.0) / self.N
        self.s = [np.concatenate([s.threshold_vector, s.correlation_vector]) for s in stats]
        self.Gamma = [s.nacov.to_numpy() for s in stats]
        self.W = [1.0 / np.diag(G) for G in self.Gamma]
        self.nth = [len(s.threshold_vector) for s in stats]

    @property
    def nobs(self) -> list[int]:
        return [int(x) for x in self.n]

    def objective(self, theta: np.ndarray) -> float:
        f = 0.0
        for g in range(self.model.G):
            e = self.s[g] - self.model.moments(theta, g)
            f += self.wf[g] * 0.5 * np.sum(self.W[g] * e * e)
        return f

    def gradient_and_hessian(
        self, theta: np.ndarray, info_weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of the objective and its expected Hessian ``sum_g c_g D_g'W_g D_g``
        with ``c_g = (n_g - 1)/N`` (or ``info_weights``)."""
        k = self.model.npar
        grad = np.zeros(k)
        info = np.zeros((k, k))
        cw = self.wf if info_weights is None else info_weights
        for g in range(self.model.G):
            e = self.s[g] - self.model.moments(theta, g)
            D = self.model.jacobian(theta, g)
            WD = D * self.W[g][:, None]
            grad -= self.wf[g] * (WD.T @ e)
            info += cw[g] * (D.T @ WD)
        return grad, info

    def start(self) -> np.ndarray:
        return self.model.start(self.stats)

    @property
    def n_total(self) -> int:
        return int(self.N)

    def fit_indices(self, theta: np.ndarray, fmin: float) -> pd.Series:
        return _fit_statistics(self, theta, fmin)

    def estimates_and_std(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Value of every parameter-table row and its ``std.all`` (lavaan's
        ``standardizedSolution``); residual variances are derived (delta parameterisation)."""
        model = self.model
        pt = model.pt
        est = model.spec.values(theta)
        std = np.full(len(pt), np.nan)
        cache = {g: model.parts(theta, g) for g in range(model.G)}
        for i, r in enumerate(pt.itertuples(index=False)):
            g = r.group - 1
            S0, mu, tau, trow, delta, M = cache[g]
            L, P = M["lambda"], M["psi"]
            common = np.diag(L @ P @ L.T)
            var_ystar = 1.0 / delta**2  # model variance of y* (delta parameterisation)
            if r.mat == "theta" and r.row == r.col:
                est[i] = var_ystar[r.row] - common[r.row]
                std[i] = est[i] / var_ystar[r.row]
            elif r.mat == "theta":  # lavaan: residual covariance / residual SDs
                res_var = var_ystar - common
                den = res_var[r.row] * res_var[r.col]
                std[i] = est[i] / math.sqrt(abs(den)) if den != 0 else np.nan
            elif r.mat == "lambda":
                std[i] = est[i] * math.sqrt(max(P[r.col, r.col], 0)) / math.sqrt(var_ystar[r.row])
            elif r.mat == "psi":
                den = math.sqrt(max(P[r.row, r.row] * P[r.col, r.col], 0))
                std[i] = est[i] / den if den > 0 else np.nan
            elif r.mat in ("tau", "nu"):
                std[i] = est[i] / math.sqrt(var_ystar[r.row])
            elif r.mat == "alpha":
                den = math.sqrt(max(P[r.row, r.row], 0))
                std[i] = est[i] / den if den > 0 else np.nan
            elif r.mat == "delta":
                std[i] = 1.0  # as lavaan: the scale of the standardised y* is 1
        return est, std

    # stacked matrices (lavaan's multi-group weighting)
    def stacked(self, theta):
        D = np.vstack([self.model.jacobian(theta, g) for g in range(self.model.G)])
        V = np.concatenate([self.w[g] * self.W[g] for g in range(self.model.G)])
        Gam = linalg.block_diag(*[self.Gamma[g] / self.w[g] for g in range(self.model.G)])
        return D, V, Gam

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        """Robust (sandwich) covariance ``A^-1 B A^-1 / (N - G)`` with ``A = D'VD`` and
        ``B = D'V Gamma V D`` (lavaan's ``se = "robust.sem"`` for categorical data, whose
        ``N - G`` follows from its ``(n_g - 1)/n_g`` objective)."""
        D, V, Gam = self.stacked(theta)
        VD = D * V[:, None]
        Ai = _inv(D.T @ VD)
        B = VD.T @ Gam @ VD
        return Ai @ B @ Ai / (self.N - self.model.G)

    def df(self) -> int:
        return int(sum(len(s) for s in self.s) - self.model.npar)

    def scaled_test(self, theta, T, df):
        D, V, Gam = self.stacked(theta)
        VD = D * V[:, None]
        A = D.T @ VD
        U = np.diag(V) - VD @ _inv(A) @ VD.T
        UG = U @ Gam
        tr1 = float(np.trace(UG))
        tr2 = float(np.sum(UG * UG.T))
        return scaled_shifted(T, df, tr1, tr2)

    def baseline(self):
        """Independence model (free thresholds, zero correlations), scaled-shifted."""
        T = 0.0
        tr1 = tr2 = 0.0
        df = 0
        for g in range(self.model.G):
            nth = self.nth[g]
            r = self.s[g][nth:]
            Wc = self.W[g][nth:]
            T += (self.n[g] - 1.0) * np.sum(Wc * r * r)
            Gc = self.Gamma[g][nth:, nth:]
            UG = Wc[:, None] * Gc
            tr1 += float(np.trace(UG))
            tr2 += float(np.sum(UG * UG.T))
            df += len(r)
        a, b, Ts = scaled_shifted(T, df, tr1, tr2)
        return {"chi2": T, "df": df, "chi2_scaled": Ts, "a": a, "b": b}


def _inv(a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise EstimationError("the information matrix is singular: the model is not identified.") from None


def _srmr(prob: DWLSProblem, theta: np.ndarray) -> float:
    """lavaan's ``srmr`` for ordinal data: per group
    ``sqrt(sum_{i<j} (r_ij - rho_ij)^2 / (p(p+1)/2))`` -- the residual correlations with
    the (zero) diagonal residuals counted in the mean, thresholds excluded -- weighted by
    ``n_g / N``."""
    out = 0.0
    p = prob.model.p
    for g in range(prob.model.G):
        nth = prob.nth[g]
        res = prob.s[g][nth:] - prob.model.moments(theta, g)[nth:]
        out += prob.w[g] * math.sqrt(np.sum(res * res) / (p * (p + 1) / 2))
    return out


def _fit_statistics(prob: DWLSProblem, theta: np.ndarray, fmin: float) -> pd.Series:
    T = 2.0 * prob.N * fmin
    df = prob.df()
    a, b, Ts = prob.scaled_test(theta, T, df)
    base = prob.baseline()
    G = prob.model.G
    n_eff = prob.N - G
    Tb, dfb, Tbs = base["chi2"], base["df"], base["chi2_scaled"]
    standard = fit_indices(T, df, Tb, dfb, n_eff, G, _srmr(prob, theta))
    return all_fit_indices(
        standard,
        **scaled_indices(Ts, df, Tbs, dfb, n_eff, G),
        **catml_indices(prob, theta, float(df), float(dfb)),
        scaling_factor=1.0 / a if a else np.nan,
        shift=b,
        baseline_chi2=Tb,
        baseline_df=float(dfb),
        baseline_chi2_scaled=Tbs,
    )


def catml_indices(prob: DWLSProblem, theta: np.ndarray, df: float, dfb: float) -> dict[str, float]:
    """Robust CFI, TLI and RMSEA for categorical data (Savalei 2021, "catML"), as lavaan
    0.6-14's ``lav_fit_catml_dwls`` computes ``cfi.robust, tli.robust, rmsea.robust``.

    The polychoric correlations ``R_g`` are treated as if they were continuous data: ``XX3 =
    sum_g n_g [log|P_g| + tr(R_g P_g^-1) - log|R_g| - p]`` with ``P_g`` the model-implied
    correlations at the DWLS estimates (the ML statistic of a correlation structure), and its
    correction ``c3 = tr(M' V M Gamma) / df3`` with ``V`` the ML weight of the correlations
    at ``P_g`` (``1/2 D'(P^-1 x P^-1) D``, rows of the off-diagonal elements),
    ``M = I - Delta (Delta'W Delta)^-1 Delta'W`` (``Delta`` and ``W`` the DWLS Jacobian and
    weight of the correlations, the information over all moments) and ``Gamma`` the
    correlations' asymptotic covariance; groups weighted by ``n_g/N`` as lavaan. The
    baseline: ``XX3_b = -sum_g n_g log|R_g|``, ``c3_b = tr(Gamma) / df_b``. Then
    ``cfi_robust = 1 - max(XX3 - c3 df, 0) / max(XX3 - c3 df, XX3_b - c3_b df_b, 0)``,
    ``tli_robust`` likewise and ``rmsea_robust = sqrt(max(XX3/(n df) - c3/n, 0)) sqrt(G)``
    (``n = N - G``), its interval from ``XX3 / c3``. As lavaan: NaN when a polychoric matrix
    is not positive definite (smallest eigenvalue below ``sqrt(machine epsilon)``) and when
    thresholds are held equal across groups (the invariance levels ``thresholds``,
    ``thresholds_loadings`` and ``scalar``: lavaan 0.6-14 cannot build its catML model
    there and gives NA); 1, 1, 0 [0, 0] for a saturated model (``df = 0``).

    Reference: Savalei, V. (2021). Improving fit indices in structural equation modeling
    with categorical data. *Multivariate Behavioral Research*, 56(3), 390-407.
    """
    names = ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust")
    if df == 0:
        return dict(zip(names, (1.0, 1.0, 0.0, 0.0, 0.0)))
    model = prob.model
    pt = model.pt
    if pt.loc[pt["mat"].isin(["tau", "nu"]) & (pt["free"] > 0), "free"].duplicated().any():
        # thresholds (or intercepts) held equal: lavaan 0.6-14 drops the threshold rows to
        # build its catML model and then fails on the equality constraints that name them
        # ("unknown label(s) in equality constraint(s)"), so it reports NA -- and so do we
        return dict.fromkeys(names, np.nan)
    p, G = model.p, model.G
    pi, pj = model.pi, model.pj
    dup = np.zeros((p * p, len(pi)))  # d vec(P) / d r_ij for the off-diagonal elements
    dup[pi * p + pj, np.arange(len(pi))] = 1.0
    dup[pj * p + pi, np.arange(len(pi))] = 1.0
    XX3 = XX3_b = 0.0
    E = np.zeros((model.npar, model.npar))
    Dc, Wc, Vc, Gc = [], [], [], []
    for g in range(G):
        nth = prob.nth[g]
        R = np.eye(p)
        R[pi, pj] = R[pj, pi] = prob.s[g][nth:]
        if np.linalg.eigvalsh(R)[0] < np.sqrt(np.finfo(float).eps):
            return dict.fromkeys(names, np.nan)
        P = np.eye(p)
        P[pi, pj] = P[pj, pi] = model.moments(theta, g)[nth:]
        sign, logdet_p = np.linalg.slogdet(P)
        if sign <= 0:
            return dict.fromkeys(names, np.nan)
        Pinv = np.linalg.inv(P)
        logdet_r = np.linalg.slogdet(R)[1]
        XX3 += prob.n[g] * (logdet_p + np.sum(R * Pinv) - logdet_r - p)
        XX3_b += -prob.n[g] * logdet_r
        D = model.jacobian(theta, g)
        E += prob.w[g] * (D.T @ (D * prob.W[g][:, None]))
        Dc.append(D[nth:])
        Wc.append(prob.w[g] * prob.W[g][nth:])
        Vc.append(prob.w[g] * 0.5 * dup.T @ np.kron(Pinv, Pinv) @ dup)
        Gc.append(prob.Gamma[g][nth:, nth:] / prob.w[g])
    Dall = np.vstack(Dc)
    Wall = np.concatenate(Wc)
    V = linalg.block_diag(*Vc)
    Gam = linalg.block_diag(*Gc)
    M = np.eye(len(Wall)) - Dall @ _inv(E) @ (Dall * Wall[:, None]).T
    df3 = float(sum(len(s) - n for s, n in zip(prob.s, prob.nth)) - _catml_npar(prob))
    c3 = float(np.sum((M.T @ V @ M) * Gam.T)) / df3 if df3 > 0 else np.nan
    c3_b = float(np.trace(Gam)) / dfb
    N = prob.N - G
    ok = np.isfinite(c3) and c3 > 0
    lo, hi = rmsea_ci(XX3 / c3, df3, N, G, c_hat=c3) if ok else (np.nan, np.nan)
    return dict(
        cfi_robust=cfi(XX3, df, XX3_b, dfb, c3, c3_b),
        tli_robust=tli(XX3, df, XX3_b, dfb, c3, c3_b),
        rmsea_robust=rmsea(XX3, df3, N, G, c_hat=c3) if ok else np.nan,
        rmsea_ci_lower_robust=lo,
        rmsea_ci_upper_robust=hi,
    )


def _catml_npar(prob: DWLSProblem) -> int:
    """Free parameters of lavaan's catML model: the DWLS model without the thresholds and
    intercepts and means (``|`` and ``~1`` rows)."""
    pt = prob.model.pt
    keep = pt.loc[(pt["free"] > 0) & ~pt["mat"].isin(["tau", "nu", "alpha"]), "free"]
    return int(keep.nunique())


def satorra2000(
    restricted: DWLSProblem,
    theta0: np.ndarray,
    general: DWLSProblem,
    theta1: np.ndarray,
    d_unscaled: float,
    m: int,
) -> tuple[float, float, float]:
    """Scaled-shifted difference test of Satorra (2000), lavaan's ``lavTestLRT`` default for
    WLSMV (``method = "satorra.2000"``, ``A.method = "delta"``): returns ``(a, b, T_diff)``."""
    D1, V, Gam = general.stacked(theta1)
    D0, _, _ = restricted.stacked(theta0)
    H = np.linalg.solve(D1.T @ D1, D1.T @ D0)  # npar1 x npar0
    # orthogonal complement of the column space of H
    u, sv, _ = np.linalg.svd(H, full_matrices=True)
    rank = int(np.sum(sv > sv.max() * 1e-10)) if sv.size else 0
    A = u[:, rank:].T  # (npar1 - rank) x npar1
    VD = D1 * V[:, None]
    P = _inv(D1.T @ VD)
    APA = A @ P @ A.T
    U = VD @ P @ A.T @ np.linalg.solve(APA, A @ P @ VD.T)
    UG = U @ Gam
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    return scaled_shifted(d_unscaled, m, tr1, tr2)


def intercept_score_tests(
    problem: DWLSProblem, theta: np.ndarray, parsed: ParsedModel, freed: tuple[str, ...]
) -> pd.DataFrame:
    """Score tests of freeing each item's intercept (groups 2..G) in a scalar-level fit."""
    pt0 = problem.model.pt
    vals0 = problem.spec.values(theta)
    key0 = dict(zip(zip(pt0["lhs"], pt0["op"], pt0["rhs"], pt0["group"]), vals0))
    nth = {it: len(s) for it, s in zip(parsed.observed, problem.stats[0].item_thresholds)}
    already = set(freed)
    rows = []
    G = problem.model.G
    for item in parsed.observed:
        name = f"{item}~1"
        if name in already:
            continue
        pt = build_ordinal_partable(parsed, G, nth, level="scalar", partial=tuple(already) + (name,))
        model = OrdinalModel(pt, parsed, G)
        prob = DWLSProblem(model, problem.stats, problem.estimator)
        th = np.zeros(model.npar)
        fr = pt["free"].to_numpy()
        for i, r in enumerate(pt.itertuples(index=False)):
            if fr[i] > 0:
                th[fr[i] - 1] = key0[(r.lhs, r.op, r.rhs, r.group)]
        # as lavaan's score tests for DWLS: the gradient of the objective (weights
        # (n_g - 1)/N) with the unit expected information sum_g (n_g/N) D'WD
        # (checked against modindices / lavTestScore)
        g, info = prob.gradient_and_hessian(th, info_weights=prob.w)
        x = np.linalg.lstsq(info, g, rcond=None)[0]
        x2 = float(prob.N * g @ x)
        new = [
            fr[i] - 1
            for i, r in enumerate(pt.itertuples(index=False))
            if r.mat == "nu" and r.lhs == item and r.group > 1
        ]
        epc = float(-x[new[0]]) if new else np.nan
        df = float(G - 1)
        rows.append(
            dict(item=item, partial=name, x2=x2, df=df, p_value=float(stats.chi2.sf(x2, df)), epc=epc)
        )
    return pd.DataFrame(rows, columns=["item", "partial", "x2", "df", "p_value", "epc"])


class WLSMVEstimator(Estimator):
    """WLSMV for ordinal items (see the module docstring); lavaan's ``estimator="WLSMV"``."""

    name = "WLSMV"
    robust = True
    group_equal = False
    missing_options = ("listwise", "pairwise")
    levels = LEVEL_GROUP_EQUAL

    def sample(
        self,
        data: pd.DataFrame,
        parsed: ParsedModel,
        group: str | None,
        *,
        min_group_size: int | None = None,
        missing: str = "listwise",
    ) -> Sample:
        codes_g, cats, groups, items = prepare_ordinal(data, parsed, group, min_group_size, missing=missing)
        stats_ = [polychoric_codes(c, items, cats) for c in codes_g]
        nth = {it: len(lv) - 1 for it, lv in zip(items, cats)}
        return Sample(
            stats=stats_,
            groups=groups,
            n_rows=len(data),
            n_used=int(sum(len(c) for c in codes_g)),
            extra={"nth": nth, "missing": missing},
        )

    def build(
        self,
        sample: Sample,
        parsed: ParsedModel,
        *,
        equal: tuple[str, ...] = (),
        partial: tuple[str, ...] = (),
        meanstructure: bool | None = None,
        level: str | None = None,
    ) -> DWLSProblem:
        if level is None and (equal or partial):
            raise ParameterError(
                "equal=/partial= are not supported with estimator='WLSMV'; use "
                "invariance(..., estimator='WLSMV') (Wu & Estabrook 2016)."
            )
        if meanstructure is False:
            raise ParameterError(
                "meanstructure=False is not possible with estimator='WLSMV': the "
                "thresholds are a mean structure (lavaan fits them always)."
            )
        pt = build_ordinal_partable(
            parsed, len(sample.groups), sample.extra["nth"], level=level, partial=partial
        )
        return DWLSProblem(OrdinalModel(pt, parsed, len(sample.groups)), sample.stats, self)

    def difference_test(self, restricted: CFAResult, general: CFAResult) -> DifferenceTestValues:
        """Scaled-shifted difference test of Satorra (2000), lavaan's ``lavTestLRT`` for WLSMV."""
        T1, T0 = general.fit_indices["chi2"], restricted.fit_indices["chi2"]
        m = int(round(restricted.fit_indices["df"] - general.fit_indices["df"]))
        d = float(T0 - T1)
        if m <= 0:
            return DifferenceTestValues(d, float(m), np.nan)
        a, b, Td = satorra2000(
            cast(DWLSProblem, restricted.problem),
            restricted.theta,
            cast(DWLSProblem, general.problem),
            general.theta,
            d,
            m,
        )
        return DifferenceTestValues(
            d,
            float(m),
            float(stats.chi2.sf(d, m)),
            delta_chi2_scaled=Td,
            p_value_scaled=float(stats.chi2.sf(Td, m)),
            scale=a,
            shift=b,
        )

    def check_partial_level(self, level: str, levels: list[str], what: str) -> None:
        if not isinstance(level, str) or level not in INVARIANCE_LEVELS[1:]:
            check_option("level", level, INVARIANCE_LEVELS[1:])
        if level != "scalar":
            raise ParameterError(
                f"{what} for ordinal items (WLSMV) is available for level='scalar' only "
                f"(freeing one item's intercept); level={level!r} is not supported yet: "
                "freeing thresholds or loadings needs the Wu & Estabrook (2016) "
                "re-identification per item."
            )
        missing = [lv for lv in ("thresholds_loadings", "scalar") if lv not in levels]
        if missing:
            raise ParameterError(
                f"{what} needs the levels {missing}; fit them with "
                "invariance(..., levels=...) including them."
            )

    def invariance_score_tests(self, fit: CFAResult) -> pd.DataFrame:
        """Score tests for freeing each item's intercept at the scalar level (lavaan
        ``modindices`` for two groups, ``lavTestScore(release=)`` for more): ``item,
        partial, x2, df, p_value, epc``."""
        return intercept_score_tests(cast(DWLSProblem, fit.problem), fit.theta, fit.parsed, fit.partial)

    def partial_candidates(
        self, fit: CFAResult, new_types: list[str], freed: list[str]
    ) -> dict[str, tuple[float, float]]:
        sc = self.invariance_score_tests(fit)
        sc = sc.loc[~sc["partial"].isin(freed)]
        return {str(r.partial): (float(r.x2), float(r.df)) for r in sc.itertuples(index=False)}
