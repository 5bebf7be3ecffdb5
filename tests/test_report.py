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
        'coalition_code = None  # required\ncoalition_name = None\nlang = "nl"\nmin_cell = 10\nlabel = "x"\n'
    )
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
            "warnings.warn('shown once per fresh kernel')\n"
        ),
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
            'display(HTML(\'<section id="state" data-section="state"><pre>\'\n'
            "             + str(sorted(state.items())) + '</pre></section>'))\n"
            "print(coalition_code, coalition_name)"
        ),
        nbformat.v4.new_code_cell(
            "import io, base64\n"
            "plotting.set_style()\n"
            "ax = plotting.new_axes(figsize=(3, 2)); ax.plot([0, 1], [1, 0])\n"
            "buf = io.BytesIO(); ax.figure.savefig(buf, format='png', dpi=40,"
            " metadata={'Software': None}); plt.close(ax.figure)\n"
            'display(HTML(\'<figure><img alt="a line" src="data:image/png;base64,\'\n'
            "             + base64.b64encode(buf.getvalue()).decode() + '\"></figure>'))"
        ),
        nbformat.v4.new_code_cell("len(label) + min_cell"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
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
    assert p == {"coalition_code": None, "coalition_name": None, "lang": "nl", "min_cell": 10, "label": "x"}
    real = report.template_parameters(TEMPLATE)
    from evalkit.reports.coalition import REPORT_PARAMETERS

    assert set(REPORT_PARAMETERS) == set(real)  # the template and the typed spec agree
    for k, (typ, default, _) in REPORT_PARAMETERS.items():
        assert real[k] == default and (default is None or isinstance(default, typ)), k


@pytest.mark.parametrize(
    "params, match",
    [
        ({"coalition_code": "GM0363", "coalition_name": "A", "colour": "red"}, "unknown"),
        ({"coalition_name": "A"}, "missing required parameter"),
        ({"coalition_code": 363, "coalition_name": "A"}, "GM0363"),
        ({"coalition_code": "0363", "coalition_name": "A"}, "GM0363"),
        ({"coalition_code": "GM0363", "coalition_name": "A", "lang": "de"}, "lang"),
        ({"coalition_code": "GM0363", "coalition_name": "A", "min_cell": 0}, "min_cell"),
        ({"coalition_code": "GM0363", "coalition_name": "A", "min_cell": "10"}, "whole number"),
    ],
)
def test_bad_parameters_refused_before_a_kernel_starts(tiny, tmp_path, monkeypatch, params, match):
    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(report, "_execute_fresh", boom)
    monkeypatch.setattr(report.WarmKernel, "__init__", boom)
    with pytest.raises(ParameterError, match=match):
        report.render(tiny, params, tmp_path)
    assert not list(tmp_path.iterdir())


def test_cli_values_are_typed_by_the_template(tiny):
    got = report._parse_cli_params([["coalition_code", "0363"], ["min_cell", "5"]], [["label", "12"]], tiny)
    assert got == {"coalition_code": "0363", "min_cell": 5, "label": "12"}
    with pytest.raises(ParameterError, match="heel getal"):
        report._parse_cli_params([["min_cell", "veel"]], None, tiny)


def test_cli_report_refuses_a_numeric_code(tmp_path, capsys):
    from evalkit import cli

    rc = cli.main(
        [
            "report",
            str(TEMPLATE),
            "-p",
            "coalition_code",
            "0363",
            "-p",
            "coalition_name",
            "Amsterdam",
            "-p",
            "data_path",
            "x.csv",
            "--out",
            str(tmp_path),
        ]
    )
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
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": '<script src="https://cdn.example/x.js"></script>'}
        )
    ]
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
            out.append(
                (
                    c.execution_count,
                    [
                        o
                        for o in c.outputs
                        if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                    ],
                )
            )
    return out


def test_fresh_render_html_has_no_code_and_keeps_parameters(tiny, tmp_path):
    res = report.render(
        tiny,
        {"coalition_code": "GM0796", "coalition_name": "'s-Hertogenbosch"},
        tmp_path,
        kernel_name="python3",
        cwd=tiny.parent,
        execution_timeout=60,
    )
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
    assert nb.metadata["papermill"]["parameters"] == {
        "coalition_code": "GM0796",
        "coalition_name": "'s-Hertogenbosch",
    }


