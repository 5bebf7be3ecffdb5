"""Scoring of loneliness scales from their codebook's scale block.

Every scale is defined by data only: the ``"scale"`` block of a codebook in
``data_dictionary/`` (``djg11.json``, ``djg6.json``, ``youth_instrument.json``, or any codebook
file with such a block). A new instrument draft therefore needs only a codebook, no code.

The scale block (shared with :mod:`evalkit.codebook`)::

    "scale": {
      "id": "djg11",
      "items": {"djg1": {"keying": "negative", "subscale": "social", "text_nl": ..., "text_en": ...}, ...},
      "response_options": [{"code": 1, "label_nl": "ja", "label_en": "yes"}, ...],
      "subscales": {"emotional": [...], "social": [...]},
      "scoring": {"method": "dichotomous" | "sum", "reverse": [...], "max_missing": ...,
                  "max_missing_subscale": ..., "lonely_min": ..., "note": "..."},
      "categories": [{"min": 0, "max": 2, "code": "niet_eenzaam", "label_nl": ..., "label_en": ...}, ...]
    }

``keying`` is relative to the construct: ``"negative"`` means reverse keyed (a positively worded
item). ``scoring.reverse`` lists the reverse-keyed items explicitly; when it is absent the items
with ``keying == "negative"`` are reversed.

References
----------
De Jong Gierveld, J., & Kamphuis, F. H. (1985). The development of a Rasch-type loneliness
scale. *Applied Psychological Measurement*, 9(3), 289-299.
De Jong Gierveld, J., & Van Tilburg, T. G. (1999). *Manual of the Loneliness Scale*. Vrije
Universiteit Amsterdam (updated online version, sections 7-9).
Van Tilburg, T. G., & De Jong Gierveld, J. (1999). Cesuurbepaling van de eenzaamheidsschaal.
*Tijdschrift voor Gerontologie en Geriatrie*, 30(4), 158-163.
De Jong Gierveld, J., & Van Tilburg, T. G. (2006). A 6-item scale for overall, emotional, and
social loneliness. *Research on Aging*, 28(5), 582-598.
"""

from __future__ import annotations

import copy
import decimal
import json
import math
import numbers
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.core.checks import check_dataframe, check_unique_column
from evalkit.core.errors import CodebookError, DataValidationError, ParameterError
from evalkit.core.i18n import LANGS
from evalkit.data.codebook import codebook_dir, normalize_label

__all__ = ["score", "item_scores", "scale_definition", "available_scales", "SCALE_ALIASES"]

#: Short names accepted for ``scale=`` besides codebook names.
SCALE_ALIASES = {"youth_draft": "youth_instrument", "youth": "youth_instrument"}

# Extra spellings accepted for the DJG answers (normalised: lower case, '-'/'_' -> space).
_DJG_SYNONYMS = {"min of meer": 2, "minofmeer": 2, "more or less": 2, "ja": 1, "yes": 1, "nee": 3, "no": 3}


def available_scales() -> list[str]:
    """Names of the codebooks (in ``data_dictionary/``) that contain a scale block."""
    out = set()
    d = codebook_dir()  # the one place that knows where the codebooks are (evalkit.codebook)
    if d.is_dir():
        for p in d.glob("*.json"):
            try:
                if "scale" in json.loads(p.read_text(encoding="utf-8")):
                    out.add(p.stem)
            except (OSError, ValueError):
                continue
    return sorted(out | set(SCALE_ALIASES))


@lru_cache(maxsize=32)
def _load_json(path: str) -> dict:
    # plain JSON, not load_codebook(): a scale file needs no table fields
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CodebookError(f"Cannot read codebook {path!r}: {exc}") from exc


