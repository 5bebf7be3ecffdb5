"""COSMIN summary table: each measurement property, its result, criterion and rating.

Criteria for good measurement properties (Prinsen et al. 2018, Table 1; Terwee et al.
2007; Mokkink et al. 2018):

================== ============================================================== =====
property           sufficient (+)                                                  else
================== ============================================================== =====
structural         CFI or TLI > 0.95, or RMSEA < 0.06, or SRMR < 0.08 (WLSMV:      \\-
                   the scaled CFI, TLI, RMSEA)
internal cons.     structural validity + and alpha >= 0.70 for every (sub)scale    \\- / ?
                   (rated on the worst subscale)
cross-cultural     scalar invariance holds: no level up to scalar rejected (ML:    \\-
validity           delta CFI / delta RMSEA; WLSMV: the scaled difference test,
                   ``invariance_criterion="lrt"``) and no flagged DIF item
reliability        ICC >= 0.70 (ICC2, absolute agreement, preferred)              \\-
measurement error  SDC < MIC (MIC must be given by the user)                       \\- / ?
hypotheses         >= 75% of the hypotheses confirmed                              \\-
criterion validity AUC >= 0.70 (or correlation >= 0.70)                            \\-
================== ============================================================== =====

``?`` = indeterminate (information missing, e.g. no MIC or no sufficient structural
validity for internal consistency).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.core import i18n
from evalkit.core.checks import check_lang
from evalkit.core.errors import DataQualityWarning, ParameterError
from evalkit.core.i18n import fmt_number, fmt_pct, t
from evalkit.core.language import resolve_lang
from evalkit.core.results import Result, tidy_frame

__all__ = ["cosmin_table", "CosminResult", "PROPERTIES"]

PROPERTIES = (
    "structural_validity",
    "internal_consistency",
    "measurement_invariance",
    "reliability",
    "measurement_error",
    "hypotheses_testing",
    "criterion_validity",
)

_NAMES = {
    "structural_validity": {"nl": "Structurele validiteit", "en": "Structural validity"},
    "internal_consistency": {"nl": "Interne consistentie", "en": "Internal consistency"},
    "measurement_invariance": {
        "nl": "Meetinvariantie (cross-culturele validiteit)",
        "en": "Measurement invariance (cross-cultural validity)",
    },
    "reliability": {"nl": "Betrouwbaarheid (test-hertest)", "en": "Reliability (test-retest)"},
    "measurement_error": {"nl": "Meetfout", "en": "Measurement error"},
    "hypotheses_testing": {
        "nl": "Hypothesetoetsing (constructvaliditeit)",
        "en": "Hypotheses testing (construct validity)",
    },
    "criterion_validity": {"nl": "Criteriumvaliditeit", "en": "Criterion validity"},
}

#: COSMIN's order of the properties (Prinsen et al. 2018, Table 1), used with ``full=True``.
FULL_ORDER = (
    "content_validity",
    "structural_validity",
    "internal_consistency",
    "measurement_invariance",
    "reliability",
    "measurement_error",
    "criterion_validity",
    "hypotheses_testing",
    "responsiveness",
)


def property_name(term: str, lang: str = "nl") -> str:
    """The name of a measurement property in ``lang``."""
    check_lang(lang)
    return _NAMES[term][lang] if term in _NAMES else t(f"validation.cosmin.name_{term}", lang)


_CRITERIA = {
    "structural_validity": {
        "en": "CFI or TLI > 0.95 or RMSEA < 0.06 or SRMR < 0.08",
        "nl": "CFI of TLI > 0,95 of RMSEA < 0,06 of SRMR < 0,08",
    },
    "internal_consistency": {
        "en": "alpha >= 0.70 per unidimensional (sub)scale, given sufficient structural validity",
        "nl": "alpha >= 0,70 per eendimensionale (sub)schaal, bij voldoende structurele validiteit",
    },
    "measurement_invariance": {
        "en": "scalar invariance holds (delta CFI > -0.01 and delta RMSEA < 0.015 at every level)",
        "nl": "scalaire invariantie houdt stand (delta CFI > -0,01 en delta RMSEA < 0,015 op elk niveau)",
    },
    "reliability": {"en": "ICC >= 0.70", "nl": "ICC >= 0,70"},
    "measurement_error": {"en": "SDC < MIC", "nl": "SDC < MIC"},
    "hypotheses_testing": {
        "en": ">= 75% of hypotheses confirmed",
        "nl": ">= 75% van de hypothesen bevestigd",
    },
    "criterion_validity": {
        "en": "AUC >= 0.70 (or r >= 0.70) against a gold standard",
        "nl": "AUC >= 0,70 (of r >= 0,70) tegen een gouden standaard",
    },
}

#: criterion text of the invariance row per decision rule
_INVARIANCE_CRITERIA = {
    "cfi+rmsea": "validation.cosmin.criterion_invariance_ml",
    "lrt": "validation.cosmin.criterion_invariance_lrt",
}

#: fit indices rated for structural validity; for WLSMV (ordinal) fits the scaled ones
_FIT_NAMES = ("cfi", "tli", "rmsea", "srmr")
_SCALED_NAMES = {"cfi": "cfi_scaled", "tli": "tli_scaled", "rmsea": "rmsea_scaled", "srmr": "srmr"}


def _number(value, what: str, low: float = -np.inf, high: float = np.inf) -> float:
    """``value`` as a float in [low, high] (NaN passes: rated ``?``); else ParameterError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.number)):
        shown = (
            repr(value)
            if isinstance(value, (str, list, tuple, dict)) and len(repr(value)) <= 60
            else f"a {type(value).__name__}"
        )
        raise ParameterError(f"{what} must be a number, got {shown}.")
    v = float(value)
    if not np.isnan(v) and not low <= v <= high:
        bounds = (
            f"between {low:g} and {high:g}"
            if np.isfinite(low) and np.isfinite(high)
            else f"at least {low:g}"
            if np.isfinite(low)
            else f"at most {high:g}"
        )
        raise ParameterError(f"{what} must be {bounds}, got {v!r}.")
    return v


