"""Exploratory factor analysis (minres / ML) with GPA rotations, and parallel analysis.

Written from the published algorithms because ``factor_analyzer`` does not work with
pandas 3 and current scikit-learn:

- **minres** (Harman & Jones 1966): minimise the sum of squared *off-diagonal* residuals
  ``sum_{i<j} (r_ij - l_i' l_j)^2``, the criterion of ``psych::fa(fm="minres")``.
- **ml** (Joreskog 1967; Lawley & Maxwell 1971): minimise
  ``F(Psi) = sum_{k>m} (log e_k - e_k) ...`` over the uniquenesses, the concentrated ML
  discrepancy used by ``stats::factanal`` and ``psych::fa(fm="ml")`` (uniquenesses bounded
  below by 0.005 as there).
- Rotations by gradient projection (Jennrich 2001, 2002; Bernaards & Jennrich 2005, as the
  R package GPArotation): ``varimax`` (Kaiser-normalised, as ``stats::varimax``),
  ``quartimax``, ``oblimin`` (quartimin, gamma = 0, as ``GPArotation::oblimin``) and
  ``promax`` (Hendrickson & White 1964, with Kaiser normalisation and power 4, as
  ``psych::fa(rotate="promax")``).
- Factors are ordered by the variance they explain and signed so that every column of
  loadings sums to a positive number, as psych does.
- :func:`parallel_analysis` (Horn 1965) compares the observed eigenvalues with those of
  random normal data of the same size, as ``psych::fa.parallel``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from evalkit.core import i18n
from evalkit.core.checks import check_columns, check_dataframe, check_lang, check_option, check_positive_int
from evalkit.core.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    ParameterError,
    SmallSampleWarning,
)
from evalkit.core.i18n import Message, fmt_number
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame
from evalkit.core.text import text_table

__all__ = ["efa", "parallel_analysis", "EFAResult", "ParallelAnalysisResult"]

EXTRACTIONS = ("minres", "ml")
ROTATIONS = ("oblimin", "promax", "varimax", "quartimax", "none")
OBLIQUE = ("oblimin", "promax")


# ----------------------------------------------------------------------------- input
def _item_matrix(data, items, *, min_n=3, what="efa"):
    """Complete-case numeric item matrix with clear errors for bad input."""
    data = check_dataframe(data)
    if items is None:
        items = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c])]
    elif isinstance(items, str):
        raise ParameterError("items must be a list of column names, not a single string.")
    items = list(items)
    check_columns(data, items=items)
    if len(items) < 2:
        raise ParameterError(f"{what} needs at least 2 items, got {len(items)}.")
    x = pd.DataFrame(
        {c: pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in items},
        index=data.index,
    )
    bad = [c for c in items if x[c].notna().sum() == 0]
    if bad:
        raise DataValidationError(f"items without any numeric answer: {bad}.")
    infinite = [c for c in items if np.isinf(x[c].to_numpy()).any()]
    if infinite:
        raise DataValidationError(f"item(s) with infinite values: {infinite}; answers must be finite.")
    x = x.dropna()
    if len(x) < min_n:
        raise DataValidationError(
            f"{what} needs at least {min_n} respondents with complete answers, got {len(x)}."
        )
    sd = x.std(ddof=0)
    flat = [c for c in items if not sd[c] > 0]
    if flat:
        raise DataValidationError(
            f"item(s) without variance (everyone gave the same answer): {flat}; "
            "drop them before the analysis."
        )
    return x, items


def _smc(r):
    """Squared multiple correlations 1 - 1/diag(R^-1) (pseudo-inverse if singular)."""
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(r)
    s = 1.0 - 1.0 / np.diag(inv)
    return np.clip(s, 0.0, 1.0)


# ----------------------------------------------------------------------------- extraction
def _principal_loadings(model, nf):
    """Loadings L with L L' = model, columns = scaled top eigenvectors."""
    vals, vecs = np.linalg.eigh(model)
    idx = np.argsort(vals)[::-1][:nf]
    return vecs[:, idx] * np.sqrt(np.maximum(vals[idx], 0.0))