def scale_definition(scale: str | Mapping | Path) -> dict:
    """Return the scale block (a dict) for a scale name, codebook path or dict.

    Parameters
    ----------
    scale : str, path or dict
        ``"djg11"``, ``"djg6"``, ``"youth_draft"``/``"youth_instrument"``, any codebook name in
        ``data_dictionary/``, a path to a codebook JSON file, a whole codebook dict or a
        scale block dict.

    Examples
    --------
    >>> from evalkit.scales import scale_definition
    >>> scale_definition("djg6")["subscales"]["emotional"]
    ['djg3', 'djg9', 'djg10']
    """
    if isinstance(scale, Mapping):
        block = scale.get("scale", scale)
    else:
        if not isinstance(scale, (str, Path)):
            raise ParameterError(
                f"scale must be a scale name, a codebook path or a dict, not {type(scale).__name__}."
            )
        name = str(scale)
        name = SCALE_ALIASES.get(name, name)
        path = Path(name)
        if not (path.suffix == ".json" and path.is_file()):
            cand = codebook_dir() / f"{name}.json"
            path = cand
            if "/" in name or "\\" in name or not cand.is_file():
                raise ParameterError(
                    f"scale={scale!r} is not allowed; use one of: "
                    + ", ".join(repr(s) for s in available_scales())
                    + ", or a path to a codebook file with a 'scale' block."
                )
        cb = _load_json(str(path.resolve()))
        if "scale" not in cb:
            raise CodebookError(f"Codebook {str(path)!r} has no 'scale' block.")
        block = cb["scale"]
    block = copy.deepcopy(dict(block))
    for key in ("items", "response_options", "scoring"):
        if key not in block:
            raise CodebookError(f"Scale block {block.get('id', '?')!r} lacks {key!r}.")
    method = block["scoring"].get("method")
    if method not in ("dichotomous", "sum"):
        raise CodebookError(
            f"Scale block {block.get('id', '?')!r}: scoring.method must be 'dichotomous' or 'sum', "
            f"got {method!r}."
        )
    return block


def _norm_text(s: str) -> str:
    """evalkit.codebook.normalize_label, with '-' and '_' read as spaces (min-of-meer)."""
    return normalize_label(s.replace("-", " ").replace("_", " "))


def _answer_map(block: dict) -> tuple[dict[str, int], list[int]]:
    codes = [int(o["code"]) for o in block["response_options"]]
    words: dict[str, int] = {}
    for o in block["response_options"]:
        for key in ("label_nl", "label_en", "label"):
            if o.get(key):
                words[_norm_text(str(o[key]))] = int(o["code"])
    if block.get("id") in ("djg11", "djg6"):
        words.update({_norm_text(k): v for k, v in _DJG_SYNONYMS.items()})
        words["minofmeer"] = 2
    return words, codes


#: How pandas 2 writes a missing value when a column is turned into text (``astype(str)``):
#: these are empty answers, not invalid ones (pandas 3 keeps them missing).
_PANDAS_MISSING_TEXT = frozenset({"<NA>", "nan", "NaN", "None", "NaT"})


def _convert_one(v, words: dict, allowed: set):
    """Code of one answer: float code, NaN for missing, or None when invalid."""
    if v is None or v is pd.NA or v is pd.NaT:
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (numbers.Real, decimal.Decimal)):  # a number that float() takes (not complex)
        fv = float(v)
        if math.isnan(fv):
            return np.nan
        return fv if fv.is_integer() and int(fv) in allowed else None
    if isinstance(v, str):
        t = _norm_text(v)
        if t == "" or v.strip() in _PANDAS_MISSING_TEXT:
            return np.nan
        if t in words:
            return float(words[t])
        try:
            fv = float(t.replace(",", "."))
        except ValueError:
            return None
        return fv if fv.is_integer() and int(fv) in allowed else None
    return None


def _to_codes(
    values: pd.Series, column: str, item: str, words: dict, codes: list, errors: list
) -> np.ndarray:
    """Convert one column of answers (words, codes or mixed) to float codes (NaN = missing).

    Each distinct value is converted once; invalid values are appended to ``errors`` as
    ``(position, column, value)``.
    """
    allowed = set(codes)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isnan(arr) | np.isin(arr, list(allowed))
        for i in np.flatnonzero(~ok):
            errors.append((int(i), column, values.iloc[i]))
        return np.where(ok, arr, np.nan)
    obj = values.to_numpy(dtype=object)
    inverse, uniq = pd.factorize(pd.Series(obj, dtype=object), use_na_sentinel=True)
    conv = np.array([_convert_one(u, words, allowed) for u in uniq] + [np.nan], dtype=object)
    out = conv[inverse]  # inverse == -1 (missing) picks the trailing NaN
    # True == 1 for hashing, so booleans are checked one by one.
    bad = np.array([c is None or isinstance(v, (bool, np.bool_)) for c, v in zip(out, obj)], dtype=bool)
    for i in np.flatnonzero(bad):
        errors.append((int(i), column, obj[i]))
    out[bad] = np.nan
    return out.astype(float)


