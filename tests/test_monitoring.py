"""evalkit.monitoring on the real Health Monitor figures.

References: the bundled source files themselves (read here independently with pandas), numpy /
statsmodels for the regression of change on level, scipy's cdist for the nearest neighbours,
and the published spot values (Netherlands 2020 18+: 47.0 / 11.2; Amsterdam: 53.2 / 14.8).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from evalkit import ParameterError
from evalkit.data import boundaries, datasets
from evalkit.methods import monitoring as mon

FILES = datasets.DATA_DIR
BLANK_17 = [
    "GM0613",
    "GM0744",
    "GM0893",
    "GM1729",
    "GM0542",
    "GM0331",
    "GM0944",
    "GM1695",
    "GM0432",
    "GM0437",
    "GM0589",
    "GM0765",
    "GM0339",
    "GM0277",
    "GM0965",
    "GM0981",
    "GM0638",
]


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(FILES / "health_monitor.csv", dtype={"region_code": str})


@pytest.fixture(scope="module")
def raw_ya():
    return pd.read_csv(FILES / "young_adults_2024.csv", dtype={"region_code": str})


@pytest.fixture(scope="module")
def amsterdam():
    return mon.compare("GM0363")


def _fig(res, kind, code, year, ind, age="18+"):
    hits = [
        f
        for f in res.figures
        if f.unit_kind == kind
        and f.unit_code == code
        and f.year == year
        and f.indicator == ind
        and f.age_group == age
    ]
    assert len(hits) == 1, (kind, code, year, ind, hits)
    return hits[0]


def test_spot_values(amsterdam):
    assert _fig(amsterdam, "national", "NL01", 2020, "lonely_pct").value == 47.0
    assert _fig(amsterdam, "national", "NL01", 2020, "severely_lonely_pct").value == 11.2
    assert _fig(amsterdam, "municipality", "GM0363", 2020, "lonely_pct").value == 53.2
    assert _fig(amsterdam, "municipality", "GM0363", 2020, "severely_lonely_pct").value == 14.8


def test_every_figure_equals_the_source(raw, amsterdam):
    src = raw.set_index(["region_code", "year", "age_group"])
    for res in (amsterdam, mon.compare("GM1979", age_group="65+")):
        for f in res.figures:
            if f.unit_kind in ("municipality", "former_municipality", "national") and f.year < 2024:
                v = src.loc[(f.unit_code, f.year, f.age_group), f.indicator]
                if pd.isna(v):
                    assert f.value is None and f.status == "not_published"
                else:
                    assert f.value == v


def test_every_figure_has_source_year_and_remark(amsterdam):
    for f in amsterdam.figures:
        assert f.source.startswith("Bron: Gezondheidsmonitor")
        assert str(f.year) in f.source or f.year == 2024 and "2024" in f.source
        if f.unit_kind in ("municipality", "former_municipality") and f.year < 2024:
            assert "modelschatting" in f.remark
        if f.unit_kind == "peer_group":
            assert "berekend door evalkit" in f.remark
    t = amsterdam.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n"]
    assert t[["std_error", "ci_lower", "ci_upper", "p_value", "n"]].isna().all().all()
    assert t["source"].str.len().gt(0).all() and t["year"].notna().all()
    en = mon.compare("GM0363", lang="en")
    assert all(f.source.startswith("Source: Health Monitor") for f in en.figures)


def test_merged_municipality_shows_former_municipalities(raw):
    res = mon.compare("GM1982")  # Land van Cuijk (2022) = five former municipalities
    adult = [
        f for f in res.figures if f.year < 2024 and f.unit_kind != "national" and f.unit_kind != "peer_group"
    ]
    assert {f.unit_code for f in adult} == {"GM0756", "GM0786", "GM0815", "GM1684", "GM1702"}
    assert {f.unit_kind for f in adult} == {"former_municipality"}
    # no invented figure for the new code in 2012-2020
    assert not [f for f in res.figures if f.unit_code == "GM1982" and f.year < 2024]
    assert res.merged
    s = res.summary()
    assert "Boxmeer" in s and "voormalige gemeenten" in s and "rekent ze niet om" in s
    assert "gewogen naar inwoners op 1 januari 2020 (CBS)" in s  # the peer profile, named
    # 2024 (boundaries of 2024): Land van Cuijk has its own figure
    ya = raw_ya_value("GM1982", "lonely_pct")
    assert _fig(res, "municipality", "GM1982", 2024, "lonely_pct", "16-25").value == ya


def raw_ya_value(code, ind):
    d = pd.read_csv(FILES / "young_adults_2024.csv", dtype={"region_code": str}).set_index("region_code")
    return d.at[code, ind]


def test_partly_enlarged_municipality_says_so():
    s = mon.compare("GM0757").summary(lang="en")  # Boxtel + Esch (Haaren) since 2021
    assert "Haaren" in s and "Esch" in s and "not in Boxtel's figures" in s


@pytest.mark.parametrize("code", BLANK_17)
def test_blank_young_adults_stay_blank(code, raw_ya):
    assert raw_ya.set_index("region_code").loc[code].drop(["region_type", "year", "age_group"]).isna().all()
    res = mon.compare(code)
    mine = [f for f in res.young_adults() if f.unit_kind == "municipality"]
    assert len(mine) == 4
    for f in mine:
        assert f.value is None and f.status == "too_few_respondents"
        assert f.remark == "geen cijfer: te weinig respondenten"
    t = res.tidy()
    assert t.loc[(t["unit_kind"] == "municipality") & (t["year"] == 2024), "estimate"].isna().all()
    assert "geen cijfer: te weinig respondenten" in res.summary()
    assert "no figure: too few respondents" in mon.compare(code, lang="en").summary(lang="en")


def test_blanks_never_enter_a_peer_mean(raw_ya):
    ya = raw_ya.set_index("region_code")
    for code in ("GM0363", "GM1979", "GM0613"):
        pg = mon.peer_group(code)
        f = pg.figures[(pg.figures["year"] == 2024) & (pg.figures["indicator"] == "lonely_pct")].iloc[0]
        now = set(boundaries.municipalities_at(2024)["gm_code"])
        vals = [ya.at[p, "lonely_pct"] for p in pg.peers["gm_code_2020"] if p in now and p in ya.index]
        vals = [v for v in vals if not pd.isna(v)]
        assert f["count"] == len(vals)
        np.testing.assert_allclose(f["mean"], np.mean(vals), rtol=1e-12)
    r = mon.young_adults_regions()
    assert r.blanks == 17 and len(r.data) == 25 and r.data["region_name"].notna().all()


def test_gone_and_unpublished_units_in_2024():
    weesp = next(f for f in mon.compare("GM0457").young_adults() if f.unit_kind == "municipality")
    assert weesp.unit_code == "GM0363" and weesp.status == "successor"
    assert "Weesp valt sinds 2022-03-24 onder Amsterdam" in weesp.remark
    ameland = next(f for f in mon.compare("GM0060").young_adults() if f.unit_kind == "municipality")
    assert ameland.value is None and ameland.status == "not_published"


def test_peer_group_equals_independent_nearest_neighbours(raw):
    adults = raw[(raw["age_group"] == "18+") & (raw["region_code"] != "NL01")]
    wide = adults.pivot(
        index="region_code",
        columns="year",
        values=["lonely_pct", "severely_lonely_pct", "emotionally_lonely_pct", "socially_lonely_pct"],
    )
    cols = [(i, y) for y, i in mon.PEER_FEATURES]
    X = wide[cols].to_numpy(dtype=float)
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    codes = list(wide.index)
    # unchanged municipality
    i = codes.index("GM0014")
    d = cdist(Z[i : i + 1], Z)[0]
    d[i] = np.inf
    expected = {codes[j] for j in np.argsort(d, kind="stable")[:10]}
    pg = mon.peer_group("GM0014")
    assert set(pg.peers["gm_code_2020"]) == expected and not pg.combined
    assert list(pg.peers["name_2020"]) == sorted(pg.peers["name_2020"], key=str.lower)  # not a ranking
    # merged municipality: population-weighted profile of its former municipalities
    pop = pd.read_csv(FILES / "population_2020.csv").set_index("gm_code")["inhabitants_2020"]
    own = ["GM0003", "GM0010", "GM0024"]
    w = pop.loc[own].to_numpy(dtype=float)
    prof = (X[[codes.index(c) for c in own]] * w[:, None]).sum(axis=0) / w.sum()
    zp = (prof - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    d = cdist(zp[None, :], Z)[0]
    for c in own:
        d[codes.index(c)] = np.inf
    expected = {codes[j] for j in np.argsort(d, kind="stable")[:7]}
    pg = mon.peer_group("GM1979", k=7)
    assert set(pg.peers["gm_code_2020"]) == expected and pg.combined
    np.testing.assert_allclose(pg.profile.to_numpy(dtype=float), prof, rtol=1e-12)
    # the peer mean per year is the plain mean of the peers' published figures
    sub = adults[adults["region_code"].isin(pg.peers["gm_code_2020"]) & (adults["year"] == 2020)]
    f = pg.figures.query("year == 2020 and age_group == '18+' and indicator == 'lonely_pct'").iloc[0]
    np.testing.assert_allclose(f["mean"], sub["lonely_pct"].mean(), rtol=1e-12)
    assert (f["min"], f["max"]) == (sub["lonely_pct"].min(), sub["lonely_pct"].max())


def test_change_vs_level_equals_statsmodels(raw):
    import statsmodels.api as sm

    a = raw[(raw["age_group"] == "18+") & (raw["region_code"] != "NL01")].pivot(
        index="region_code", columns="year", values="lonely_pct"
    )
    x, y = a[2016].to_numpy(), (a[2020] - a[2016]).to_numpy()
    ols = sm.OLS(y, sm.add_constant(x)).fit()
    res = mon.change_vs_level()
    t = res.tidy().set_index("term")
    np.testing.assert_allclose(t.loc["slope", "estimate"], ols.params[1], rtol=1e-10)
    np.testing.assert_allclose(t.loc["slope", "std_error"], ols.bse[1], rtol=1e-10)
    np.testing.assert_allclose(
        t.loc["slope", ["ci_lower", "ci_upper"]].to_numpy(dtype=float), ols.conf_int()[1], rtol=1e-10
    )
    np.testing.assert_allclose(t.loc["slope", "p_value"], ols.pvalues[1], rtol=1e-8)
    r = np.corrcoef(x, y)[0, 1]
    np.testing.assert_allclose(t.loc["correlation", "estimate"], r, rtol=1e-10)
    z, h = math.atanh(r), 1.959963984540054 / math.sqrt(len(x) - 3)
    np.testing.assert_allclose(
        t.loc["correlation", ["ci_lower", "ci_upper"]].to_numpy(dtype=float),
        [math.tanh(z - h), math.tanh(z + h)],
        rtol=1e-10,
    )
    assert t.loc["slope", "n"] == 355
    assert "regressie naar het gemiddelde" in res.summary()
    assert "regression to the mean" in res.summary(lang="en")


def test_national_trend_one_figure_per_year(raw):
    t = mon.national_trend().tidy()
    nl = raw[(raw["region_code"] == "NL01") & (raw["age_group"] == "18+")].set_index("year")
    for r in t.itertuples(index=False):
        v = nl.at[r.year, r.indicator]
        assert (pd.isna(v) and pd.isna(r.estimate)) or v == r.estimate
    assert t.groupby(["year", "indicator"]).size().max() == 1
    assert "50090NED" in mon.national_trend().summary()


def test_model_funnel_says_what_it_cannot_show(raw):
    f = mon.model_funnel()
    s = f.summary()
    assert "niet kan laten zien" in s and "aangenomen aantal respondenten" in s
    assert "Use the funnel to look, not to judge." in f.summary(lang="en")
    d = f.dispersion
    assert list(d["size_third"]) == ["small", "middle", "large"] and d["n_municipalities"].sum() == 355
    # chance SD of a direct survey at the median illustrative n (binomial)
    frac = mon.ILLUSTRATIVE_RESPONDENTS_2020 / 17_407_585
    small = f.data[f.data["size_third"] == "small"]
    med_n = small["n_illustrative"].median()
    np.testing.assert_allclose(d.iloc[0]["binomial_sd"], 100 * math.sqrt(0.47 * 0.53 / med_n), rtol=1e-12)
    np.testing.assert_allclose(d.iloc[0]["observed_sd"], small["value"].std(ddof=1), rtol=1e-12)
    assert (f.data["n_illustrative"] == np.maximum(1, np.round(f.data["inhabitants"] * frac))).all()


def test_plots_and_html(amsterdam):
    import matplotlib.figure

    assert isinstance(amsterdam.plot(), matplotlib.figure.Figure)
    assert isinstance(mon.plot_safety_regions(highlight="GM0363"), matplotlib.figure.Figure)
    for res in (
        mon.national_trend(),
        mon.change_vs_level(),
        mon.young_adults_regions(),
        mon.model_funnel(),
        mon.peer_group("GM0363"),
    ):
        assert hasattr(res.plot(), "figure")
        html = res._repr_html_()
        assert "<table" in html
        assert res.summary(lang="en") != res.summary()
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: mon.compare(363), "code"),
        (lambda: mon.compare("GM0003"), "code"),  # Appingedam: merged into Eemsdelta in 2021
        (lambda: mon.compare("GM0363", age_group="12+"), "age_group"),
        (lambda: mon.compare("GM0363", lang="de"), "lang"),
        (lambda: mon.peer_group("GM0363", k=1), "k"),
        (lambda: mon.peer_group("GM0363", k=51), "k"),
        (lambda: mon.change_vs_level(indicator="x"), "indicator"),
        (lambda: mon.model_funnel(year=2024), "year"),
        (lambda: mon.model_funnel(year=2012, indicator="socially_lonely_pct"), "not published"),
        (lambda: mon.plot_safety_regions(age_group="x"), "age_group"),
        (lambda: mon.source_text("x"), "dataset"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_peer_figures_equal_a_pandas_groupby_exactly():
    """The peer-group figures come from arrays cached once per process (speed in a batch of
    345 reports); they equal, bit for bit, the straightforward pandas computation (filter
    the peers, group by year and age group, mean/min/max of the published figures)."""
    hm = datasets.load("health_monitor")
    codes = sorted(mon._codes_2024())[::5] + ["GM1979"]  # every fifth, and a merged one
    for code in codes:
        peers = list(mon.peer_group(code).peers["gm_code_2020"])
        part = hm[hm["region_code"].isin(peers)]
        rows = []
        for (year, age), g in part.groupby(["year", "age_group"]):
            for ind in mon.INDICATORS:
                v = g[ind].dropna()
                rows.append(
                    {
                        "year": int(year),
                        "age_group": str(age),
                        "indicator": ind,
                        "mean": float(v.mean()) if len(v) else np.nan,
                        "min": float(v.min()) if len(v) else np.nan,
                        "max": float(v.max()) if len(v) else np.nan,
                        "count": len(v),
                    }
                )
        got = mon._peer_figures(peers)
        got = got[got["year"] != 2024].drop(columns="source").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, pd.DataFrame(rows), check_exact=True)
