"""evalkit.batch: the batch over example coalitions, failure isolation, reruns, Dask.

One batch (2 worker processes, warm kernels) runs over three example coalitions with
awkward names plus one coalition with deliberately broken data; the module's tests check
its outputs. A second run checks "rerun only failed or changed"; a fresh-kernel render of
one coalition checks that warm kernels give identical bytes; a local Dask cluster runs a
small batch through ``scheduler=``; headless Chromium opens a report.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evalkit import ParameterError
from evalkit.data import datasets
from evalkit.reports import batch, disclosure
from evalkit.reports import compute as reportdata
from evalkit.reports import render as report
from evalkit.reports.demo import write_example_coalitions

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "coalition_report.ipynb"
GOOD = {"GM0796": "'s-Hertogenbosch", "GM1900": "Súdwest-Fryslân", "GM0893": "Bergen (L.)"}
BROKEN = "GM0363"


def _strip_data_uris(html: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", html)


def _break(path: Path) -> None:
    """Three kinds of error a coalition could make: bad age, unknown wave, bad answer code."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "age"] = "999"
    df.loc[1, "wave"] = "tussenmeting"
    df.loc[2, "djg4"] = "7"
    df.to_csv(path, index=False)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    allc = write_example_coalitions(d / "data")
    co = allc[allc["coalition_code"].isin([*GOOD, BROKEN])].reset_index(drop=True)
    assert set(co["coalition_code"]) == {*GOOD, BROKEN}
    _break(Path(co.loc[co["coalition_code"] == BROKEN, "data_path"].iloc[0]))
    t0 = time.perf_counter()
    res = batch.run(TEMPLATE, co, d / "reports", workers=2, progress=False)
    res.test_seconds = time.perf_counter() - t0
    return d, co, res


def test_batch_isolates_the_broken_coalition(example):
    d, co, res = example
    st = dict(zip(res.table["coalition_code"], res.table["status"]))
    assert st == {**{c: "ok" for c in GOOD}, BROKEN: "failed"}
    row = res.table.set_index("coalition_code").loc[BROKEN]
    assert row["stage"] == "validation"
    assert res.n_ok == 3 and res.n_failed == 1


def test_every_good_report_has_all_sections_in_order(example):
    d, co, res = example
    out = d / "reports"
    for code, name in GOOD.items():
        f = out / f"{report.report_basename(code, name)}.html"
        html = f.read_text(encoding="utf-8")
        # no benchmark figures were supplied: no benchmark section
        assert re.findall(r'data-section="([a-z_]+)"', html) == [
            s for s in reportdata.SECTION_IDS if s != "benchmark"
        ]
        assert name in __import__("html").unescape(html) and "Samenvatting" in html
        assert report.find_external_references(html) == []
        assert len(html.encode()) < 300_000, (code, len(html.encode()))
        for img in re.findall(r"<img [^>]*>", html):
            assert re.search(r'alt="[^"]{20,}"', img)
        sha = report.file_sha256(co.loc[co["coalition_code"] == code, "data_path"].iloc[0])
        assert sha in html  # the appendix names the data file's hash
        assert disclosure.audit_page(f) == []


def test_broken_coalition_gets_a_dutch_error_page(example):
    d, co, res = example
    page = d / "reports" / f"{report.report_basename(BROKEN, 'Amsterdam')}-fout.html"
    html = page.read_text(encoding="utf-8")
    assert "Rapport kon niet worden gemaakt" in html
    assert "Wat moet er worden verbeterd?" in html
    for col in ("age", "wave", "djg4"):  # the column as Excel shows it: letter and name
        assert re.search(rf"<td>(?:[A-Z]+ )?{col}</td>", html), col
    assert "999" in html and "tussenmeting" in html
    assert report.find_external_references(html) == []


def test_index_lists_every_coalition_with_status_and_pooled_estimate(example):
    d, co, res = example
    html = res.index_path.read_text(encoding="utf-8")
    for code in [*GOOD, BROKEN]:
        assert f'data-code="{code}"' in html
    assert "niet gemaakt" in html and "fout.html" in html
    for code, name in GOOD.items():
        assert f'href="{report.report_basename(code, name)}.html"' in html
    assert "Alle coalities samen" in html and "<img" in html  # forest plot
    assert disclosure.audit_page(res.index_path) == []
    assert res.pooled["k"] == 3
    assert report.find_external_references(html) == []


def test_no_output_contains_a_participant_id(example):
    d, co, res = example
    ids = set()
    for p in co["data_path"]:
        ids |= set(pd.read_csv(p, dtype=str)["participant_id"])
    assert len(ids) > 100
    for f in (d / "reports").glob("*.html"):
        text = _strip_data_uris(f.read_text(encoding="utf-8"))
        leaked = [i for i in ids if i in text]
        assert not leaked, (f.name, leaked[:3])


