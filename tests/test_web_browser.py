"""The coalition's whole way through the portal in a real browser (Playwright + Chromium).

Debian's Chromium (``/usr/bin/chromium``, installed by .ci/run) is driven by the Python
``playwright`` package; no browser is downloaded. Screenshots of every step are kept in
``tests/artifacts/portal/`` (git-ignored) as test artefacts. The report is rendered for
real (warm kernel in a worker process, the batch's template and privacy rules).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from playwright import sync_api
from web_portal_support import ARTIFACTS, coalition_frame, live_server, three_mistakes

from evalkit.data.codebook import load_codebook
from evalkit.reports.disclosure import audit_record
from evalkit.store import Store, generate_key, registry
from evalkit.web.app import PortalConfig, create_app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does it)",
)

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "coalitie-wachtwoord-2026"
CODE = "GM0014"


def _fill_template(template: Path, frame, out: Path) -> Path:
    """Fill the downloaded template's data sheet with ``frame`` (header row kept)."""
    cb = load_codebook("intervention")
    wb = openpyxl.load_workbook(template)
    ws = wb["Gegevens"]
    columns = [cb.resolve_header(c.value) for c in ws[1]]
    for i, rec in enumerate(frame.to_dict(orient="records"), start=2):
        for j, name in enumerate(columns, start=1):
            value = rec.get(name)
            if hasattr(value, "to_pydatetime"):
                value = value.to_pydatetime().date()
            elif hasattr(value, "item"):
                value = value.item()
            ws.cell(row=i, column=j, value=value)
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    store = Store(f"sqlite:///{tmp / 'portal.sqlite3'}", key=generate_key())
    store.upgrade()
    store.add_user("groningen", PASSWORD, role="coalition", gm_codes=[CODE])
    app = create_app(PortalConfig(hosted=True, session_secret="browser-test-secret-0123456789"), store=store)
    with live_server(app) as base:
        yield base, store, tmp


def test_coalition_way_in_chromium(portal):
    base, store, tmp = portal
    shots = ARTIFACTS / "portal"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    outside: list[str] = []

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(
            accept_downloads=True, locale="nl-NL", viewport={"width": 1200, "height": 900}
        )
        page = context.new_page()
        page.on(
            "request", lambda req: None if req.url.startswith((base, "data:")) else outside.append(req.url)
        )

        # 1. log in
        page.goto(f"{base}/")
        assert page.url.endswith("/login")
        page.fill("#username", "groningen")
        page.fill("#password", PASSWORD)
        page.screenshot(path=str(shots / "01_login.png"))
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        assert "Ingelogd als groningen" in page.inner_text("body")
        page.screenshot(path=str(shots / "02_start.png"))

        # 2. the template
        with page.expect_download() as dl:
            page.click("text=Excel-sjabloon downloaden")
        template = tmp / "sjabloon.xlsx"
        dl.value.save_as(template)
        assert openpyxl.load_workbook(template).sheetnames[0] == "Gegevens"

        good = coalition_frame(CODE)
        bad, mistakes = three_mistakes(good)
        bad_file = _fill_template(template, bad, tmp / "groningen_fouten.xlsx")
        fixed_file = _fill_template(template, good, tmp / "groningen.xlsx")

        # 3. upload the file with three mistakes
        page.click("text=Bestand aanleveren")
        page.select_option("#gm_code", CODE)
        page.set_input_files("#file", str(bad_file))
        page.screenshot(path=str(shots / "03_upload.png"))
        page.click("button:has-text('Controleren')")
        page.wait_for_selector("#errors")
        assert "3 fout" in page.inner_text("#status")
        page.screenshot(path=str(shots / "04_three_mistakes.png"), full_page=True)

        # 4. each mistake at the row Excel shows, with the value typed there
        rows = page.query_selector_all("#errors tbody tr")
        assert len(rows) == 3
        seen = []
        for tr in rows:
            cells = [td.inner_text().strip() for td in tr.query_selector_all("td")]
            seen.append((int(cells[0]), cells[2]))
            assert cells[3] and cells[4]  # the rule in words and how to fix it
        assert seen == [(r, str(v)) for r, _, v in mistakes]
        ws = openpyxl.load_workbook(bad_file)["Gegevens"]
        cb = load_codebook("intervention")
        letters = {cb.resolve_header(c.value): c.column_letter for c in ws[1]}
        for (excel_row, column, value), tr in zip(mistakes, rows):
            assert ws[f"{letters[column]}{excel_row}"].value == value
            col_text = tr.query_selector_all("td")[1].inner_text().split()
            title = next(f.title("nl") for f in cb.fields if f.name == column)
            assert col_text[0] == letters[column] and " ".join(col_text[1:]) == title

        # 5. upload the fixed file; the job page refreshes itself until the report is ready
        page.click("text=Opnieuw aanleveren")
        page.select_option("#gm_code", CODE)
        page.set_input_files("#file", str(fixed_file))
        page.click("button:has-text('Controleren')")
        page.wait_for_selector("#job-status")
        page.screenshot(path=str(shots / "05_job_running.png"))
        page.wait_for_selector(
            "#job-status[data-status=done], #job-status[data-status=failed]", timeout=300_000
        )
        status = page.get_attribute("#job-status", "data-status")
        page.screenshot(path=str(shots / "06_job_done.png"))
        assert status == "done", page.inner_text("#job-status")

        # 6. open the report
        page.click("#open-report")
        page.click("#view-report")
        page.wait_for_load_state("load")
        text = page.inner_text("body")
        assert "Groningen" in text
        assert "Samenvatting" in text
        page.screenshot(path=str(shots / "07_report.png"), full_page=True)

        # history shows both files
        page.goto(f"{base}/submissions")
        hist = page.inner_text("main")
        assert "groningen_fouten.xlsx" in hist and "groningen.xlsx" in hist
        page.screenshot(path=str(shots / "08_history.png"))
        browser.close()

    assert outside == [], f"the browser was sent outside: {outside}"
    (report,) = store.list_reports([CODE])
    assert report.created_at <= dt.datetime.now(dt.UTC)
    # the stored page is the audited page: its disclosure record is kept and still passes
    stored = store.get_report(report.id, gm_codes=[CODE])
    assert stored.disclosure is not None
    assert audit_record(stored.disclosure, page_html=stored.html) == []
    # and its disclosed key result went to the registry (aggregates only)
    reg = registry.load(store)
    mine = reg[(reg["gm_code"] == CODE) & (reg["source"] == "portal")]
    assert "mean_diff" in set(mine["term"]) and (mine["n"] >= 10).all()
    assert mine["year"].iloc[0] == 2024
    actions = {e.action for e in store.audit_entries(gm_codes=[CODE])}
    assert {"uploaded", "viewed", "rendered"} <= actions
    assert sorted(p.name for p in shots.glob("*.png")) == [
        "01_login.png",
        "02_start.png",
        "03_upload.png",
        "04_three_mistakes.png",
        "05_job_running.png",
        "06_job_done.png",
        "07_report.png",
        "08_history.png",
    ]
