"""Load on the portal: 50 coalitions arriving within one minute, on loopback.

Each simulated coalition logs in, uploads a 500-row file with three mistakes, reads the
validation feedback, uploads the fixed file after a short pause, waits for its report
and opens it; then it tries another coalition's report (must be refused). Arrival times
are random (seeded: 50 arrivals uniform over 60 s, i.e. a Poisson process given its
count). The server is ``evalkit serve --hosted`` in its own process with 2 render
workers (warm kernels) and a fresh database (SQLite by default, or ``--database URL``).

Measured: time to validation feedback (upload POST until the feedback page is read),
time to a finished report (fixed upload POST until the job page says done), requests,
errors, peak memory (resident set of the server and all its children: render workers
and their kernels, sampled every 0.25 s), and afterwards from the database that every
coalition has exactly its own two submissions and its own report (none lost, none shown
to another coalition).

Bounded: at most 400 requests per coalition (the job page is read every
0.5 s for 10 s, then every 2 s), the server's start 60 s, the warm-up 180 s and the
measured run a hard deadline (default 400 s). The last lines print the p95 figures and
the load average before and after the run (a load above the number of CPUs means other
jobs shared the machine: the latencies are then upper bounds).
Loopback only (127.0.0.1). Goals (issue 13): p95 feedback < 1 s for a 500-row file,
p95 report < 10 s, nothing lost or shown to the wrong coalition, memory bounded.

    .venv/bin/python benchmarks/bench_portal.py                 # 50 coalitions, SQLite
    .venv/bin/python benchmarks/bench_portal.py --coalitions 5 --window 10   # quick
    .venv/bin/python benchmarks/bench_portal.py --database "$EVALKIT_TEST_POSTGRES_URL"
"""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark-wachtwoord-1"
ROWS = 500
MAX_REQUESTS_PER_COALITION = 400
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SESSION = re.compile(r"evalkit_session=([^;]*)")


# ---------------------------------------------------------------------------- data
def complete_pairs() -> pd.DataFrame:
    """Participants of the synthetic example data with a pre-test and a post-test."""
    from evalkit.data import datasets

    df = datasets.load("interventions")
    sizes = df.groupby("participant_id")["wave"].transform("size")
    return df[sizes == 2]


