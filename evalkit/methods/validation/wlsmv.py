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
Nested models are compared with lavaan's ``lavTestLRT`` default for WLSMV, the scaled-shifted difference test of Satorra (2000) (``method =
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
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from evalkit.core.checks import check_dataframe, check_lang, check_option, check_unique_column
from evalkit.core.errors import (ConvergenceWarning, DataQualityWarning, DataValidationError,
                      EstimationError, ParameterError, SmallSampleWarning)
from evalkit.core.i18n import fmt_number
from evalkit.core.results import Result, tidy_frame
from evalkit.methods.validation.factor import plot_loadings, single_thread_blas
from evalkit.methods.validation.model_syntax import build_partable, number_free, parse_model
from evalkit.methods.validation.ordinal import _ordinal_codes, _pairs, _polychoric_codes

__all__ = ["fit_wlsmv", "invariance_wlsmv", "WLSMVResult", "OrdinalInvarianceResult",
           "WLSMV_FIT_NAMES", "INVARIANCE_LEVELS", "scaled_difference_test"]

#: names (and order) of ``WLSMVResult.fit_indices``
WLSMV_FIT_NAMES: tuple[str, ...] = (
    "chi2", "df", "p_value", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper",
    "srmr", "chi2_scaled", "df_scaled", "p_value_scaled", "scaling_factor", "shift",
    "cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled",
    "rmsea_ci_upper_scaled", "baseline_chi2", "baseline_df", "baseline_chi2_scaled",
)

#: Wu & Estabrook (2016) levels, in order, and their semTools ``group.equal``:
#: ``configural`` (none), ``thresholds`` ("thresholds"), ``thresholds_loadings``
#: ("thresholds", "loadings"), ``scalar`` ("thresholds", "loadings", "intercepts").
INVARIANCE_LEVELS: tuple[str, ...] = ("configural", "thresholds", "thresholds_loadings",
                                      "scalar")
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
# data
# ========================================================================================
def _plain(v):
    """A category code as a plain Python number/string for messages (2.0 -> 2)."""
    v = v.item() if isinstance(v, np.generic) else v
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _prepare(data, parsed, group, min_per_group=None):
    check_dataframe(data)
    cols = set(map(str, data.columns))
    unknown = [v for v in parsed.observed if v not in cols]
    if unknown:
        raise ParameterError("model syntax names variables that are not columns of data: "
                             + ", ".join(map(repr, unknown)) + ".")
    clash = [v for v in parsed.latent if v in cols]
    if clash:
        raise ParameterError(f"latent variable name(s) {clash} are also columns of data.")
    items = list(parsed.observed)
    for c in items:
        check_unique_column(data, c)
    if group is not None:
        if not isinstance(group, str) or group not in cols:
            raise ParameterError(f"group={group!r} is not a column of data.")
        if group in items:
            raise ParameterError(f"group={group!r} is also an indicator of the model.")
        check_unique_column(data, group)
    use = items + ([group] if group else [])
    df = data[use]
    complete = df.notna().all(axis=1).to_numpy()
    n_drop = int((~complete).sum())
    if n_drop:
        warnings.warn(f"{n_drop} of {len(df)} respondents with missing values on the items"
                      + (" or the group" if group else "")
                      + " were dropped (listwise deletion, lavaan's default for WLSMV).",
                      DataQualityWarning, stacklevel=4)
        df = df.loc[complete]
    if len(df) == 0:
        raise DataValidationError("no respondent has complete answers on all items.")
    codes_all, levels, _ = _ordinal_codes(df, items, warn_dropped=False)
    if group is None:
        groups = ["all"]
        gidx = [np.arange(len(df))]
    else:
        labels = df[group].astype(str).to_numpy()
        # lavaan orders the groups by first appearance in the (complete) data
        groups = list(dict.fromkeys(labels.tolist()))
        if len(groups) < 2:
            raise DataValidationError(f"group={group!r} has only one value in the complete "
                                      "cases.")
        gidx = [np.flatnonzero(labels == g) for g in groups]
    p = len(items)
    out = []
    for g, idx in zip(groups, gidx):
        where = "" if group is None else f" in group {g!r}"
        need = max(p + 1, min_per_group or 0)
        if len(idx) < need:
            raise DataValidationError(f"too few respondents{where}: {len(idx)} complete, at "
                                      f"least {need} needed for {p} items.")
        c = codes_all[idx]
        for j, it in enumerate(items):
            used = np.unique(c[:, j])
            if len(used) < 2:
                raise DataValidationError(f"item {it!r} has no variance{where}.")
            if len(used) != len(levels[j]):
                missing = [_plain(levels[j][k]) for k in range(len(levels[j])) if k not in used]
                raise DataValidationError(
                    f"item {it!r}: category {missing} is never used{where}; with groups, "
                    "every category must occur in every group (collapse categories first).")
        if len(idx) < 5 * p:
            warnings.warn(f"only {len(idx)} respondents{where} for {p} items; WLSMV estimates "
                          "are unstable in small samples.", SmallSampleWarning, stacklevel=4)
        out.append(c)
    return out, levels, groups, items


# ========================================================================================
# the model
# ========================================================================================
def _renumber(pt: pd.DataFrame) -> pd.DataFrame:
    """Free indices from the rows' free flags and equality keys (order of rows), via the
    shared :func:`~evalkit.validation.model_syntax.number_free`."""
    keys = ["" if not r.is_free else (r.equal_key or f"row:{r.id}")
            for r in pt.itertuples(index=False)]
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