def test_outputs_written_atomically_no_temp_files(example):
    d, co, res = example
    assert not [p for p in (d / "reports").rglob("*.tmp")]
    manifest = json.loads((d / "reports" / "manifest.json").read_text())
    assert set(manifest["coalitions"]) == {*GOOD, BROKEN}
    assert manifest["coalitions"][BROKEN]["hash"] is None


def _sections(html: str) -> dict[str, tuple[str, list[str]]]:
    """Per section: its visible text and its images (attribute order may differ)."""
    import html as _h

    out = {}
    for sid, body in re.findall(
        r'<section[^>]*data-section="([a-z_]+)"[^>]*>(.*?)</section>', html, flags=re.DOTALL
    ):
        imgs = re.findall(r'src="(data:image/png;base64,[^"]+)"', body)
        # alt texts compared as read (nbconvert writes an apostrophe as ', html.escape as &#x27;)
        alts = [_h.unescape(a) for a in re.findall(r'alt="([^"]*)"', body)]
        text = _h.unescape(re.sub(r"<[^>]+>", " ", body))
        out[sid] = (" ".join(text.split()) + " ".join(alts), imgs)
    return out


def test_notebook_view_shows_the_same_sections_as_the_inprocess_page(example, tmp_path):
    """The papermill notebook is a thin view over the same typed objects: executed in a
    fresh kernel from the batch's cache, it shows the same sections, figures included, and
    its page passes the same audit."""
    d, co, res = example
    code = "GM1900"
    row = co[co["coalition_code"] == code].iloc[0]
    params = {
        "coalition_code": code,
        "coalition_name": row["coalition_name"],
        "data_path": row["data_path"],
        "results_cache": str(d / "reports" / "_cache"),
    }
    fresh = report.render(TEMPLATE, params, tmp_path, kernel="fresh", cwd=Path.cwd(), execution_timeout=120)
    inproc = (d / "reports" / fresh.html_path.name).read_text(encoding="utf-8")
    nb_sections = _sections(fresh.html_path.read_text(encoding="utf-8"))
    ip_sections = _sections(inproc)
    assert list(nb_sections) == list(ip_sections)
    for k in ip_sections:
        assert nb_sections[k] == ip_sections[k], k
    assert disclosure.audit_page(fresh.html_path) == []


def test_rerun_only_failed_or_changed(example, tmp_path):
    d, co, res = example
    # work on copies: the shared batch output and the broken file stay as other tests expect
    out = tmp_path / "reports"
    shutil.copytree(d / "reports", out)
    co = co.copy()
    broken = tmp_path / Path(co.loc[co["coalition_code"] == BROKEN, "data_path"].iloc[0]).name
    shutil.copy2(co.loc[co["coalition_code"] == BROKEN, "data_path"].iloc[0], broken)
    co.loc[co["coalition_code"] == BROKEN, "data_path"] = str(broken)
    mtimes = {f.name: f.stat().st_mtime_ns for f in out.glob("GM*.html")}
    again = batch.run(TEMPLATE, co, out, workers=1, progress=False)
    st = dict(zip(again.table["coalition_code"], again.table["status"]))
    assert st == {**{c: "skipped" for c in GOOD}, BROKEN: "failed"}
    # fix the broken file: only that coalition runs
    good_src = datasets.load("interventions")
    fixed = good_src[good_src["municipality_code"] == BROKEN].reset_index(drop=True)
    Path(co.loc[co["coalition_code"] == BROKEN, "data_path"].iloc[0]).write_bytes(
        datasets.to_csv_bytes(fixed)
    )
    third = batch.run(TEMPLATE, co, out, workers=1, progress=False)
    st = dict(zip(third.table["coalition_code"], third.table["status"]))
    assert st == {**{c: "skipped" for c in GOOD}, BROKEN: "ok"}
    for name, m in mtimes.items():
        if not name.startswith(BROKEN):
            assert (out / name).stat().st_mtime_ns == m, name
    assert (out / "GM0363-amsterdam.html").is_file()
    assert not (out / "GM0363-amsterdam-fout.html").exists()  # stale error page removed
    html = third.index_path.read_text(encoding="utf-8")
    assert "GM0363-amsterdam.html" in html and "ongewijzigd" in html


def test_cli_batch_and_demo_parsers(example, tmp_path, capsys):
    from evalkit import cli

    d, co, res = example
    listing = tmp_path / "coalities.csv"
    co.to_csv(listing, index=False)
    rc = cli.main(["batch", str(listing), "--out", str(d / "reports"), "--workers", "1", "-q"])
    out = capsys.readouterr().out
    # rerun="changed" (default): the three unchanged good reports are skipped, the previously
    # failed coalition is tried again and still fails, so the command exits 1
    assert "index.html" in out and "0 rapporten klaar, 1 niet gemaakt, 3 ongewijzigd" in out, out
    assert rc == 1
    args = cli.build_parser().parse_args(["demo", "--out", "x", "--workers", "2"])
    assert args.out == "x" and args.workers == 2 and callable(args.func)


