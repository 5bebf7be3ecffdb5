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
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.core import i18n
from evalkit.core.checks import check_lang
from evalkit.core.errors import DataQualityWarning, ParameterError
from evalkit.core.i18n import LANGS, Message, fmt_number, fmt_pct, t
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
    return t(f"validation.cosmin.name_{term}", lang)


#: criterion text of the invariance row per decision rule
_INVARIANCE_CRITERIA = {
    "cfi+rmsea": "validation.cosmin.criterion_invariance_ml",
    "lrt": "validation.cosmin.criterion_invariance_lrt",
}

#: invariance levels with a name in the catalogue (``validation.level.<level>``)
_LEVELS = ("configural", "thresholds", "thresholds_loadings", "metric", "scalar")


def _not_assessed(lang: str) -> str:
    return t("validation.cosmin.not_assessed", lang)


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


def _invariance_row(tables, criterion: str = "cfi+rmsea", dif=None) -> tuple[str, Callable[[str], str]]:
    """The rating of measurement invariance and its result text (a function of the language):
    ``-`` when any level up to scalar is rejected in any grouping (or an item has important
    DIF), ``+`` when scalar invariance is tested and holds in every grouping, else ``?``."""
    if tables is None:
        return "?", _not_assessed
    decisions = _DECISIONS_BY_CRITERION[criterion]
    outcomes: list[tuple[str, str, list]] = []  # (group, "rejected"/"untested"/"holds", levels)
    failed, untested = False, False
    for name, tab in tables.items():
        levels = list(tab.index)
        upto = levels[: levels.index("scalar") + 1] if "scalar" in levels else levels
        rejected = [
            lv for lv in upto if any(pd.notna(tab.at[lv, c]) and not bool(tab.at[lv, c]) for c in decisions)
        ]
        if rejected:
            failed = True
            outcomes.append((name, "rejected", rejected))
        elif "scalar" not in levels:
            untested = True
            outcomes.append((name, "untested", []))
        else:
            outcomes.append((name, "holds", []))
    flagged_text = ""
    if dif is not None and len(dif) and "flag" in dif.columns and dif["flag"].any():
        flagged = dif[dif["flag"].astype(bool)]
        failed = True
        flagged_text = "DIF: " + ", ".join(f"{r.item} ({r.group})" for r in flagged.itertuples())

    def text(lang: str) -> str:
        texts = []
        for name, outcome, rejected in outcomes:
            if outcome == "rejected":
                levels = ", ".join(
                    t(f"validation.level.{lv}", lang) if lv in _LEVELS else str(lv) for lv in rejected
                )
                texts.append(t("validation.cosmin.invariance_rejected", lang, group=name, levels=levels))
            elif outcome == "untested":
                texts.append(t("validation.cosmin.scalar_not_tested", lang, group=name))
            else:
                texts.append(t("validation.cosmin.scalar_holds", lang, group=name))
        if flagged_text:
            texts.append(flagged_text)
        return "; ".join(texts)

    return ("-" if failed else "?" if untested else "+"), text


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
    criteria: dict | None = None  # term -> message key, where the criterion depends on the input
    texts: dict | None = None  # lang -> {term: result text}: the result texts in every language

    title = Message("validation.title.cosmin")

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.rows, extra=("property", "result", "criterion", "rating"))

    def criterion_text(self, term: str, lang: str) -> str:
        """The criterion of a property in ``lang`` (the invariance criterion follows the estimator)."""
        return _criterion_text(term, lang, (self.criteria or {}).get(term))

    def result_text(self, term: str, lang: str) -> str:
        """The result text of a property in ``lang``."""
        check_lang(lang)
        row = next(r for r in self.rows if r["term"] == term)
        return (self.texts or {}).get(lang, {}).get(term, row.get("result"))

    def in_language(self, lang: str) -> CosminResult:
        """The same table with its texts (``property``, ``result``, ``criterion`` in
        ``tidy()``) in ``lang``."""
        check_lang(lang)
        rows = [
            dict(
                r,
                property=property_name(r["term"], lang),
                result=self.result_text(r["term"], lang),
                criterion=self.criterion_text(r["term"], lang),
            )
            for r in self.rows
        ]
        return CosminResult(rows=rows, criteria=self.criteria, texts=self.texts)

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
                i18n.t("validation.cosmin.column.property", lang): [
                    property_name(p, lang) for p in t["term"]
                ],
                i18n.t("validation.cosmin.column.result", lang): [
                    (self.texts or {}).get(lang, {}).get(p, r) for p, r in zip(t["term"], t["result"])
                ],
                i18n.t("validation.cosmin.column.criterion", lang): [
                    self.criterion_text(p, lang) for p in t["term"]
                ],
                i18n.t("validation.cosmin.column.rating", lang): t["rating"],
            }
        )

    def summary(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang)
        return (
            self.title[lang]
            + t("validation.cosmin.rating_legend", lang)
            + "\n\n"
            + self.table(lang).to_string(index=False)
        )

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
    # the values to rate, checked (NaN left out with a warning) in the order of the properties
    fit, scaled = _fit_values(structural)
    alphas = _alpha_values(internal_consistency)
    inv_tables = _invariance_tables(invariance)
    icc_v, icc_name = _icc_value(reliability)
    sdc = _sdc_value(measurement_error)
    counts = _hyp_counts(hypotheses)
    auc, name = _criterion_value(criterion)
    r_auc = _criterion_value(responsiveness)[0] if full else None

    rows: list[dict] = []
    texts: dict[str, Callable[[str], str]] = {}  # term -> result text in a language

    def add(term: str, rating: str, text: Callable[[str], str], estimate: float | None = None) -> None:
        rows.append({"term": term, "rating": rating} | ({} if estimate is None else {"estimate": estimate}))
        texts[term] = text

    # structural validity
    struct_ok = None
    if not fit:
        add("structural_validity", "?", _not_assessed)
    else:
        struct_ok = (
            fit.get("cfi", 0) > 0.95
            or fit.get("tli", 0) > 0.95
            or fit.get("rmsea", np.inf) < 0.06
            or fit.get("srmr", np.inf) < 0.08
        )

        def fit_text(lg: str) -> str:
            txt = ", ".join(f"{k.upper()} = {fmt_number(v, 3, lg)}" for k, v in fit.items())
            return txt + (t("validation.cosmin.fit_scaled", lg) if scaled else "")

        add("structural_validity", "+" if struct_ok else "-", fit_text, fit.get("cfi", np.nan))
    # internal consistency
    if not alphas:
        add("internal_consistency", "?", _not_assessed)
    else:
        # rated on the worst (sub)scale: every subscale must reach the criterion
        worst = min(alphas, key=alphas.__getitem__)

        def alpha_text(lg: str) -> str:
            txt = "; ".join(f"{k}: alpha = {fmt_number(a, 2, lg)}" for k, a in alphas.items())
            if len(alphas) > 1:
                txt += t("validation.cosmin.rated_on_worst", lg, score=worst)
            if struct_ok is not True:
                txt += t("validation.cosmin.no_structural_validity", lg)
            return txt

        rating = "?" if struct_ok is not True else "+" if alphas[worst] >= 0.70 else "-"
        add("internal_consistency", rating, alpha_text, alphas[worst])
    # measurement invariance (cross-cultural validity)
    add("measurement_invariance", *_invariance_row(inv_tables, invariance_criterion, dif))
    # reliability
    if icc_v is None:
        add("reliability", "?", _not_assessed)
    else:

        def icc_text(lg: str) -> str:
            return (
                f"{icc_name} = {fmt_number(icc_v, 2, lg)}"
                + _icc_ci_text(reliability, lg)
                + (t("validation.cosmin.lowest", lg, score=reliability_label) if reliability_label else "")
            )

        add("reliability", "+" if icc_v >= 0.70 else "-", icc_text, icc_v)
    # measurement error
    if sdc is None:
        add("measurement_error", "?", _not_assessed)
    elif mic is None:
        add(
            "measurement_error",
            "?",
            lambda lg: f"SDC = {fmt_number(sdc, 2, lg)}; " + t("validation.cosmin.mic_not_defined", lg),
            sdc,
        )
    else:
        mic_v = float(mic)

        def sdc_text(lg: str) -> str:
            return f"SDC = {fmt_number(sdc, 2, lg)}, MIC = {fmt_number(mic_v, 2, lg)}" + (
                f" ({reliability_label})" if reliability_label else ""
            )

        add("measurement_error", "+" if sdc < mic_v else "-", sdc_text, sdc)
    # hypotheses testing
    if counts is None or counts[1] == 0:
        add("hypotheses_testing", "?", _not_assessed)
    else:
        share = counts[0] / counts[1]
        add(
            "hypotheses_testing",
            "+" if share >= 0.75 else "-",
            lambda lg: t(
                "validation.cosmin.hypotheses_confirmed",
                lg,
                confirmed=str(counts[0]),
                total=str(counts[1]),
                share=fmt_pct(share, 0, lg),
            ),
            share,
        )
    # criterion validity
    if auc is None:
        add(
            "criterion_validity",
            "?",
            lambda lg: _not_assessed(lg) + t("validation.cosmin.no_gold_standard", lg),
        )
    else:
        add(
            "criterion_validity",
            "+" if auc >= 0.70 else "-",
            lambda lg: (
                f"{name} = {fmt_number(auc, 2, lg)}"
                + (t("validation.cosmin.against", lg, name=gold_standard) if gold_standard else "")
            ),
            auc,
        )
    criteria = {"measurement_invariance": _INVARIANCE_CRITERIA[invariance_criterion]}  # message keys
    if full:
        if content_validity in (None, "?"):
            add("content_validity", "?", lambda lg: t("validation.cosmin.committee_to_rate", lg))
        else:
            add("content_validity", content_validity, lambda lg: t("validation.cosmin.committee_rated", lg))
        if r_auc is None:
            add("responsiveness", "?", _not_assessed)
        else:
            add(
                "responsiveness",
                "+" if r_auc >= 0.70 else "-",
                lambda lg: f"AUC = {fmt_number(r_auc, 2, lg)}",
                r_auc,
            )
        order = {p: k for k, p in enumerate(FULL_ORDER)}
        rows.sort(key=lambda r: order[r["term"]])
    for r in rows:
        r["result"] = texts[r["term"]](lang)
        r["property"] = property_name(r["term"], lang)
        r["criterion"] = _criterion_text(r["term"], lang, criteria.get(r["term"]))
    by_lang = {lg: {term: text(lg) for term, text in texts.items()} for lg in LANGS}
    return CosminResult(rows=rows, criteria=criteria, texts=by_lang)


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
    return t(f"validation.cosmin.criterion_{term}", lang)
