"""Time the daily reminder scan: province scale on SQLite, national scale on PostgreSQL, with the worker's peak RSS.

    python -m bench.bench_reminders                 # both scales (PostgreSQL skipped when unreachable)
    python -m bench.bench_reminders --province-only

Data are generated with executemany and INSERT … SELECT (no ORM objects). The scan runs in a child process,
as a worker would, and the parent reads that child's peak resident memory from wait4().
"""
import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tracker import clock

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "dondoc_bench_reminders"
SCAN_DAY = date(2025, 6, 16)  # a Monday
TARGETS = {"province": {"seconds": 2.0}, "national": {"seconds": 30.0, "rss_mb": 300.0}}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _app(url: str):
    from tracker import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": os.environ.get("BENCH_REDIS_URL",
                                                                                   "redis://127.0.0.1:6379/13"),
                       "SECRET_KEY": "bench"})


def _pg_url() -> str:
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{url}?options=-csearch_path%3D{PG_SCHEMA}"


def _prepare_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()


def generate(url: str, units: int, activities: int) -> dict:
    """Create the tables and fill them: units, two unit users each, office users, one plan, units × activities."""
    from sqlalchemy import insert, text

    from models import Activity, Plan, Task, TaskGroup, Unit, UnitKind, User, db

    _prepare_schema(url)
    app = _app(url)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        now = clock.utcnow()
        db.session.execute(insert(UnitKind), [{"code": "department", "name": "Sở", "level": 1, "sort_order": 0}])
        kind_id = db.session.scalar(db.select(UnitKind.id))
        db.session.execute(insert(Unit), [
            {"code": f"U{i:05d}", "name": f"Đơn vị {i}", "search_text": f"don vi {i}", "aliases": [],
             "kind_id": kind_id, "sort_order": i, "created_at": now, "updated_at": now} for i in range(units)])
        unit_ids = db.session.scalars(db.select(Unit.id).order_by(Unit.id)).all()
        users = [{"username": f"{role}{uid}", "password_hash": "x", "full_name": "", "role": role, "unit_id": uid,
                  "email": f"{role}{uid}@example.gov.vn", "active": True, "email_enabled": True, "digest": True,
                  "ics_token": f"t{role}{uid}", "created_at": now, "updated_at": now}
                 for uid in unit_ids for role in ("unit_officer", "unit_head")]
        users += [{"username": f"office{i}", "password_hash": "x", "full_name": "", "role": "office",
                   "unit_id": unit_ids[0], "email": f"office{i}@example.gov.vn", "active": True,
                   "email_enabled": True, "digest": True, "ics_token": f"toffice{i}", "created_at": now,
                   "updated_at": now} for i in range(5)]
        db.session.execute(insert(User), users)
        db.session.execute(insert(Plan), [{"code": "BENCH", "kind": "plan", "title": "Kế hoạch thử tải", "year": 2025,
                                           "footnotes": {}, "known_gaps": []}])
        plan_id = db.session.scalar(db.select(Plan.id))
        db.session.execute(insert(TaskGroup), [{"plan_id": plan_id, "number": "I", "title": "Nhóm", "position": 0}])
        group_id = db.session.scalar(db.select(TaskGroup.id))
        db.session.execute(insert(Task), [{"group_id": group_id, "number": "1", "title": "Nhiệm vụ", "position": 0}])
        task_id = db.session.scalar(db.select(Task.id))
        # due dates spread from 200 days before the scan day to 200 days after it
        db.session.execute(insert(Activity), [
            {"task_id": task_id, "plan_id": plan_id, "number": f"1.{i + 1}", "content": f"Hoạt động số {i + 1}",
             "product": "", "targets": {}, "lead_text": "", "coordinating_text": "", "deadline_text": "",
             "deadline_kind": "date", "due_date": SCAN_DAY + timedelta(days=-200 + (400 * i) // activities),
             "footnotes": [], "search_text": "", "position": i, "version": 1} for i in range(activities)])
        # a quarter of the work untouched since plan load (stale), the rest updated last week
        db.session.execute(text(
            "INSERT INTO assignment (activity_id, plan_id, unit_id, role, period_label, due_date, state, percent, "
            "note, started, version, created_at, updated_at, last_update_at) "
            "SELECT a.id, a.plan_id, u.id, 'lead', '', a.due_date, 'open', 0, '', :started, 1, :created, :created, "
            "CASE WHEN (a.id + u.id) % 4 = 0 THEN NULL ELSE :recent END FROM activity a CROSS JOIN unit u"),
            {"created": _midnight(SCAN_DAY - timedelta(days=60)), "recent": _midnight(SCAN_DAY - timedelta(days=5)),
             "started": False})
        db.session.commit()
        count = db.session.scalar(text("SELECT count(*) FROM assignment"))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return {"assignments": count, "units": units, "generate_seconds": round(time.perf_counter() - started, 1)}


def scan_child(url: str, day: str) -> None:
    """In a child process: scan the day twice (first run, then the idempotent replay) and print JSON."""
    from models import db
    from tracker.services import reminders

    app = _app(url)
    with app.app_context():
        first = reminders.scan_day(date.fromisoformat(day), on_batch=db.session.commit)
        db.session.commit()
        replay = reminders.scan_day(date.fromisoformat(day), on_batch=db.session.commit)
        db.session.commit()
    print(json.dumps({"seconds": round(first.seconds, 2), "assignments_seen": first.assignments_seen,
                      "digests": first.digests_written, "stale_units": first.stale_units,
                      "replay_seconds": round(replay.seconds, 2), "replay_new_digests": replay.digests_written}))


def measure(url: str) -> dict:
    """Run the scan in a child process and read its peak RSS."""
    child = subprocess.Popen([sys.executable, "-m", "bench.bench_reminders", "--scan", url, SCAN_DAY.isoformat()],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(child.pid, 0)
    output = child.stdout.read()
    if status != 0:
        raise SystemExit(f"scan failed: {child.stderr.read()[-3000:]}")
    figures = json.loads(output.strip().splitlines()[-1])
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
    return figures


def _pg_reachable() -> bool:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as error:  # noqa: BLE001 — any failure means "skip PostgreSQL"
        print(f"PostgreSQL không kết nối được ({type(error).__name__}); bỏ qua quy mô toàn quốc")
        return False


def main() -> None:
    """Generate, scan, print the figures and write bench/out/reminders.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scan", nargs=2, metavar=("URL", "DAY"))
    parser.add_argument("--province-only", action="store_true")
    parser.add_argument("--national-units", type=int, default=3500)
    parser.add_argument("--national-activities", type=int, default=286)  # 3,500 × 286 ≈ 1,001,000
    args = parser.parse_args()
    if args.scan:
        scan_child(*args.scan)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    sqlite_url = f"sqlite:///{OUT / 'reminders.sqlite3'}"
    results["province_sqlite"] = generate(sqlite_url, units=200, activities=135) | measure(sqlite_url)
    if not args.province_only and _pg_reachable():
        results["national_postgresql"] = (generate(_pg_url(), units=args.national_units,
                                                   activities=args.national_activities) | measure(_pg_url()))
    for name, figures in results.items():
        print(f"{name}: {figures['assignments']:,} việc mở, {figures['units']:,} đơn vị → quét {figures['seconds']} s "
              f"({figures['assignments_seen']:,} việc được nhắc, {figures['digests']:,} bản tin, "
              f"{figures['stale_units']:,} đơn vị chậm cập nhật); quét lại {figures['replay_seconds']} s, "
              f"{figures['replay_new_digests']} bản tin mới; bộ nhớ tiến trình quét tối đa {figures['peak_rss_mb']} MB")
    results["targets"] = TARGETS
    (OUT / "reminders.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
