"""evalkit.report: parameters, safe names, atomic writes, HTML export, warm kernels.

The machinery is tested on a tiny stand-in template (built here); the real coalition
template is rendered once (stand-alone mode, without a batch cache). Warm-kernel reuse is
proven to leave no state behind: a warm kernel that first ran another report *and* a
notebook that deliberately pollutes the kernel gives the same HTML bytes and the same
cell outputs as a fresh papermill run.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from evalkit import ParameterError

from evalkit.reports import render as report

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "coalition_report.ipynb"


def _tiny_template(path: Path) -> Path:
    """A small template that shows exactly the state a warm kernel could leak."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'coalition_code = None  # required\ncoalition_name = None\nlang = "nl"\nmin_cell = 10\n'
        'label = "x"\n')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("Stand-in template for the report machinery."),
        params,
        nbformat.v4.new_code_cell(
            "import os, sys, warnings\n"
            "import pandas as pd\n"
            "import matplotlib\n"
            "import matplotlib.pyplot as plt\n"
            "from IPython.display import HTML, display\n"
            "from evalkit import plotting\n"
            "warnings.warn('shown once per fresh kernel')\n"),
        nbformat.v4.new_code_cell(
            "state = {\n"
            "  'leaked': sorted(k for k in globals() if k.startswith('polluted')),\n"
            "  'rc_linewidth': matplotlib.rcParams['lines.linewidth'],\n"
            "  'filters_error': any(f[0] == 'error' and f[2] is Warning for f in warnings.filters),\n"
            "  'pd_max_rows': pd.get_option('display.max_rows'),\n"
            "  'cwd': os.getcwd(),\n"
            "  'env': os.environ.get('EVALKIT_POLLUTED'),\n"
            "  'figs': len(plt.get_fignums()),\n"
            "  'exec_count': get_ipython().execution_count,\n"
            "}\n"
            "display(HTML('<section id=\"state\" data-section=\"state\"><pre>'\n"
            "             + str(sorted(state.items())) + '</pre></section>'))\n"
            "print(coalition_code, coalition_name)"),
        nbformat.v4.new_code_cell(
            "import io, base64\n"
            "plotting.set_style()\n"
            "ax = plotting.new_axes(figsize=(3, 2)); ax.plot([0, 1], [1, 0])\n"
            "buf = io.BytesIO(); ax.figure.savefig(buf, format='png', dpi=40,"
            " metadata={'Software': None}); plt.close(ax.figure)\n"
            "display(HTML('<figure><img alt=\"a line\" src=\"data:image/png;base64,'\n"
            "             + base64.b64encode(buf.getvalue()).decode() + '\"></figure>'))"),
        nbformat.v4.new_code_cell("len(label) + min_cell"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


POLLUTE = (
    "import os, warnings, matplotlib, pandas as pd, matplotlib.pyplot as plt\n"
    "polluted_global = 42\n"
    "matplotlib.rcParams['lines.linewidth'] = 9\n"
    "warnings.simplefilter('error')\n"
    "pd.set_option('display.max_rows', 3)\n"
    "os.chdir('/')\n"
    "os.environ['EVALKIT_POLLUTED'] = '1'\n"
    "plt.figure()\n"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tpl")
    return _tiny_template(d / "tiny.ipynb")


@pytest.fixture(scope="module")
def warm(tiny):
    k = report.WarmKernel(cwd=tiny.parent)
    yield k
    k.shutdown()


# ---------------------------------------------------------------------------------------
def test_safe_filename_for_awkward_municipality_names():
    assert report.safe_filename("'s-Hertogenbosch") == "s-hertogenbosch"
    assert report.safe_filename("Súdwest-Fryslân") == "sudwest-fryslan"
    assert report.safe_filename("Bergen (L.)") == "bergen-l"
    assert report.safe_filename("Bergen (NH.)") == "bergen-nh"
    assert report.report_basename("GM0796", "'s-Hertogenbosch") == "GM0796-s-hertogenbosch"
    for name in ("'s-Gravenhage", "Nuenen, Gerwen en Nederwetten", "Súdwest-Fryslân"):
        stem = report.safe_filename(name)
        assert re.fullmatch(r"[a-z0-9-]+", stem), stem
    with pytest.raises(ParameterError):
        report.safe_filename("")


def test_template_parameters_parsed_without_kernel(tiny):
    p = report.template_parameters(tiny)
    assert p == {"coalition_code": None, "coalition_name": None, "lang": "nl",
                 "min_cell": 10, "label": "x"}
    real = report.template_parameters(TEMPLATE)
    assert {"coalition_code", "coalition_name", "data_path", "codebook", "intervention",
            "lang", "min_cell", "reference_dir", "results_cache"} == set(real)


@pytest.mark.parametrize("params, match", [
    ({"coalition_code": "GM0363", "coalition_name": "A", "colour": "red"}, "unknown"),
    ({"coalition_name": "A"}, "missing required parameter"),
    ({"coalition_code": 363, "coalition_name": "A"}, "GM0363"),
    ({"coalition_code": "0363", "coalition_name": "A"}, "GM0363"),
    ({"coalition_code": "GM0363", "coalition_name": "A", "lang": "de"}, "lang"),
    ({"coalition_code": "GM0363", "coalition_name": "A", "min_cell": 0}, "min_cell"),
    ({"coalition_code": "GM0363", "coalition_name": "A", "min_cell": "10"}, "whole number"),
])
def test_bad_parameters_refused_before_a_kernel_starts(tiny, tmp_path, monkeypatch, params, match):
    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(report, "_execute_fresh", boom)
    monkeypatch.setattr(report.WarmKernel, "__init__", boom)
    with pytest.raises(ParameterError, match=match):
        report.render(tiny, params, tmp_path)
    assert not list(tmp_path.iterdir())


def test_cli_values_are_typed_by_the_template(tiny):
    got = report._parse_cli_params([["coalition_code", "0363"], ["min_cell", "5"]],
                                   [["label", "12"]], tiny)
    assert got == {"coalition_code": "0363", "min_cell": 5, "label": "12"}
    with pytest.raises(ParameterError, match="whole number"):
        report._parse_cli_params([["min_cell", "veel"]], None, tiny)


def test_cli_report_refuses_a_numeric_code(tmp_path, capsys):
    from evalkit import cli

    rc = cli.main(["report", str(TEMPLATE), "-p", "coalition_code", "0363", "-p",
                   "coalition_name", "Amsterdam", "-p", "data_path", "x.csv",
                   "--out", str(tmp_path)])
    assert rc == 1 and "GM0363" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a.html"
    report.atomic_write(target, "old")
    report.atomic_write(target, "new")
    assert target.read_text() == "new"

    class Boom:
        pass

    with pytest.raises(TypeError):
        report.atomic_write(target, Boom())  # fails while writing
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.html"]
    assert oct(target.stat().st_mode & 0o077) != "0o0"  # readable by others (not 0600)


def test_export_refuses_external_requests():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"text/html": '<script src="https://cdn.example/x.js"></script>'})]
    nb.cells = [cell]
    with pytest.raises(Exception, match="external"):
        report.export_html(nb, title="t")
    assert report.find_external_references('<img src="//x.org/a.png">')
    assert not report.find_external_references('<img src="data:image/png;base64,AAAA">')