def _drop_nan(values: dict, what: str) -> dict:
    """Leave NaN values out of the rating, with a warning (the property becomes ``?``
    if nothing is left)."""
    bad = [k for k, v in values.items() if np.isnan(v)]
    if bad:
        warnings.warn(
            f"{what}: {', '.join(map(str, bad))} is NaN (not estimable) and is left "
            "out of the COSMIN rating.",
            DataQualityWarning,
            stacklevel=4,
        )
    return {k: v for k, v in values.items() if not np.isnan(v)}


def _fit_values(structural):
    """Fit indices to rate and whether they are the scaled (WLSMV) ones.

    A WLSMV result (or indices that include ``cfi_scaled``) is rated on ``cfi_scaled``,
    ``tli_scaled``, ``rmsea_scaled`` and ``srmr``: the unscaled DWLS indices are too
    optimistic for ordinal items and are not what lavaan users report.
    """
    if structural is None:
        return None, False
    fi = getattr(structural, "fit_indices", structural)
    if isinstance(fi, Mapping):
        fi = pd.Series(fi)
    if not isinstance(fi, pd.Series):
        raise ParameterError(
            "structural must be a CFA result or a Series/dict of fit indices (cfi, tli, rmsea, srmr)."
        )
    scaled = "cfi_scaled" in fi.index and pd.notna(fi["cfi_scaled"])
    names = {k: (_SCALED_NAMES[k] if scaled else k) for k in _FIT_NAMES}
    return (
        {
            k: _number(fi[src], f"structural fit index {src!r}")
            for k, src in names.items()
            if src in fi and pd.notna(fi[src])
        },
        scaled,
    )