def _uls_objective(psi, r, nf):
    """Concentrated ULS/minres criterion over the uniquenesses and its exact gradient.

    With R* = R - diag(psi) and L L' its best rank-``nf`` approximation, the criterion
    is 0.5 * sum_{k>nf} lambda_k(R*)^2 = 0.5 * ||R* - L L'||^2; its gradient is
    -diag(R* - L L'). At the optimum the diagonal residuals vanish, so this minimum is
    the minres one (off-diagonal residuals only; Harman & Jones 1966).
    """
    rs = r - np.diag(psi)
    vals, vecs = np.linalg.eigh(rs)
    idx = np.argsort(vals)[::-1]
    vals, vecs = vals[idx], vecs[:, idx]
    top = np.maximum(vals[:nf], 0.0)
    rest = np.concatenate([vals[:nf] - top, vals[nf:]])
    L = vecs[:, :nf] * np.sqrt(top)
    e_diag = np.diag(rs) - np.sum(L * L, axis=1)
    return 0.5 * float(np.sum(rest * rest)), -e_diag


def _bounded_minimize(fun, start, args, lower, upper=1.0):
    """Minimise ``fun(psi) -> (value, gradient)`` over lower <= psi <= upper.

    First unconstrained BFGS on log(psi) (fast, pure numpy); if the optimum leaves the
    box (Heywood case) the bounded L-BFGS-B solution is used instead, as psych does.
    """

    def on_log(t, *a):
        psi = np.exp(t)
        v, g = fun(psi, *a)
        return v, g * psi

    with np.errstate(all="ignore"):
        res = optimize.minimize(
            on_log,
            np.log(start),
            args=args,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-10, "maxiter": 2000},
        )
    psi = np.exp(res.x)
    grad = fun(psi, *args)[1] if np.all(np.isfinite(psi)) else None
    if (
        np.all(np.isfinite(psi))
        and np.all(psi >= lower)
        and np.all(psi <= upper)
        and np.max(np.abs(grad)) < 1e-6
    ):
        return psi, float(res.fun), True
    res = optimize.minimize(
        fun,
        np.clip(start, lower, upper),
        args=args,
        jac=True,
        method="L-BFGS-B",
        bounds=[(lower, upper)] * len(start),
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000},
    )
    return res.x, float(res.fun), bool(res.success)


def _minres(r, nf, lower=0.005):
    """Minimum residual loadings (uniquenesses bounded below by 0.005, as psych)."""
    start = np.clip(np.diag(r) - _smc(r), lower, 1.0)
    psi, _, ok = _bounded_minimize(_uls_objective, start, (r, nf), lower)
    L = _principal_loadings(r - np.diag(psi), nf)
    resid = r - L @ L.T
    off = ~np.eye(r.shape[0], dtype=bool)
    crit = 0.5 * float(np.sum(resid[off] ** 2))  # sum over i<j of squared residuals
    return L, crit, ok


def _ml_objective(psi, r, nf):
    sc = 1.0 / np.sqrt(psi)
    vals = np.linalg.eigvalsh(r * np.outer(sc, sc))[::-1]
    e = vals[nf:]
    return -(np.sum(np.log(e) - e) - nf + r.shape[0])


def _ml_loadings(psi, r, nf):
    sc = 1.0 / np.sqrt(psi)
    vals, vecs = np.linalg.eigh(r * np.outer(sc, sc))
    idx = np.argsort(vals)[::-1][:nf]
    load = vecs[:, idx] * np.sqrt(np.maximum(vals[idx] - 1.0, 0.0))
    return np.sqrt(psi)[:, None] * load


def _ml_gradient(psi, r, nf):
    L = _ml_loadings(psi, r, nf)
    g = L @ L.T + np.diag(psi) - r
    return np.diag(g) / psi**2


def _ml_fun(psi, r, nf):
    return _ml_objective(psi, r, nf), _ml_gradient(psi, r, nf)