def _build_partable(parsed, n_groups, nth, *, level=None, partial=()):
    """Parameter table of an ordinal CFA (delta parameterisation).

    ``level=None``: lavaan's ``cfa(..., ordered=)`` defaults (marker loadings, free factor
    variances, intercepts 0, scales 1, factor means 0). ``level`` in
    :data:`INVARIANCE_LEVELS`: Wu & Estabrook (2016) with ``std.lv`` (measEq.syntax).
    """
    ge = () if level is None else LEVEL_GROUP_EQUAL[level]
    free_nu, partial = _intercept_partial(partial, parsed)
    if free_nu and level != "scalar":
        raise ParameterError("freeing item intercepts ('item~1') applies to the scalar level "
                             "only (at the other levels they are free in later groups).")
    if partial:
        raise ParameterError(
            "partial invariance for ordinal items frees item intercepts ('item~1') at the "
            f"scalar level; {list(partial)} is not supported (freeing thresholds or "
            "loadings needs the Wu & Estabrook re-identification per item).")
    pt = build_partable(parsed, n_groups=n_groups, meanstructure=True, group_equal=ge,
                        auto_fix_first=level is None, thresholds=nth)
    pt = pt.copy()
    pt["is_free"] = pt["free"] > 0
    observed = set(parsed.observed)
    latent = set(parsed.latent)
    rows = []
    for i, r in enumerate(pt.itertuples(index=False)):
        free, value = r.is_free, r.value
        later = r.group > 1
        if r.mat == "theta" and r.row == r.col:
            free, value = False, np.nan  # delta parameterisation: not a parameter
        elif r.mat == "nu" and r.lhs in observed:
            # scalar: intercepts equal (0 in every group) unless freed by partial
            free = bool(later and (level in ("thresholds", "thresholds_loadings")
                                   or (level == "scalar" and r.lhs in free_nu)))
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
    later_own = pt["is_free"] & (pt["group"] > 1) & (
        (pt["mat"] == "nu") | (pt["mat"] == "alpha")
        | ((pt["mat"] == "psi") & (pt["row"] == pt["col"])))
    pt.loc[later_own, "equal_key"] = ""
    # scaling factors (lavaan's ~*~)
    extra = []
    nid = int(pt["id"].max())
    oidx = {v: i for i, v in enumerate(parsed.observed)}
    for g in range(n_groups):
        for x in parsed.observed:
            nid += 1
            free = bool(g > 0 and level in _LATER_SCALES)
            extra.append(dict(id=nid, lhs=x, op="~*~", rhs=x, group=g + 1, free=0, label="",
                              value=np.nan if free else 1.0, user=0, mat="delta",
                              row=oidx[x], col=0, equal_key="", is_free=free))
    pt = pd.concat([pt, pd.DataFrame(extra)], ignore_index=True)
    del latent
    return _renumber(pt)


class _Model:
    """Moment structure (thresholds + polychoric correlations) on top of ModelSpec."""

    def __init__(self, pt, parsed, n_groups):
        from evalkit.methods.validation.factor import ModelSpec

        self.pt = pt
        self.spec = ModelSpec(pt, parsed.observed, parsed.latent, n_groups, True)
        self.p = len(parsed.observed)
        self.G = n_groups
        self.npar = self.spec.npar
        self.pairs = _pairs(self.p)
        self.pi = np.array([i for i, _ in self.pairs], dtype=int)
        self.pj = np.array([j for _, j in self.pairs], dtype=int)
        self._tau = []
        self._delta = []
        for g in range(n_groups):
            sub = pt.loc[pt["group"] == g + 1]
            t = sub.loc[sub["mat"] == "tau"].sort_values(["row", "col"])
            self._tau.append(dict(row=t["row"].to_numpy(int), free=t["free"].to_numpy(int) - 1,
                                  value=t["value"].to_numpy(float)))
            d = sub.loc[sub["mat"] == "delta"].sort_values("row")
            self._delta.append(dict(row=d["row"].to_numpy(int), free=d["free"].to_numpy(int) - 1,
                                    value=d["value"].to_numpy(float)))

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
                psi0[f] = scale ** 2
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
                theta[j] = float(s._th[spec.observed.index(item)][k])
            elif r.mat == "delta":
                theta[j] = 1.0
            else:
                theta[j] = 0.0
            set_[j] = True
        return theta


# ========================================================================================
# estimation and inference
# ========================================================================================
@dataclass
class _Fit:
    theta: np.ndarray
    fmin: float
    converged: bool
    iterations: int
    gmax: float


class _Problem:
    def __init__(self, model: _Model, stats):
        self.model = model
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

    def objective(self, theta):
        f = 0.0
        for g in range(self.model.G):
            e = self.s[g] - self.model.moments(theta, g)
            f += self.wf[g] * 0.5 * np.sum(self.W[g] * e * e)
        return f

    def grad_info(self, theta, info_weights=None):
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

    def fit(self, theta0, max_iter=300, tol=1e-10) -> _Fit:
        theta = theta0.copy()
        f = self.objective(theta)
        gmax = np.inf
        for it in range(1, max_iter + 1):
            g, H = self.grad_info(theta)
            gmax = float(np.max(np.abs(g)))
            if gmax < tol:
                return _Fit(theta, f, True, it, gmax)
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(H, g, rcond=None)[0]
            t = 1.0
            while t > 1e-10:
                new = theta - t * step
                fn = self.objective(new)
                if np.isfinite(fn) and fn <= f + 1e-14 * max(1.0, abs(f)):
                    break
                t *= 0.5
            else:
                res = optimize.minimize(self.objective, theta, jac=lambda x: self.grad_info(x)[0],
                                        method="BFGS", options={"gtol": tol, "maxiter": 500})
                if res.fun < f:
                    theta, f = res.x, float(res.fun)
                    continue
                break
            theta, f = new, fn
        g, _ = self.grad_info(theta)
        gmax = float(np.max(np.abs(g)))
        return _Fit(theta, f, gmax < 1e-6, max_iter, gmax)

    # stacked matrices (lavaan's multi-group weighting)
    def stacked(self, theta):
        D = np.vstack([self.model.jacobian(theta, g) for g in range(self.model.G)])
        V = np.concatenate([self.w[g] * self.W[g] for g in range(self.model.G)])
        Gam = linalg.block_diag(*[self.Gamma[g] / self.w[g] for g in range(self.model.G)])
        return D, V, Gam

    def vcov(self, theta):
        """Robust (sandwich) covariance ``A^-1 B A^-1 / (N - G)`` with ``A = D'VD`` and
        ``B = D'V Gamma V D`` (lavaan's ``se = "robust.sem"`` for categorical data, whose
        ``N - G`` follows from its ``(n_g - 1)/n_g`` objective)."""
        D, V, Gam = self.stacked(theta)
        VD = D * V[:, None]
        Ai = _inv(D.T @ VD)
        B = VD.T @ Gam @ VD
        return Ai @ B @ Ai / (self.N - self.model.G)

    def df(self):
        return int(sum(len(s) for s in self.s) - self.model.npar)

    def scaled_test(self, theta, T, df):
        D, V, Gam = self.stacked(theta)
        VD = D * V[:, None]
        A = D.T @ VD
        U = np.diag(V) - VD @ _inv(A) @ VD.T
        UG = U @ Gam
        tr1 = float(np.trace(UG))
        tr2 = float(np.sum(UG * UG.T))
        return _scaled_shifted(T, df, tr1, tr2)

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
        a, b, Ts = _scaled_shifted(T, df, tr1, tr2)
        return {"chi2": T, "df": df, "chi2_scaled": Ts, "a": a, "b": b}