def _alpha_values(internal):
    if internal is None:
        return None
    if isinstance(internal, Mapping):
        items = internal.items()
    else:
        items = [("scale", internal)]
    out = {}
    for name, v in items:
        if hasattr(v, "estimate") and callable(v.estimate):
            v = v.estimate("alpha")
        out[str(name)] = _number(v, f"internal_consistency ({name}: alpha)", -np.inf, 1.0)
    return _drop_nan(out, "internal_consistency")


#: decision columns of an invariance table that rate a level (approximate fit, as the
#: invariance result's own summary; the chi-square test rejects almost anything at large N)
_INVARIANCE_DECISIONS = ("cfi_invariant", "rmsea_invariant")
_DECISIONS_BY_CRITERION = {"cfi+rmsea": _INVARIANCE_DECISIONS, "lrt": ("lrt_invariant",)}


def _invariance_tables(inv) -> dict[str, pd.DataFrame] | None:
    """``{group: invariance table}`` from an InvarianceResult, its ``table``, or a dict or
    list of them (one per grouping variable)."""
    if inv is None:
        return None
    if isinstance(inv, Mapping):
        items = [(str(k), v) for k, v in inv.items()]
    elif isinstance(inv, (list, tuple)):
        items = [(str(getattr(v, "group", i + 1)), v) for i, v in enumerate(inv)]
    else:
        items = [(str(getattr(inv, "group", "group")), inv)]
    out = {}
    for name, v in items:
        tab = v.reported_table() if hasattr(v, "reported_table") else getattr(v, "table", v)
        if not isinstance(tab, pd.DataFrame) or not set(_INVARIANCE_DECISIONS) <= set(tab.columns):
            raise ParameterError(
                "invariance must be a result of invariance() (or its table, with "
                f"columns {', '.join(_INVARIANCE_DECISIONS)}), or a dict of them."
            )
        out[name] = tab
    return out or None


def _invariance_row(inv, lang: str, missing: str, criterion: str = "cfi+rmsea", dif=None) -> dict:
    """The measurement-invariance row: ``-`` when any level up to scalar is rejected in any
    grouping (or an item has important DIF), ``+`` when scalar invariance is tested and holds
    in every grouping, else ``?``."""
    tables = _invariance_tables(inv)
    if tables is None:
        return {"term": "measurement_invariance", "result": missing, "rating": "?"}
    decisions = _DECISIONS_BY_CRITERION[criterion]
    en = lang == "en"
    texts, failed, untested = [], False, False
    for name, tab in tables.items():
        levels = list(tab.index)
        upto = levels[: levels.index("scalar") + 1] if "scalar" in levels else levels
        rejected = [
            lv for lv in upto if any(pd.notna(tab.at[lv, c]) and not bool(tab.at[lv, c]) for c in decisions)
        ]
        if rejected:
            failed = True
            texts.append(
                f"{name}: "
                + ("rejected at " if en else "verworpen op ")
                + ", ".join(
                    t(f"validation.level.{lv}", lang)
                    if lv in ("configural", "thresholds", "thresholds_loadings", "metric", "scalar")
                    else str(lv)
                    for lv in rejected
                )
            )
        elif "scalar" not in levels:
            untested = True
            texts.append(f"{name}: " + ("scalar level not tested" if en else "scalair niveau niet getoetst"))
        else:
            texts.append(
                f"{name}: " + ("scalar invariance holds" if en else "scalaire invariantie houdt stand")
            )
    if dif is not None and len(dif) and "flag" in dif.columns and dif["flag"].any():
        flagged = dif[dif["flag"].astype(bool)]
        failed = True
        texts.append("DIF: " + ", ".join(f"{r.item} ({r.group})" for r in flagged.itertuples()))
    rating = "-" if failed else "?" if untested else "+"
    return {"term": "measurement_invariance", "result": "; ".join(texts), "rating": rating}