def test_parameter_problems(example, tmp_path):
    d, co, res = example
    with pytest.raises(ParameterError, match="unknown parameter"):
        batch.run(TEMPLATE, co, tmp_path, parameters={"colour": "red"}, progress=False)
    with pytest.raises(ParameterError, match="unique"):
        batch.run(TEMPLATE, pd.concat([co, co]), tmp_path, progress=False)
    with pytest.raises(ParameterError, match="rerun"):
        batch.run(TEMPLATE, co, tmp_path, rerun="sometimes", progress=False)
    # a bad value fails only that coalition (no kernel, no data read)
    bad = [{"coalition_code": "0363", "coalition_name": "Amsterdam", "data_path": "x.csv"}]
    r = batch.run(TEMPLATE, bad, tmp_path, workers=1, progress=False)
    assert r.table["stage"].tolist() == ["parameters"]
    page = (tmp_path / r.table["html"].iloc[0]).read_text(encoding="utf-8")
    assert "GM0363" in page  # says how the code should look


def test_error_page_hides_identifying_values():
    errors = pd.DataFrame(
        [
            {
                "row": 3,
                "column": "participant_id",
                "value": "GM0363-0001",
                "rule": "duplicate_key",
                "message": "dubbel",
            },
            {"row": 4, "column": "age", "value": "999", "rule": "maximum", "message": "te hoog"},
        ]
    )
    html = batch.error_page(
        "GM0363", "Amsterdam", stage="validation", message="", errors=errors, data_file="a.csv"
    )
    assert "GM0363-0001" not in html and "(verborgen)" in html and "999" in html
    en = batch.error_page("GM0363", "Amsterdam", stage="notebook", message="boom", lang="en")
    assert "could not be made" in en and "boom" in en


def _tiny(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    p = nbformat.v4.new_code_cell("coalition_code = None\ncoalition_name = None\n")
    p.metadata["tags"] = ["parameters"]
    nb.cells = [
        p,
        nbformat.v4.new_code_cell(
            "from IPython.display import HTML\n"
            "HTML(f'<section data-section=\"s\">{coalition_name}</section>')"
        ),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_dask_local_cluster_runs_the_same_tasks(tmp_path):
    import distributed

    tpl = _tiny(tmp_path / "tiny.ipynb")
    co = [
        {"coalition_code": "GM0796", "coalition_name": "'s-Hertogenbosch"},
        {"coalition_code": "GM1900", "coalition_name": "Súdwest-Fryslân"},
    ]
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        res = batch.run(
            tpl, co, tmp_path / "out", scheduler=cluster.scheduler_address, validate=False, progress=False
        )
    assert res.n_ok == 2
    html = (tmp_path / "out" / "GM1900-sudwest-fryslan.html").read_text(encoding="utf-8")
    assert "Súdwest-Fryslân" in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_report_opens_in_headless_chromium(example, tmp_path):
    d, co, res = example
    f = d / "reports" / f"{report.report_basename('GM0796', GOOD['GM0796'])}.html"
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1000,3000",
        f"--screenshot={shot}",
        f.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert shot.is_file() and shot.stat().st_size > 20_000, proc.stderr[-2000:]
    bad = [
        line
        for line in proc.stderr.splitlines()
        if "Refused to" in line or "net::ERR" in line or "Uncaught" in line
    ]
    assert not bad, bad
    from PIL import Image

    img = Image.open(shot).convert("L")
    lo, hi = img.getextrema()
    assert hi - lo > 100  # not a blank page


# ---------------------------------------------------------------------------------------
# review: defects found and fixed (each with its test)
# ---------------------------------------------------------------------------------------
def test_failure_messages_never_show_participant_ids(tmp_path):
    """Defect: an exception raised while analysing a coalition went verbatim into its
    error page, the index and the manifest; one that quotes the data showed participant
    ids. Now the ids of the coalition's file are replaced by "(verborgen)"."""
    data = tmp_path / "GM0363.csv"
    pd.DataFrame(
        {"participant_id": ["AMS-7731", "AMS-7732"], "wave": ["pre", "pre"], "age": [70, 71]}
    ).to_csv(data, index=False)

    def check(params):
        raise ValueError("could not convert row 'AMS-7731,pre,abc' to float")

    res = batch.run(
        TEMPLATE,
        [{"coalition_code": "GM0363", "coalition_name": "Amsterdam", "data_path": str(data)}],
        tmp_path / "out",
        workers=1,
        validate=check,
        progress=False,
    )
    assert res.table["stage"].tolist() == ["analysis"]
    for f in [*(tmp_path / "out").glob("*.html"), tmp_path / "out" / "manifest.json"]:
        text = f.read_text(encoding="utf-8")
        assert "AMS-7731" not in text, f.name
    page = (tmp_path / "out" / res.table["html"].iloc[0]).read_text(encoding="utf-8")
    assert "(verborgen)" in page and "could not convert" in page


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kernel_name": "no-such-kernel", "renderer": "notebook"}, "kernel_name"),
        ({"renderer": "papermill"}, "renderer"),
        ({"execution_timeout": 0}, "execution_timeout"),
        ({"execution_timeout": "10"}, "execution_timeout"),
        ({"progress": "no"}, "progress"),
        ({"write_notebooks": None}, "write_notebooks"),
        ({"validate": "strict"}, "validate"),
        ({"cwd": "/no/such/folder"}, "cwd"),
    ],
)
def test_bad_batch_options_refused_before_anything_runs(tmp_path, monkeypatch, kwargs, match):
    """Defect: these options were not checked; an unknown kernel failed every coalition one
    by one (as notebook errors) and a bad timeout only inside the workers."""

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("work was started")

    monkeypatch.setattr(batch, "_prepare_task", boom)
    monkeypatch.setattr(batch, "_render_task", boom)
    co = [{"coalition_code": "GM0363", "coalition_name": "Amsterdam", "data_path": "x.csv"}]
    with pytest.raises(ParameterError, match=match):
        batch.run(TEMPLATE, co, tmp_path / "out", workers=1, **kwargs)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------