def _ml(r, nf, lower=0.005, start=None):
    start = np.clip(1.0 - _smc(r) if start is None else np.asarray(start, float), lower, 1.0)
    psi, fval, ok = _bounded_minimize(_ml_fun, start, (r, nf), lower)
    L = _ml_loadings(psi, r, nf)
    return L, fval, ok, psi


def _extract(r, nf, method):
    """Unrotated loadings (signed so that columns sum positive) and criterion value."""
    if method == "minres":
        L, crit, ok = _minres(r, nf)
    else:
        L, crit, ok, _ = _ml(r, nf)
    L = L * np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    return L, crit, ok


# ----------------------------------------------------------------------------- rotation
def _vgq(L, criterion):
    """Criterion value f and gradient dQ/dL of a rotation criterion (GPArotation's vgQ)."""
    if criterion == "varimax":
        L2 = L * L
        QL = L2 - L2.mean(axis=0)
        return -np.sum(QL * QL) / 4.0, -L * QL
    if criterion == "quartimax":
        L2 = L * L
        return -np.sum(L2 * L2) / 4.0, -(L**3)
    if criterion == "oblimin":  # quartimin, gamma = 0
        L2 = L * L
        k = L.shape[1]
        X = L2 @ (np.ones((k, k)) - np.eye(k))
        return np.sum(L2 * X) / 4.0, L * X
    raise ParameterError(f"unknown rotation criterion {criterion!r}")  # pragma: no cover


def _gpa(A, criterion, oblique, eps=1e-8, maxit=5000):
    """Gradient projection rotation (GPArotation's GPForth / GPFoblq, one loop for both).

    Orthogonal: loadings ``L = A T``, gradient ``A' Gq``, projection onto the skew part and
    a step back to an orthogonal ``T`` through the SVD. Oblique: ``L = A T^-T``, gradient
    ``-(L' Gq T^-1)'``, projection removing the column-wise component along ``T`` and a step
    normalising the columns of ``T``. Returns the last ``L``, ``T`` and convergence.
    """

    def loadings(T):
        if oblique:
            Ti = np.linalg.inv(T)
            return A @ Ti.T, Ti
        return A @ T, None

    def gradient(L, Gq, Ti):
        return -(L.T @ Gq @ Ti).T if oblique else A.T @ Gq

    k = A.shape[1]
    T = np.eye(k)
    al = 1.0
    L, Ti = loadings(T)
    f, Gq = _vgq(L, criterion)
    G = gradient(L, Gq, Ti)
    converged = False
    for _ in range(maxit):
        if oblique:
            Gp = G - T * np.sum(T * G, axis=0)
        else:
            M = T.T @ G
            S = (M + M.T) / 2.0
            Gp = G - T @ S
        s = np.sqrt(np.sum(Gp * Gp))
        if s < eps:
            converged = True
            break
        al *= 2.0
        improved = False
        for _ in range(11):
            X = T - al * Gp
            if oblique:
                Tt = X / np.sqrt(np.sum(X * X, axis=0))
            else:
                U, _, Vt = np.linalg.svd(X)
                Tt = U @ Vt
            L, Tti = loadings(Tt)
            ft, Gqt = _vgq(L, criterion)
            if f - ft > 0.5 * s * s * al:
                improved = True
                break
            al /= 2.0
        if not improved and s < 1e-6:
            # the criterion cannot decrease measurably any more (floating-point floor)
            converged = True
            break
        T, f = Tt, ft
        G = gradient(L, Gqt, Tti)
    return L, T, converged


def _gpa_orthogonal(A, criterion, eps=1e-8, maxit=5000):
    """Gradient projection rotation (orthogonal); returns loadings and rotation matrix."""
    _, T, converged = _gpa(A, criterion, False, eps, maxit)
    return A @ T, T, converged


def _gpa_oblique(A, criterion, eps=1e-8, maxit=5000):
    """Gradient projection rotation (oblique); returns pattern, T and Phi = T'T."""
    L, T, converged = _gpa(A, criterion, True, eps, maxit)
    return L, T, T.T @ T, converged


def _kaiser(A):
    w = np.sqrt(np.sum(A * A, axis=1))
    w[w == 0] = 1.0
    return A / w[:, None], w


