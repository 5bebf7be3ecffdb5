"""The model of the SEM engine: sample statistics and the parameter-table model.

:class:`ModelSpec` turns a lavaan-like parameter table
(:func:`evalkit.methods.validation.model_syntax.build_partable`) into the LISREL all-y
matrices per group, ``Sigma = Lambda Psi Lambda' + Theta`` and ``mu = nu + Lambda alpha``,
with their analytic Jacobian with respect to the free parameters (equality constraints =
shared free indices). :class:`SampleStats` holds the complete-data sample moments of the
normal-theory estimators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SampleStats", "ModelSpec"]


# ========================================================================================
# (b) sample statistics
# ========================================================================================
@dataclass
class SampleStats:
    """Sample statistics per group.

    Attributes
    ----------
    observed : list of str
        Indicator names, in the order of the model's matrices.
    groups : list of str
        Group labels (one ``"all"`` for a single-group model).
    nobs : list of int
        Respondents per group after listwise deletion.
    cov : list of ndarray
        Covariance matrices with divisor ``N`` (lavaan's ``likelihood="normal"``).
    mean : list of ndarray
        Mean vectors.
    extra : dict
        Further statistics an estimator derives from the data (e.g. missing-data
        patterns).
    raw : list of ndarray or None
        The item answers per group (``n_g x p``), for estimators that need the
        respondents themselves (MLR: casewise scores; FIML).
    """

    observed: list[str]
    groups: list[str]
    nobs: list[int]
    cov: list[np.ndarray]
    mean: list[np.ndarray]
    extra: dict[str, Any] = field(default_factory=dict)
    raw: list[np.ndarray] | None = None

    @property
    def ntotal(self) -> int:
        return int(sum(self.nobs))

    @property
    def n_groups(self) -> int:
        return len(self.nobs)

    @property
    def weights(self) -> np.ndarray:
        """Group weights ``n_g / N``."""
        n = np.asarray(self.nobs, dtype=float)
        return n / n.sum()

    @classmethod
    def from_data(cls, data: pd.DataFrame, observed, group: str | None, groups) -> SampleStats:
        """Covariances (divisor N) and means per group of complete-case ``data``.

        ``data`` holds complete cases; its ``group`` column holds the group labels as
        strings (as :func:`cfa` prepares it).
        """
        x_all = data[list(observed)].to_numpy(dtype=float)
        if group is None:
            codes = np.zeros(len(x_all), dtype=np.int64)
        else:
            codes = pd.Categorical(data[group], categories=list(groups)).codes
        covs, means, nobs, raw = [], [], [], []
        for k in range(len(groups)):
            x = x_all if group is None else x_all[codes == k]
            n = x.shape[0]
            m = x.mean(axis=0)
            xc = x - m  # centre first: accurate also when means dwarf the variances
            s = (xc.T @ xc) / n
            covs.append(s)
            means.append(m)
            nobs.append(int(n))
            raw.append(x)
        return cls(list(observed), [str(g) for g in groups], nobs, covs, means, raw=raw)


# ========================================================================================
# (a) the model
# ========================================================================================
class ModelSpec:
    """A measurement model: parameter table + LISREL all-y matrices per group.

    Parameters
    ----------
    partable : DataFrame
        From :func:`~evalkit.validation.model_syntax.build_partable`.
    observed, latent : list of str
        Indicator and factor names (matrix order).
    n_groups : int
    meanstructure : bool

    Notes
    -----
    ``theta`` (the free-parameter vector, length :attr:`npar`) maps to the matrices
    through ``partable.free`` (1-based; 0 = fixed). :meth:`implied` gives
    ``(Sigma_g, mu_g)`` and :meth:`jacobian` gives ``dSigma_g`` (npar x p x p) and
    ``dmu_g`` (npar x p) per group. Threshold rows (``mat == "tau"``) are carried in the
    table and in :meth:`matrices` (``"tau"``: list per indicator) for ordinal estimators;
    they do not enter ``Sigma``/``mu``.
    """

    def __init__(self, partable: pd.DataFrame, observed, latent, n_groups: int, meanstructure: bool):
        self.partable = partable.reset_index(drop=True)
        self.observed = list(observed)
        self.latent = list(latent)
        self.n_groups = int(n_groups)
        self.meanstructure = bool(meanstructure)
        self.p = len(self.observed)
        self.m = len(self.latent)
        self.npar = int(self.partable["free"].max()) if len(self.partable) else 0
        self._blocks = []
        pt = self.partable
        grp = pt["group"].to_numpy()
        mat_ = pt["mat"].to_numpy(dtype=object)
        row_ = pt["row"].to_numpy(np.int64)
        col_ = pt["col"].to_numpy(np.int64)
        free_ = pt["free"].to_numpy(np.int64) - 1
        val_ = pt["value"].to_numpy(float)
        for g in range(self.n_groups):
            blk = {}
            for mat in ("lambda", "theta", "psi", "nu", "alpha", "tau"):
                sel = (grp == g + 1) & (mat_ == mat)
                blk[mat] = dict(row=row_[sel], col=col_[sel], free=free_[sel], value=val_[sel])
            self._blocks.append(blk)

    # -- matrices ---------------------------------------------------------------------
    def _fill(self, theta, blk, mat, shape):
        b = blk[mat]
        out = np.zeros(shape)
        vals = np.where(b["free"] >= 0, theta[np.maximum(b["free"], 0)] if len(theta) else 0.0, b["value"])
        if len(shape) == 1:
            out[b["row"]] = vals
        else:
            out[b["row"], b["col"]] = vals
            if mat in ("theta", "psi"):
                out[b["col"], b["row"]] = vals
        return out

    def matrices(self, theta: np.ndarray, group: int) -> dict[str, np.ndarray]:
        """Model matrices of one group (0-based): lambda, theta, psi, nu, alpha, tau."""
        theta = np.asarray(theta, dtype=float)
        blk = self._blocks[group]
        out = {
            "lambda": self._fill(theta, blk, "lambda", (self.p, self.m)),
            "theta": self._fill(theta, blk, "theta", (self.p, self.p)),
            "psi": self._fill(theta, blk, "psi", (self.m, self.m)),
            "nu": self._fill(theta, blk, "nu", (self.p,)),
            "alpha": self._fill(theta, blk, "alpha", (self.m,)),
        }
        b = blk["tau"]
        if len(b["row"]):
            vals = np.where(b["free"] >= 0, theta[np.maximum(b["free"], 0)], b["value"])
            out["tau"] = [vals[b["row"] == i][np.argsort(b["col"][b["row"] == i])] for i in range(self.p)]
        return out

    def implied(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Model-implied ``(Sigma, mu)`` per group."""
        out = []
        for g in range(self.n_groups):
            M = self.matrices(theta, g)
            L = M["lambda"]
            sigma = L @ M["psi"] @ L.T + M["theta"]
            mu = M["nu"] + L @ M["alpha"]
            out.append((sigma, mu))
        return out

    def jacobian(self, theta: np.ndarray, group: int) -> tuple[np.ndarray, np.ndarray]:
        """Analytic derivatives of ``Sigma`` and ``mu`` of one group w.r.t. ``theta``.

        Returns ``dSigma`` with shape (npar, p, p) and ``dmu`` with shape (npar, p).
        """
        M = self.matrices(theta, group)
        L, P, A = M["lambda"], M["psi"], M["alpha"]
        k, p = self.npar, self.p
        dS = np.zeros((k, p, p))
        dmu = np.zeros((k, p))
        blk = self._blocks[group]
        b = blk["lambda"]
        sel = b["free"] >= 0
        if sel.any():
            J, R, C = b["free"][sel], b["row"][sel], b["col"][sel]
            PL = P @ L.T  # m x p
            np.add.at(dS, (J, R), PL[C])
            # numpy's stub omits slices inside an index tuple, which ufunc.at takes at run time
            np.add.at(dS, (J, slice(None), R), PL[C])  # type: ignore[arg-type]
            np.add.at(dmu, (J, R), A[C])
        b = blk["psi"]
        sel = b["free"] >= 0
        if sel.any():
            J, R, C = b["free"][sel], b["row"][sel], b["col"][sel]
            outer = L[:, R].T[:, :, None] * L[:, C].T[:, None, :]
            off = R != C
            outer = outer + np.where(off[:, None, None], np.transpose(outer, (0, 2, 1)), 0.0)
            np.add.at(dS, J, outer)
        b = blk["theta"]
        sel = b["free"] >= 0
        if sel.any():
            J, R, C = b["free"][sel], b["row"][sel], b["col"][sel]
            np.add.at(dS, (J, R, C), 1.0)
            off = R != C
            np.add.at(dS, (J[off], C[off], R[off]), 1.0)
        b = blk["nu"]
        sel = b["free"] >= 0
        if sel.any():
            np.add.at(dmu, (b["free"][sel], b["row"][sel]), 1.0)
        b = blk["alpha"]
        sel = b["free"] >= 0
        if sel.any():
            np.add.at(dmu, b["free"][sel], L[:, b["row"][sel]].T)
        return dS, dmu

    # -- bookkeeping ------------------------------------------------------------------
    def n_moments(self) -> int:
        """Sample moments per group times groups (covariances + means if meanstructure)."""
        p = self.p
        return self.n_groups * (p * (p + 1) // 2 + (p if self.meanstructure else 0))

    def values(self, theta: np.ndarray) -> np.ndarray:
        """Value of every row of the parameter table (fixed or estimated)."""
        f = self.partable["free"].to_numpy() - 1
        v = self.partable["value"].to_numpy(float).copy()
        v[f >= 0] = np.asarray(theta)[f[f >= 0]]
        return v

    def start(self, stats: SampleStats) -> np.ndarray:
        """Starting values: marker-based loadings, half the variance as residual variance.

        Each indicator is assumed to have reliability 0.5 for its marker: ``psi =
        0.5 s_mm / lambda_m^2``, ``lambda_i = s_im / (lambda_m psi)``, ``theta_ii =
        0.5 s_ii``; covariances start at 0, intercepts at the sample means, latent means
        at 0. Parameters shared across groups start at the average over groups.
        """
        acc = np.zeros(self.npar)
        cnt = np.zeros(self.npar)
        recs = self.partable.to_dict("records")
        oidx = {v: i for i, v in enumerate(self.observed)}
        for g in range(self.n_groups):
            S, xbar = stats.cov[g], stats.mean[g]
            sub = [(i, r) for i, r in enumerate(recs) if r["group"] == g + 1]
            psi_var = {r["lhs"]: (i, r) for i, r in sub if r["mat"] == "psi" and r["lhs"] == r["rhs"]}
            vals: dict[int, float] = {}
            for f in self.latent:
                rows = [(i, r) for i, r in sub if r["op"] == "=~" and r["lhs"] == f]
                if not rows:
                    continue
                i0, first = rows[0]
                mi = oidx[first["rhs"]]
                smm = max(S[mi, mi], 1e-8)
                lm = 1.0 if first["free"] > 0 or not math.isfinite(first["value"]) else first["value"]
                pv = psi_var.get(f)
                if pv is not None and pv[1]["free"] == 0:
                    psi = float(pv[1]["value"])
                    if first["free"] > 0 and psi > 0:
                        lm = math.sqrt(0.5 * smm / psi)
                else:
                    psi = 0.5 * smm / (lm * lm if lm != 0 else 1.0)
                    if pv is not None:
                        vals[pv[0]] = psi
                for i, r in rows:
                    if r["free"] > 0:
                        if i == i0:
                            vals[i] = lm
                        else:
                            denom = lm * psi if lm * psi != 0 else 1.0
                            vals[i] = S[oidx[r["rhs"]], mi] / denom
            for i, r in sub:
                if r["free"] == 0 or i in vals:
                    continue
                if r["mat"] == "theta":
                    vals[i] = 0.5 * S[r["row"], r["row"]] if r["row"] == r["col"] else 0.0
                elif r["mat"] == "psi":
                    vals[i] = 0.05 if r["row"] == r["col"] else 0.0
                elif r["mat"] == "nu":
                    vals[i] = xbar[r["row"]]
                else:
                    vals[i] = 0.0
            for i, v in vals.items():
                j = recs[i]["free"] - 1
                acc[j] += v
                cnt[j] += 1
        return np.where(cnt > 0, acc / np.maximum(cnt, 1), 0.0)