def _scaled_shifted(T, df, tr1, tr2):
    if df <= 0 or tr2 <= 0:
        return np.nan, np.nan, np.nan
    a = math.sqrt(df / tr2)
    b = df - a * tr1
    return a, b, a * T + b


def _inv(a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise EstimationError("the information matrix is singular: the model is not "
                              "identified.") from None


def _rmsea(T, df, n_eff, G):
    if df <= 0 or not np.isfinite(T):
        return np.nan
    return math.sqrt(max((T / df - 1.0) / n_eff, 0.0)) * math.sqrt(G)


def _rmsea_ci(T, df, n_eff, G, level=0.90):
    if df <= 0 or not np.isfinite(T):
        return np.nan, np.nan
    lo_p, hi_p = (1 + level) / 2, (1 - level) / 2

    def f(lam, pr):
        return (stats.ncx2.cdf(T, df, lam) if lam > 0 else stats.chi2.cdf(T, df)) - pr

    lam_l = 0.0 if f(0.0, lo_p) < 0 else optimize.brentq(f, 0.0, max(T, 1.0), args=(lo_p,),
                                                          xtol=1e-12, rtol=1e-14)
    if f(0.0, hi_p) < 0:
        lam_u = 0.0
    else:
        hi = max(T, 1.0) * 4
        while f(hi, hi_p) > 0:
            hi *= 2
        lam_u = optimize.brentq(f, 0.0, hi, args=(hi_p,), xtol=1e-12, rtol=1e-14)
    return (math.sqrt(lam_l / (n_eff * df)) * math.sqrt(G),
            math.sqrt(lam_u / (n_eff * df)) * math.sqrt(G))


def _cfi(T, df, Tb, dfb):
    t1 = max(T - df, 0.0)
    t2 = max(T - df, Tb - dfb, 0.0)
    return 1.0 if t2 == 0 else 1.0 - t1 / t2


def _tli(T, df, Tb, dfb):
    if df <= 0 or dfb <= 0:
        return np.nan
    return (Tb / dfb - T / df) / (Tb / dfb - 1.0)


def _srmr(prob: _Problem, theta):
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


def _fit_statistics(prob: _Problem, fit: _Fit) -> pd.Series:
    T = 2.0 * prob.N * fit.fmin
    df = prob.df()
    a, b, Ts = prob.scaled_test(fit.theta, T, df)
    base = prob.baseline()
    G = prob.model.G
    n_eff = prob.N - G
    Tb, dfb, Tbs = base["chi2"], base["df"], base["chi2_scaled"]
    lo, hi = _rmsea_ci(T, df, n_eff, G)
    los, his = _rmsea_ci(Ts, df, n_eff, G) if np.isfinite(Ts) else (np.nan, np.nan)
    vals = dict(
        chi2=T, df=float(df), p_value=float(stats.chi2.sf(T, df)) if df > 0 else np.nan,
        cfi=_cfi(T, df, Tb, dfb), tli=_tli(T, df, Tb, dfb), rmsea=_rmsea(T, df, n_eff, G),
        rmsea_ci_lower=lo, rmsea_ci_upper=hi, srmr=_srmr(prob, fit.theta),
        chi2_scaled=Ts, df_scaled=float(df),
        p_value_scaled=float(stats.chi2.sf(Ts, df)) if df > 0 else np.nan,
        scaling_factor=1.0 / a if a else np.nan, shift=b,
        cfi_scaled=_cfi(Ts, df, Tbs, dfb), tli_scaled=_tli(Ts, df, Tbs, dfb),
        rmsea_scaled=_rmsea(Ts, df, n_eff, G), rmsea_ci_lower_scaled=los,
        rmsea_ci_upper_scaled=his, baseline_chi2=Tb, baseline_df=float(dfb),
        baseline_chi2_scaled=Tbs,
    )
    return pd.Series([vals[k] for k in WLSMV_FIT_NAMES], index=list(WLSMV_FIT_NAMES),
                     dtype=float, name="fit_indices")


# ========================================================================================
# results
# ========================================================================================
class WLSMVResult(Result):
    """Result of :func:`fit_wlsmv` (``cfa(..., estimator="WLSMV")``).

    Attributes
    ----------
    fit_indices : pandas.Series
        :data:`WLSMV_FIT_NAMES`: ``chi2, df, p_value, cfi, tli, rmsea, rmsea_ci_lower,
        rmsea_ci_upper, srmr`` (unscaled, as for ML) followed by ``chi2_scaled,
        df_scaled, p_value_scaled, scaling_factor, shift, cfi_scaled, tli_scaled,
        rmsea_scaled, rmsea_ci_lower_scaled, rmsea_ci_upper_scaled`` and the baseline.
    loadings : pandas.DataFrame
        ``factor, item, estimate, std_error, std_all, z, p_value`` (``group`` first with
        groups).
    parameters : pandas.DataFrame
        Every row of the parameter table: ``lhs, op, rhs, group, label, free, estimate,
        std_error, z, p_value, ci_lower, ci_upper, std_all`` (``~*~`` rows are the
        scaling factors; residual variances are derived, ``free = 0``).
    polychoric : list of PolychoricResult
        Sample statistics per group.
    level, group_partial
        The invariance level (:data:`INVARIANCE_LEVELS`; None for :func:`fit_wlsmv`)
        and the freed intercepts (lavaan ``group.partial``, e.g. ``("y07~1",)``).
    n, nobs, groups, converged, iterations, vcov
    """

    title = {"nl": "Confirmatieve factoranalyse (WLSMV, ordinale items)",
             "en": "Confirmatory factor analysis (WLSMV, ordinal items)"}

    def __init__(self, *, prob, fit, parsed, groups, group, model, level=None, partial=()):
        self._prob = prob
        self.group_partial = tuple(partial)  # lavaan group.partial (freed intercepts)
        self.theta = fit.theta
        self.fmin = fit.fmin
        self.converged = fit.converged
        self.iterations = fit.iterations
        self.parsed = parsed
        self.groups = groups
        self.group = group
        self.model = model
        self.level = level
        self.polychoric = prob.stats
        self.n = int(prob.N)
        self.nobs = dict(zip(groups, [int(x) for x in prob.n]))
        self.vcov = prob.vcov(fit.theta)
        self.fit_indices = _fit_statistics(prob, fit)
        self.parameters = self._parameter_table()
        neg = self.parameters.loc[(self.parameters["op"] == "~~")
                                  & (self.parameters["lhs"] == self.parameters["rhs"])
                                  & (self.parameters["estimate"] < 0)]
        if len(neg):
            warnings.warn("negative (residual) variance estimate(s): "
                          + ", ".join(f"{r.lhs}~~{r.rhs}" for r in neg.itertuples())
                          + "; the model may be misspecified.", DataQualityWarning,
                          stacklevel=3)

    @property
    def multigroup(self) -> bool:
        return len(self.groups) > 1

    def _parameter_table(self):
        model = self._prob.model
        pt = model.pt
        est = model.spec.values(self.theta)
        f = pt["free"].to_numpy() - 1
        se_free = np.sqrt(np.clip(np.diag(self.vcov), 0, None))
        se = np.where(f >= 0, se_free[np.maximum(f, 0)], np.nan)
        std = np.full(len(pt), np.nan)
        cache = {g: model.parts(self.theta, g) for g in range(model.G)}
        for i, r in enumerate(pt.itertuples(index=False)):
            g = r.group - 1
            S0, mu, tau, trow, delta, M = cache[g]
            L, P = M["lambda"], M["psi"]
            common = np.diag(L @ P @ L.T)
            var_ystar = 1.0 / delta ** 2  # model variance of y* (delta parameterisation)
            if r.mat == "theta" and r.row == r.col:
                est[i] = var_ystar[r.row] - common[r.row]
                std[i] = est[i] / var_ystar[r.row]
            elif r.mat == "theta":  # lavaan: residual covariance / residual SDs
                res_var = var_ystar - common
                den = res_var[r.row] * res_var[r.col]
                std[i] = est[i] / math.sqrt(den) if den > 0 else np.nan
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
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        pv = 2 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(0.975)
        out = pd.DataFrame({
            "lhs": pt["lhs"].astype(str).to_numpy(), "op": pt["op"].astype(str).to_numpy(),
            "rhs": pt["rhs"].astype(str).to_numpy(),
            "group": [self.groups[g - 1] for g in pt["group"]],
            "label": pt["label"].astype(str).to_numpy(), "free": pt["free"].to_numpy(),
            "estimate": est, "std_error": se, "z": np.where(f >= 0, z, np.nan),
            "p_value": np.where(f >= 0, pv, np.nan),
            "ci_lower": np.where(f >= 0, est - q * se, est),
            "ci_upper": np.where(f >= 0, est + q * se, est), "std_all": std})
        return out

    @property
    def loadings(self) -> pd.DataFrame:
        p = self.parameters.loc[self.parameters["op"] == "=~"]
        out = pd.DataFrame({"factor": p["lhs"].to_numpy(), "item": p["rhs"].to_numpy(),
                            "estimate": p["estimate"].to_numpy(),
                            "std_error": p["std_error"].to_numpy(),
                            "std_all": p["std_all"].to_numpy(), "z": p["z"].to_numpy(),
                            "p_value": p["p_value"].to_numpy()})
        if self.multigroup:
            out.insert(0, "group", p["group"].to_numpy())
        return out.reset_index(drop=True)

    @property
    def thresholds(self) -> pd.DataFrame:
        p = self.parameters.loc[self.parameters["op"] == "|"]
        cols = ["item", "threshold", "estimate", "std_error", "std_all"]
        out = pd.DataFrame({"item": p["lhs"].to_numpy(), "threshold": p["rhs"].to_numpy(),
                            "estimate": p["estimate"].to_numpy(),
                            "std_error": p["std_error"].to_numpy(),
                            "std_all": p["std_all"].to_numpy()}, columns=cols)
        if self.multigroup:
            out.insert(0, "group", p["group"].to_numpy())
        return out.reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """One row per free parameter (per group): ``term`` like ``agree=~A2``, ``A1|t1``."""
        p = self.parameters.loc[self.parameters["free"] > 0]
        rows = []
        for r in p.itertuples(index=False):
            rows.append(dict(term=f"{r.lhs}{r.op}{r.rhs}", estimate=r.estimate,
                             std_error=r.std_error, ci_lower=r.ci_lower, ci_upper=r.ci_upper,
                             p_value=r.p_value, n=self.nobs[r.group], lhs=r.lhs, op=r.op,
                             rhs=r.rhs, group=r.group, free=r.free, z=r.z, std_all=r.std_all))
        return tidy_frame(rows, extra=["lhs", "op", "rhs", "group", "free", "z", "std_all"])

    def summary(self, lang: str = "nl") -> str:
        check_lang(lang)
        fi = self.fit_indices
        nl = lang == "nl"
        f3 = lambda x: fmt_number(float(x), 3, lang)  # noqa: E731
        lines = [self.title[lang],
                 (f"Schatter: WLSMV (DWLS, robuuste SE's, scaled-shifted toets); n = {self.n}"
                  if nl else f"Estimator: WLSMV (DWLS, robust SEs, scaled-shifted test); "
                  f"n = {self.n}")
                 + ("" if not self.multigroup else "; " + ", ".join(
                     f"{g} (n = {n})" for g, n in self.nobs.items()))]
        if not self.converged:
            lines.append("LET OP: niet geconvergeerd." if nl else "WARNING: not converged.")
        lines.append(f"chi2({int(fi['df'])}) = {f3(fi['chi2'])}; "
                     + ("geschaald" if nl else "scaled")
                     + f" chi2 = {f3(fi['chi2_scaled'])}, p = {f3(fi['p_value_scaled'])}")
        lines.append(f"CFI = {f3(fi['cfi_scaled'])}; TLI = {f3(fi['tli_scaled'])}; RMSEA = "
                     f"{f3(fi['rmsea_scaled'])} ({'geschaald' if nl else 'scaled'}); "
                     f"SRMR = {f3(fi['srmr'])}")
        lines.append("")
        lines.append("Ladingen (gestandaardiseerd: std_all):" if nl
                     else "Loadings (standardised: std_all):")
        ld = self.loadings[[c for c in ("group", "factor", "item", "estimate", "std_error",
                                        "std_all") if c in self.loadings]]
        with pd.option_context("display.width", 120, "display.max_rows", 500):
            lines.append(ld.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
        return "\n".join(lines)

    def plot(self, ax=None, lang: str = "nl"):
        """Dot plot of the standardised loadings per item (coloured by factor or group;
        the shared :func:`evalkit.validation.factor.plot_loadings`)."""
        return plot_loadings(self.loadings, multigroup=self.multigroup, ax=ax, lang=lang,
                             title=self.title[check_lang(lang)])


# ========================================================================================
# public functions
# ========================================================================================
def _fit_level(codes_g, levels, groups, items, parsed, level, partial):
    nth = {it: len(lv) - 1 for it, lv in zip(items, levels)}
    stats_ = [_polychoric_codes(c, items, levels) for c in codes_g]
    return _fit_stats(stats_, nth, groups, parsed, level, partial)


def _fit_stats(stats_, nth, groups, parsed, level, partial):
    """Fit one model (``level``, ``partial``) to per-group polychoric statistics."""
    pt = _build_partable(parsed, len(groups), nth, level=level, partial=partial)
    model = _Model(pt, parsed, len(groups))
    prob = _Problem(model, stats_)
    if prob.df() < 0:
        raise EstimationError(f"the model has more free parameters ({model.npar}) than "
                              "sample statistics: it is not identified.")
    with single_thread_blas():
        fit = prob.fit(model.start(stats_))
    if not fit.converged:
        warnings.warn(f"WLSMV did not converge (largest gradient {fit.gmax:.2e}).",
                      ConvergenceWarning, stacklevel=3)
    return prob, fit


def fit_wlsmv(data: pd.DataFrame, model: str, *, group: str | None = None, equal=(),
              partial=()) -> WLSMVResult:
    r"""CFA of ordinal items by WLSMV with lavaan's defaults (``estimator="WLSMV"``).

    Equivalent to ``lavaan::cfa(model, data, ordered = <all indicators>,
    estimator = "WLSMV")``: polychoric correlations and thresholds (two-step), DWLS with
    ``W = diag(NACOV)^-1``, delta parameterisation, marker-variable identification (first
    loading 1), robust standard errors and the scaled-shifted test statistic. See the
    module docstring for the formulas.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent; the indicators hold ordered category codes.
    model : str
        lavaan-style syntax (``f =~ y1 + y2 + y3``; see
        :mod:`evalkit.validation.model_syntax`).
    group : str, optional
        Multi-group model without equality constraints (each group its own thresholds,
        loadings and factor (co)variances). For ordinal invariance use
        :func:`invariance_wlsmv`.
    equal, partial
        Not supported for WLSMV here (use :func:`invariance_wlsmv`); must be empty.

    Returns
    -------
    WLSMVResult
        ``fit_indices`` (:data:`WLSMV_FIT_NAMES`), ``loadings`` (with ``std_all``),
        ``thresholds``, ``parameters``, ``polychoric``, ``tidy()``, ``summary()``, ``plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 1))
    >>> y = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(400, 4))
    >>> df = pd.DataFrame(np.digitize(y, [-0.5, 0.6]), columns=list("abcd"))
    >>> res = fit_wlsmv(df, "f =~ a + b + c + d")
    >>> "chi2_scaled" in res.fit_indices
    True
    """
    if isinstance(equal, str):
        equal = (equal,)
    if tuple(equal or ()) or tuple(partial or ()):
        raise ParameterError("equal=/partial= are not supported with estimator='WLSMV'; use "
                             "invariance(..., estimator='WLSMV') (Wu & Estabrook 2016).")
    parsed = parse_model(model)
    codes_g, levels, groups, items = _prepare(data, parsed, group)
    prob, fit = _fit_level(codes_g, levels, groups, items, parsed, None, ())
    with single_thread_blas():
        return WLSMVResult(prob=prob, fit=fit, parsed=parsed, groups=groups, group=group,
                           model=model)


def scaled_difference_test(restricted: WLSMVResult, general: WLSMVResult) -> dict:
    """Scaled-shifted chi-square difference test (Satorra 2000), lavaan's ``lavTestLRT``
    default for WLSMV (``method = "satorra.2000"``, ``A.method = "delta"``).

    Returns a dict with ``delta_chi2`` (scaled-shifted difference), ``delta_df``,
    ``p_value``, ``delta_chi2_unscaled``, ``a`` and ``b``.
    """
    if not isinstance(restricted, WLSMVResult) or not isinstance(general, WLSMVResult):
        raise ParameterError("restricted and general must both be WLSMV results (fit_wlsmv / "
                             "cfa(..., estimator='WLSMV')), got "
                             f"{type(restricted).__name__} and {type(general).__name__}.")
    p1, p0 = general._prob, restricted._prob
    T1, T0 = general.fit_indices["chi2"], restricted.fit_indices["chi2"]
    m = int(round(restricted.fit_indices["df"] - general.fit_indices["df"]))
    d_unscaled = T0 - T1
    if m <= 0:
        return dict(delta_chi2=np.nan, delta_df=float(m), p_value=np.nan,
                    delta_chi2_unscaled=d_unscaled, a=np.nan, b=np.nan)
    D1, V, Gam = p1.stacked(general.theta)
    D0, _, _ = p0.stacked(restricted.theta)
    H = np.linalg.solve(D1.T @ D1, D1.T @ D0)  # npar1 x npar0
    # orthogonal complement of the column space of H
    u, s, _ = np.linalg.svd(H, full_matrices=True)
    rank = int(np.sum(s > s.max() * 1e-10)) if s.size else 0
    A = u[:, rank:].T  # (npar1 - rank) x npar1
    VD = D1 * V[:, None]
    P = _inv(D1.T @ VD)
    APA = A @ P @ A.T
    U = VD @ P @ A.T @ np.linalg.solve(APA, A @ P @ VD.T)
    UG = U @ Gam
    tr1 = float(np.trace(UG))
    tr2 = float(np.sum(UG * UG.T))
    a, b, Td = _scaled_shifted(d_unscaled, m, tr1, tr2)
    return dict(delta_chi2=Td, delta_df=float(m), p_value=float(stats.chi2.sf(Td, m)),
                delta_chi2_unscaled=d_unscaled, a=a, b=b)


def _level_row(fit: WLSMVResult, prev: WLSMVResult | None) -> dict:
    """One row of the ordinal invariance table: scaled fit of ``fit`` and the
    scaled-shifted difference test against ``prev``."""
    fi = fit.fit_indices
    row = dict(chi2=fi["chi2_scaled"], df=fi["df"], cfi=fi["cfi_scaled"],
               tli=fi["tli_scaled"], rmsea=fi["rmsea_scaled"], srmr=fi["srmr"],
               delta_chi2=np.nan, delta_df=np.nan, p_value=np.nan, delta_cfi=np.nan,
               delta_rmsea=np.nan, chi2_unscaled=fi["chi2"], cfi_unscaled=fi["cfi"],
               rmsea_unscaled=fi["rmsea"])
    if prev is not None:
        with single_thread_blas():
            d = scaled_difference_test(fit, prev)
        pf = prev.fit_indices
        row.update(delta_chi2=d["delta_chi2"], delta_df=d["delta_df"],
                   p_value=d["p_value"], delta_cfi=fi["cfi_scaled"] - pf["cfi_scaled"],
                   delta_rmsea=fi["rmsea_scaled"] - pf["rmsea_scaled"])
    return row


def _decisions(row, alpha):
    """Decision columns as in the table (NaN tests count as not rejected)."""
    return dict(lrt_invariant=not (row["p_value"] < alpha),
                cfi_invariant=not (row["delta_cfi"] <= DELTA_CFI_CUTOFF),
                rmsea_invariant=not (row["delta_rmsea"] >= DELTA_RMSEA_CUTOFF))


def _level_table(fits: dict, alpha: float) -> pd.DataFrame:
    rows, prev = [], None
    for lev, fit in fits.items():
        rows.append(_level_row(fit, prev))
        prev = fit
    table = pd.DataFrame(rows, index=pd.Index(list(fits), name="level"))
    table["lrt_invariant"] = ~(table["p_value"] < alpha)
    table["cfi_invariant"] = ~(table["delta_cfi"] <= DELTA_CFI_CUTOFF)
    table["rmsea_invariant"] = ~(table["delta_rmsea"] >= DELTA_RMSEA_CUTOFF)
    return table


class OrdinalInvarianceResult(Result):
    """Ordinal measurement invariance (Wu & Estabrook 2016) with WLSMV.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed ``configural, thresholds, thresholds_loadings, scalar`` with columns
        ``chi2, df, cfi, tli, rmsea, srmr, delta_chi2, delta_df, p_value, delta_cfi,
        delta_rmsea`` (the fit indices and ``delta_cfi``/``delta_rmsea`` are the *scaled*
        ones, as reported for WLSMV; ``delta_chi2`` is the scaled-shifted difference test
        of Satorra 2000 against the previous level), plus ``chi2_unscaled,
        cfi_unscaled, rmsea_unscaled`` and the decisions ``lrt_invariant,
        cfi_invariant, rmsea_invariant``.
    fits : dict of WLSMVResult
    """

    title = {"nl": "Meetinvariantie, ordinale items (Wu & Estabrook, WLSMV)",
             "en": "Measurement invariance, ordinal items (Wu & Estabrook, WLSMV)"}

    def __init__(self, table, fits, *, group, alpha):
        self.table = table
        self.fits = fits
        self.group = group
        self.alpha = alpha

    def tidy(self) -> pd.DataFrame:
        rows = []
        for lev, r in self.table.iterrows():
            rows.append(dict(term=lev, estimate=r["delta_chi2"], p_value=r["p_value"],
                             n=self.fits[lev].n, chi2=r["chi2"], df=r["df"], cfi=r["cfi"],
                             tli=r["tli"], rmsea=r["rmsea"], srmr=r["srmr"],
                             delta_df=r["delta_df"], delta_cfi=r["delta_cfi"],
                             delta_rmsea=r["delta_rmsea"]))
        return tidy_frame(rows, extra=["chi2", "df", "cfi", "tli", "rmsea", "srmr",
                                       "delta_df", "delta_cfi", "delta_rmsea"])

    def summary(self, lang: str = "nl") -> str:
        check_lang(lang)
        head = {"nl": f"{self.title['nl']}, groepen naar {self.group}. Fitmaten geschaald; "
                      "verschiltoets: scaled-shifted (Satorra 2000).",
                "en": f"{self.title['en']}, groups by {self.group}. Scaled fit indices; "
                      "difference test: scaled-shifted (Satorra 2000)."}[lang]
        cols = ["chi2", "df", "cfi", "tli", "rmsea", "srmr", "delta_chi2", "delta_df",
                "p_value", "delta_cfi", "delta_rmsea"]
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            tab = self.table[cols].round(4).to_string()
        out = f"{head}\n\n{tab}"
        if "scalar" in self.table.index:
            r = self.table.loc["scalar"]
            if not (r["lrt_invariant"] and r["cfi_invariant"] and r["rmsea_invariant"]):
                out += ("\n\nScalaire invariantie (gelijke intercepten) verworpen: gemiddelde "
                        "scores zijn niet zonder meer te vergelijken; partial() zoekt de items "
                        "die het verschil veroorzaken (uniforme DIF)." if lang == "nl" else
                        "\n\nScalar invariance (equal intercepts) rejected: mean scores cannot "
                        "simply be compared; partial() finds the items that cause the "
                        "difference (uniform DIF).")
        return out

    # ---------------------------------------------------------------------------------
    def _check_partial_level(self, level: str, what: str) -> None:
        if not isinstance(level, str) or level not in INVARIANCE_LEVELS[1:]:
            check_option("level", level, INVARIANCE_LEVELS[1:])
        if level != "scalar":
            raise ParameterError(
                f"{what} for ordinal items (WLSMV) is available for level='scalar' only "
                f"(freeing one item's intercept); level={level!r} is not supported yet: "
                "freeing thresholds or loadings needs the Wu & Estabrook (2016) "
                "re-identification per item.")
        missing = [lv for lv in ("thresholds_loadings", "scalar") if lv not in self.fits]
        if missing:
            raise ParameterError(f"{what} needs the levels {missing}; fit them with "
                                 "invariance_wlsmv(..., levels=...) including them.")

    def score_tests(self, level: str = "scalar") -> pd.DataFrame:
        """Score (Lagrange multiplier) tests for freeing each item's intercept (scalar level).

        For item ``i`` the test of releasing ``nu_i = 0`` in every group after the first
        (lavaan ``group.partial = "i~1"``), evaluated at the scalar estimates: with ``g``
        the gradient of the DWLS discrepancy and ``I = sum_g (n_g/N) D_g'W_g D_g`` its
        expected information in the model with those intercepts free,
        ``X2 = N g' I^-1 g`` on ``G - 1`` df. For two groups this equals lavaan's
        ``modindices()`` for ``i ~ 1`` (the modification index), for more groups
        ``lavTestScore(release = ...)`` of the ``nu == 0`` constraints.

        Returns
        -------
        pandas.DataFrame
            One row per item: ``item, partial ("i~1"), x2, df, p_value, epc`` (``epc``: the
            expected change of the intercept in the second group), sorted by item order.
        """
        self._check_partial_level(level, "score_tests()")
        return _intercept_score_tests(self.fits["scalar"])

    def partial(self, level: str = "scalar", *, criterion: str = "lrt",
                max_free: int = 3):
        """Partial scalar invariance: free item intercepts one at a time (Byrne et al. 1989).

        At each step the intercept (``nu_i``, lavaan ``group.partial = "i~1"``: free in
        every group after the first, thresholds, loadings and the other intercepts kept
        equal) with the largest score test (:meth:`score_tests`) is freed and the model
        refitted, until the scalar level no longer fails against ``thresholds_loadings``
        by ``criterion`` (``"lrt"``: scaled-shifted difference test p >= alpha;
        ``"cfi"``: delta CFI > -0.01; ``"rmsea"``: delta RMSEA < 0.015; ``"cfi+rmsea"``:
        both; scaled indices), or after ``max_free`` items. A uniform threshold shift of
        an item (uniform DIF) is a difference of its intercept.

        Returns
        -------
        evalkit.validation.measurement_invariance.PartialInvarianceResult
            ``freed`` (e.g. ``["y07~1"]``), ``steps`` (score test and refit per step),
            ``fit`` (the final WLSMVResult), ``table`` (the ordinal table with the partial
            model as ``scalar``).
        """
        from evalkit.core.checks import check_positive_int
        from evalkit.methods.validation.measurement_invariance import PartialInvarianceResult, _fails

        self._check_partial_level(level, "partial()")
        check_option("criterion", criterion, ("lrt", "cfi", "rmsea", "cfi+rmsea"))
        max_free = check_positive_int(max_free, "max_free")
        prev = self.fits["thresholds_loadings"]
        fit = self.fits["scalar"]
        row = {**_level_row(fit, prev)}
        row.update(_decisions(row, self.alpha))
        freed: list[str] = []
        steps = []
        while _fails(row, criterion) and len(freed) < max_free:
            sc = _intercept_score_tests(fit)
            sc = sc.loc[~sc["partial"].isin(freed)]
            if sc.empty:
                break
            best = sc.loc[sc["x2"].idxmax()]
            freed.append(str(best["partial"]))
            fit = _refit(fit, level, tuple(freed))
            row = _level_row(fit, prev)
            row.update(_decisions(row, self.alpha))
            steps.append(dict(step=len(freed), freed=freed[-1], score_x2=float(best["x2"]),
                              score_df=float(best["df"]), score_p_value=float(best["p_value"]),
                              **{k: row[k] for k in _TABLE_COLUMNS + _DECISION_COLUMNS}))
        if _fails(row, criterion):
            warnings.warn(
                f"{level} invariance still fails ({criterion}) after freeing {len(freed)} "
                "intercept(s); consider that the construct is not comparable across groups.",
                UserWarning, stacklevel=2)
        fits = dict(self.fits)
        fits[level] = fit
        cols = ["step", "freed", "score_x2", "score_df", "score_p_value"] + _TABLE_COLUMNS \
            + _DECISION_COLUMNS
        steps_df = pd.DataFrame(steps, columns=cols)
        for c in _DECISION_COLUMNS:
            steps_df[c] = steps_df[c].astype("boolean")
        return PartialInvarianceResult(level=level, freed=freed, steps=steps_df, fit=fit,
                                       table=_level_table(fits, self.alpha),
                                       n=fit.n, criterion=criterion)


_TABLE_COLUMNS = ["chi2", "df", "cfi", "tli", "rmsea", "srmr", "delta_chi2", "delta_df",
                  "p_value", "delta_cfi", "delta_rmsea"]
_DECISION_COLUMNS = ["lrt_invariant", "cfi_invariant", "rmsea_invariant"]
#: Cheung & Rensvold (2002) / Chen (2007), as for ML
DELTA_CFI_CUTOFF = -0.01
DELTA_RMSEA_CUTOFF = 0.015


def _refit(fit: WLSMVResult, level: str, partial: tuple[str, ...]) -> WLSMVResult:
    """Refit ``fit``'s model at ``level`` with ``partial`` on the same sample statistics."""
    stats_ = fit._prob.stats
    nth = {it: len(s) for it, s in zip(fit.parsed.observed, stats_[0]._th)}
    prob, f = _fit_stats(stats_, nth, fit.groups, fit.parsed, level, partial)
    with single_thread_blas():
        return WLSMVResult(prob=prob, fit=f, parsed=fit.parsed, groups=fit.groups,
                           group=fit.group, model=fit.model, level=level, partial=partial)


def _intercept_score_tests(fit: WLSMVResult) -> pd.DataFrame:
    """Score tests of freeing each item's intercept (groups 2..G) in a scalar-level fit."""
    prob0 = fit._prob
    pt0 = prob0.model.pt
    vals0 = prob0.model.spec.values(fit.theta)
    key0 = dict(zip(zip(pt0["lhs"], pt0["op"], pt0["rhs"], pt0["group"]), vals0))
    nth = {it: len(s) for it, s in zip(fit.parsed.observed, prob0.stats[0]._th)}
    already = set(fit.group_partial)
    rows = []
    G = len(fit.groups)
    with single_thread_blas():
        for item in fit.parsed.observed:
            name = f"{item}~1"
            if name in already:
                continue
            pt = _build_partable(fit.parsed, G, nth, level="scalar",
                                 partial=tuple(already) + (name,))
            model = _Model(pt, fit.parsed, G)
            prob = _Problem(model, prob0.stats)
            theta = np.zeros(model.npar)
            fr = pt["free"].to_numpy()
            for i, r in enumerate(pt.itertuples(index=False)):
                if fr[i] > 0:
                    theta[fr[i] - 1] = key0[(r.lhs, r.op, r.rhs, r.group)]
            # as lavaan's score tests for DWLS: the gradient of the objective (weights
            # (n_g - 1)/N) with the unit expected information sum_g (n_g/N) D'WD
            # (checked against modindices / lavTestScore)
            g, info = prob.grad_info(theta, info_weights=prob.w)
            x = np.linalg.lstsq(info, g, rcond=None)[0]
            x2 = float(prob.N * g @ x)
            new = [fr[i] - 1 for i, r in enumerate(pt.itertuples(index=False))
                   if r.mat == "nu" and r.lhs == item and r.group > 1]
            epc = float(-x[new[0]]) if new else np.nan
            df = float(G - 1)
            rows.append(dict(item=item, partial=name, x2=x2, df=df,
                             p_value=float(stats.chi2.sf(x2, df)), epc=epc))
    return pd.DataFrame(rows, columns=["item", "partial", "x2", "df", "p_value", "epc"])


def invariance_wlsmv(data: pd.DataFrame, model: str, *, group: str, alpha: float = 0.05,
                     levels: Sequence[str] = INVARIANCE_LEVELS) -> OrdinalInvarianceResult:
    """Ordinal measurement invariance (WLSMV): configural, equal thresholds, equal
    thresholds and loadings, and scalar (equal intercepts too).

    Follows Wu & Estabrook (2016) as ``semTools::measEq.syntax(..., ID.fac = "std.lv",
    ID.cat = "Wu.Estabrook.2016", parameterization = "delta", group.equal = ...)`` writes
    the models, fitted with ``lavaan::cfa(..., estimator = "WLSMV")``, and compares each
    level with the previous one as ``lavTestLRT`` does for WLSMV (scaled-shifted
    difference, Satorra 2000). Levels and their ``group.equal``: ``configural`` (none),
    ``thresholds`` (``"thresholds"``), ``thresholds_loadings`` (``"thresholds",
    "loadings"``), ``scalar`` (``"thresholds", "loadings", "intercepts"``: item
    intercepts 0 in every group, factor means free after the first group). Only the
    scalar level detects a uniform threshold shift of one item (uniform DIF): at the
    earlier levels the item intercepts are free in the later groups and absorb it.

    Parameters
    ----------
    data : pandas.DataFrame
    model : str
        lavaan-style syntax; the identification is replaced by ``std.lv`` (factor
        variances 1; all loadings free).
    group : str
        Column with the groups; every category of every item must occur in every group.
    alpha : float
        Level of the difference tests (``lrt_invariant``).
    levels : sequence of str
        Subset of :data:`INVARIANCE_LEVELS` (in that order).

    Returns
    -------
    OrdinalInvarianceResult
        ``table``, ``fits``; ``score_tests()`` and ``partial()`` for partial scalar
        invariance (freeing item intercepts).

    Notes
    -----
    With three-category items the equal-thresholds model is equivalent to the configural
    model (Wu & Estabrook 2016, same df and fit): the difference test then has 0 df and
    is reported as NaN. Decisions: ``delta_cfi <= -0.01`` (Cheung & Rensvold 2002) and
    ``delta_rmsea >= 0.015`` (Chen 2007) flag non-invariance.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(800, 1))
    >>> y = f @ np.full((1, 4), 0.7) + rng.normal(scale=0.7, size=(800, 4))
    >>> df = pd.DataFrame(np.digitize(y, [-0.8, 0.0, 0.8]), columns=list("abcd"))
    >>> df["g"] = np.where(rng.uniform(size=800) < 0.5, "x", "y")
    >>> inv = invariance_wlsmv(df, "f =~ a + b + c + d", group="g")
    >>> list(inv.table.index)
    ['configural', 'thresholds', 'thresholds_loadings', 'scalar']
    """
    if isinstance(levels, str):
        levels = [levels]
    elif isinstance(levels, (list, tuple, pd.Index)):
        levels = list(levels)
    else:
        raise ParameterError(f"levels must be a list of invariance levels, got {levels!r}.")
    if not levels:
        raise ParameterError(f"levels must name at least one of {INVARIANCE_LEVELS}.")
    for lev in levels:
        check_option("levels", lev, INVARIANCE_LEVELS)
    if levels != [lv for lv in INVARIANCE_LEVELS if lv in levels]:
        raise ParameterError(f"levels must be in the order {INVARIANCE_LEVELS}.")
    if not isinstance(group, str):
        raise ParameterError("group must name one column of data.")
    if (isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, (int, float, np.number))
            or not 0 < alpha < 1):
        raise ParameterError(f"alpha must lie strictly between 0 and 1, got {alpha!r}.")
    parsed = parse_model(model)
    codes_g, cats, groups, items = _prepare(data, parsed, group)
    # the sample statistics (polychorics, NACOV) are computed once for all levels
    stats_ = [_polychoric_codes(c, items, cats) for c in codes_g]
    nth = {it: len(lv) - 1 for it, lv in zip(items, cats)}
    fits = {}
    for lev in levels:
        prob, fit = _fit_stats(stats_, nth, groups, parsed, lev, ())
        with single_thread_blas():
            fits[lev] = WLSMVResult(prob=prob, fit=fit, parsed=parsed, groups=groups,
                                    group=group, model=model, level=lev)
    table = _level_table(fits, alpha)
    return OrdinalInvarianceResult(table, fits, group=group, alpha=alpha)