def _varimax(A):
    """Kaiser-normalised varimax (the optimum ``stats::varimax`` converges to)."""
    An, w = _kaiser(A)
    L, T, ok = _gpa_orthogonal(An, "varimax")
    return L * w[:, None], T, ok


def _promax(A, power=4):
    """Promax as ``psych::fa(rotate='promax')``: Kaiser weights, varimax, then target."""
    An, w = _kaiser(A)
    X, Tv, ok = _varimax(An)
    Q = X * np.abs(X) ** (power - 1)
    U = np.linalg.lstsq(X, Q, rcond=None)[0]
    d = np.diag(np.linalg.inv(U.T @ U))
    U = U * np.sqrt(d)
    Z = X @ U
    Ui = np.linalg.inv(Tv @ U)
    Phi = Ui @ Ui.T
    return Z * w[:, None], Phi, ok


def _rotate(L, rotation):
    """Rotated pattern loadings and factor correlations (None for orthogonal)."""
    k = L.shape[1]
    if k == 1 or rotation == "none":
        return L, None, True
    if rotation == "varimax":
        R, _, ok = _varimax(L)
        return R, None, ok
    if rotation == "quartimax":
        R, _, ok = _gpa_orthogonal(L, "quartimax")
        return R, None, ok
    if rotation == "oblimin":
        R, _, Phi, ok = _gpa_oblique(L, "oblimin")
        return R, Phi, ok
    R, Phi, ok = _promax(L)
    return R, Phi, ok


def _order_and_sign(L, Phi):
    """psych's conventions: positive column sums, columns by variance explained."""
    sign = np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    L = L * sign
    if Phi is not None:
        Phi = Phi * np.outer(sign, sign)
        ev = np.diag(Phi @ L.T @ L)
    else:
        ev = np.sum(L * L, axis=0)
    order = np.argsort(-ev, kind="stable")
    L = L[:, order]
    if Phi is not None:
        Phi = Phi[np.ix_(order, order)]
    return L, Phi


def _fit_efa(r, nf, method, rotation):
    """Core used by efa(), omega hierarchical and parallel analysis."""
    L0, crit, ok = _extract(r, nf, method)
    L, Phi, rok = _rotate(L0, rotation)
    L, Phi = _order_and_sign(L, Phi)
    return L0, L, Phi, crit, ok, rok


# ----------------------------------------------------------------------------- results
@dataclass(repr=False)
class EFAResult(Result):
    """Result of :func:`efa`.

    Attributes
    ----------
    loadings : DataFrame
        Pattern loadings (items x factors ``F1..Fm``), rotated.
    unrotated : DataFrame
        Unrotated loadings.
    phi : DataFrame or None
        Factor correlations (oblique rotations); None for orthogonal ones.
    communalities, uniquenesses : Series
    eigenvalues : Series
        Eigenvalues of the item correlation matrix.
    fit : Series
        ``objective`` (the extraction criterion), ``rms`` residual, ``n``.

    ``n`` (in ``tidy()``): respondents in the correlation matrix (complete cases).
    """

    loadings: pd.DataFrame
    unrotated: pd.DataFrame
    phi: pd.DataFrame | None
    communalities: pd.Series
    uniquenesses: pd.Series
    eigenvalues: pd.Series
    fit: pd.Series
    method: str
    rotation: str
    n: int
    correlation: pd.DataFrame = field(default=None)

    title = Message("validation.title.efa")

    @property
    def structure(self) -> pd.DataFrame:
        """Structure matrix (item-factor correlations) = pattern x Phi."""
        if self.phi is None:
            return self.loadings.copy()
        return self.loadings @ self.phi.to_numpy()

    def tidy(self) -> pd.DataFrame:
        rows = []
        for item in self.loadings.index:
            for f in self.loadings.columns:
                rows.append(
                    {
                        "term": f"{f}:{item}",
                        "estimate": float(self.loadings.at[item, f]),
                        "n": self.n,
                        "factor": f,
                        "item": item,
                        "communality": float(self.communalities[item]),
                    }
                )
        return tidy_frame(rows, extra=("factor", "item", "communality"))

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        nf = self.loadings.shape[1]
        head = i18n.t(
            "validation.efa.summary_head",
            lang,
            method=self.method,
            rotation=self.rotation,
            n_factors=nf,
            n=self.n,
        )
        tab = self.loadings.copy()
        tab["h2"] = self.communalities
        body = tab.to_string(float_format=lambda v: fmt_number(v, 2, lang))
        extra = ""
        if self.phi is not None:
            extra = "\n\n" + i18n.t("validation.efa.factor_correlations", lang) + ":\n"
            extra += self.phi.to_string(float_format=lambda v: fmt_number(v, 2, lang))
        return f"{head}\n\n{body}{extra}"

    def plot(self, *, ax=None, lang: str | None = None):
        """Heat map of the pattern loadings."""
        lang = resolve_lang(lang)
        from evalkit.core.plotting import localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax, figsize=(1.2 + 1.1 * self.loadings.shape[1], 0.9 + 0.35 * len(self.loadings)))
        im = ax.imshow(self.loadings.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        ax.set_xticks(range(self.loadings.shape[1]), self.loadings.columns)
        ax.set_yticks(range(len(self.loadings)), self.loadings.index)
        for (i, j), v in np.ndenumerate(self.loadings.to_numpy()):
            ax.text(j, i, fmt_number(v, 2, lang), ha="center", va="center", fontsize=8)
        ax.grid(False)
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.8)
        cb.set_label(i18n.t("figures.efa.colorbar", lang))
        ax.set_title(i18n.t("validation.efa.factor_loadings", lang))
        return localize_axes(ax, lang)