def _check_max(value: Any, name: str, n_items: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ParameterError(f"{name} must be a whole number >= 0, got {value!r}.")
    return int(value)


def _item_matrix(data: pd.DataFrame, scale, items):
    """Validated answers -> (block, item names, item scores S, missing mask).

    ``S`` holds per item the score that enters the scale: 0/1 for dichotomous scales (lonely
    answer or not), the (reverse-)keyed answer for sum scales; NaN where missing."""
    check_dataframe(data)
    block = scale_definition(scale)
    item_names = list(block["items"])
    scoring = block["scoring"]
    if items is None:
        items = {}
    if not isinstance(items, Mapping):
        raise ParameterError(
            "items must be a dict mapping scale item names to columns, e.g. {'djg1': 'vraag_1'}."
        )
    unknown = [k for k in items if k not in block["items"]]
    if unknown:
        raise ParameterError(
            f"items has unknown item name(s) {unknown}; the items of {block.get('id')!r} are: "
            + ", ".join(item_names)
            + "."
        )
    columns = {it: items.get(it, it) for it in item_names}
    absent = [f"{it} (column {col!r})" for it, col in columns.items() if col not in data.columns]
    for col in set(columns.values()) - {c for c in columns.values() if c not in data.columns}:
        check_unique_column(data, col)
    if absent:
        raise DataValidationError(
            f"Scale {block.get('id')!r}: item column(s) not found in data: "
            + ", ".join(absent)
            + ". Map them with items={'<item>': '<your column>'}."
        )

    n_items = len(item_names)
    words, codes = _answer_map(block)
    errors: list = []
    X = (
        np.column_stack(
            [_to_codes(data[columns[it]], columns[it], it, words, codes, errors) for it in item_names]
        )
        if n_items
        else np.empty((len(data), 0))
    )
    if errors:
        _raise_invalid(errors, data, block, words, codes)

    reverse = scoring.get("reverse")
    if reverse is None:
        reverse = [it for it, spec in block["items"].items() if spec.get("keying") == "negative"]
    bad = [r for r in reverse if r not in block["items"]]
    if bad:
        raise CodebookError(f"Scale block {block.get('id')!r}: reverse lists unknown items {bad}.")
    is_rev = np.array([it in reverse for it in item_names], dtype=bool)
    miss = np.isnan(X)

    method = scoring["method"]
    if method == "dichotomous":
        sc = scoring.get("score_codes", {"keyed": [1, 2], "reverse": [2, 3]})
        keyed_set, rev_set = list(sc["keyed"]), list(sc["reverse"])
        S = np.where(is_rev, np.isin(X, rev_set), np.isin(X, keyed_set)).astype(float)
        S[miss] = np.nan
    else:
        lo, hi = min(codes), max(codes)
        S = np.where(is_rev, lo + hi - X, X)

    return block, item_names, S, miss, codes


def item_scores(
    data: pd.DataFrame,
    scale: str | Mapping | Path,
    *,
    items: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Item scores as they enter the scale score, one column per item.

    For the De Jong Gierveld scales every item is 1 when answered in the lonely direction
    and 0 otherwise (see :func:`score`); for sum scales it is the answer after reverse
    keying. Missing answers stay missing. Useful for reliability (KR-20 / Cronbach's alpha
    of the dichotomised items, e.g. for the reliable change index of Jacobson & Truax 1991).

    Parameters
    ----------
    data, scale, items
        As in :func:`score`.

    Returns
    -------
    DataFrame
        Index aligned with ``data``; columns are the scale's item names (``djg1`` ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.scales import item_scores
    >>> df = pd.DataFrame({f"djg{i}": ["min of meer"] for i in range(1, 12)})
    >>> int(item_scores(df, "djg11").sum(axis=1).iloc[0])
    11
    """
    _block, item_names, S, _miss, _codes = _item_matrix(data, scale, items)
    return pd.DataFrame(S, index=data.index, columns=item_names)


def score(
    data: pd.DataFrame,
    scale: str | Mapping | Path,
    *,
    items: Mapping[str, str] | None = None,
    max_missing: int | None = None,
    max_missing_subscale: int | None = None,
) -> pd.DataFrame:
    """Score a loneliness scale (De Jong Gierveld 11/6 items or a codebook's scale block).

    Parameters
    ----------
    data : DataFrame
        One row per respondent (and wave). Answers may be codes (``1, 2, 3`` for the DJG
        scales: 1 = "ja", 2 = "min of meer", 3 = "nee"), the Dutch words (``"ja"``,
        ``"min of meer"``/``"min-of-meer"``, ``"nee"``; case and spaces ignored), the English
        words (``"yes"``, ``"more or less"``, ``"no"``), or a mix. Empty cells are missing.
    scale : str, path or dict
        ``"djg11"``, ``"djg6"``, ``"youth_draft"`` (= ``"youth_instrument"``), another codebook
        name or path with a ``"scale"`` block, or the block itself.
    items : dict, optional
        Maps the scale's item names to the columns of ``data``, e.g.
        ``{"djg1": "vraag_1", ...}``. Unmapped items are looked up under their own names
        (DJG-11: ``djg1`` ... ``djg11``; DJG-6: ``djg3, djg9, djg10, djg4, djg7, djg8``;
        youth draft: ``y01`` ... ``y12``).
    max_missing : int, optional
        Most missing items for which the total is still computed; default from the codebook
        (DJG-11: 2, DJG-6: 1).
    max_missing_subscale : int, optional
        Most missing items for which a subscale score is computed; default from the codebook
        (DJG: 0, i.e. subscales need all their items).

    Returns
    -------
    DataFrame
        Index aligned with ``data``. Columns ``total``, one column per subscale (DJG:
        ``emotional``, ``social``), for ``"sum"`` scales also ``<name>_mean`` per score,
        ``category`` (ordered Categorical with stable Dutch codes, missing where the total is
        missing), ``lonely`` (nullable boolean, ``total >= lonely_min``; DJG-11 >= 3,
        DJG-6 >= 2) and ``n_missing`` (number of missing items).

    Notes
    -----
    **Dichotomous scales (DJG)**, following De Jong Gierveld & Van Tilburg (1999): every item
    scores 1 when answered in the lonely direction and 0 otherwise. Negatively worded
    (emotional) items score 1 for "ja" or "min of meer"; positively worded (social, reverse
    keyed) items score 1 for "nee" or "min of meer"::

        total = sum_j 1[x_j in lonely answers of item j]       (answered items only)

    DJG-11: total 0-11, emotional (items 2, 3, 5, 6, 9, 10) 0-6, social (items 1, 4, 7, 8, 11)
    0-5; categories 0-2 ``niet_eenzaam`` (not lonely), 3-8 ``matig_eenzaam`` (moderately),
    9-10 ``sterk_eenzaam`` (severely), 11 ``zeer_sterk_eenzaam`` (very severely lonely)
    (Van Tilburg & De Jong Gierveld 1999). DJG-6 (De Jong Gierveld & Van Tilburg 2006):
    emotional = items 3, 9, 10, social = items 4, 7, 8; total 0-6; the manual's categories
    0-1 ``niet_eenzaam``, 2-4 ``matig_eenzaam``, 5-6 ``sterk_eenzaam``; lonely at >= 2.

    **Missing items.** As in the manual's SPSS syntax (``COUNT`` of lonely answers, then the
    score is set to missing when too many items are missing): missing items count as 0,
    there is no imputation or prorating. For the 6-item scale the manual sets the total to
    missing when more than 1 item is missing and a subscale when any of its 3 items is
    missing; for the 11-item scale evalkit allows at most 2 missing items for the total
    and none for a subscale (see ``docs/scales.md``). Both limits are configurable.

    **Sum scales** (e.g. the youth draft): reverse-keyed items are recoded
    ``x' = min_code + max_code - x``. A subscale's ``<name>_mean`` is the mean of its answered
    items and its sum is ``mean * n_items`` (person-mean imputation of the missing items)
    when at most ``max_missing_subscale`` (default: ``max_missing``) of its items are missing;
    it equals the plain sum when nothing is missing. When the subscales partition the items,
    ``total`` is the sum of the subscale sums (missing if any subscale is missing) and
    ``total_mean = total / n_items``; otherwise the total is prorated over all items with
    ``max_missing``.

    Raises
    ------
    DataValidationError
        An answer is not one of the scale's codes or words (the message names row, column
        and value; ``exc.errors`` lists all of them), or an item column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.scales import score
    >>> df = pd.DataFrame({f"djg{i}": ["ja"] for i in range(1, 12)})
    >>> s = score(df, "djg11")
    >>> int(s.loc[0, "total"]), int(s.loc[0, "emotional"]), int(s.loc[0, "social"])
    (6, 6, 0)
    >>> str(s.loc[0, "category"])
    'matig_eenzaam'
    """
    block, item_names, S, miss, codes = _item_matrix(data, scale, items)
    scoring = block["scoring"]
    method = scoring["method"]
    n_items = len(item_names)
    mm = scoring.get("max_missing", 0) if max_missing is None else max_missing
    mm = _check_max(mm, "max_missing", n_items)
    mms = scoring.get("max_missing_subscale", mm) if max_missing_subscale is None else max_missing_subscale
    mms = _check_max(mms, "max_missing_subscale", n_items)

    out = pd.DataFrame(index=data.index)

    def _scale_scores(cols_idx: list[int], limit: int, name: str) -> None:
        sub = S[:, cols_idx]
        nmiss = np.isnan(sub).sum(axis=1)
        ok = nmiss <= limit
        if method == "dichotomous":
            arr = pd.array(np.nansum(sub, axis=1).astype(int), dtype="Int64")
            arr[~ok] = pd.NA
            out[name] = arr
        else:
            answered = (~np.isnan(sub)).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(answered > 0, np.nansum(sub, axis=1) / np.maximum(answered, 1), np.nan)
            mean = np.where(ok & (answered > 0), mean, np.nan)
            out[name] = mean * len(cols_idx)
            out[f"{name}_mean"] = mean

    subscales = dict(block.get("subscales") or {})
    for sub_name, sub_items in subscales.items():
        missing_items = [s for s in sub_items if s not in block["items"]]
        if missing_items:
            raise CodebookError(
                f"Scale block {block.get('id')!r}: subscale {sub_name!r} lists unknown items {missing_items}."
            )
    flat = [it for sub in subscales.values() for it in sub]
    partition = bool(subscales) and sorted(flat) == sorted(item_names)
    _scale_scores(list(range(n_items)), mm, "total")
    for sub_name, sub_items in subscales.items():
        _scale_scores([item_names.index(s) for s in sub_items], mms, sub_name)
    if method == "sum" and partition:
        # Person-mean imputation within each subscale; total = sum of the subscale sums.
        out["total"] = sum(out[name] for name in subscales)
        out["total_mean"] = out["total"] / n_items

    cats = block.get("categories") or []
    cat_codes = [c["code"] for c in cats]
    total = out["total"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    labels = np.full(len(out), None, dtype=object)
    for c in cats:
        hit = (total >= c["min"]) & (total <= c["max"])
        labels[hit] = c["code"]
    out["category"] = pd.Categorical(labels, categories=cat_codes, ordered=True)
    lonely_min = scoring.get("lonely_min")
    if lonely_min is not None:
        lon = pd.array(total >= lonely_min, dtype="boolean")
        lon[np.isnan(total)] = pd.NA
    else:
        lon = pd.array([pd.NA] * len(out), dtype="boolean")
    out["lonely"] = lon
    out["n_missing"] = miss.sum(axis=1).astype(int)
    out.attrs["scale"] = block.get("id")
    out.attrs["category_labels"] = {
        c["code"]: {lg: c.get(f"label_{lg}", c["code"]) for lg in LANGS} for c in cats
    }
    return out


def _raise_invalid(errors, data, block, words, codes):
    rows = []
    for i, col, val in errors:
        label = data.index[i]
        if isinstance(val, np.generic):  # show 1.5, not np.float64(1.5)
            val = val.item()
        rows.append(
            {
                "row": i + 1,
                "column": col,
                "value": val,
                "rule": "enum",
                "message": (
                    f"row {i + 1} (index {label!r}), column {col!r}: {val!r} is not an allowed answer"
                ),
            }
        )
    allowed = ", ".join([str(c) for c in codes] + sorted({k for k in words}))
    shown = "; ".join(r["message"] for r in rows[:10])
    more = f" (and {len(rows) - 10} more)" if len(rows) > 10 else ""
    exc = DataValidationError(
        f"Scale {block.get('id')!r}: {len(rows)} invalid answer(s): {shown}{more}. "
        f"Allowed: {allowed}; empty = missing."
    )
    exc.errors = pd.DataFrame(rows, columns=["row", "column", "value", "rule", "message"])
    raise exc
