"""Benchmark of the indicators: province scale, 200 units × 5 years of quarterly scores (≈120,000 scores).

    python -m bench.bench_indicators                # SQLite, then PostgreSQL when reachable
    python -m bench.bench_indicators --sqlite-only --requests 40

Times (through the Flask test client, server side, templates and charts included) the bottlenecks page, an
indicator page and a unit scorecard: median and p95 over --requests requests each; and the import of a
200-row results table (upload with mapping detection and checks, then the all-or-nothing save).
Targets (issue 3): each page p95 ≤ 100 ms; import ≤ 1 s. Figures go to bench/out/indicators.json.
"""
import argparse
import csv
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tracker import clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_SCHEMA = "dondoc_bench_indicators"
UNITS = 200
YEARS = range(2021, 2026)
TARGET_PAGE_MS = 100.0
TARGET_IMPORT_S = 1.0


def _pg_url() -> str | None:
    """A PostgreSQL URL on a fresh schema, or None when the server is not reachable."""
    from sqlalchemy import create_engine, text

    base = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = create_engine(base, connect_args={"connect_timeout": 3})
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any connection failure means "skip PostgreSQL"
        print(f"PostgreSQL not reachable ({type(error).__name__}); skipping it")
        return None
    return f"{base}?options=-csearch_path%3D{PG_SCHEMA}"


def _app(url: str, upload_dir: str):
    from tracker import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "UPLOAD_FOLDER": upload_dir,
                       "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")})