def efa(
    data: pd.DataFrame, *, items=None, n_factors: int = 1, method: str = "minres", rotation: str = "oblimin"
) -> EFAResult:
    """Exploratory factor analysis of the item correlation matrix.

    Parameters
    ----------
    data : DataFrame
        One row per respondent. Rows with a missing item are left out (complete cases).
    items : list of str, optional
        Item columns (default: every numeric column).
    n_factors : int
        Number of factors (see :func:`parallel_analysis`).
    method : {"minres", "ml"}
        ``minres`` minimises sum_{i<j}(r_ij - sum_k l_ik l_jk)^2 (Harman & Jones 1966);
        ``ml`` maximises the normal likelihood (Joreskog 1967), as ``psych::fa``.
    rotation : {"oblimin", "promax", "varimax", "quartimax", "none"}
        Oblique: oblimin (quartimin, GPA; Jennrich 2002), promax (power 4, Kaiser-normalised;
        Hendrickson & White 1964). Orthogonal: varimax (Kaiser 1958, normalised),
        quartimax.

    Returns
    -------
    EFAResult

    Notes
    -----
    Loadings match ``psych::fa`` (same criteria, same ordering and sign conventions);
    R stops its optimisers earlier, so agreement is to about 1e-4 (see the tests).

    Examples
    --------
    >>> import semopy.examples.holzinger39 as hs
    >>> from evalkit.validation import efa
    >>> res = efa(hs.get_data(), items=[f"x{i}" for i in range(1, 10)], n_factors=3)
    >>> res.loadings.shape
    (9, 3)
    """
    check_option("method", method, EXTRACTIONS)
    check_option("rotation", rotation, ROTATIONS)
    x, items = _item_matrix(data, items, min_n=3)
    nf = check_positive_int(n_factors, "n_factors")
    p = len(items)
    dof = ((p - nf) ** 2 - (p + nf)) / 2
    if nf >= p:
        raise ParameterError(f"n_factors={nf} must be smaller than the number of items ({p}).")
    if dof < 0:
        warnings.warn(
            f"{nf} factors for {p} items leaves negative degrees of freedom "
            f"({dof:g}); the solution is not identified.",
            ConvergenceWarning,
            stacklevel=2,
        )
    n = len(x)
    if n < 5 * p:
        warnings.warn(
            f"only {n} complete respondents for {p} items (fewer than 5 per item); "
            "factor solutions are unstable.",
            SmallSampleWarning,
            stacklevel=2,
        )
    r = np.corrcoef(x.to_numpy(dtype=float), rowvar=False)
    if np.linalg.eigvalsh(r)[0] < 1e-10:
        warnings.warn(
            "the item correlation matrix is singular (an item is a copy or a linear "
            "combination of others); the factor solution is not trustworthy.",
            DataQualityWarning,
            stacklevel=2,
        )
    L0, L, Phi, crit, ok, rok = _fit_efa(r, nf, method, rotation)
    if not ok:
        warnings.warn(
            f"{method} extraction did not converge; inspect the solution.", ConvergenceWarning, stacklevel=2
        )
    if not rok:
        warnings.warn(f"{rotation} rotation did not converge.", ConvergenceWarning, stacklevel=2)
    cols = [f"F{j + 1}" for j in range(nf)]
    model = L0 @ L0.T
    h2 = np.diag(model)
    if np.any(h2 > 1.0 + 1e-8):
        warnings.warn(
            "a communality exceeds 1 (Heywood case); the solution is improper.",
            ConvergenceWarning,
            stacklevel=2,
        )
    resid = r - model
    off = ~np.eye(p, dtype=bool)
    fit = pd.Series({"objective": crit, "rms": float(np.sqrt(np.mean(resid[off] ** 2))), "n": float(n)})
    return EFAResult(
        loadings=pd.DataFrame(L, index=items, columns=cols),
        unrotated=pd.DataFrame(L0, index=items, columns=cols),
        phi=None if Phi is None else pd.DataFrame(Phi, index=cols, columns=cols),
        communalities=pd.Series(h2, index=items, name="communality"),
        uniquenesses=pd.Series(1.0 - h2, index=items, name="uniqueness"),
        eigenvalues=pd.Series(np.sort(np.linalg.eigvalsh(r))[::-1], index=range(1, p + 1), name="eigenvalue"),
        fit=fit,
        method=method,
        rotation=rotation,
        n=n,
        correlation=pd.DataFrame(r, index=items, columns=items),
    )


