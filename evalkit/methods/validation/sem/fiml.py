"""Full-information maximum likelihood (lavaan's ``missing = "ml"``) in the SEM engine.

Every respondent with at least one answer contributes the likelihood of the answers he
gave. Respondents are grouped by their pattern of missing answers; for a pattern with
observed items ``o``, ``n_p`` respondents, observed means ``ybar_p`` and covariances
``S_p`` (divisor ``n_p``) the discrepancy is

.. math:: F = \\frac{1}{N}\\sum_g\\sum_p \\frac{n_p}{2}\\left[\\log|\\Sigma_{oo}|
          + \\mathrm{tr}\\,\\Sigma_{oo}^{-1}\\{S_p + (\\bar y_p - \\mu_o)(\\bar y_p - \\mu_o)'\\}\\right]

(minus the log-likelihood per respondent, up to a constant), so that the test statistic is
``T = 2 N (F - F_1)`` with ``F_1`` the saturated (h1) model: means and covariances
estimated by EM (Dempster, Laird & Rubin 1977) and polished by Fisher scoring. The
baseline model (free means and variances, no covariances) has its estimates in closed
form (each item's mean and variance over the respondents who answered it). A mean
structure is always part of the model, as in lavaan.

Standard errors (ML): the inverse of the observed information (lavaan's default for
``missing = "ml"``). MLR adds the sandwich with casewise scores of the observed-data
log-likelihood and the Yuan-Bentler scaled test, whose saturated-model trace is computed
the same way on the h1 estimates (see :mod:`~evalkit.methods.validation.sem.mlr`).
The robust CFI, TLI and RMSEA (ML and MLR) are Zhang & Savalei's (2020) FIML-corrected
indices (:func:`fiml_robust_indices`), computed as lavaan 0.6-14 does from its h1 (EM)
moments.

References: Arbuckle, J. L. (1996). Full information estimation in the presence of
incomplete data. Enders, C. K. (2010). *Applied missing data analysis*. Yuan, K.-H., &
Bentler, P. M. (2000). *Sociological Methodology*, 30, 165-200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.core.errors import DataValidationError
from evalkit.methods.validation.sem.common import (
    independence_spec,
    inverse_pd,
    numeric_hessian,
    robust_trace,
    saturated_spec,
    saturated_theta,
    srmr_bentler,
    standardized_solution,
)
from evalkit.methods.validation.sem.fit_measures import (
    all_fit_indices,
    cfi,
    fit_indices,
    rmsea,
    rmsea_ci,
    tli,
    yuan_bentler_indices,
)
from evalkit.methods.validation.sem.model import ModelSpec, SampleStats
from evalkit.methods.validation.sem.optimize import OptimizerSettings, fit_model

__all__ = ["Pattern", "Block", "missing_stats", "FIMLProblem", "FIMLRobustProblem", "em_moments"]


@dataclass
class Pattern:
    """Respondents of one group with the same observed items."""

    obs: np.ndarray  # indices of the observed items
    rows: np.ndarray  # row numbers in the group's data
    n: int
    mean: np.ndarray  # observed means (divisor n)
    cov: np.ndarray  # observed covariances (divisor n)


def _patterns(x: np.ndarray) -> list[Pattern]:
    seen = ~np.isnan(x)
    keys, inverse = np.unique(seen, axis=0, return_inverse=True)
    out = []
    for k, key in enumerate(keys):
        rows = np.flatnonzero(inverse.ravel() == k)
        obs = np.flatnonzero(key)
        y = x[np.ix_(rows, obs)]
        m = y.mean(axis=0)
        d = y - m
        out.append(Pattern(obs, rows, len(rows), m, d.T @ d / len(rows)))
    return out


@dataclass
class Block:
    """The patterns of a group with the same number of observed items, stacked."""

    obs: np.ndarray  # m x po item indices
    n: np.ndarray  # m respondents per pattern
    mean: np.ndarray  # m x po
    cov: np.ndarray  # m x po x po

    @classmethod
    def stack(cls, pats: list[Pattern]) -> list[Block]:
        by: dict[int, list[Pattern]] = {}
        for pt in pats:
            by.setdefault(len(pt.obs), []).append(pt)
        return [
            cls(
                np.array([q.obs for q in ps]),
                np.array([q.n for q in ps], dtype=float),
                np.array([q.mean for q in ps]),
                np.array([q.cov for q in ps]),
            )
            for ps in by.values()
        ]

    def parts(self, sigma: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``Sigma_oo^-1``, ``d = ybar - mu_o`` and ``C = S + d d'`` of every pattern."""
        o = self.obs
        s = sigma[o[:, :, None], o[:, None, :]]
        d = self.mean - mu[o]
        return np.linalg.inv(s), d, self.cov + d[:, :, None] * d[:, None, :]