def _icc_value(rel):
    if rel is None:
        return None, None
    if hasattr(rel, "icc_table"):
        rel = rel.icc_table
    elif hasattr(rel, "table") and isinstance(rel.table, pd.DataFrame) and "icc" in rel.table:
        rel = rel.table
    if isinstance(rel, pd.DataFrame):
        if "icc" not in rel.columns or "ICC2" not in rel.index:
            raise ParameterError(
                "reliability as a DataFrame must be the table of icc() (row 'ICC2', column 'icc')."
            )
        v, name = rel.loc["ICC2", "icc"], "ICC2"
    else:
        v, name = rel, "ICC"
    v = _number(v, "reliability (ICC)", -1.0, 1.0)
    return (None, None) if not _drop_nan({name: v}, "reliability") else (v, name)


def _sdc_value(err):
    if err is None:
        return None
    if hasattr(err, "estimate") and callable(err.estimate):
        err = err.estimate("sdc_agreement")
    v = _number(err, "measurement_error (SDC)", 0.0)
    return v if _drop_nan({"SDC": v}, "measurement_error") else None


def _hyp_counts(hyp):
    if hyp is None:
        return None
    if (
        isinstance(hyp, tuple)
        and len(hyp) == 2
        and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in hyp)
    ):
        if not 0 <= hyp[0] <= hyp[1]:
            raise ParameterError(
                f"hypotheses as (confirmed, total) needs 0 <= confirmed <= total, got {hyp}."
            )
        return int(hyp[0]), int(hyp[1])
    results = hyp if isinstance(hyp, (list, tuple)) else [hyp]
    n_conf = n_tot = 0
    for h in results:
        if hasattr(h, "n_confirmed"):
            n_conf += h.n_confirmed
            n_tot += len(h.rows)
        else:
            raise ParameterError("hypotheses must be results of hypotheses_test/known_groups.")
    return n_conf, n_tot


def _criterion_value(crit):
    if crit is None:
        return None, None
    v = _number(getattr(crit, "auc", crit), "criterion (AUC)", 0.0, 1.0)
    return (v, "AUC") if _drop_nan({"AUC": v}, "criterion") else (None, None)