def coalition_file(complete: pd.DataFrame, code: str, name: str, seed: int) -> tuple[bytes, bytes]:
    """(file with three mistakes, fixed file) as xlsx: 500 rows, 250 participants with a
    pre-test and a post-test drawn from the synthetic example data (example data)."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(complete["participant_id"].unique(), size=ROWS // 2, replace=False)
    part = complete[complete["participant_id"].isin(ids)].copy()
    new_ids = {old: f"{code}-{i + 1:04d}" for i, old in enumerate(ids)}
    part["participant_id"] = part["participant_id"].map(new_ids)
    part["municipality_code"] = code
    part["municipality_name"] = name
    kind, label = [
        ("maatje", "Maatjesproject"),
        ("huisbezoek_75plus", "Huisbezoeken 75+"),
        ("ontmoeting", "Ontmoetingsplek"),
        ("kletskassa", "Kletskassa"),
        ("cursus", "Cursus"),
    ][int(rng.integers(5))]
    part["intervention_type"] = kind  # one intervention per coalition
    part["intervention"] = f"{label} {name}"
    part = part.sort_values(["participant_id", "wave"], ascending=[True, False])
    fixed = part.reset_index(drop=True)
    bad = fixed.copy().astype(object)
    for i, col, value in [(4, "djg1", 7), (9, "age", 250), (14, "gender", "onbekend?")]:
        bad.loc[i, col] = value

    def xlsx(frame: pd.DataFrame) -> bytes:
        buf = io.BytesIO()
        frame.to_excel(buf, index=False, sheet_name="Gegevens")
        return buf.getvalue()

    return xlsx(bad), xlsx(fixed)


# ---------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MemorySampler(threading.Thread):
    """Peak resident memory of a process tree (the server, its workers and kernels)."""

    def __init__(self, pid: int, every: float = 0.25):
        super().__init__(daemon=True)
        import psutil

        self.root = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self.samples: list[tuple[float, int, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        import psutil

        t0 = time.perf_counter()
        while not self._halt.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak = max(self.peak, rss)
            self.samples.append((time.perf_counter() - t0, rss, len(procs)))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def tree_cpu(pid: int) -> np.ndarray:
    """CPU seconds (user + system) used so far: [the server process, its live children
    (render workers)]."""
    import psutil

    total = np.zeros(2)
    try:
        root = psutil.Process(pid)
        for i, p in enumerate([root, *root.children(recursive=True)]):
            try:
                t = p.cpu_times()
                total[min(i, 1)] += t.user + t.system
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return total


# ---------------------------------------------------------------------------- client
@dataclass
class Outcome:
    code: str
    arrival: float
    feedback_s: float | None = None
    report_s: float | None = None
    errors_seen: int | None = None
    report_id: str | None = None
    report_ok: bool = False
    foreign_refused: bool | None = None
    requests: int = 0
    error: str | None = None


class Browser:
    """One coalition's browser: its own session cookie (kept by hand, since the hosted
    cookie is ``Secure`` and the benchmark talks plain HTTP on loopback)."""

    def __init__(self, client, outcome: Outcome):  # type: ignore[no-untyped-def]
        self.client = client
        self.outcome = outcome
        self.cookie: str | None = None

    async def request(self, method: str, url: str, **kw):  # type: ignore[no-untyped-def]
        self.outcome.requests += 1
        if self.outcome.requests > MAX_REQUESTS_PER_COALITION:
            raise RuntimeError("request budget exceeded")
        headers = kw.pop("headers", {})
        if self.cookie:
            headers["cookie"] = f"evalkit_session={self.cookie}"
        r = await self.client.request(method, url, headers=headers, **kw)
        for value in r.headers.get_list("set-cookie"):
            m = _SESSION.search(value)
            if m:
                self.cookie = m.group(1) or None
        return r

    async def csrf(self, url: str) -> str:
        r = await self.request("GET", url)
        m = _CSRF.search(r.text)
        if not m:
            raise RuntimeError(f"no CSRF token on {url} ({r.status_code})")
        return m.group(1)


async def coalition(
    b: Browser, name: str, files: tuple[bytes, bytes], think: float, t_start: float, poll: float
) -> Outcome:
    out = b.outcome
    code = out.code
    await asyncio.sleep(max(0.0, t_start + out.arrival - time.perf_counter()))
    try:
        token = await b.csrf("/login")
        r = await b.request(
            "POST", "/login", data={"username": code.lower(), "password": PASSWORD, "csrf_token": token}
        )
        if r.status_code != 303:
            raise RuntimeError(f"login {r.status_code}")
        # upload with three mistakes -> the validation feedback page
        token = await b.csrf("/upload")
        t0 = time.perf_counter()
        r = await b.request(
            "POST",
            "/upload",
            data={"csrf_token": token, "gm_code": code},
            files={"file": ("gegevens.xlsx", files[0])},
        )
        if r.status_code != 303 or "/submissions/" not in r.headers.get("location", ""):
            raise RuntimeError(f"upload {r.status_code} {r.headers.get('location')}")
        page = await b.request("GET", r.headers["location"])
        out.feedback_s = time.perf_counter() - t0
        out.errors_seen = sum(f">{row}<" in page.text for row in (6, 11, 16))
        # the coalition fixes the file, uploads again, waits for its report
        await asyncio.sleep(think)
        token = await b.csrf("/upload")
        t0 = time.perf_counter()
        r = await b.request(
            "POST",
            "/upload",
            data={"csrf_token": token, "gm_code": code},
            files={"file": ("gegevens_verbeterd.xlsx", files[1])},
        )
        loc = r.headers.get("location", "")
        if r.status_code != 303 or "/jobs/" not in loc:
            raise RuntimeError(f"fixed upload {r.status_code} {loc}")
        while True:
            page = await b.request("GET", loc)
            status = re.search(r'data-status="(\w+)"', page.text)
            if status and status.group(1) in ("done", "failed"):
                break
            await asyncio.sleep(poll if time.perf_counter() - t0 < 10 else 4 * poll)
        out.report_s = time.perf_counter() - t0
        if status.group(1) != "done":
            raise RuntimeError("report failed")
        m = re.search(r'href="/reports/([0-9a-f]{32})"', page.text)
        out.report_id = m.group(1) if m else None
        view = await b.request("GET", f"/reports/{out.report_id}/view")
        out.report_ok = view.status_code == 200 and (name in view.text or html.escape(name) in view.text)
    except (RuntimeError, OSError) as exc:
        out.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - a benchmark records any client failure
        out.error = f"{type(exc).__name__}: {exc}"
    return out


async def try_foreign(browsers: list[Browser]) -> None:
    """Every coalition asks for the next coalition's report: must be refused (404)."""
    done = [b for b in browsers if b.outcome.report_id]
    for i, b in enumerate(done):
        o, other = b.outcome, done[(i + 1) % len(done)].outcome
        if other is o:
            continue
        for path in (
            f"/reports/{other.report_id}",
            f"/reports/{other.report_id}/view",
            f"/reports/{other.report_id}/download",
        ):
            r = await b.request("GET", path)
            refused = r.status_code in (403, 404) and other.code not in r.text
            o.foreign_refused = refused if o.foreign_refused is None else (o.foreign_refused and refused)


