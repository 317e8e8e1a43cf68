"""`make bench`: serve a province-scale dataset with gunicorn on loopback and time the main pages.

For each backend (SQLite, and PostgreSQL when reachable) it prints, per page, the median and p95
server time (X-Server-Time-ms), the SQL query count (X-Query-Count), and the ratio to a trivial
endpoint on the same server; then runs the feature benchmarks found in bench/ and writes every
figure to bench/out/results.json.
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUESTS_PER_PAGE = int(os.environ.get("BENCH_REQUESTS", "60"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(database_url: str) -> dict:
    """Migrate an empty database and fill it; runs in a child process so the env applies."""
    env = dict(os.environ, DATABASE_URL=database_url, INSTANCE_PATH=str(OUT / "instance"))
    code = ("import json; from tracker import create_app; from flask_migrate import upgrade; "
            "from bench.generate import generate; app = create_app();\n"
            "with app.app_context():\n    upgrade(directory='migrations'); print(json.dumps(generate(), default=str))")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=False)
    if result.returncode:
        raise SystemExit(result.stderr[-3000:])
    info = json.loads(result.stdout.strip().splitlines()[-1])
    info["generate_seconds"] = round(time.perf_counter() - started, 1)
    return info


def _login(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    response = session.post(f"{base}/login", data={"username": username, "password": password,
                                                   "csrf_token": token.group(1) if token else ""},
                            allow_redirects=False, timeout=10)
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed: {response.status_code}")
    return session


def _time(session: requests.Session, url: str) -> dict:
    times, queries = [], []
    for index in range(REQUESTS_PER_PAGE + 5):
        response = session.get(url, timeout=30)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        if index >= 5:  # warm-up requests are not counted
            times.append(float(response.headers["X-Server-Time-ms"]))
            queries.append(int(response.headers["X-Query-Count"]))
    times.sort()
    return {"median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2), "queries": max(queries)}


def bench_backend(name: str, database_url: str) -> dict:
    """Generate, serve, time; returns the figures of one backend."""
    info = _prepare(database_url)
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, DONDOC_QUERY_STATS="1", INSTANCE_PATH=str(OUT / "instance"),
               REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"))
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still booting
                time.sleep(0.2)
        office = _login(base, "bench.office", info["password"])
        unit = _login(base, "bench.unit", info["password"])
        pages = {
            "trivial (/healthz)": (office, "/healthz"),
            "office dashboard": (office, "/dashboard"),
            "plan tree": (office, f"/plans/{info['plan_id']}"),
            "unit task list": (unit, "/my"),
            "assignment page": (unit, f"/assignments/{info['assignment_id']}"),
        }
        results = {label: _time(session, base + url) for label, (session, url) in pages.items()}
    finally:
        server.terminate()
        server.wait(10)
    trivial = results["trivial (/healthz)"]["median_ms"] or 0.01
    for figures in results.values():
        figures["ratio_to_trivial"] = round(figures["median_ms"] / trivial, 1)
    print(f"\n== {name}: {info['units']} units, {info['assignments']} assignments, {info['updates']} updates "
          f"(generated in {info['generate_seconds']} s)")
    print(f"{'page':24} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'× trivial':>10}")
    for label, f in results.items():
        print(f"{label:24} {f['median_ms']:>10} {f['p95_ms']:>8} {f['queries']:>8} {f['ratio_to_trivial']:>10}")
    return {"dataset": info, "pages": results}


def _pg_reachable() -> bool:
    try:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS dondoc_bench CASCADE"))
            conn.execute(text("CREATE SCHEMA dondoc_bench"))
        engine.dispose()
        return True
    except Exception as error:  # noqa: BLE001 — any failure means: skip this backend, say why
        print(f"PostgreSQL not reachable ({type(error).__name__}); skipping it")
        return False


def main() -> None:
    """Run every backend and the feature benchmarks; write bench/out/results.json."""
    OUT.mkdir(parents=True, exist_ok=True)
    sqlite_file = OUT / "bench.sqlite3"
    sqlite_file.unlink(missing_ok=True)
    only = sys.argv[1] if len(sys.argv) > 1 else "all"
    results: dict = {}
    if only in ("all", "pages"):
        results["pages"] = {"sqlite": bench_backend("SQLite", f"sqlite:///{sqlite_file}")}
        if _pg_reachable():
            results["pages"]["postgresql"] = bench_backend(
                "PostgreSQL", f"{PG_URL}?options=-csearch_path%3Ddondoc_bench")
    scripts = sorted((ROOT / "bench").glob("bench_*.py")) if only in ("all", "features") else []
    for script in scripts:
        print(f"\n== {script.stem}")
        run = subprocess.run([sys.executable, "-m", f"bench.{script.stem}"], cwd=ROOT, capture_output=True,
                             text=True, check=False)
        print(run.stdout[-6000:] or run.stderr[-3000:])
        results[script.stem] = {"returncode": run.returncode, "output": run.stdout[-6000:]}
    target = OUT / ("results.json" if only == "all" else f"results-{only}.json")
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"\nFigures written to {target}")


if __name__ == "__main__":
    main()