# ----------------------------------------------------------------------------- parallel analysis
def _fa_values(r):
    """Eigenvalues of R with communalities of a one-factor minres solution on the
    diagonal (what ``psych::fa.parallel`` calls the factor eigenvalues)."""
    L, _, _ = _minres(r, 1)
    s = r.copy()
    np.fill_diagonal(s, np.sum(L * L, axis=1))
    return np.sort(np.linalg.eigvalsh(s))[::-1]


def _count_above(observed, reference):
    above = observed > reference
    return int(np.argmin(above)) if not above.all() else len(observed)


@dataclass(repr=False)
class ParallelAnalysisResult(Result):
    """Result of :func:`parallel_analysis`.

    ``table`` has one row per factor/component number with the observed and simulated
    eigenvalues; ``n_factors`` and ``n_components`` are the suggested numbers.

    ``n`` (in ``tidy()``): respondents in the observed correlation matrix.
    """

    table: pd.DataFrame
    n_factors: int
    n_components: int
    n: int
    n_iter: int
    quantile: float | None

    title = Message("validation.title.parallel_analysis")

    def tidy(self) -> pd.DataFrame:
        rows = [
            {"term": "n_factors", "estimate": float(self.n_factors), "n": self.n},
            {"term": "n_components", "estimate": float(self.n_components), "n": self.n},
        ]
        return tidy_frame(rows)

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        head = i18n.t(
            "validation.parallel.summary_head",
            lang,
            n_iter=str(self.n_iter),
            n=str(self.n),
            n_factors=str(self.n_factors),
            n_components=str(self.n_components),
        )
        return head + "\n\n" + text_table(self.table, lang, digits=3)

    def plot(self, *, ax=None, lang: str | None = None):
        """Scree plot of observed and simulated eigenvalues."""
        lang = resolve_lang(lang)
        from matplotlib.ticker import MaxNLocator

        from evalkit.core.plotting import COLORS, PALETTE, legend_outside, localize_axes, new_axes

        check_lang(lang)
        ax = new_axes(ax)
        t = self.table
        ax.plot(
            t.index,
            t["fa_observed"],
            "o-",
            color=PALETTE[0],
            label=i18n.t("validation.parallel.factors_data", lang),
        )
        ax.plot(
            t.index,
            t["fa_simulated"],
            "--",
            color=PALETTE[0],
            label=i18n.t("validation.parallel.factors_simulated", lang),
        )
        ax.plot(
            t.index,
            t["pc_observed"],
            "^-",
            color=PALETTE[1],
            label=i18n.t("validation.parallel.components_data", lang),
        )
        ax.plot(
            t.index,
            t["pc_simulated"],
            "--",
            color=PALETTE[1],
            label=i18n.t("validation.parallel.components_simulated", lang),
        )
        ax.axhline(0, color=COLORS["other"], linewidth=0.8)
        ax.set_xlabel(i18n.t("validation.parallel.factor_or_component", lang))
        ax.set_ylabel(i18n.t("validation.parallel.eigenvalue", lang))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(i18n.t("figures.parallel.title", lang), fontsize="medium")
        legend_outside(ax)
        return localize_axes(ax, lang)