async def drive(
    base: str, plan: list[tuple[str, str, float, float]], files: dict[str, tuple[bytes, bytes]], poll: float
) -> list[Outcome]:
    import httpx

    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits, follow_redirects=False) as client:
        browsers = [Browser(client, Outcome(code, arrival)) for code, _n, arrival, _t in plan]
        t_start = time.perf_counter()
        outcomes = await asyncio.gather(
            *(
                coalition(b, name, files[code], think, t_start, poll)
                for b, (code, name, _a, think) in zip(browsers, plan)
            )
        )
        await try_foreign(browsers)
    return list(outcomes)


# ---------------------------------------------------------------------------- main
def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--coalitions", type=int, default=50)
    ap.add_argument("--window", type=float, default=60.0, help="arrivals within this many s")
    ap.add_argument("--workers", type=int, default=2, help="render workers of the server")
    ap.add_argument("--database", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(2.0, 8.0),
        help="seconds between reading the feedback and uploading the fix",
    )
    ap.add_argument("--poll", type=float, default=0.5, help="job page refresh (s)")
    ap.add_argument("--deadline", type=float, default=400.0, help="hard limit (s)")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args(argv)
    if not 1 <= args.coalitions <= 345:
        ap.error("--coalitions must be 1..345")

    sys.path.insert(0, str(ROOT))
    from evalkit.data.codebook import municipalities
    from evalkit.store import ALL, Store, generate_key, registry

    rng = np.random.default_rng(args.seed)
    table = municipalities()
    chosen = rng.choice(len(table), size=args.coalitions + args.workers, replace=False)
    pick = table.iloc[np.sort(chosen[: args.coalitions])]
    arrivals = np.sort(rng.uniform(0, args.window, size=args.coalitions))
    thinks = rng.uniform(*args.think, size=args.coalitions)
    plan = [
        (str(c), str(n), float(a), float(t))
        for c, n, a, t in zip(pick["gm_code"], pick["name"], arrivals, thinks)
    ]
    # one warm-up coalition per render worker (not measured): a server that has been
    # running has its workers and kernels started
    warm = table.iloc[np.sort(chosen[args.coalitions :])]
    warm_plan = [(str(c), str(n), 0.0, 0.0) for c, n in zip(warm["gm_code"], warm["name"])]

    tmp = tempfile.TemporaryDirectory(prefix="evalkit-bench-portal-")
    url = args.database or f"sqlite:///{tmp.name}/portal.sqlite3"
    key = generate_key().decode()
    env = {**os.environ, "EVALKIT_STORE_KEY": key, "EVALKIT_SESSION_SECRET": secrets.token_urlsafe(32)}
    t0 = time.perf_counter()
    store = Store(url, key=key)
    if store.dialect == "postgresql":  # start from an empty database
        from sqlalchemy import text

        with store.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        store.close()
        store = Store(url, key=key)
    store.upgrade()
    for code, _name, _a, _t in plan + warm_plan:
        store.add_user(code.lower(), PASSWORD, role="coalition", gm_codes=[code])
    complete = complete_pairs()
    files = {
        code: coalition_file(complete, code, name, args.seed + i)
        for i, (code, name, _a, _t) in enumerate(plan + warm_plan)
    }
    print(f"setup: {args.coalitions} accounts and files in {time.perf_counter() - t0:.1f} s")
    import importlib.util

    if importlib.util.find_spec("python_calamine") is None:
        print(
            "note: python-calamine is missing (run `make setup`): xlsx files are read with openpyxl, slower"
        )

    port = free_port()
    log = open(Path(tmp.name) / "server.log", "w+", encoding="utf-8")  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evalkit.cli",
            "serve",
            "--hosted",
            "--database",
            url,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--no-browser",
        ],
        env=env,
        cwd=tmp.name,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    sampler = MemorySampler(server.pid)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("the portal did not start:\n" + log.read()) from None
                time.sleep(0.2)
        t_warm = time.perf_counter()
        warmed = asyncio.run(asyncio.wait_for(drive(base, warm_plan, files, args.poll), timeout=180))
        warm_s = time.perf_counter() - t_warm
        print(
            f"warm-up: {len(warmed)} coalitions in {warm_s:.1f} s "
            f"({sum(o.report_id is not None for o in warmed)} reports)"
        )
        sampler.start()
        load_before = os.getloadavg()
        cpu_before = tree_cpu(server.pid)
        t_run = time.perf_counter()
        outcomes = asyncio.run(asyncio.wait_for(drive(base, plan, files, args.poll), timeout=args.deadline))
        wall = time.perf_counter() - t_run
        server_cpu = tree_cpu(server.pid) - cpu_before
        load_after = os.getloadavg()
    finally:
        sampler.stop()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.seek(0)
        server_log = log.read()
        log.close()

    # afterwards, from the database: nothing lost, nothing at the wrong coalition
    lost, misplaced, missing = 0, 0, 0
    for code, _name, _a, _t in plan:
        subs = store.list_submissions([code])
        lost += max(0, 2 - len(subs))
        misplaced += sum(s.gm_code != code for s in subs)
        missing += max(0, 1 - len(store.list_reports([code])))
    total_subs = len(store.list_submissions(ALL))
    reg = registry.load(store)
    store.close()

    fb = [o.feedback_s for o in outcomes if o.feedback_s is not None]
    rep = [o.report_s for o in outcomes if o.report_s is not None]
    figures = {
        "coalitions": args.coalitions,
        "window_s": args.window,
        "workers": args.workers,
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "rows_per_file": ROWS,
        "cpus": os.cpu_count(),
        "wall_s": round(wall, 1),
        "requests": sum(o.requests for o in outcomes),
        "client_errors": [f"{o.code}: {o.error}" for o in outcomes if o.error],
        "feedback_s": {"p50": pct(fb, 50), "p95": pct(fb, 95), "max": max(fb, default=None)},
        "report_s": {"p50": pct(rep, 50), "p95": pct(rep, 95), "max": max(rep, default=None)},
        "all_three_mistakes_shown": sum(o.errors_seen == 3 for o in outcomes),
        "reports_opened_with_own_name": sum(o.report_ok for o in outcomes),
        "foreign_reports_refused": sum(bool(o.foreign_refused) for o in outcomes),
        "submissions_stored": total_subs,
        "submissions_lost": lost,
        "reports_missing": missing,
        "submissions_at_wrong_coalition": misplaced,
        "registry_rows": len(reg),
        "registry_coalitions": int(reg["gm_code"].nunique()),
        "server_cpu_s": round(float(server_cpu.sum()), 1),
        "server_cpu_s_web_process_and_render_workers": [round(float(x), 1) for x in server_cpu],
        "server_cpu_s_per_coalition": round(float(server_cpu.sum()) / max(1, args.coalitions), 2),
        "load_average_1min_before_after": [round(load_before[0], 1), round(load_after[0], 1)],
        "warmup_s": round(warm_s, 1),
        "peak_rss_mib": round(sampler.peak / 2**20),
        "rss_first_last_mib": [round(sampler.samples[0][1] / 2**20), round(sampler.samples[-1][1] / 2**20)]
        if sampler.samples
        else None,
        "max_processes": max((s[2] for s in sampler.samples), default=0),
        "xlsx_reader": "calamine" if importlib.util.find_spec("python_calamine") else "openpyxl",
    }
    print(json.dumps(figures, indent=2, default=str))
    if figures["client_errors"]:
        print("server log (end):\n" + server_log[-3000:])
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    ok = (
        not figures["client_errors"]
        and lost == 0
        and missing == 0
        and misplaced == 0
        and figures["foreign_reports_refused"] == len([o for o in outcomes if o.report_id])
    )
    goals = figures["feedback_s"]["p95"] < 1.0 and figures["report_s"]["p95"] < 10.0
    lb, la = figures["load_average_1min_before_after"]
    print(
        f"{args.coalitions} coalitions in {args.window:.0f} s, {args.workers} render workers, "
        f"{figures['cpus']} CPUs, load average (1 min) {lb} before, {la} after, "
        f"{os.getloadavg()[0]:.1f} now"
    )
    print(
        f"p95 feedback {figures['feedback_s']['p95']:.2f} s (p50 {figures['feedback_s']['p50']:.2f}); "
        f"p95 report {figures['report_s']['p95']:.1f} s (p50 {figures['report_s']['p50']:.1f}); "
        f"server CPU {figures['server_cpu_s_per_coalition']} s per coalition; "
        f"peak memory {figures['peak_rss_mib']} MiB"
    )
    if lb > figures["cpus"]:
        print(
            f"note: the load average ({lb}) was above the number of CPUs: other jobs shared "
            "the machine, so these latencies are upper bounds, not the portal's own."
        )
    print(
        f"correctness: {'ok' if ok else 'FAILED'}; latency goals (p95 feedback < 1 s, "
        f"report < 10 s): {'met' if goals else 'NOT met'}"
    )
    tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