def test_warm_kernel_leaves_no_state_behind(tiny, warm, tmp_path):
    """Same report bytes and outputs as a fresh papermill kernel, after pollution."""
    import papermill as pm

    params = {"coalition_code": "GM0363", "coalition_name": "Amsterdam"}
    ref_nb = tmp_path / "papermill.ipynb"
    pm.execute_notebook(
        str(tiny),
        str(ref_nb),
        parameters=params,
        kernel_name="python3",
        cwd=str(tiny.parent),
        execution_timeout=60,
        progress_bar=False,
    )
    ref = nbformat.read(ref_nb, as_version=4)
    ref_html = report.export_html(ref, title="Amsterdam (GM0363)")

    # another report first, then a notebook that pollutes every kind of state
    report.render(
        tiny,
        {"coalition_code": "GM0599", "coalition_name": "Rotterdam", "min_cell": 5, "label": "other"},
        tmp_path / "other",
        kernel=warm,
    )
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
        report.render(bad_path, {"coalition_code": "GM0363", "coalition_name": "A"}, tmp_path, kernel=warm)
    assert info.value.ename == "ValueError"
    assert not list(tmp_path.glob("*.html"))
    ok = report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, tmp_path, kernel=warm)
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
        res = report.render(
            TEMPLATE,
            {
                "coalition_code": "GM0796",
                "coalition_name": "'s-Hertogenbosch",
                "data_path": str(data),
                "lang": "en",
            },
            tmp_path / "out",
            kernel=k,
            cwd=tmp_path,
            execution_timeout=120,
        )
    finally:
        k.shutdown()
    html = res.html_path.read_text(encoding="utf-8")
    found = re.findall(r'data-section="([a-z_]+)"', html)
    assert found == [s for s in reportdata.SECTION_IDS if s != "benchmark"]  # no benchmark
    from evalkit.reports import disclosure

    assert disclosure.audit_page(res.html_path) == []  # the notebook's record, audited
    assert "Summary" in html and "Samenvatting" not in html  # lang="en"
    assert "GM0796-0001" not in html  # no participant ids
    assert report.find_external_references(html) == []
    assert len(html.encode()) < 300_000
    imgs = re.findall(r"<img [^>]*>", html)
    assert imgs and all(re.search(r'alt="[^"]{20,}"', i) for i in imgs)
    nb = nbformat.read(res.notebook_path, as_version=4)
    assert nb.metadata["evalkit"]["data_sha256"] == report.file_sha256(data)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"execution_timeout": "abc"}, "execution_timeout"),
        ({"execution_timeout": -1}, "execution_timeout"),
        ({"execution_timeout": float("nan")}, "execution_timeout"),
        ({"kernel_name": "no-such-kernel"}, "kernel_name='no-such-kernel'.*installed"),
        ({"write_notebook": "yes"}, "write_notebook"),
        ({"kernel": "warm"}, "kernel"),
    ],
)
def test_bad_render_options_refused_before_a_kernel_starts(tiny, tmp_path, monkeypatch, kwargs, match):
    """Defect: a non-numeric timeout raised a bare ValueError and an unknown kernel spec
    failed only after the start attempt; now both are ParameterErrors up front."""

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(report, "_execute_fresh", boom)
    with pytest.raises(ParameterError, match=match):
        report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, tmp_path, **kwargs)
    assert not list(tmp_path.iterdir())


def test_render_refuses_an_output_dir_that_is_a_file(tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(
        report,
        "_execute_fresh",
        lambda *a, **k: (_ for _ in ()).throw(AssertionError("a kernel was started")),
    )
    f = tmp_path / "reports"
    f.write_text("not a folder")
    with pytest.raises(ParameterError, match="output_dir"):
        report.render(tiny, {"coalition_code": "GM0363", "coalition_name": "A"}, f)


def test_kernel_start_prints_no_tcp_warning(tiny, tmp_path, capfd):
    """Every kernel start used to print "[IPKernelApp] WARNING | Kernel is running over TCP
    without encryption" into `evalkit demo`'s output; the kernels now start with their log
    level at ERROR (the connection stays on loopback with signed messages)."""
    report.render(
        tiny,
        {"coalition_code": "GM0363", "coalition_name": "A"},
        tmp_path,
        cwd=tmp_path,
        execution_timeout=120,
    )
    err = capfd.readouterr().err
    assert "without encryption" not in err and "IPKernelApp" not in err