def _outputs(nb):
    """Cell outputs without stderr (it contains the kernel's temporary file names)."""
    out = []
    for c in nb.cells:
        if c.cell_type == "code":
            out.append((c.execution_count, [o for o in c.outputs
                                            if not (o.get("output_type") == "stream"
                                                    and o.get("name") == "stderr")]))
    return out


def test_fresh_render_html_has_no_code_and_keeps_parameters(tiny, tmp_path):
    res = report.render(tiny, {"coalition_code": "GM0796", "coalition_name": "'s-Hertogenbosch"},
                        tmp_path, kernel_name="python3", cwd=tiny.parent, execution_timeout=60)
    assert res.html_path.name == "GM0796-s-hertogenbosch.html"
    html = res.html_path.read_text(encoding="utf-8")
    assert "import matplotlib" not in html and "plotting.set_style" not in html
    assert "In&nbsp;[" not in html and "Out[" not in html
    assert "shown once per fresh kernel" not in html  # stderr stripped
    assert report.find_external_references(html) == []
    assert "Content-Security-Policy" in html
    assert 'alt="a line"' in html
    nb = nbformat.read(res.notebook_path, as_version=4)
    assert nb.metadata["evalkit"]["parameters"]["coalition_code"] == "GM0796"
    assert nb.metadata["evalkit"]["parameters"]["min_cell"] == 10
    assert nb.metadata["papermill"]["parameters"] == {"coalition_code": "GM0796",
                                                      "coalition_name": "'s-Hertogenbosch"}


