"""Hand-worked scoring tests for evalkit.scales (DJG-11, DJG-6, sum scales from a block).

Reference: the dichotomisation and categories published by De Jong Gierveld & Van Tilburg
(1999 manual; 2006 six-item paper) and Van Tilburg & De Jong Gierveld (1999, cut-offs).
Expected values below are worked out by hand from those rules, never by calling the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit import DataValidationError, ParameterError
from evalkit.data.scales import available_scales, scale_definition, score

ROOT = Path(__file__).resolve().parents[1]
EMO11 = [2, 3, 5, 6, 9, 10]  # negatively worded: lonely = ja (1) / min of meer (2)
SOC11 = [1, 4, 7, 8, 11]  # positively worded: lonely = nee (3) / min of meer (2)
DJG6 = [3, 9, 10, 4, 7, 8]


def not_lonely_row(numbers=range(1, 12)):
    """Every item answered in the non-lonely direction: total 0."""
    return {f"djg{i}": (3 if i in EMO11 else 1) for i in numbers}


def lonely_row(k, order=(2, 1, 3, 4, 5, 7, 6, 8, 9, 11, 10)):
    """First k items of ``order`` answered in the lonely direction ("ja" / "nee")."""
    row = not_lonely_row()
    for i in order[:k]:
        row[f"djg{i}"] = 1 if i in EMO11 else 3
    return row


# ---------------------------------------------------------------- DJG-11 item by item
# (item, answer code) -> scores 1? Written out as the published rule, item by item.
ITEM_ANSWER_EXPECTED = {
    # emotional items: ja=1, min of meer=1, nee=0
    **{(i, 1): 1 for i in EMO11},
    **{(i, 2): 1 for i in EMO11},
    **{(i, 3): 0 for i in EMO11},
    # social items: ja=0, min of meer=1, nee=1
    **{(i, 1): 0 for i in SOC11},
    **{(i, 2): 1 for i in SOC11},
    **{(i, 3): 1 for i in SOC11},
}


@pytest.mark.parametrize("item,answer", sorted(ITEM_ANSWER_EXPECTED))
def test_djg11_each_item_each_answer(item, answer):
    row = not_lonely_row()
    row[f"djg{item}"] = answer
    s = score(pd.DataFrame([row]), "djg11")
    exp = ITEM_ANSWER_EXPECTED[(item, answer)]
    assert s.loc[0, "total"] == exp
    assert s.loc[0, "emotional"] == (exp if item in EMO11 else 0)
    assert s.loc[0, "social"] == (exp if item in SOC11 else 0)
    assert s.loc[0, "n_missing"] == 0


def test_djg11_words_equal_codes_for_each_item():
    words = {1: "ja", 2: "min of meer", 3: "nee"}
    for item in range(1, 12):
        for code, word in words.items():
            a = not_lonely_row()
            a[f"djg{item}"] = code
            b = not_lonely_row()
            b[f"djg{item}"] = word
            sa, sb = score(pd.DataFrame([a]), "djg11"), score(pd.DataFrame([b]), "djg11")
            assert sa.loc[0, "total"] == sb.loc[0, "total"]


def test_djg11_hand_worked_respondents():
    # Respondent A: all "ja" -> the 6 emotional items score, no social: 6 / 6 / 0.
    # Respondent B: all "nee" -> 5 social items score: 5 / 0 / 5.
    # Respondent C: all "min of meer" -> every item scores: 11 / 6 / 5.
    # Respondent D: item by item  ja, ja, nee, min of meer, nee, ja, nee, ja, min of meer, nee, ja
    #   item:     1  2  3  4  5  6  7  8  9 10 11
    #   scores:   0  1  0  1  0  1  1  0  1  0  0  -> total 5, emotional (2,6,9) 3, social (4,7) 2
    d = ["ja", "ja", "nee", "min of meer", "nee", "ja", "nee", "ja", "min of meer", "nee", "ja"]
    df = pd.DataFrame(
        {f"djg{i}": ["ja", "nee", "min of meer", d[i - 1]] for i in range(1, 12)}, index=["A", "B", "C", "D"]
    )
    s = score(df, "djg11")
    assert list(s.index) == ["A", "B", "C", "D"]
    assert s["total"].tolist() == [6, 5, 11, 5]
    assert s["emotional"].tolist() == [6, 0, 6, 3]
    assert s["social"].tolist() == [0, 5, 5, 2]
    assert s["category"].astype(str).tolist() == [
        "matig_eenzaam",
        "matig_eenzaam",
        "zeer_sterk_eenzaam",
        "matig_eenzaam",
    ]


@pytest.mark.parametrize(
    "k,cat",
    [
        (0, "niet_eenzaam"),
        (2, "niet_eenzaam"),
        (3, "matig_eenzaam"),
        (8, "matig_eenzaam"),
        (9, "sterk_eenzaam"),
        (10, "sterk_eenzaam"),
        (11, "zeer_sterk_eenzaam"),
    ],
)
def test_djg11_category_boundaries(k, cat):
    s = score(pd.DataFrame([lonely_row(k)]), "djg11")
    assert s.loc[0, "total"] == k
    assert s.loc[0, "category"] == cat
    assert bool(s.loc[0, "lonely"]) is (k >= 3)


def test_category_is_ordered_with_stable_codes():
    s = score(pd.DataFrame([lonely_row(k) for k in range(12)]), "djg11")
    cat = s["category"]
    assert cat.cat.ordered
    assert list(cat.cat.categories) == [
        "niet_eenzaam",
        "matig_eenzaam",
        "sterk_eenzaam",
        "zeer_sterk_eenzaam",
    ]
    assert (cat < "matig_eenzaam").tolist()[:4] == [True, True, True, False]
    assert cat.cat.codes.tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 3]
    assert s.attrs["category_labels"]["sterk_eenzaam"]["en"] == "severely lonely"


def test_mixed_words_codes_case_whitespace_english():
    row = {
        "djg1": " NEE ",
        "djg2": "Ja",
        "djg3": "min-of-meer",
        "djg4": "More or less",
        "djg5": 3,
        "djg6": "1",
        "djg7": 1.0,
        "djg8": "yes",
        "djg9": "no",
        "djg10": "Min  of meer",
        "djg11": np.int64(2),
    }
    # scores: 1:nee social->1, 2:ja emo->1, 3:mom->1, 4:mom->1, 5:nee emo->0, 6:ja emo->1,
    # 7:ja social->0, 8:yes social->0, 9:no emo->0, 10:mom->1, 11:mom->1  => total 7
    # emotional (2,3,5,6,9,10) = 1+1+0+1+0+1 = 4; social (1,4,7,8,11) = 1+1+0+0+1 = 3
    s = score(pd.DataFrame([row]), "djg11")
    assert (s.loc[0, "total"], s.loc[0, "emotional"], s.loc[0, "social"]) == (7, 4, 3)


def test_string_dtype_columns_pandas3():
    df = pd.DataFrame({f"djg{i}": pd.array(["ja", None], dtype="string") for i in range(1, 12)})
    s = score(df, "djg11")
    assert s.loc[0, "total"] == 6 and pd.isna(s.loc[1, "total"])


# ---------------------------------------------------------------- missing-item rule
def test_djg11_missing_at_limit_and_over():
    base = lonely_row(11)  # all 11 lonely
    two = dict(base, djg2=None, djg1=np.nan)  # 2 missing (1 emotional, 1 social)
    three = dict(two, djg4="")  # 3 missing
    one_emo = dict(base, djg3=None)  # 1 missing, emotional
    s = score(pd.DataFrame([two, three, one_emo]), "djg11")
    # At the limit (2 missing): total = 9 answered lonely items, no imputation or prorating.
    assert s.loc[0, "total"] == 9 and s.loc[0, "n_missing"] == 2
    assert s.loc[0, "category"] == "sterk_eenzaam"
    # Subscales need all their items.
    assert pd.isna(s.loc[0, "emotional"]) and pd.isna(s.loc[0, "social"])
    # Over the limit: missing total, category and lonely.
    assert pd.isna(s.loc[1, "total"]) and pd.isna(s.loc[1, "category"])
    assert pd.isna(s.loc[1, "lonely"]) and s.loc[1, "n_missing"] == 3
    # One emotional item missing: social still complete.
    assert s.loc[2, "total"] == 10 and pd.isna(s.loc[2, "emotional"]) and s.loc[2, "social"] == 5


def test_djg11_max_missing_configurable():
    row = dict(lonely_row(11), djg2=None, djg1=None)
    df = pd.DataFrame([row])
    assert pd.isna(score(df, "djg11", max_missing=1).loc[0, "total"])
    assert score(df, "djg11", max_missing=2).loc[0, "total"] == 9
    s = score(df, "djg11", max_missing=3, max_missing_subscale=1)
    assert (s.loc[0, "emotional"], s.loc[0, "social"]) == (5, 4)
    with pytest.raises(ParameterError, match="max_missing"):
        score(df, "djg11", max_missing=-1)
    with pytest.raises(ParameterError, match="max_missing"):
        score(df, "djg11", max_missing=1.5)


def test_djg6_missing_rule_from_manual():
    full = {f"djg{i}": "min of meer" for i in DJG6}  # all 6 lonely
    one = dict(full, djg3=None)  # 1 missing -> total 5
    two = dict(full, djg3=None, djg4=None)  # 2 missing -> total missing
    s = score(pd.DataFrame([full, one, two]), "djg6")
    assert s["total"].tolist()[:2] == [6, 5] and pd.isna(s.loc[2, "total"])
    assert pd.isna(s.loc[1, "emotional"]) and s.loc[1, "social"] == 3
    assert s.loc[1, "category"] == "sterk_eenzaam"


# ---------------------------------------------------------------- DJG-6
def test_djg6_items_and_boundaries():
    # Order of lonely answers: 3 (emo), 4 (soc), 9, 7, 10, 8
    order = [3, 4, 9, 7, 10, 8]
    rows = []
    for k in range(7):
        r = {f"djg{i}": (3 if i in EMO11 else 1) for i in DJG6}
        for i in order[:k]:
            r[f"djg{i}"] = 1 if i in EMO11 else 3
        rows.append(r)
    s = score(pd.DataFrame(rows), "djg6")
    assert s["total"].tolist() == list(range(7))
    assert s["emotional"].tolist() == [0, 1, 1, 2, 2, 3, 3]
    assert s["social"].tolist() == [0, 0, 1, 1, 2, 2, 3]
    assert s["lonely"].tolist() == [False, False, True, True, True, True, True]
    assert s["category"].astype(str).tolist() == [
        "niet_eenzaam",
        "niet_eenzaam",
        "matig_eenzaam",
        "matig_eenzaam",
        "matig_eenzaam",
        "sterk_eenzaam",
        "sterk_eenzaam",
    ]


def test_djg6_ignores_other_columns_and_uses_only_its_items():
    row = {f"djg{i}": "ja" for i in range(1, 12)}  # 11-item file scored with the short form
    s = score(pd.DataFrame([row]), "djg6")
    # ja: emotional 3, 9, 10 score; social 4, 7, 8 do not.
    assert (s.loc[0, "total"], s.loc[0, "emotional"], s.loc[0, "social"]) == (3, 3, 0)


def test_items_mapping():
    df = pd.DataFrame({f"vraag_{i}": ["nee"] for i in range(1, 12)})
    s = score(df, "djg11", items={f"djg{i}": f"vraag_{i}" for i in range(1, 12)})
    assert s.loc[0, "total"] == 5
    partial = pd.DataFrame([dict(not_lonely_row(), q3="ja")]).drop(columns="djg3")
    assert score(partial, "djg11", items={"djg3": "q3"}).loc[0, "total"] == 1


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [0, 4, "misschien", 1.5, True, "4", "x"])
def test_invalid_answer_names_row_column_value(bad):
    rows = [not_lonely_row(), not_lonely_row()]
    rows[1]["djg7"] = bad
    with pytest.raises(DataValidationError) as ei:
        score(pd.DataFrame(rows), "djg11")
    msg = str(ei.value)
    assert "row 2" in msg and "'djg7'" in msg and repr(bad) in msg
    assert ei.value.errors.loc[0, "column"] == "djg7"
    assert ei.value.errors.loc[0, "row"] == 2


def test_all_invalid_answers_reported_at_once():
    rows = [dict(not_lonely_row(), djg1="?", djg5=9) for _ in range(3)]
    with pytest.raises(DataValidationError) as ei:
        score(pd.DataFrame(rows), "djg11")
    assert len(ei.value.errors) == 6


def test_missing_column_and_bad_arguments():
    df = pd.DataFrame([not_lonely_row()]).drop(columns="djg5")
    with pytest.raises(DataValidationError, match="djg5"):
        score(df, "djg11")
    with pytest.raises(ParameterError, match="scale="):
        score(pd.DataFrame([not_lonely_row()]), "djg12")
    with pytest.raises(ParameterError, match="unknown item"):
        score(pd.DataFrame([not_lonely_row()]), "djg11", items={"djg99": "x"})
    with pytest.raises(ParameterError):
        score([1, 2, 3], "djg11")
    with pytest.raises(DataValidationError, match="empty"):
        score(pd.DataFrame(columns=[f"djg{i}" for i in range(1, 12)]), "djg11")


# ---------------------------------------------------------------- generic sum scales
YOUTH_TEST_BLOCK = {
    "id": "youth_test",
    "items": {
        "y01": {"keying": "positive", "subscale": "social"},
        "y02": {"keying": "negative", "subscale": "social"},
        "y03": {"keying": "positive", "subscale": "social"},
        "y04": {"keying": "positive", "subscale": "emotional"},
        "y05": {"keying": "negative", "subscale": "emotional"},
        "y06": {"keying": "positive", "subscale": "emotional"},
    },
    "response_options": [
        {"code": 0, "label_nl": "nooit", "label_en": "never"},
        {"code": 1, "label_nl": "bijna nooit", "label_en": "almost never"},
        {"code": 2, "label_nl": "soms", "label_en": "sometimes"},
        {"code": 3, "label_nl": "vaak", "label_en": "often"},
        {"code": 4, "label_nl": "altijd", "label_en": "always"},
    ],
    "subscales": {"social": ["y01", "y02", "y03"], "emotional": ["y04", "y05", "y06"]},
    "scoring": {"method": "sum", "max_missing": 1, "max_missing_subscale": 1},
}


def test_sum_scale_reverse_keying_and_means():
    df = pd.DataFrame(
        {
            "y01": [4, 0, 2, None, None],
            "y02": [0, "altijd", 2, 1, None],
            "y03": ["vaak", 0, 2, 3, 3],
            "y04": [4, "Nooit", 2, 1, 1],
            "y05": [0, 4, 2, 3, 3],
            "y06": [4, 0, "soms", 1, 1],
        }
    )
    s = score(df, YOUTH_TEST_BLOCK)
    # row 0: y02, y05 reversed 0->4: social 4+4+3=11, emotional 4+4+4=12, total 23
    # row 1: y02 altijd=4 -> 0, y05 4 -> 0: all zero
    # row 2: all 2 (reverse of 2 is 2): 6, 6, 12
    # row 3: y01 missing; social answered 3 (y02 1->3), 3 -> mean 3, person-mean sum 9;
    #        emotional 1 + (4-3)=1 + 1 = 3; total = 9 + 3 = 12 (sum of subscales), mean 2
    assert s["social"].tolist()[:4] == [11, 0, 6, 9]
    assert s["emotional"].tolist()[:4] == [12, 0, 6, 3]
    np.testing.assert_allclose(s["total"].to_numpy()[:4], [23, 0, 12, 12], rtol=1e-12)
    np.testing.assert_allclose(s["total_mean"].to_numpy()[:4], [23 / 6, 0, 2, 2], rtol=1e-12)
    np.testing.assert_allclose(s.loc[3, "social_mean"], 3.0)
    # row 4: social has 2 missing > 1 -> social and total missing; emotional complete
    assert np.isnan(s.loc[4, "total"]) and np.isnan(s.loc[4, "social"])
    assert s.loc[4, "emotional"] == 3 and s.loc[4, "n_missing"] == 2
    assert s["category"].isna().all()


def test_sum_scale_invalid_code():
    df = pd.DataFrame({k: [5] if k == "y03" else [0] for k in YOUTH_TEST_BLOCK["items"]})
    with pytest.raises(DataValidationError, match="'y03'"):
        score(df, YOUTH_TEST_BLOCK)


def test_codebook_path_and_block_equivalence(tmp_path):
    cb = {"name": "toy", "scale": YOUTH_TEST_BLOCK}
    p = tmp_path / "toy.json"
    p.write_text(json.dumps(cb), encoding="utf-8")
    df = pd.DataFrame({k: [1, 3] for k in YOUTH_TEST_BLOCK["items"]})
    pd.testing.assert_frame_equal(score(df, str(p)), score(df, YOUTH_TEST_BLOCK))


def test_youth_instrument_codebook_if_present():
    path = ROOT / "data_dictionary" / "youth_instrument.json"
    assert path.exists()
    block = scale_definition("youth_draft")
    rows = []
    low, high = (
        min(o["code"] for o in block["response_options"]),
        max(o["code"] for o in block["response_options"]),
    )
    rev = set(
        block["scoring"].get("reverse")
        or [k for k, v in block["items"].items() if v.get("keying") == "negative"]
    )
    # Least lonely possible answers: low on keyed items, high on reverse-keyed items.
    rows.append({k: (high if k in rev else low) for k in block["items"]})
    rows.append({k: (low if k in rev else high) for k in block["items"]})
    s = score(pd.DataFrame(rows), "youth_draft")
    n = len(block["items"])
    assert s.loc[0, "total"] == 0
    assert s.loc[1, "total"] == n * (high - low)


# ---------------------------------------------------------------- codebook files
@pytest.mark.parametrize("name,n,emo,soc", [("djg11", 11, 6, 5), ("djg6", 6, 3, 3)])
def test_scale_codebooks(name, n, emo, soc):
    cb = json.loads((ROOT / "data_dictionary" / f"{name}.json").read_text(encoding="utf-8"))
    assert cb["name"] == name and cb["kind"] == "scale"
    assert len(cb["fields"]) == n
    for f in cb["fields"]:
        assert f["constraints"]["enum"] == [1, 2, 3]
    blk = cb["scale"]
    assert len(blk["subscales"]["emotional"]) == emo and len(blk["subscales"]["social"]) == soc
    # reverse-keyed (positively worded) = social items
    assert sorted(blk["scoring"]["reverse"]) == sorted(blk["subscales"]["social"])
    assert all(blk["items"][i]["keying"] == "negative" for i in blk["subscales"]["social"])
    assert [o["label_nl"] for o in blk["response_options"]] == ["ja", "min of meer", "nee"]
    assert "djg11" in available_scales() and "djg6" in available_scales()


def test_item_scores_add_up_to_the_total_and_follow_the_keying():
    from evalkit.data import datasets
    from evalkit.data.scales import item_scores

    df = datasets.load("interventions").head(300)
    items = item_scores(df, "djg11")
    assert list(items.columns) == [f"djg{i}" for i in range(1, 12)]
    totals = score(df, "djg11")
    complete = items.notna().all(axis=1)
    np.testing.assert_array_equal(
        items[complete].sum(axis=1).to_numpy(), totals.loc[complete, "total"].astype(float).to_numpy()
    )
    # hand-worked: "nee" scores 1 on a positively worded item (djg1), 0 on a negative (djg2)
    one = pd.DataFrame({f"djg{i}": ["nee"] for i in range(1, 12)})
    row = item_scores(one, "djg11").iloc[0]
    assert row["djg1"] == 1 and row["djg2"] == 0
    # missing answers stay missing
    one.loc[0, "djg5"] = None
    assert np.isnan(item_scores(one, "djg11").iloc[0]["djg5"])