def generate(rng: random.Random) -> dict:
    """Units, frameworks, 20 quarters of scores, a plan with linked activities and assignments (bulk inserts)."""
    from sqlalchemy import insert, select

    from models import (
        Activity,
        ActivityIndicator,
        Assignment,
        FrameworkNode,
        Plan,
        Score,
        Task,
        TaskGroup,
        Unit,
        UnitKind,
        db,
    )
    from tracker.services import accounts
    from tracker.services.frameworks import by_code, load_shipped_frameworks
    from tracker.services.periods import get_or_create_period

    db.session.add_all([UnitKind(code="province", name="Tỉnh", level=0, sort_order=0),
                        UnitKind(code="office", name="Văn phòng UBND tỉnh", level=1, sort_order=1),
                        UnitKind(code="department", name="Sở, ban, ngành", level=1, sort_order=2)])
    db.session.flush()
    kinds = dict(db.session.execute(select(UnitKind.code, UnitKind.id)).all())
    province = Unit(code="BT", name="UBND tỉnh Thử nghiệm", kind_id=kinds["province"])
    db.session.add(province)
    db.session.flush()
    office = Unit(code="BT-VP", name="Văn phòng UBND tỉnh", kind_id=kinds["office"], parent_id=province.id)
    db.session.add(office)
    db.session.execute(insert(Unit), [
        {"code": f"BT-S{i:03d}", "name": f"Sở thử nghiệm số {i:03d}", "kind_id": kinds["department"],
         "parent_id": province.id, "sort_order": i, "aliases": [], "search_text": f"so thu nghiem so {i:03d}"}
        for i in range(UNITS)])
    unit_ids = list(db.session.scalars(select(Unit.id).where(Unit.code.like("BT-S%")).order_by(Unit.id)))
    accounts.create_user(None, username="vanphong", password="matkhau123", role="office", unit_code="BT-VP")
    accounts.create_user(None, username="lanhdao", password="matkhau123", role="leader", unit_code="BT")
    load_shipped_frameworks()

    nodes_by_framework = {}
    for code in ("766-2022", "par-2022"):
        framework = by_code(code)
        nodes = list(db.session.scalars(select(FrameworkNode).where(FrameworkNode.framework_id == framework.id)))
        # 766: every node and the total (22); PAR: the 8 domains — 30 scores per unit and quarter
        nodes_by_framework[code] = (framework, [n for n in nodes if code == "766-2022" or n.depth == 0])
    rows = 0
    periods = []
    for year in YEARS:
        for quarter in range(1, 5):
            period = get_or_create_period(f"Q{quarter}/{year}")
            periods.append(period)
            batch = []
            for framework, nodes in nodes_by_framework.values():
                for unit_id in unit_ids:
                    for node in nodes:
                        if node.is_total:
                            continue
                        share = Decimal(rng.randint(55, 100)) / 100
                        batch.append({"unit_id": unit_id, "node_id": node.id, "framework_id": framework.id,
                                      "period_id": period.id, "points": (node.max_points * share).quantize(
                                          Decimal("0.01")), "note": "", "source": "bench"})
                    total = next(n for n in nodes_by_framework["766-2022"][1] if n.is_total)
                    if framework.code == "766-2022":
                        batch.append({"unit_id": unit_id, "node_id": total.id, "framework_id": framework.id,
                                      "period_id": period.id, "points": None, "note": "", "source": "bench"})
            db.session.execute(insert(Score), batch)
            rows += len(batch)

    plan = Plan(code="BT-2025", title="Kế hoạch thử nghiệm", year=2025)
    db.session.add(plan)
    db.session.flush()
    group = TaskGroup(plan_id=plan.id, number="I", title="Nhóm thử", position=0)
    db.session.add(group)
    db.session.flush()
    task = Task(group_id=group.id, number="1", title="Nhiệm vụ thử", position=0)
    db.session.add(task)
    db.session.flush()
    leaves = [n for n in nodes_by_framework["766-2022"][1] if not n.is_total and n.depth == 1]
    today = clock.today()
    for index in range(40):
        due = today + timedelta(days=rng.randint(-60, 60))
        activity = Activity(task_id=task.id, plan_id=plan.id, number=f"1.{index + 1}", due_date=due,
                            content=f"Hoạt động cải thiện chỉ tiêu {leaves[index % len(leaves)].code}",
                            deadline_text=due.strftime("%d/%m/%Y"), position=index)
        db.session.add(activity)
        db.session.flush()
        db.session.add(ActivityIndicator(activity_id=activity.id, node_id=leaves[index % len(leaves)].id))
        db.session.execute(insert(Assignment), [
            {"activity_id": activity.id, "plan_id": plan.id, "unit_id": unit_id, "responsibility": "lead",
             "due_date": due, "state": "open", "percent": 0, "note": "", "started": rng.random() < 0.5, "version": 1,
             "period_label": ""} for unit_id in rng.sample(unit_ids, 40)])
    db.session.commit()
    return {"units": len(unit_ids), "periods": len(periods), "scores": rows, "unit_id": unit_ids[17],
            "node_id": next(n.id for n in nodes_by_framework["766-2022"][1] if n.code == "MDSH"),
            "latest": periods[-1].label, "unit_names": [f"Sở thử nghiệm số {i:03d}" for i in range(UNITS)]}


def _time_pages(app, info: dict, requests: int) -> dict:
    client = app.test_client()
    response = client.post("/login", data={"username": "lanhdao", "password": "matkhau123"})
    assert response.status_code == 302, "login failed"
    latest = info["latest"]
    pages = {
        "bottlenecks": f"/indicators/bottlenecks?framework=766-2022&period={latest}",
        "indicator": f"/indicators/nodes/{info['node_id']}?period={latest}",
        "scorecard": f"/indicators/units/{info['unit_id']}?framework=766-2022&period={latest}",
        "results": f"/indicators/results?framework=766-2022&period={latest}&kind=department",
    }
    figures = {}
    for name, url in pages.items():
        for _warm in range(3):
            assert client.get(url).status_code == 200, url
        times = []
        for _run in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        figures[name] = {"median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
                         "ok": p95 <= TARGET_PAGE_MS}
    return figures