def test_warm_kernel_leaves_no_state_behind(tiny, warm, tmp_path):
    """Same report bytes and outputs as a fresh papermill kernel, after pollution."""
    import papermill as pm

    params = {"coalition_code": "GM0363", "coalition_name": "Amsterdam"}
    ref_nb = tmp_path / "papermill.ipynb"
    pm.execute_notebook(str(tiny), str(ref_nb), parameters=params, kernel_name="python3",
                        cwd=str(tiny.parent), execution_timeout=60, progress_bar=False)
    ref = nbformat.read(ref_nb, as_version=4)
    ref_html = report.export_html(ref, title="Amsterdam (GM0363)")

    # another report first, then a notebook that pollutes every kind of state
    report.render(tiny, {"coalition_code": "GM0599", "coalition_name": "Rotterdam",
                         "min_cell": 5, "label": "other"}, tmp_path / "other", kernel=warm)
    warm.execute(report._code_nb(POLLUTE))
    res = report.render(tiny, params, tmp_path / "warm", kernel=warm)
    html = res.html_path.read_text(encoding="utf-8")
    assert html == ref_html
    got = nbformat.read(res.notebook_path, as_version=4)
    assert _outputs(got) == _outputs(ref)
    state = [c for c in got.cells if "state" in c.source][0].outputs[0]["data"]["text/html"]
    assert "('leaked', [])" in state and "('figs', 0)" in state
    assert "('filters_error', False)" in state and "('env', None)" in state
    assert warm.reports_run >= 3


def test_warm_kernel_reports_a_failing_cell_and_recovers(tiny, warm, tmp_path):
    bad = nbformat.read(tiny, as_version=4)
    bad.cells.append(nbformat.v4.new_code_cell("raise ValueError('kapot')"))
    bad_path = tmp_path / "bad.ipynb"
    nbformat.write(bad, bad_path)
    with pytest.raises(report.ReportExecutionError, match="kapot") as info:
        report.render(bad_path, {"coalition_code": "GM0363", "coalition_name": "A"},
                      tmp_path, kernel=warm)
    assert info.value.ename == "ValueError"
    assert not list(tmp_path.glob("*.html"))
    ok = report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, tmp_path,
                       kernel=warm)
    assert ok.html_path.is_file()


def test_real_template_standalone_all_sections(tmp_path):
    """A coalition renders the template on its own file (no batch cache)."""
    from evalkit.data import datasets
    from evalkit.reports import compute as reportdata

    df = datasets.load("interventions")
    sub = df[df["municipality_code"] == "GM0796"].reset_index(drop=True)
    data = tmp_path / "GM0796.csv"
    data.write_bytes(datasets.to_csv_bytes(sub))
    k = report.WarmKernel(cwd=tmp_path)
    try:
        res = report.render(TEMPLATE, {"coalition_code": "GM0796",
                                       "coalition_name": "'s-Hertogenbosch",
                                       "data_path": str(data), "lang": "en"},
                            tmp_path / "out", kernel=k, cwd=tmp_path, execution_timeout=120)
    finally:
        k.shutdown()
    html = res.html_path.read_text(encoding="utf-8")
    found = re.findall(r'data-section="([a-z_]+)"', html)
    assert found == list(reportdata.SECTION_IDS)
    assert "Summary" in html and "Samenvatting" not in html  # lang="en"
    assert "GM0796-0001" not in html  # no participant ids
    assert report.find_external_references(html) == []
    assert len(html.encode()) < 300_000
    imgs = re.findall(r"<img [^>]*>", html)
    assert imgs and all(re.search(r'alt="[^"]{20,}"', i) for i in imgs)
    nb = nbformat.read(res.notebook_path, as_version=4)
    assert nb.metadata["evalkit"]["data_sha256"] == report.file_sha256(data)


