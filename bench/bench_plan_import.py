"""Benchmark: import a 500-activity plan from .xlsx (preview, then commit) and print the timings.

    .venv/bin/python bench/bench_plan_import.py [--activities 500] [--database-url postgresql://…]

Uses a throw-away SQLite file by default (or the URL given), loads the Hà Giang units, builds the workbook in
memory with mixed cells (collectives, named units, exceptions, per-level targets, recurring deadlines).
Target (issue 6): preview + commit ≤ 3 s.
"""
import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402

LEADS = ("Các sở, ban, ngành; UBND cấp huyện", "Sở Tư pháp", "Văn phòng UBND tỉnh",
         "Các sở, ban, ngành (Sở Tư pháp, Sở Tài chính đã hoàn thành năm 2022)", "Sở Nội vụ, Sở Tài chính")
DEADLINES = ("14/12/2023", "Quý IV/2023", "Trước ngày 01/4/2023", "Thường xuyên", "Tháng 6/2023", "Quý I, II/2023")
PRODUCTS = ("100%", "Quyết định ban hành", "Cấp tỉnh: 100%; Cấp huyện: 60%; Cấp xã: 30%", "Văn bản hướng dẫn")


def build_workbook(activities: int) -> bytes:
    """A plan table of `activities` activities: 5 groups × 10 tasks × n activities, header and merges."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Kế hoạch thử nghiệm hiệu năng năm 2023"])
    sheet.append(["(Kèm theo Quyết định số 999/QĐ-UBND ngày 10/01/2023 của UBND tỉnh Hà Giang)"])
    sheet.append(["STT", "Nội dung", "Sản phẩm/Chỉ tiêu", "Chủ trì", "Phối hợp", "Thời hạn"])
    per_task = activities // 50
    count = 0
    for g in range(5):
        roman = ("I", "II", "III", "IV", "V")[g]
        sheet.append([f"{roman}. Nhóm nhiệm vụ: Nhóm {g + 1} (10 nhiệm vụ, {per_task * 10} hoạt động)"])
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=6)
        for t in range(10):
            sheet.append([f"{t + 1}.", f"Nhiệm vụ {t + 1} của nhóm {roman}"])
            for a in range(per_task):
                sheet.append([f"{t + 1}.{a + 1}.", f"Hoạt động {count + 1}: rà soát, công bố TTHC lĩnh vực {a}",
                              PRODUCTS[count % 4], LEADS[count % 5], "Văn phòng UBND tỉnh", DEADLINES[count % 6]])
                count += 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "dondoc_bench_plan_import"


def _database_urls(workdir: Path, requested: str | None) -> list[str]:
    """SQLite always; PostgreSQL (own schema) when reachable or asked for."""
    from sqlalchemy import create_engine, text

    urls = [f"sqlite:///{workdir / 'bench.sqlite3'}"]
    base = (requested or PG_URL).replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = create_engine(base)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        engine.dispose()
        urls.append(f"{base}?options=-csearch_path%3D{PG_SCHEMA}")
    except Exception as error:  # noqa: BLE001 — no PostgreSQL here: SQLite figures only
        print(f"PostgreSQL not reachable ({type(error).__name__}); SQLite only")
    return urls


class _Timer:
    """Accumulated time spent in one function (to show where the commit goes)."""

    def __init__(self, function):
        self.function, self.seconds, self.calls = function, 0.0, 0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def run(url: str, activities: int, workdir: Path) -> float:
    """One import on one database; returns preview + commit seconds."""
    from models import Assignment, db
    from tracker import create_app
    from tracker.services import plan_import, plans
    from tracker.services.units import DATA_DIR, load_units_file

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(workdir / "uploads"), "TESTING": True})
    timer = _Timer(plans.resolve_assignees)
    plans.resolve_assignees = timer
    try:
        with app.app_context():
            db.create_all()
            load_units_file(DATA_DIR / "ha-giang.yaml")
            db.session.commit()
            content = build_workbook(activities)

            start = time.perf_counter()
            imp = plan_import.create_preview(None, "bench.xlsx", content, upload_root=workdir / "uploads",
                                             max_bytes=20 << 20, overrides={"code": "BENCH-2023"})
            db.session.commit()
            preview_s = time.perf_counter() - start

            start = time.perf_counter()
            plan, report = plan_import.commit_import(None, imp)
            db.session.commit()
            commit_s = time.perf_counter() - start

            assignments = db.session.query(Assignment).filter_by(plan_id=plan.id).count()
            print(f"database: {db.engine.dialect.name}")
            print(f"  file: {len(content) / 1024:.0f} KB, {report.activities} activities, {assignments} assignment "
                  f"rows, {len(imp.warnings)} preview warnings")
            print(f"  preview (check + read + parse + warnings + store): {preview_s:.2f} s")
            print(f"  commit (load_plan, all or nothing): {commit_s:.2f} s, of which resolve_assignees "
                  f"{timer.seconds:.2f} s over {timer.calls} calls (it rebuilds its unit index on every call)")
            total = preview_s + commit_s
            print(f"  total: {total:.2f} s (target ≤ 3 s: {'OK' if total <= 3 else 'TOO SLOW'})")
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    finally:
        plans.resolve_assignees = timer.function
    return total


def main() -> None:
    """Build, preview, commit on each database; print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--activities", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (default: local test server)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-plan-import-"))
    for url in _database_urls(workdir, args.database_url):
        run(url, args.activities, workdir)


if __name__ == "__main__":
    main()