def _pattern_f(blocks: list[Block], sigma: np.ndarray, mu: np.ndarray) -> float:
    """``sum_p n_p/2 [log|Sigma_oo| + tr(Sigma_oo^-1 C_p)]``; inf if not positive definite."""
    f = 0.0
    for b in blocks:
        o = b.obs
        sign, logdet = np.linalg.slogdet(sigma[o[:, :, None], o[:, None, :]])
        if np.any(sign <= 0):
            return np.inf
        sinv, d, C = b.parts(sigma, mu)
        f += 0.5 * float(b.n @ (logdet + np.einsum("mij,mji->m", sinv, C)))
    return f


def em_moments(
    x: np.ndarray,
    pats: list[Pattern],
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Saturated means and covariances by EM, started as lavaan (available-case means and
    variances, zero covariances) or at ``start``; stops as lavaan when no mean or
    covariance moves by ``tol`` or more (lavaan's ``em.h1.tol`` is 1e-5)."""
    n, p = x.shape
    if start is None:
        mu = np.nanmean(x, axis=0)
        var = np.nanmean((x - mu) ** 2, axis=0)
        sigma = np.diag(np.where(np.isfinite(var) & (var > 0), var, 1.0))
    else:
        mu, sigma = start
    for _ in range(max_iter):
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pt in pats:
            o = pt.obs
            m = np.setdiff1d(np.arange(p), o)
            if len(m) == 0:
                T1 += pt.n * pt.mean
                T2 += pt.n * (pt.cov + np.outer(pt.mean, pt.mean))
                continue
            soo_inv = np.linalg.inv(sigma[np.ix_(o, o)])
            B = sigma[np.ix_(m, o)] @ soo_inv  # regression of missing on observed
            cond = sigma[np.ix_(m, m)] - B @ sigma[np.ix_(o, m)]
            ey_m = mu[m] + B @ (pt.mean - mu[o])  # mean of the conditional means
            full_mean = np.empty(p)
            full_mean[o], full_mean[m] = pt.mean, ey_m
            # sum over respondents of E[y y'] = n (cov of E[y] + mean mean') + n cond (missing block)
            cov_e = np.zeros((p, p))
            cov_e[np.ix_(o, o)] = pt.cov
            cov_e[np.ix_(m, o)] = B @ pt.cov
            cov_e[np.ix_(o, m)] = pt.cov @ B.T
            cov_e[np.ix_(m, m)] = B @ pt.cov @ B.T + cond
            T1 += pt.n * full_mean
            T2 += pt.n * (cov_e + np.outer(full_mean, full_mean))
        new_mu = T1 / n
        new_sigma = T2 / n - np.outer(new_mu, new_mu)
        delta = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, (new_sigma + new_sigma.T) / 2
        if delta < tol:
            break
    return mu, sigma


def missing_stats(x_groups: list[np.ndarray], observed: list[str], groups: list[str]) -> SampleStats:
    """Sample statistics for FIML: patterns per group (``extra["patterns"]``) and the h1
    (saturated) means and covariances as ``mean``/``cov`` (EM, then Fisher scoring)."""
    pats = [_patterns(x) for x in x_groups]
    covs, means, em_h1 = [], [], []
    for x, pt in zip(x_groups, pats):
        # lavaan's h1 moments stop at em.h1.tol = 1e-5: kept for the FIML-corrected robust
        # indices, which lavaan computes from them (continuing the same EM run to 1e-6)
        lav = em_moments(x, pt, tol=1e-5)
        em_h1.append(lav)
        mu, sigma = em_moments(x, pt, tol=1e-6, start=lav)
        means.append(mu)
        covs.append(sigma)
    st = SampleStats(
        list(observed),
        list(groups),
        [len(x) for x in x_groups],
        covs,
        means,
        extra={"patterns": pats, "blocks": [Block.stack(p) for p in pats], "em_h1": em_h1},
        raw=list(x_groups),
    )
    # polish the EM solution: Fisher scoring on the saturated model
    sat = saturated_spec(list(observed), len(groups))
    prob = FIMLProblem(sat, st)
    state = fit_model(prob, saturated_theta(sat, st))
    for g in range(len(groups)):
        M = sat.matrices(state.theta, g)
        covs[g], means[g] = M["theta"], M["nu"]
    st.extra["f_h1"] = prob.objective(state.theta)
    st.extra["theta_h1"] = state.theta
    return st


class FIMLProblem:
    """The FIML discrepancy of one model on the missing-data patterns of ``stats``."""

    def __init__(self, spec: ModelSpec, stats: SampleStats, estimator: object | None = None):
        if not spec.meanstructure:
            raise DataValidationError("FIML needs a mean structure.")
        self.spec = spec
        self.stats = stats
        self.estimator = estimator
        self.pats: list[list[Pattern]] = stats.extra["patterns"]
        self.blocks: list[list[Block]] = stats.extra["blocks"]
        self.settings = OptimizerSettings(tol=1e-9, max_iter=500)

    #: lavaan's version of the FIML-corrected robust indices: "V6" without a scaled test (ML)
    corrected_version = "V6"

    @property
    def nobs(self) -> list[int]:
        return list(self.stats.nobs)

    @property
    def n_total(self) -> int:
        return self.stats.ntotal

    def df(self) -> int:
        return int(self.spec.n_moments() - self.spec.npar)

    def start(self) -> np.ndarray:
        return self.spec.start(self.stats)

    def objective(self, theta: np.ndarray) -> float:
        f = 0.0
        for g, (sigma, mu) in enumerate(self.spec.implied(theta)):
            fg = _pattern_f(self.blocks[g], sigma, mu)
            if not np.isfinite(fg):
                return np.inf
            f += fg
        return f / self.stats.ntotal

    def _moment_derivatives(
        self, sigma: np.ndarray, mu: np.ndarray, blocks: list[Block], info: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Derivatives of ``sum_p n_p/2 [...]`` with respect to ``Sigma`` (p x p, as a
        symmetric matrix) and ``mu``, and (``info``) the expected information in
        ``(vec Sigma, mu)``: everything is accumulated over the patterns in the space of the
        saturated moments, so that the cost per step hardly depends on the model."""
        p = len(mu)
        G = np.zeros((p, p))
        gm = np.zeros(p)
        W = np.zeros((p * p, p * p)) if info else None
        Wm = np.zeros((p, p)) if info else None
        for b in blocks:
            sinv, d, C = b.parts(sigma, mu)
            o = b.obs
            n = b.n[:, None, None]
            np.add.at(G, (o[:, :, None], o[:, None, :]), n * (sinv - sinv @ C @ sinv))
            np.add.at(gm, o, b.n[:, None] * np.einsum("mij,mj->mi", sinv, d))
            if info:
                po = o.shape[1]
                idx = (o[:, :, None] * p + o[:, None, :]).reshape(len(o), po * po)
                kr = (sinv[:, :, None, :, None] * sinv[:, None, :, None, :]).reshape(len(o), po * po, po * po)
                np.add.at(W, (idx[:, :, None], idx[:, None, :]), 0.5 * n * kr)  # type: ignore[arg-type]
                np.add.at(Wm, (o[:, :, None], o[:, None, :]), n * sinv)  # type: ignore[arg-type]
        return G, gm, W, Wm

    def gradient_and_hessian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of the discrepancy and its expected Hessian (per respondent)."""
        return self._derivatives(theta, info=True)  # type: ignore[return-value]

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self._derivatives(theta, info=False)[0]

    def _derivatives(self, theta: np.ndarray, info: bool) -> tuple[np.ndarray, np.ndarray | None]:
        k = self.spec.npar
        p = self.spec.p
        grad = np.zeros(k)
        hess = np.zeros((k, k)) if info else None
        N = self.stats.ntotal
        for g, (sigma, mu) in enumerate(self.spec.implied(theta)):
            dS, dmu = self.spec.jacobian(theta, g)
            G, gm, W, Wm = self._moment_derivatives(sigma, mu, self.blocks[g], info)
            dSf = dS.reshape(k, p * p)
            grad += (0.5 * dSf @ G.ravel() - dmu @ gm) / N
            if info:
                hess += (dSf @ W @ dSf.T + dmu @ Wm @ dmu.T) / N
        return grad, hess

    def casewise_scores(self, theta: np.ndarray, group: int) -> np.ndarray:
        """Derivative of each respondent's observed-data log-likelihood w.r.t. ``theta``."""
        sigma, mu = self.spec.implied(theta)[group]
        dS, dmu = self.spec.jacobian(theta, group)
        x = self.stats.raw[group] if self.stats.raw is not None else None
        assert x is not None
        k = self.spec.npar
        out = np.zeros((len(x), k))
        for pt in self.pats[group]:
            o = pt.obs
            po = len(o)
            sinv = np.linalg.inv(sigma[np.ix_(o, o)])
            Z = (x[np.ix_(pt.rows, o)] - mu[o]) @ sinv
            M = dS[:, o][:, :, o].reshape(k, po * po)
            ZZ = (Z[:, :, None] * Z[:, None, :]).reshape(len(Z), po * po)
            out[pt.rows] = 0.5 * (ZZ @ M.T) - 0.5 * (M @ sinv.ravel())[None, :] + Z @ dmu[:, o].T
        return out

    # -- inference ------------------------------------------------------------------------
    #: Sigma and mu linear in theta (saturated, independence model): closed-form Hessian
    linear = False

    def observed_information(self, theta: np.ndarray) -> np.ndarray:
        if self.linear:
            return self.observed_information_linear(theta)
        return numeric_hessian(self.gradient, theta)

    def observed_information_linear(self, theta: np.ndarray) -> np.ndarray:
        """The observed information (Hessian of the discrepancy) in closed form, for a model
        whose ``Sigma`` and ``mu`` are linear in ``theta`` (the saturated and the
        independence model: no second derivatives of the moments). Per pattern, with
        ``A = Sigma_oo^-1``, ``d = ybar - mu_o``, ``C = S + d d'`` and ``B = A C A``:
        ``d2f/dSigma_ij dSigma_kl = n/2 (-A_ik A_lj + A_ik B_lj + B_ik A_lj)``,
        ``d2f/dSigma_ij dmu_a = n/2 (A_ia (Ad)_j + (Ad)_i A_aj)``, ``d2f/dmu dmu' = n A``
        (equal to the numerical Hessian to ~1e-10, some 30 times faster)."""
        spec = self.spec
        k, p = spec.npar, spec.p
        H = np.zeros((k, k))
        for g, (sigma, mu) in enumerate(spec.implied(theta)):
            W = np.zeros((p * p, p * p))
            Wsm = np.zeros((p * p, p))
            Wmm = np.zeros((p, p))
            for b in self.blocks[g]:
                A, d, C = b.parts(sigma, mu)
                o = b.obs
                m, po = o.shape
                n = b.n[:, None, None]
                B = A @ C @ A
                T = np.einsum("mik,mlj->mijkl", A, B - 0.5 * A) + np.einsum("mik,mlj->mijkl", B - 0.5 * A, A)
                idx = (o[:, :, None] * p + o[:, None, :]).reshape(m, po * po)
                np.add.at(W, (idx[:, :, None], idx[:, None, :]), 0.5 * n * T.reshape(m, po * po, po * po))
                Ad = np.einsum("mij,mj->mi", A, d)
                X = np.einsum("mia,mj->mija", A, Ad) + np.einsum("mi,maj->mija", Ad, A)
                np.add.at(Wsm, (idx[:, :, None], o[:, None, :]), 0.5 * n * X.reshape(m, po * po, po))
                np.add.at(Wmm, (o[:, :, None], o[:, None, :]), n * A)
            dS, dmu = spec.jacobian(theta, g)
            M = dS.reshape(k, p * p)
            cross = M @ Wsm @ dmu.T
            H += M @ W @ M.T + cross + cross.T + dmu @ Wmm @ dmu.T
        return H / self.stats.ntotal

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        return inverse_pd(self.observed_information(theta)) / self.stats.ntotal

    def baseline(self) -> dict:
        """Independence model: each item's mean and variance over those who answered it."""
        f = 0.0
        p = self.spec.p
        for g, x in enumerate(self.stats.raw or []):
            mu = np.nanmean(x, axis=0)
            var = np.nanmean((x - mu) ** 2, axis=0)
            f += _pattern_f(self.blocks[g], np.diag(var), mu)
        chi2 = 2.0 * (f - self.stats.extra["f_h1"] * self.stats.ntotal)
        return {"chi2": chi2, "df": float(self.stats.n_groups * (p * (p + 1) // 2 - p))}

    def chi2(self, fmin: float) -> float:
        return 2.0 * self.stats.ntotal * (fmin - self.stats.extra["f_h1"])

    def fit_indices(self, theta: np.ndarray, fmin: float) -> pd.Series:
        base = self.baseline()
        st = self.stats
        srmr = srmr_bentler(st, self.spec.implied(theta), True)
        standard = fit_indices(
            self.chi2(fmin), float(self.df()), base["chi2"], base["df"], st.ntotal, st.n_groups, srmr
        )
        robust = fiml_robust_indices(self.spec, theta, st, self.corrected_version)
        return all_fit_indices(standard, baseline_chi2=base["chi2"], baseline_df=base["df"], **robust)

    def estimates_and_std(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return standardized_solution(self.spec, theta)


class FIMLRobustProblem(FIMLProblem):
    """FIML with MLR's sandwich standard errors and Yuan-Bentler scaled test (lavaan
    ``estimator = "MLR", missing = "ml"``): the meat from the casewise scores of the
    observed-data log-likelihood, the saturated trace from the h1 model the same way."""

    def __init__(self, spec: ModelSpec, stats: SampleStats, estimator: object | None = None):
        super().__init__(spec, stats, estimator)
        self._cache: dict[bytes, tuple[np.ndarray, list[np.ndarray]]] = {}

    corrected_version = "V3"  # a scaled test (MLR): lavaan's FIML-C(V3)

    def _parts(self, theta: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        key = np.asarray(theta, dtype=float).tobytes()
        if key not in self._cache:
            E_inv = inverse_pd(self.observed_information(theta))
            B = []
            for g in range(self.stats.n_groups):
                sc = self.casewise_scores(theta, g)
                B.append(sc.T @ sc / len(sc))
            self._cache = {key: (E_inv, B)}
        return self._cache[key]

    def vcov(self, theta: np.ndarray) -> np.ndarray:
        E_inv, B = self._parts(theta)
        w = self.stats.weights
        return E_inv @ sum(w[g] * B[g] for g in range(len(B))) @ E_inv / self.stats.ntotal

    def _saturated_trace(self) -> float:
        st = self.stats
        if "trace_h1" not in st.extra:
            # at lavaan's h1 (EM) moments, whose information the robust indices use too
            h1 = h1_information(st, list(self.spec.observed))
            w = st.weights
            st.extra["trace_h1"] = float(
                sum(w[g] * np.sum(h1["B"][g] * h1["Hinv"].T) for g in range(st.n_groups))
            )
        return float(st.extra["trace_h1"])

    def scaling_factor(self, theta: np.ndarray) -> float:
        df = self.df()
        if df <= 0:
            return np.nan
        c = (self._saturated_trace() - robust_trace(self, theta)) / df
        return c if c > 0 else np.nan

    def baseline(self) -> dict:
        base = super().baseline()
        st = self.stats
        if "baseline_scaling" not in st.extra:
            spec_b = independence_spec(self.spec.p, list(self.spec.observed), st.n_groups, True)
            theta_b = []
            for x in st.raw or []:
                mu = np.nanmean(x, axis=0)
                theta_b.append(np.concatenate([np.nanmean((x - mu) ** 2, axis=0), mu]))
            tb = np.concatenate(theta_b)
            prob_b = FIMLRobustProblem(spec_b, st)
            prob_b.linear = True
            c = (self._saturated_trace() - robust_trace(prob_b, tb)) / base["df"]
            st.extra["baseline_scaling"] = c if c > 0 else np.nan
        cb = st.extra["baseline_scaling"]
        return {**base, "chi2_scaled": base["chi2"] / cb, "scaling_factor": cb}

    def fit_indices(self, theta: np.ndarray, fmin: float) -> pd.Series:
        fi = super().fit_indices(theta, fmin)
        base = self.baseline()
        T, df = float(fi["chi2"]), float(fi["df"])
        st = self.stats
        if df <= 0:
            return fi
        extra = yuan_bentler_indices(
            T,
            df,
            self.scaling_factor(theta),
            base["chi2"],
            df_base := base["df"],
            base["scaling_factor"],
            st.ntotal,
            st.n_groups,
        )
        # the robust CFI/TLI/RMSEA under FIML are Zhang & Savalei's (2020), computed by
        # FIMLProblem.fit_indices (version V3 here), not the complete-data formulas
        for k in (
            "cfi_robust",
            "tli_robust",
            "rmsea_robust",
            "rmsea_ci_lower_robust",
            "rmsea_ci_upper_robust",
        ):
            extra[k] = fi[k]
        del df_base
        out = fi.copy()
        for k, v in extra.items():
            out[k] = v
        return out


# -- robust fit indices under FIML (lavaan's "FIML-corrected", Zhang & Savalei 2020) -------
def _moment_jacobian(spec: ModelSpec, theta: np.ndarray) -> np.ndarray:
    """Derivatives of every group's ``(vech Sigma, mu)`` w.r.t. ``theta``, stacked over the
    groups in the order of the parameters of :func:`saturated_spec` (columns of the lower
    triangle, then the means)."""
    p = spec.p
    ii, jj = np.triu_indices(p)  # (j, i) with i >= j, column by column as saturated_spec
    rows = []
    for g in range(spec.n_groups):
        dS, dmu = spec.jacobian(theta, g)
        rows.append(np.vstack([dS[:, jj, ii].T, dmu.T]))
    return np.vstack(rows)


def _complete_f(sigma: np.ndarray, mu: np.ndarray, S: np.ndarray, m: np.ndarray) -> float:
    """Complete-data ML discrepancy ``log|Sigma| + tr(S Sigma^-1) - log|S| - p + d'Sigma^-1 d``."""
    sinv = np.linalg.inv(sigma)
    d = m - mu
    return float(
        np.linalg.slogdet(sigma)[1] + np.sum(S * sinv) - np.linalg.slogdet(S)[1] - len(mu) + d @ sinv @ d
    )


def h1_information(stats: SampleStats, observed: list[str]) -> dict:
    """The saturated (h1) pieces of the FIML-corrected statistics, computed once per data
    set: the observed information ``H`` of the saturated FIML model at lavaan's h1 (EM)
    estimates (all groups, weighted by ``n_g/N``; lavaan's ``h1.information = "unstructured"``,
    ``observed.information = "h1"``) and its inverse, the per-group first-order
    information ``B_g`` (casewise scores at the h1 estimates) and the complete-data
    information ``Wc`` of the saturated model at the h1 moments."""
    if "h1_info" not in stats.extra:
        sat = saturated_spec(list(observed), stats.n_groups)
        em = stats.extra["em_h1"]
        th1 = np.zeros(sat.npar)
        for r in sat.partable.itertuples(index=False):
            mu, sigma = em[r.group - 1]
            th1[r.free - 1] = sigma[r.row, r.col] if r.mat == "theta" else mu[r.row]
        prob = FIMLRobustProblem(sat, stats)
        H = prob.observed_information_linear(th1)
        Hinv = inverse_pd(H)
        B = []
        for g in range(stats.n_groups):
            sc = prob.casewise_scores(th1, g)
            B.append(sc.T @ sc / len(sc))
        w = stats.weights
        Wc = np.zeros_like(H)
        k = sat.npar
        for g in range(stats.n_groups):
            dS, dmu = sat.jacobian(th1, g)
            sinv = np.linalg.inv(em[g][1])
            M = dS.reshape(k, -1)
            Wc += w[g] * (0.5 * M @ np.kron(sinv, sinv) @ M.T + dmu @ sinv @ dmu.T)
        stats.extra["h1_info"] = dict(H=H, Hinv=Hinv, B=B, Wc=Wc)
    return stats.extra["h1_info"]


def fiml_corrected_k(spec: ModelSpec, theta: np.ndarray, stats: SampleStats, version: str) -> float:
    """lavaan's ``k.fimlc`` (``lav_fit_fiml_corrected``) of a model at ``theta``:
    with ``Delta`` the moment Jacobian, ``U = H - H Delta (Delta'H Delta)^-1 Delta'H``,
    ``V3`` (a scaled test, MLR): ``tr(U H^-1 Wc H^-1 U Gamma)`` with ``Gamma = sum_g
    (n_g/N) H^-1 B_g H^-1``; ``V6`` (ML): ``tr(Wc H^-1 U H^-1)``."""
    h1 = h1_information(stats, list(spec.observed))
    H, Hinv, Wc = h1["H"], h1["Hinv"], h1["Wc"]
    D = _moment_jacobian(spec, theta)
    HD = H @ D
    U = H - HD @ inverse_pd(D.T @ HD) @ HD.T
    if version == "V3":
        w = stats.weights
        Gamma = Hinv @ sum(w[g] * h1["B"][g] for g in range(stats.n_groups)) @ Hinv
        L = U @ Hinv @ Wc @ Hinv @ U
        return float(np.sum(L * Gamma.T))
    return float(np.sum((Wc @ Hinv) * (U @ Hinv).T))


def fiml_corrected(spec: ModelSpec, theta: np.ndarray, stats: SampleStats, version: str) -> dict[str, float]:
    """Zhang & Savalei's (2020) FIML-corrected statistics of a model and of the baseline,
    as lavaan 0.6-14's ``lav_fit_fiml_corrected``: ``XX3`` is the complete-data ML statistic
    of the FIML estimates against the h1 (EM) moments, ``c3 = k / df`` its correction
    (``version`` "V3" for MLR, "V6" for ML); the baseline (independence) model the same way
    at its FIML estimates (each item's available-case mean and variance)."""
    N = np.asarray(stats.nobs, dtype=float)
    p = spec.p
    df = float(spec.n_moments() - spec.npar)
    em = stats.extra["em_h1"]  # lavaan's h1 moments (EM to em.h1.tol = 1e-5)
    XX3 = sum(
        N[g] * _complete_f(sigma, mu, em[g][1], em[g][0]) for g, (sigma, mu) in enumerate(spec.implied(theta))
    )
    k = fiml_corrected_k(spec, theta, stats, version)
    spec_b = independence_spec(p, list(spec.observed), stats.n_groups, True)
    theta_b, XX3_null = [], 0.0
    for g, x in enumerate(stats.raw or []):
        mu = np.nanmean(x, axis=0)
        var = np.nanmean((x - mu) ** 2, axis=0)
        theta_b.append(np.concatenate([var, mu]))
        XX3_null += N[g] * _complete_f(np.diag(var), mu, em[g][1], em[g][0])
    df_null = float(stats.n_groups * (p * (p + 1) // 2 - p))
    k_null = fiml_corrected_k(spec_b, np.concatenate(theta_b), stats, version)
    return dict(
        XX3=XX3,
        df3=df,
        c_hat3=k / df if df > 0 else np.nan,
        XX3_null=XX3_null,
        df3_null=df_null,
        c_hat3_null=k_null / df_null,
    )


def fiml_robust_indices(
    spec: ModelSpec, theta: np.ndarray, stats: SampleStats, version: str
) -> dict[str, float]:
    """lavaan's ``cfi.robust, tli.robust, rmsea.robust`` and the robust RMSEA interval under
    FIML, from :func:`fiml_corrected`; a saturated model (``df = 0``) gets 1, 1, 0 [0, 0]."""
    if spec.n_moments() - spec.npar <= 0:
        return dict(
            cfi_robust=1.0,
            tli_robust=1.0,
            rmsea_robust=0.0,
            rmsea_ci_lower_robust=0.0,
            rmsea_ci_upper_robust=0.0,
        )
    fc = fiml_corrected(spec, theta, stats, version)
    X, df, c = fc["XX3"], fc["df3"], fc["c_hat3"]
    Xb, dfb, cb = fc["XX3_null"], fc["df3_null"], fc["c_hat3_null"]
    N, G = stats.ntotal, stats.n_groups
    lo, hi = rmsea_ci(X / c, df, N, G, c_hat=c) if np.isfinite(c) and c > 0 else (np.nan, np.nan)
    return dict(
        cfi_robust=cfi(X, df, Xb, dfb, c, cb),
        tli_robust=tli(X, df, Xb, dfb, c, cb),
        rmsea_robust=rmsea(X, df, N, G, c_hat=c),
        rmsea_ci_lower_robust=lo,
        rmsea_ci_upper_robust=hi,
    )
