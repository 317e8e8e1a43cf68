"""Province-scale dataset for the benchmarks, written with bulk Core inserts.

About 200 units (office, 20 departments, 11 districts, 170 communes), 5 years of 3 plans of 60
activities each, every activity assigned to about 30 units (≈27,000 assignments) with 10 progress
updates each (≈270,000 rows).
"""
import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select

from models import Activity, Assignment, Plan, ProgressUpdate, Task, TaskGroup, Unit, UnitKind, User, db
from tracker import clock

BENCH_PASSWORD = "benchmark-123"


def _bulk(model, rows: list[dict], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[start:start + chunk])


def generate(years: int = 5, plans_per_year: int = 3, activities_per_plan: int = 60, units_per_activity: int = 30,
             updates_per_assignment: int = 10, seed: int = 7, today: date | None = None) -> dict:
    """Fill an empty database; returns ids the benchmark needs (plan, unit, users)."""
    rng = random.Random(seed)
    today = today or clock.today()
    kinds = [("province", "Tỉnh", 0), ("office", "Văn phòng UBND tỉnh", 1), ("department", "Sở, ban, ngành", 1),
             ("district", "UBND cấp huyện", 2), ("commune", "UBND cấp xã", 3)]
    _bulk(UnitKind, [{"code": c, "name": n, "level": lv, "sort_order": i} for i, (c, n, lv) in enumerate(kinds)])
    kind_id = dict(db.session.execute(select(UnitKind.code, UnitKind.id)).all())
    db.session.add(Unit(code="P", name="UBND tỉnh Mẫu", kind_id=kind_id["province"], search_text="ubnd tinh mau"))
    db.session.flush()
    province = db.session.scalar(select(Unit.id).where(Unit.code == "P"))
    rows = [{"code": "P-VP", "name": "Văn phòng UBND tỉnh", "kind_id": kind_id["office"], "parent_id": province,
             "search_text": "van phong ubnd tinh", "aliases": []}]
    rows += [{"code": f"P-S{i:02d}", "name": f"Sở số {i}", "kind_id": kind_id["department"], "parent_id": province,
              "search_text": f"so so {i}", "aliases": [], "sort_order": i} for i in range(1, 21)]
    rows += [{"code": f"P-H{i:02d}", "name": f"UBND huyện {i}", "kind_id": kind_id["district"],
              "parent_id": province, "search_text": f"ubnd huyen {i}", "aliases": [], "sort_order": i}
             for i in range(1, 12)]
    _bulk(Unit, rows)
    districts = db.session.scalars(select(Unit.id).where(Unit.kind_id == kind_id["district"])).all()
    _bulk(Unit, [{"code": f"P-X{i:03d}", "name": f"UBND xã {i}", "kind_id": kind_id["commune"],
                  "parent_id": districts[i % len(districts)], "search_text": f"ubnd xa {i}", "aliases": [],
                  "sort_order": i} for i in range(1, 171)])
    unit_ids = db.session.scalars(select(Unit.id).where(Unit.id != province)).all()
    office_id = db.session.scalar(select(Unit.id).where(Unit.code == "P-VP"))
    department_id = db.session.scalar(select(Unit.id).where(Unit.code == "P-S01"))

    users = []
    for username, role, unit_id in (("bench.office", "office", office_id), ("bench.unit", "unit_officer",
                                                                             department_id),
                                    ("bench.leader", "leader", province)):
        user = User(username=username, role=role, unit_id=unit_id, full_name=username)
        user.set_password(BENCH_PASSWORD)
        users.append(user)
    db.session.add_all(users)
    db.session.flush()
    unit_user_id = users[1].id

    first_year = today.year - years + 1
    assignment_rows: list[dict] = []
    latest_plan = None
    for year in range(first_year, today.year + 1):
        for p in range(plans_per_year):
            plan = Plan(code=f"KH-{year}-{p + 1}", kind="plan" if p else "directive",
                        title=f"Kế hoạch {p + 1} năm {year}", year=year, doc_number=f"{10 + p}/QĐ-UBND",
                        doc_date=date(year, 2, 1))
            db.session.add(plan)
            db.session.flush()
            latest_plan = plan.id
            activity_rows = []
            for g in range(4):
                group = TaskGroup(plan_id=plan.id, number=["I", "II", "III", "IV"][g], title=f"Nhóm {g + 1}",
                                  position=g)
                db.session.add(group)
                db.session.flush()
                for t in range(3):
                    task = Task(group_id=group.id, number=str(t + 1), title=f"Nhiệm vụ {t + 1}", position=t)
                    db.session.add(task)
                    db.session.flush()
                    for a in range(activities_per_plan // 12):
                        due = date(year, rng.randint(3, 12), rng.randint(1, 28))
                        activity_rows.append({
                            "task_id": task.id, "plan_id": plan.id, "number": f"{t + 1}.{a + 1}",
                            "content": f"Hoạt động {g + 1}.{t + 1}.{a + 1} của kế hoạch {plan.code}",
                            "product": "Báo cáo", "targets": {}, "lead_text": "Sở số 1", "coordinating_text": "",
                            "deadline_text": due.strftime("%d/%m/%Y"), "deadline_kind": "date", "due_date": due,
                            "footnotes": [], "search_text": f"hoat dong {g + 1}.{t + 1}.{a + 1}", "position": a,
                            "version": 1})
            _bulk(Activity, activity_rows)
            activities = db.session.execute(select(Activity.id, Activity.due_date)
                                            .where(Activity.plan_id == plan.id)).all()
            for activity_id, due in activities:
                chosen = {department_id, *rng.sample(unit_ids, units_per_activity - 1)}
                for index, unit_id in enumerate(sorted(chosen)):
                    past = due < today
                    roll = rng.random()
                    state = "confirmed" if past and roll < 0.8 else ("submitted" if roll < 0.85 else "open")
                    completed = due + timedelta(days=rng.randint(-20, 15)) if state != "open" else None
                    assignment_rows.append({
                        "activity_id": activity_id, "plan_id": plan.id, "unit_id": unit_id,
                        "responsibility": "lead" if index == 0 else "coordinating", "period_label": "", "due_date": due,
                        "state": state, "percent": 100 if completed else rng.choice((0, 30, 60)),
                        "started": roll < 0.9, "completed_on": completed,
                        "due_at_completion": due if completed else None, "version": 1,
                        "last_update_at": datetime(due.year, due.month, due.day, tzinfo=UTC),
                        "note": ""})
    _bulk(Assignment, assignment_rows)
    assignment_ids = db.session.scalars(select(Assignment.id)).all()
    update_rows = []
    for assignment_id in assignment_ids:
        for n in range(updates_per_assignment):
            update_rows.append({"assignment_id": assignment_id, "user_id": unit_user_id, "action": "update",
                                "state_before": "open", "state_after": "open", "percent": n * 10,
                                "note": f"Cập nhật lần {n + 1}", "evidence_number": "",
                                "at": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=n)})
        if len(update_rows) >= 50_000:
            _bulk(ProgressUpdate, update_rows)
            update_rows = []
    _bulk(ProgressUpdate, update_rows)
    db.session.commit()
    sample_assignment = db.session.scalar(
        select(Assignment.id).where(Assignment.unit_id == department_id, Assignment.plan_id == latest_plan))
    return {"plan_id": latest_plan, "assignment_id": sample_assignment, "assignments": len(assignment_ids),
            "updates": len(assignment_ids) * updates_per_assignment, "units": len(unit_ids) + 1,
            "password": BENCH_PASSWORD}