def test_small_coalition_is_suppressed_but_keeps_every_section():
    """Fewer pairs than min_cell: no numbers, no figures, all sections (privacy)."""
    import warnings

    from evalkit.data import datasets

    from evalkit.reports import compute as reportdata

    df = datasets.load("interventions")
    sub = df[df["municipality_code"] == "GM0363"]
    keep = sorted(sub["participant_id"].unique())[:8]
    sub = sub[sub["participant_id"].isin(keep)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        content = reportdata.compute(sub, {"coalition_code": "GM0363",
                                           "coalition_name": "Amsterdam"})
    assert content["key"]["suppressed"] and content["key"]["n_pairs"] is None  # blanked
    r = reportdata.CoalitionReport(content, {"coalition_code": "GM0363",
                                             "coalition_name": "Amsterdam"}, None, None)
    html = "".join(r.section_html(s) for s in reportdata.SECTION_IDS)
    assert re.findall(r'data-section="([a-z_]+)"', html) == list(reportdata.SECTION_IDS)
    for section in ("prepost", "share_lonely", "reliable_change"):
        assert "<img" not in content["sections"][section]
    assert "minder dan 10" in content["sections"]["summary"]
    with pytest.raises(ParameterError, match="section"):
        r.section_html("ranking")


def test_index_page_in_english():
    import pandas as pd

    from evalkit.reports import compute as reportdata

    table = pd.DataFrame([{"coalition_code": "GM0363", "coalition_name": "Amsterdam",
                           "status": "failed", "stage": "validation", "message": "3 errors",
                           "html": "GM0363-amsterdam-fout.html", "seconds": 0.1}])
    html = reportdata.index_page(table, {}, None, lang="en")
    assert "Reports of the local coalitions" in html and "failed" in html
    assert 'href="GM0363-amsterdam-fout.html"' in html and 'lang="en"' in html


# ---------------------------------------------------------------------------------------
# review: defects found and fixed (each with its test)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"execution_timeout": "abc"}, "execution_timeout"),
    ({"execution_timeout": -1}, "execution_timeout"),
    ({"execution_timeout": float("nan")}, "execution_timeout"),
    ({"kernel_name": "no-such-kernel"}, "kernel_name='no-such-kernel'.*installed"),
    ({"write_notebook": "yes"}, "write_notebook"),
    ({"kernel": "warm"}, "kernel"),
])
def test_bad_render_options_refused_before_a_kernel_starts(tiny, tmp_path, monkeypatch, kwargs,
                                                            match):
    """Defect: a non-numeric timeout raised a bare ValueError and an unknown kernel spec
    failed only after the start attempt; now both are ParameterErrors up front."""
    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(report, "_execute_fresh", boom)
    with pytest.raises(ParameterError, match=match):
        report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, tmp_path,
                      **kwargs)
    assert not list(tmp_path.iterdir())


def test_render_refuses_an_output_dir_that_is_a_file(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "_execute_fresh", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("a kernel was started")))
    f = tmp_path / "reports"
    f.write_text("not a folder")
    with pytest.raises(ParameterError, match="output_dir"):
        report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, f)


def _small_content(n_keep=8, code="GM0363"):
    import warnings

    from evalkit.data import datasets

    from evalkit.reports import compute as reportdata

    df = datasets.load("interventions")
    sub = df[df["municipality_code"] == code]
    keep = sorted(sub["participant_id"].unique())[:n_keep]
    sub = sub[sub["participant_id"].isin(keep)].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sub, reportdata.compute(sub, {"coalition_code": code, "coalition_name": "Amsterdam"})


