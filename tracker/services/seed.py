"""Demo data from the real documents: units, the 2023 plan, the 2024 directive, users, progress."""
import random
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select, update

from models import Assignment, Notification, Plan, User, db, utcnow
from tracker import clock
from tracker.services import accounts, assignments, indicator_seed, plans, units

#: one demo user per role: (username, role, unit code, full name). Password: DEMO_PASSWORD.
DEMO_PASSWORD = "dondoc2023"
DEMO_USERS = (
    ("admin", "admin", "HG-VPUB", "Quản trị hệ thống"),
    ("vanphong", "office", "HG-VPUB", "Chuyên viên Văn phòng UBND tỉnh"),
    ("lanhdao", "leader", "HG", "Phó Chủ tịch UBND tỉnh"),
    ("stp.canbo", "unit_officer", "HG-STP", "Cán bộ đầu mối Sở Tư pháp"),
    ("stp.lanhdao", "unit_head", "HG-STP", "Giám đốc Sở Tư pháp"),
)

def seed_demo(today: date | None = None, notes_file: Path | None = None) -> list[str]:
    """Load everything; returns the lines to print. Flushes, never commits.

    What the source documents lack (activities lost from the text, cells to review) is known and curated, not an
    error: it is counted in one line and written to `notes_file`, so a first `make run` does not look broken.
    """
    lines: list[str] = []
    notes: list[str] = []
    gaps = warnings = 0
    for path in sorted(units.DATA_DIR.glob("*.yaml")):
        counts = units.load_units_file(path)
        lines.append(f"Đơn vị ({path.name}): {counts['created']} mới, {counts['updated']} cập nhật")
    for path in sorted(plans.DATA_DIR.glob("*.yaml")):
        _plan, loaded = plans.load_plan_file(path)
        summary, *details = loaded.lines()
        lines.append(summary)
        notes += [f"{loaded.plan_code}: {detail}" for detail in details]
        gaps, warnings = gaps + len(loaded.gaps), warnings + len(loaded.warnings)
    if notes:
        lines.append(_notes_line(gaps, warnings, notes, notes_file))
    for username, role, unit_code, full_name in DEMO_USERS:
        accounts.create_user(None, username=username, password=DEMO_PASSWORD, role=role, unit_code=unit_code,
                             full_name=full_name, email=f"{username}@example.gov.vn")
        lines.append(f"Người dùng demo: {username} / {DEMO_PASSWORD} ({role}, {unit_code})")
    lines += demo_progress(today or clock.today())
    lines += indicator_seed.seed_indicators()
    db.session.flush()
    return lines


def _notes_line(gaps: int, warnings: int, notes: list[str], notes_file: Path | None) -> str:
    line = (f"Dữ liệu mẫu: {warnings} cảnh báo và {gaps} hoạt động thiếu so với văn bản gốc "
            "(đã biết, do văn bản nguồn; không phải lỗi)")
    if notes_file is None:
        return line
    notes_file.parent.mkdir(parents=True, exist_ok=True)
    notes_file.write_text("\n".join(notes) + "\n", encoding="utf-8")
    return f"{line}; chi tiết: {notes_file}"


def demo_progress(today: date) -> list[str]:
    """Realistic, reproducible progress on the seeded plans so dashboards are not empty."""
    rng = random.Random(2023)
    office_user = db.session.scalar(select(User).where(User.role == "office"))
    unit_users = {u.unit_id: u for u in db.session.scalars(select(User).where(User.role == "unit_officer"))}
    rows = db.session.scalars(select(Assignment).join(Plan).where(Plan.code.like("HG-%"))
                              .order_by(Assignment.id)).all()
    counts = {"done": 0, "late": 0, "awaiting": 0, "progress": 0}
    last_notification = db.session.scalar(select(func.max(Notification.id))) or 0
    for assignment in rows:
        if assignment.due_date > today:
            continue
        roll = rng.random()
        # units without a demo login report through a stand-in officer of their own unit
        actor = unit_users.get(assignment.unit_id) or SimpleNamespace(
            id=None, role="unit_officer", unit_id=assignment.unit_id, is_authenticated=True)
        if roll < 0.55:
            done_on = assignment.due_date - timedelta(days=rng.randint(0, 20))
            late = roll > 0.45
            if late:
                done_on = assignment.due_date + timedelta(days=rng.randint(3, 40))
            assignments.update_progress(actor, assignment, percent=100, note="Đã hoàn thành theo kế hoạch",
                                        expected_version=None, evidence_number=f"{rng.randint(10, 999)}/BC",
                                        evidence_date=done_on, submit=True, today=done_on)
            if roll < 0.52:
                assignments.review(office_user, assignment, confirm=True, reason="", expected_version=None)
                counts["late" if late else "done"] += 1
            else:
                counts["awaiting"] += 1
        elif roll < 0.75:
            assignments.update_progress(actor, assignment, percent=rng.choice((20, 40, 50, 70)),
                                        note="Đang triển khai", expected_version=None)
            counts["progress"] += 1
    # the simulated history is not news: nobody finds a thousand unread notices or emails of it
    db.session.execute(update(Notification).where(Notification.id > last_notification)
                       .values(read_at=utcnow(), email_state="none"))
    return [f"Tiến độ demo: {counts['done']} hoàn thành đúng hạn, {counts['late']} hoàn thành quá hạn, "
            f"{counts['awaiting']} chờ xác nhận, {counts['progress']} đang thực hiện"]