@dataclass(repr=False)
class CosminResult(Result):
    """Result of :func:`cosmin_table`: ``table`` (and ``tidy()``) with one row per
    measurement property: ``property``, ``result``, ``criterion``, ``rating``.

    ``n`` (in ``tidy()``): respondents (or pairs) behind the evidence of each property, where known.
    """

    rows: list
    criteria: dict | None = None  # term -> {"nl", "en"} where the criterion depends on the input

    title = {"nl": "COSMIN-overzicht meeteigenschappen", "en": "COSMIN summary of measurement properties"}

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.rows, extra=("property", "result", "criterion", "rating"))

    def criterion_text(self, term: str, lang: str) -> str:
        """The criterion of a property in ``lang`` (the invariance criterion follows the estimator)."""
        return _criterion_text(term, lang, (self.criteria or {}).get(term))

    def set_n(self, n: Mapping[str, int | None]) -> None:
        """Record the respondents (or pairs) behind each property (``n`` in ``tidy()``)."""
        for r in self.rows:
            v = n.get(r["term"])
            if v is not None:
                r["n"] = int(v)

    def table(self, lang: str = "nl") -> pd.DataFrame:
        check_lang(lang)
        t = self.tidy()
        return pd.DataFrame(
            {
                i18n.t("methods.cosmin.measurement_property", lang): [
                    property_name(p, lang) for p in t["term"]
                ],
                i18n.t("methods.cosmin.result", lang): t["result"],
                i18n.t("methods.cosmin.criterion", lang): [self.criterion_text(p, lang) for p in t["term"]],
                i18n.t("methods.cosmin.rating", lang): t["rating"],
            }
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        return (
            self.title[lang] + " (Prinsen et al. 2018; + voldoende, - onvoldoende, ? onbepaald)\n\n"
            if lang == "nl"
            else self.title[lang]
            + " (Prinsen et al. 2018; + sufficient, - insufficient, ? indeterminate)\n\n"
        ) + self.table(lang).to_string(index=False)

    def _html_table(self) -> str:
        return self.table(resolve_lang(None)).to_html(index=False, border=0, classes="evalkit-table")


def cosmin_table(
    *,
    structural=None,
    internal_consistency=None,
    invariance=None,
    reliability=None,
    measurement_error=None,
    mic: float | None = None,
    hypotheses=None,
    criterion=None,
    lang: str = "en",
    invariance_criterion: str = "cfi+rmsea",
    reliability_label: str | None = None,
    gold_standard: str | None = None,
    content_validity: str | None = None,
    responsiveness=None,
    dif=None,
    full: bool = False,
) -> CosminResult:
    """Rate every measurement property against the COSMIN criteria (Prinsen et al. 2018).

    Parameters
    ----------
    structural : CFA result or Series/dict with ``cfi, tli, rmsea, srmr``, optional
        A WLSMV result (``cfa(..., estimator="WLSMV")``, or indices containing
        ``cfi_scaled``) is rated on its *scaled* ``cfi_scaled, tli_scaled,
        rmsea_scaled`` and ``srmr``, and the result text says so.
    internal_consistency : ReliabilityResult, float, or dict ``{subscale: result or alpha}``
        Several subscales are rated on the worst one (lowest alpha; it is the ``estimate``).
    invariance : InvarianceResult (or its ``table``), or dict ``{group: result}``, optional
        Measurement invariance (COSMIN's cross-cultural validity) by the result's own
        decisions: ``-`` when any level up to scalar is rejected by ``cfi_invariant`` or
        ``rmsea_invariant`` in any grouping, ``+`` when scalar invariance holds in all,
        ``?`` ("not assessed") when not given or scalar was not tested.
    reliability : DataFrame from :func:`icc`, AgreementResult, or an ICC value
        ICC2 (absolute agreement) is used from a table.
    measurement_error : AgreementResult or an SDC value
    mic : float, optional
        Minimal important change; without it measurement error is rated ``?``.
    hypotheses : HypothesesResult / KnownGroupsResult or a list of them
        All hypotheses are pooled for the 75% rule.
    criterion : ROCResult or an AUC value
        Rated only as a gold-standard comparison: give ``gold_standard`` (its name) to say so.
    lang : {"en", "nl"}
        Language of the ``result`` and ``criterion`` texts.
    invariance_criterion : {"cfi+rmsea", "lrt"}
        Which decisions of the invariance table rate a level: delta CFI and delta RMSEA
        (ML's cut-offs) or the (scaled) difference test (used for WLSMV).
    reliability_label : str, optional
        The (sub)scale the reliability and measurement-error results belong to (e.g. the
        subscale with the lowest ICC); named in the result text.
    gold_standard : str, optional
        Name of the gold standard of ``criterion`` (shown in the result text).
    content_validity : {"+", "-", "±", "?"}, optional
        The committee's rating of content validity (``full=True``).
    responsiveness : ROCResult or an AUC value, optional
        AUC of the change score against an anchor (``full=True``).
    dif : DataFrame, optional
        DIF screening with ``item, group, flag``: a flagged item makes invariance ``-``.
    full : bool
        All nine COSMIN properties in COSMIN's order (content validity and responsiveness
        included, "not assessed" where not given).

    A NaN value (a statistic that could not be estimated) is left out of the rating with a
    :class:`~evalkit.errors.DataQualityWarning`; the property is then rated ``?`` if
    nothing else is left. Values that are not numbers, or outside their possible range
    (alpha or ICC above 1, AUC outside 0-1, a negative SDC, MIC not positive), raise a
    :class:`~evalkit.errors.ParameterError`.

    Returns
    -------
    CosminResult
        ``tidy()`` rows ``structural_validity, internal_consistency, measurement_invariance,
        reliability, measurement_error, hypotheses_testing, criterion_validity`` with ``estimate``
        (the key number), ``property``, ``result``, ``criterion`` and ``rating``
        (``+``, ``-`` or ``?``).

    Examples
    --------
    >>> res = cosmin_table(structural={"cfi": 0.97, "tli": 0.96, "rmsea": 0.05, "srmr": 0.04},
    ...                    internal_consistency={"social": 0.84, "emotional": 0.66},
    ...                    reliability=0.81, measurement_error=4.2)
    >>> res.tidy()["rating"].tolist()
    ['+', '-', '?', '+', '?', '?', '?']
    """
    check_lang(lang)
    if invariance_criterion not in _DECISIONS_BY_CRITERION:
        raise ParameterError(
            f"invariance_criterion={invariance_criterion!r} is not allowed; use 'cfi+rmsea' or 'lrt'."
        )
    if content_validity is not None and content_validity not in ("+", "-", "±", "?"):
        raise ParameterError(f"content_validity must be '+', '-', '±' or '?', got {content_validity!r}.")
    if mic is not None:
        mic = _number(mic, "mic", 0.0)
        if not mic > 0:
            raise ParameterError(f"mic must be a positive number, got {mic!r}.")
    en = lang == "en"
    missing = "not assessed" if en else "niet onderzocht"
    rows = []
    # structural validity
    fit, scaled = _fit_values(structural)
    if not fit:
        rows.append({"term": "structural_validity", "result": missing, "rating": "?"})
        struct_ok = None
    else:
        ok = (
            fit.get("cfi", 0) > 0.95
            or fit.get("tli", 0) > 0.95
            or fit.get("rmsea", np.inf) < 0.06
            or fit.get("srmr", np.inf) < 0.08
        )
        struct_ok = ok
        txt = ", ".join(f"{k.upper()} = {fmt_number(v, 3, lang)}" for k, v in fit.items())
        if scaled:
            txt += " (WLSMV: scaled CFI, TLI and RMSEA)" if en else " (WLSMV: geschaalde CFI, TLI en RMSEA)"
        rows.append(
            {
                "term": "structural_validity",
                "estimate": fit.get("cfi", np.nan),
                "result": txt,
                "rating": "+" if ok else "-",
            }
        )
    # internal consistency
    alphas = _alpha_values(internal_consistency)
    if not alphas:
        rows.append({"term": "internal_consistency", "result": missing, "rating": "?"})
    else:
        # rated on the worst (sub)scale: every subscale must reach the criterion
        worst = min(alphas, key=alphas.__getitem__)
        txt = "; ".join(f"{k}: alpha = {fmt_number(a, 2, lang)}" for k, a in alphas.items())
        if len(alphas) > 1:
            txt += f" (rated on the worst: {worst})" if en else f" (beoordeeld op de laagste: {worst})"
        if struct_ok is not True:
            rating = "?"
            txt += (
                " (no sufficient structural validity)" if en else " (geen voldoende structurele validiteit)"
            )
        else:
            rating = "+" if alphas[worst] >= 0.70 else "-"
        rows.append(
            {"term": "internal_consistency", "estimate": alphas[worst], "result": txt, "rating": rating}
        )
    # measurement invariance (cross-cultural validity)
    rows.append(_invariance_row(invariance, lang, missing, invariance_criterion, dif))
    # reliability
    icc_v, icc_name = _icc_value(reliability)
    if icc_v is None:
        rows.append({"term": "reliability", "result": missing, "rating": "?"})
    else:
        rows.append(
            {
                "term": "reliability",
                "estimate": icc_v,
                "result": f"{icc_name} = {fmt_number(icc_v, 2, lang)}"
                + _icc_ci_text(reliability, lang)
                + (t("validation.cosmin.lowest", lang, score=reliability_label) if reliability_label else ""),
                "rating": "+" if icc_v >= 0.70 else "-",
            }
        )
    # measurement error
    sdc = _sdc_value(measurement_error)
    if sdc is None:
        rows.append({"term": "measurement_error", "result": missing, "rating": "?"})
    elif mic is None:
        rows.append(
            {
                "term": "measurement_error",
                "estimate": sdc,
                "result": f"SDC = {fmt_number(sdc, 2, lang)}; "
                + ("MIC not defined" if en else "MIC niet vastgesteld"),
                "rating": "?",
            }
        )
    else:
        rows.append(
            {
                "term": "measurement_error",
                "estimate": sdc,
                "result": f"SDC = {fmt_number(sdc, 2, lang)}, MIC = {fmt_number(float(mic), 2, lang)}"
                + (f" ({reliability_label})" if reliability_label else ""),
                "rating": "+" if sdc < float(mic) else "-",
            }
        )
    # hypotheses testing
    counts = _hyp_counts(hypotheses)
    if counts is None or counts[1] == 0:
        rows.append({"term": "hypotheses_testing", "result": missing, "rating": "?"})
    else:
        share = counts[0] / counts[1]
        rows.append(
            {
                "term": "hypotheses_testing",
                "estimate": share,
                "result": (
                    f"{counts[0]} of {counts[1]} confirmed ({fmt_pct(share, 0, lang)})"
                    if en
                    else f"{counts[0]} van {counts[1]} bevestigd ({fmt_pct(share, 0, lang)})"
                ),
                "rating": "+" if share >= 0.75 else "-",
            }
        )
    # criterion validity
    auc, name = _criterion_value(criterion)
    if auc is None:
        rows.append(
            {
                "term": "criterion_validity",
                "result": missing + t("validation.cosmin.no_gold_standard", lang),
                "rating": "?",
            }
        )
    else:
        rows.append(
            {
                "term": "criterion_validity",
                "estimate": auc,
                "result": f"{name} = {fmt_number(auc, 2, lang)}"
                + (t("validation.cosmin.against", lang, name=gold_standard) if gold_standard else ""),
                "rating": "+" if auc >= 0.70 else "-",
            }
        )
    criteria = {"measurement_invariance": _INVARIANCE_CRITERIA[invariance_criterion]}  # message keys
    if full:
        if content_validity in (None, "?"):
            rows.append(
                {
                    "term": "content_validity",
                    "result": t("validation.cosmin.committee_to_rate", lang),
                    "rating": "?",
                }
            )
        else:
            rows.append(
                {
                    "term": "content_validity",
                    "result": t("validation.cosmin.committee_rated", lang),
                    "rating": content_validity,
                }
            )
        r_auc, _ = _criterion_value(responsiveness)
        if r_auc is None:
            rows.append({"term": "responsiveness", "result": missing, "rating": "?"})
        else:
            rows.append(
                {
                    "term": "responsiveness",
                    "estimate": r_auc,
                    "result": f"AUC = {fmt_number(r_auc, 2, lang)}",
                    "rating": "+" if r_auc >= 0.70 else "-",
                }
            )
        order = {p: k for k, p in enumerate(FULL_ORDER)}
        rows.sort(key=lambda r: order[r["term"]])
    for r in rows:
        r["property"] = property_name(r["term"], lang)
        r["criterion"] = _criterion_text(r["term"], lang, criteria.get(r["term"]))
    return CosminResult(rows=rows, criteria=criteria)


def _icc_ci_text(rel, lang: str) -> str:
    """`` [lower, upper]`` of ICC2 when the reliability input carries its CI (and whether the
    lower limit reaches the .70 criterion)."""
    tab = getattr(rel, "icc_table", None)
    if tab is None and isinstance(rel, pd.DataFrame):
        tab = rel
    if not isinstance(tab, pd.DataFrame) or "ci_lower" not in tab.columns or "ICC2" not in tab.index:
        return ""
    lo, hi = float(tab.loc["ICC2", "ci_lower"]), float(tab.loc["ICC2", "ci_upper"])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    txt = f" [{fmt_number(lo, 2, lang)}, {fmt_number(hi, 2, lang)}]"
    if lo < 0.70:
        txt += t("validation.cosmin.lower_limit_below", lang)
    return txt


def _criterion_text(term: str, lang: str, key: str | None = None) -> str:
    if key is not None:
        return t(key, lang)
    if term in _CRITERIA:
        return _CRITERIA[term][lang]
    return t(f"validation.cosmin.criterion_{term}", lang)