def _text(html: str) -> str:
    import html as _h

    html = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r" \1 ", html)
    return re.sub(r"\s+", " ", _h.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_small_coalition_prints_no_small_count_anywhere():
    """Defect: with 8 participants the data-quality text still said "15 metingen van 8
    deelnemers" and "deden er 1 (12%) niet mee"; the key numbers (index, manifest, cache)
    still held n, means and shares. Now every count of 1-9 reads "minder dan 10" and the
    key numbers are blank."""
    from evalkit.reports import compute as reportdata

    sub, content = _small_content()
    r = reportdata.CoalitionReport(content, {"coalition_code": "GM0363",
                                             "coalition_name": "Amsterdam"}, None, None)
    text = _text("".join(r.section_html(s) for s in reportdata.SECTION_IDS))
    n_units = sub["participant_id"].nunique()
    assert n_units < 10
    assert not re.search(rf"\b{n_units} deelnemers\b", text)
    assert not re.search(r"deden er \d+ \(", text)
    assert "minder dan 10 deelnemers" in text
    key = content["key"]
    assert key["suppressed"] and key["min_cell"] == 10
    for k in ("n_pairs", "n_participants", "mean_pre", "mean_post", "mean_diff", "share_pre",
              "ci_lower", "ci_upper"):
        assert key[k] is None, k


def test_index_shows_no_numbers_of_a_suppressed_coalition():
    """Defect: index.html listed pairs, means and the change of a coalition that its own
    report suppressed (fewer than min_cell pairs)."""
    import pandas as pd

    from evalkit.reports import compute as reportdata

    table = pd.DataFrame([{"coalition_code": "GM0363", "coalition_name": "Amsterdam",
                           "status": "ok", "stage": None, "message": "",
                           "html": "GM0363-amsterdam.html", "seconds": 0.1}])
    key = {"coalition_code": "GM0363", "suppressed": True, "min_cell": 10, "n_pairs": 7,
           "mean_pre": 5.4286, "mean_post": 4.2857, "mean_diff": -1.1429, "ci_lower": -3.8354,
           "ci_upper": 1.5497, "share_pre": 0.857, "share_post": 0.714}
    html = reportdata.index_page(table, {"GM0363": key}, None)
    row = re.search(r'<tr data-code="GM0363">.*?</tr>', html).group(0)
    assert "&lt; 10" in row and "niet getoond" in row
    for leaked in (">7<", "5,4", "4,3", "−1,14", "86%", "71%"):
        assert leaked not in row, leaked


def test_position_of_a_suppressed_coalition_is_a_full_sentence():
    """Defect: a coalition missing from the funnel plot got "Amsterdam ligt ." (empty
    status) in its text and alt text."""
    import numpy as np
    import pandas as pd

    from evalkit.reports import compute as reportdata

    rng = np.random.default_rng(5)
    t = pd.DataFrame({"coalition_code": [f"GM{i:04d}" for i in range(1, 21)],
                      "mean_diff": rng.normal(-0.8, 0.4, 20), "n_pairs": rng.integers(20, 90, 20),
                      "sd_diff": np.full(20, 2.5), "suppressed": False})
    t.loc[0, ["mean_diff", "n_pairs"]] = np.nan
    t.loc[0, "suppressed"] = True
    html = reportdata._position_html("GM0001", "Appingedam", {"table": t, "pooled": {}}, "nl")
    text = _text(html)
    assert "Appingedam ligt niet in het diagram" in text
    assert "ligt ." not in text and "ligt  " not in text


def test_tables_never_print_p_as_zero():
    import pandas as pd

    from evalkit.reports import compute as reportdata

    html = reportdata._table_html(pd.DataFrame({"p_value": [0.00001, 0.0123]}),
                                  {"p_value": "p"}, "nl", digits={"p_value": 3})
    assert "0,000" not in html and "&lt; 0,001" in html and "0,012" in html


def test_appendix_has_dutch_labels_and_reasons_are_dutch(tmp_path):
    """Defects: the appendix listed raw parameter names (coalition_code, min_cell) as its
    labels, and a missing reference folder put an English exception text into the Dutch
    report."""
    from evalkit.reports import compute as reportdata

    sub, _ = _small_content(n_keep=40, code="GM0796")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        content = reportdata.compute(sub, {"coalition_code": "GM0796",
                                           "coalition_name": "'s-Hertogenbosch",
                                           "reference_dir": str(tmp_path)})
    for s in ("trend", "benchmark"):
        assert "referentiegegevens" in content["sections"][s]
        assert "has no" not in content["sections"][s] and str(tmp_path) not in content["sections"][s]
    params = {"coalition_code": "GM0796", "coalition_name": "'s-Hertogenbosch", "lang": "nl",
              "min_cell": 10, "data_path": "/x/y/GM0796.csv"}
    app = reportdata.CoalitionReport(content, params, None, "abc").section_html("appendix")
    assert "Gemeentecode" in app and "Privacydrempel" in app and "Nederlands" in app
    outside_code = re.sub(r"<code>.*?</code>", "", app)
    for raw in ("coalition_code", "min_cell", "data_path"):
        assert raw not in outside_code, raw
    assert "/x/y" not in app  # only the file name


def _pairs(sizes: dict, seed=3):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    groups = [g for g, k in sizes.items() for _ in range(k)]
    n = len(groups)
    pre = rng.integers(3, 11, n)
    return pd.DataFrame({"participant_id": np.repeat([f"P{i:03d}" for i in range(n)], 2),
                         "wave": ["pre", "post"] * n,
                         "gender": np.repeat(np.array(groups, dtype=object), 2),
                         "total": np.column_stack([pre, np.clip(pre - rng.integers(-1, 3, n), 0, 11)]
                                                  ).ravel().astype(float)})


def test_subgroup_table_secondary_suppression_and_fixed_rows():
    """Defect: with man 25, vrouw 40 and 1 'anders', the table showed man and vrouw and
    the summary showed the total, so 'anders' = total - 25 - 40 = 1 could be computed.
    Rows also depended on which categories occurred, in alphabetical order. Now the
    smallest shown group is hidden too and every report has the same rows in order."""
    import warnings

    from evalkit.methods import prepost

    from evalkit.reports import compute as reportdata

    df = _pairs({"man": 25, "vrouw": 40, "anders": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = prepost.by_group(prepost.paired, df, by="gender", outcome="total",
                               unit="participant_id", time="wave")
    t = reportdata._subgroup_table(res, "gender", 10, "nl")
    assert list(t["group_label"]) == ["man", "vrouw", "anders"]
    shown = t[~t["suppressed"]]
    assert list(shown["group_label"]) == ["vrouw"]
    assert t.loc[t["suppressed"], ["estimate", "ci_lower", "ci_upper", "n"]].isna().all().all()
    assert "beschermt een kleine groep" in t.loc[0, "status"]
    hidden = 66 - shown["n"].sum()
    assert hidden == 0 or hidden >= 10
    # no group under the threshold, nothing hidden: nothing extra is suppressed; a category
    # nobody is in is still a row (suppressed), and a missing value is "onbekend"
    df2 = _pairs({"man": 25, "vrouw": 40, None: 12})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res2 = prepost.by_group(prepost.paired, df2, by="gender", outcome="total",
                                unit="participant_id", time="wave")
    t2 = reportdata._subgroup_table(res2, "gender", 10, "en")
    assert list(t2["group_label"]) == ["man", "woman", "other", "unknown"]
    assert list(t2["suppressed"]) == [False, False, True, False]
    assert t2["n"].iloc[[0, 1, 3]].tolist() == [25, 40, 12]


def test_attrition_table_secondary_suppression():
    """Defect: the completers/drop-outs table hid a category of 1 person but showed the
    shares of the others, from which its count follows; now a second category is hidden."""
    import numpy as np
    import pandas as pd

    from evalkit.reports import compute as reportdata

    t = pd.DataFrame({"variable": ["total", "gender", "gender", "gender"],
                      "level": [np.nan, "anders", "man", "vrouw"],
                      "mean_completers": [6.0, 1 / 110, 34 / 110, 75 / 110],
                      "mean_dropouts": [6.2, 0.0, 11 / 24, 13 / 24]})
    small = pd.Series([False, True, False, False])
    out = reportdata._secondary_levels(t, small, 110, 24, 10)
    assert out.tolist() == [False, True, True, False]  # man (11 drop-outs) is the smallest
    none = reportdata._secondary_levels(t, pd.Series([False] * 4), 110, 24, 10)
    assert not none.any()


def test_kernel_start_prints_no_tcp_warning(tiny, tmp_path, capfd):
    """Every kernel start used to print "[IPKernelApp] WARNING | Kernel is running over TCP
    without encryption" into `evalkit demo`'s output; the kernels now start with their log
    level at ERROR (the connection stays on loopback with signed messages)."""
    report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, tmp_path,
                  cwd=tmp_path, execution_timeout=120)
    err = capfd.readouterr().err
    assert "without encryption" not in err and "IPKernelApp" not in err