def _time_import(app, info: dict) -> dict:
    from models import db
    from tracker.services import score_import
    from tracker.services.frameworks import by_code

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["STT", "Tên đơn vị", "Công khai, minh bạch", "Tiến độ, kết quả giải quyết", "Số hoá hồ sơ",
                     "Cung cấp dịch vụ trực tuyến", "Mức độ hài lòng", "Tổng điểm", "Xếp loại"])
    rng = random.Random(7)
    for index, name in enumerate(info["unit_names"], start=1):
        parts = [Decimal(rng.randint(60, 100)) * m / 100 for m in (18, 20, 22, 22, 18)]
        parts = [p.quantize(Decimal("0.1")) for p in parts]
        total = sum(parts)
        band = "Xuất sắc" if total >= 90 else "Tốt" if total >= 80 else "Khá" if total >= 70 else \
            "Trung bình" if total >= 50 else "Yếu"
        writer.writerow([index, name, *(str(p).replace(".", ",") for p in parts), str(total).replace(".", ","), band])
    data = out.getvalue().encode("utf-8")
    folder = score_import.import_folder(app.config["UPLOAD_FOLDER"])
    started = time.perf_counter()
    record = score_import.start_import(None, by_code("766-2022"), "2024", "ket-qua-200.csv", data, folder)
    db.session.commit()
    previewed = time.perf_counter()
    saved = score_import.confirm_import(None, record, folder)
    db.session.commit()
    finished = time.perf_counter()
    return {"rows": len(info["unit_names"]), "scores_saved": saved,
            "upload_and_preview_s": round(previewed - started, 3), "confirm_s": round(finished - previewed, 3),
            "total_s": round(finished - started, 3), "ok": finished - started <= TARGET_IMPORT_S}


def run_backend(name: str, url: str, requests: int) -> dict:
    """Create the schema, generate, time pages and the import on one database."""
    from models import db

    upload_dir = tempfile.mkdtemp(prefix="bench-indicators-")
    app = _app(url, upload_dir)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        info = generate(random.Random(2025))
        generated = time.perf_counter() - started
        print(f"[{name}] {info['units']} đơn vị × {info['periods']} kỳ: {info['scores']} điểm số "
              f"(tạo trong {generated:.1f} s)")
        pages = _time_pages(app, info, requests)
        for page, figures in pages.items():
            mark = "đạt" if figures["ok"] else "KHÔNG ĐẠT"
            print(f"[{name}] {page:12s} median {figures['median_ms']:7.1f} ms · p95 {figures['p95_ms']:7.1f} ms "
                  f"(mục tiêu p95 ≤ {TARGET_PAGE_MS:.0f} ms: {mark})")
        imported = _time_import(app, info)
        mark = "đạt" if imported["ok"] else "KHÔNG ĐẠT"
        print(f"[{name}] nhập bảng {imported['rows']} dòng: {imported['total_s']:.3f} s "
              f"(xem trước {imported['upload_and_preview_s']:.3f} s + lưu {imported['confirm_s']:.3f} s; "
              f"mục tiêu ≤ {TARGET_IMPORT_S:.0f} s: {mark})")
        db.session.remove()
        db.engine.dispose()
    return {"scores": info["scores"], "generate_s": round(generated, 1), "pages": pages, "import": imported}


def main() -> None:
    """Run on SQLite and (when reachable) PostgreSQL; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sqlite_file = OUT / "bench-indicators.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    results = {"sqlite": run_backend("SQLite", f"sqlite:///{sqlite_file}", args.requests)}
    if not args.sqlite_only:
        url = _pg_url()
        if url:
            results["postgresql"] = run_backend("PostgreSQL", url, args.requests)
    (OUT / "indicators.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    ok = all(page["ok"] for backend in results.values() for page in backend["pages"].values()) and all(
        backend["import"]["ok"] for backend in results.values())
    print("Kết quả:", "tất cả đạt mục tiêu" if ok else "có chỉ số chưa đạt mục tiêu")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
