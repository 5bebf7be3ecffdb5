"""Catch what you mean (issue 17): no blanket ``except Exception`` / bare ``except:`` and no
blanket warning filters in evalkit, except the documented last resorts at process boundaries,
which log the traceback to a file and give the reader one line."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import evalkit

ROOT = Path(evalkit.__file__).resolve().parent

#: The one last-resort catch per process boundary (see evalkit.core.errors.log_unexpected).
LAST_RESORTS = {
    "reports/batch.py": 1,  # _isolated: any failing coalition becomes its error page
    "web/jobs.py": 2,  # _guarded: any failing portal job ends as "failed"; _call_safely: a failing
    # callback must not stop the thread that serves every later job
}

_BLANKET = re.compile(r"except\s*(?:\(\s*)?(?:Exception|BaseException)\b|except\s*:")
_BLANKET_FILTER = re.compile(r"""(?:simplefilter|filterwarnings)\(\s*["']ignore["']\s*\)""")


def _sources():
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def test_no_blanket_except_outside_the_documented_last_resorts():
    found = {}
    for p in _sources():
        n = len(_BLANKET.findall(p.read_text(encoding="utf-8")))  # also in code sent to kernels
        if n != LAST_RESORTS.get(_rel(p), 0):
            found[_rel(p)] = n
    assert not found, f"blanket except (catch the exceptions you mean): {found}"


def test_no_blanket_warning_filters():
    found = [_rel(p) for p in _sources() if _BLANKET_FILTER.search(p.read_text(encoding="utf-8"))]
    assert not found, f"warnings.simplefilter('ignore') without a category in: {found}"


def test_the_scans_find_what_they_look_for():
    code = "try:\n    x\nexcept Exception:\n    pass\ntry:\n    x\nexcept:\n    pass\n"
    code += "try:\n    x\nexcept (Exception, ValueError):\n    pass\nwarnings.simplefilter('ignore')\n"
    assert len(_BLANKET.findall(code)) == 3 and _BLANKET_FILTER.search(code)
    assert not _BLANKET.findall("except ExceptionGroup:\nexcept ValueError:")


class _Unforeseen(Exception):
    """Stands for a bug nobody anticipated."""


def test_batch_last_resort_turns_any_failure_into_an_error_page_and_logs_the_traceback(tmp_path):
    from evalkit.reports import batch

    data = tmp_path / "GM0363.csv"
    pd.DataFrame({"participant_id": ["A1"], "wave": ["pre"], "age": [70]}).to_csv(data, index=False)

    def check(params):
        raise _Unforeseen("nobody saw this coming")

    rows = [
        {"coalition_code": "GM0363", "coalition_name": "Amsterdam", "data_path": str(data)},
        {"coalition_code": "GM0599", "coalition_name": "Rotterdam", "data_path": str(data)},
    ]
    res = batch.run(batch.DEFAULT_TEMPLATE, rows, tmp_path / "out", workers=1, validate=check, progress=False)
    assert res.table["status"].tolist() == ["failed", "failed"]  # the batch went on
    log = (tmp_path / "out" / batch.CACHE_DIRNAME / batch.UNEXPECTED_LOG).read_text(encoding="utf-8")
    assert log.count("Traceback (most recent call last)") == 2 and "_Unforeseen" in log
    assert "GM0363" in log and "GM0599" in log
    for name in res.table["html"]:
        page = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert "nobody saw this coming" in page  # one line for the reader ...
        assert "Traceback" not in page and "test_no_blanket_except.py" not in page  # ... no traceback


def test_portal_last_resort_fails_the_job_and_logs_the_traceback(tmp_path, monkeypatch):
    from evalkit.web import jobs

    log = tmp_path / "unexpected.log"
    monkeypatch.setenv("EVALKIT_UNEXPECTED_LOG", str(log))

    def runner(task):
        raise _Unforeseen("a bug in a worker")

    task = jobs.RenderTask("job-1", "GM0363", "Amsterdam", b"", ".csv")
    out = jobs._guarded(runner, task, 30)
    assert (out.status, out.message, out.detail) == ("failed", "job_failed_render", "_Unforeseen")
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "a bug in a worker" in text and "job-1" in text
    assert (log.stat().st_mode & 0o077) == 0  # tracebacks may quote data: owner only


@pytest.mark.parametrize("exc", [ValueError("bad"), KeyError("col")])
def test_batch_expected_failures_are_not_logged_as_unexpected(tmp_path, exc):
    from evalkit.reports import batch

    data = tmp_path / "GM0363.csv"
    pd.DataFrame({"participant_id": ["A1"], "wave": ["pre"], "age": [70]}).to_csv(data, index=False)

    def check(params):
        raise exc

    rows = [{"coalition_code": "GM0363", "coalition_name": "Amsterdam", "data_path": str(data)}]
    res = batch.run(batch.DEFAULT_TEMPLATE, rows, tmp_path / "out", workers=1, validate=check, progress=False)
    assert res.table["stage"].tolist() == ["analysis"]
    assert not (tmp_path / "out" / batch.CACHE_DIRNAME / batch.UNEXPECTED_LOG).exists()