def parallel_analysis(
    data: pd.DataFrame, *, items=None, n_iter: int = 20, seed: int = 0, quantile: float | None = None
) -> ParallelAnalysisResult:
    """Horn's (1965) parallel analysis for the number of factors and components.

    The eigenvalues of the observed correlation matrix (components) and of the reduced
    matrix with one-factor minres communalities on the diagonal (factors) are compared
    with the same eigenvalues of ``n_iter`` random normal data sets of the same size
    (mean over simulations, or the ``quantile``; Glorfeld 1995). The suggested number is
    the count of leading observed eigenvalues that exceed the simulated ones, as in
    ``psych::fa.parallel(..., sim=TRUE)``.

    Parameters
    ----------
    data : DataFrame
    items : list of str, optional
    n_iter : int
        Number of simulated data sets (psych's default 20).
    seed : int
        Seed of ``numpy.random.default_rng``; results are reproducible.
    quantile : float, optional
        Compare with this quantile of the simulated eigenvalues (e.g. 0.95) instead of
        their mean.

    Examples
    --------
    >>> import semopy.examples.holzinger39 as hs
    >>> from evalkit.validation import parallel_analysis
    >>> pa = parallel_analysis(hs.get_data(), items=[f"x{i}" for i in range(1, 10)], seed=1)
    >>> pa.n_factors
    3
    """
    x, items = _item_matrix(data, items, min_n=4, what="parallel_analysis")
    n_iter = check_positive_int(n_iter, "n_iter")
    if quantile is not None and not 0 < float(quantile) < 1:
        raise ParameterError(f"quantile must lie strictly between 0 and 1, got {quantile!r}.")
    n, p = x.shape
    r = np.corrcoef(x.to_numpy(dtype=float), rowvar=False)
    pc_obs = np.sort(np.linalg.eigvalsh(r))[::-1]
    fa_obs = _fa_values(r)
    rng = np.random.default_rng(seed)
    pc_sim = np.empty((n_iter, p))
    fa_sim = np.empty((n_iter, p))
    for b in range(n_iter):
        z = rng.standard_normal((n, p))
        rs = np.corrcoef(z, rowvar=False)
        pc_sim[b] = np.sort(np.linalg.eigvalsh(rs))[::-1]
        fa_sim[b] = _fa_values(rs)
    if quantile is None:
        pc_ref, fa_ref = pc_sim.mean(axis=0), fa_sim.mean(axis=0)
    else:
        pc_ref = np.quantile(pc_sim, float(quantile), axis=0)
        fa_ref = np.quantile(fa_sim, float(quantile), axis=0)
    table = pd.DataFrame(
        {"fa_observed": fa_obs, "fa_simulated": fa_ref, "pc_observed": pc_obs, "pc_simulated": pc_ref},
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    return ParallelAnalysisResult(
        table=table,
        n_factors=_count_above(fa_obs, fa_ref),
        n_components=_count_above(pc_obs, pc_ref),
        n=n,
        n_iter=n_iter,
        quantile=quantile,
    )