# issue 11: one typed threshold, audited pages
# ---------------------------------------------------------------------------------------
def test_cli_batch_min_cell_typed_and_floor(example, tmp_path, capsys):
    """`evalkit batch DIR -r min_cell 15` works (it failed every coalition: "must be a
    whole number, got str"); `-r min_cell 5` is refused in Dutch unless the override is
    given, and then the appendix says so."""
    from evalkit import cli

    d, co, res = example
    folder = tmp_path / "in"
    folder.mkdir()
    src = Path(co.loc[co["coalition_code"] == "GM0796", "data_path"].iloc[0])
    (folder / src.name).write_bytes(src.read_bytes())
    out = tmp_path / "out15"
    rc = cli.main(["batch", str(folder), "--out", str(out), "--workers", "1", "-q", "-r", "min_cell", "15"])
    assert rc == 0, capsys.readouterr()
    page = next(out.glob("GM0796-*.html")).read_text(encoding="utf-8")
    assert "minstens 15 mensen" in re.sub(r"<[^>]+>", "", page)
    assert cli.main(["audit", str(out)]) == 0
    capsys.readouterr()
    rc = cli.main(
        ["batch", str(folder), "--out", str(tmp_path / "out5"), "--workers", "1", "-q", "-r", "min_cell", "5"]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "min_cell 5 is lager dan de ondergrens 10" in err
    assert not (tmp_path / "out5").exists() or not list((tmp_path / "out5").glob("GM*.html"))
    rc = cli.main(
        [
            "batch",
            str(folder),
            "--out",
            str(tmp_path / "out5"),
            "--workers",
            "1",
            "-q",
            "-r",
            "min_cell",
            "5",
            "-r",
            "min_cell_override",
            "ja",
        ]
    )
    assert rc == 0
    page = next((tmp_path / "out5").glob("GM0796-*.html")).read_text(encoding="utf-8")
    assert "verlaagd naar 5" in page and "min_cell_override" in page
    assert cli.main(["audit", str(tmp_path / "out5")]) == 0


def test_demo_keeps_participant_files_out_of_the_reports_and_paths_portable(tmp_path):
    from evalkit.reports.demo import run_demo

    out = tmp_path / "rapporten"
    res = run_demo(out, workers=1, progress=False)
    assert res.n_ok == 14 and res.data_dir == tmp_path / "voorbeelddata"
    assert len(list(res.data_dir.glob("GM*.csv"))) == 14
    ids = set()
    for f in res.data_dir.glob("GM*.csv"):
        ids |= set(pd.read_csv(f, dtype=str)["participant_id"])
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".csv", ".xlsx", ".sav"):
            raise AssertionError(f"participant-level file in the reports folder: {f}")
        if f.is_file() and f.suffix in (".html", ".json"):
            text = _strip_data_uris(f.read_text(encoding="utf-8"))
            assert not [i for i in ids if i in text], f.name
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in manifest and '"/' not in manifest
    for f in out.glob("GM*.html"):
        assert "Voorbeeldgegevens" in f.read_text(encoding="utf-8"), f.name
    assert "Voorbeeldgegevens" in (out / "index.html").read_text(encoding="utf-8")
    result = disclosure.audit_dir(out)
    assert len(result) == 15 and not any(result.values())
