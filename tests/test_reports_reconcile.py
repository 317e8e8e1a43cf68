"""The year-end report agrees with the plan page and the dashboard on the demo plan (Decision 210/QĐ-UBND, 2023).

Units are counted as distinct units (a periodic activity owes one assignment per unit per period), and the
activities that no unit was given are counted in the plan's size and named, not silently dropped.
"""
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Activity, Assignment, Plan, Task, TaskGroup
from tracker.domain.status import Status
from tracker.reports.build import UNASSIGNED_LABEL, build_year_document
from tracker.services import dashboards, plan_tree, reports, seed

AS_OF = date(2023, 12, 31)


@pytest.fixture()
def demo(db):
    seed.seed_demo(today=date(2024, 1, 15))
    db.session.commit()
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-KSTTHC-2023"))
    data = reports.assemble_year(reports.YearSettings(year=2023, plan_codes=[plan.code], as_of=AS_OF), AS_OF,
                                 use_default_provider=False)
    return plan, data, build_year_document(data)


def _table(document, code):
    return next(table for table in document.tables() if table.code == code)


def _text(document) -> str:
    return "\n".join(block.text for block in document.body if block.text)


def test_the_report_counts_the_plan_as_the_plan_page_does(db, demo):
    plan, data, document = demo
    groups = db.session.scalar(select(func.count(TaskGroup.id)).where(TaskGroup.plan_id == plan.id))
    tasks = db.session.scalar(select(func.count(Task.id)).join(TaskGroup).where(TaskGroup.plan_id == plan.id))
    present = plan_tree.present_counts(plan.id)
    activities = sum(present["groups"].values())
    assert (data.group_count, data.task_count, data.plan_activity_count) == (groups, tasks, activities) == (4, 17, 54)
    assigned = set(db.session.scalars(select(Assignment.activity_id).where(Assignment.plan_id == plan.id)))
    assert data.activity_count == len(assigned)
    assert len(data.unassigned) == activities - len(assigned) > 0
    text = _text(document)
    assert f"{activities} hoạt động;" in text
    assert f"{len(data.unassigned)} hoạt động không tính vào số liệu thực hiện vì văn bản không giao" in text
    assert all(label in text for label in data.unassigned)
    table = _table(document, "B1")
    assert [row for row in table.rows if row[0] == UNASSIGNED_LABEL] == [[UNASSIGNED_LABEL, len(data.unassigned), 0,
                                                                          0]]
    assert table.rows[-1][1] == activities  # "Tổng số" of activities is the plan's


def test_the_report_totals_agree_with_the_dashboard_and_the_plan_tree(db, demo):
    plan, data, document = demo
    dashboard = dashboards.status_counts(AS_OF, plan_ids=[plan.id])
    tree = plan_tree.tree_rollups(plan.id, AS_OF).plan
    assert dict(data.totals.counts) == dict(dashboard.counts) == dict(tree.counts)
    table = _table(document, "B1")
    assert table.rows[-1][2] == dashboard.total
    by_group = {group.title: rollup for group, rollup in dashboards.by_group(AS_OF, plan_ids=[plan.id])}
    assert {row.title: dict(row.rollup.counts) for row in data.groups} == {
        title: dict(rollup.counts) for title, rollup in by_group.items()}


def test_overdue_units_are_distinct_units_and_periods_are_counted_apart(db, demo):
    plan, data, document = demo
    table = _table(document, "B4")
    assert table.rows, "the demo has overdue work"
    labels = {f"{group}.{number}": activity_id for activity_id, group, number in db.session.execute(
        select(Activity.id, TaskGroup.number, Activity.number).join(Task, Activity.task_id == Task.id)
        .join(TaskGroup, Task.group_id == TaskGroup.id).where(Activity.plan_id == plan.id))}
    from tracker.services.status import status_expr

    periodic_seen = False
    for label, _content, units, overdue_units, overdue_periods, late_units in table.rows:
        activity_id = labels[label]
        assigned = db.session.scalar(select(func.count(func.distinct(Assignment.unit_id)))
                                     .where(Assignment.activity_id == activity_id))
        overdue = db.session.execute(select(Assignment.unit_id).where(
            Assignment.activity_id == activity_id, status_expr(AS_OF) == Status.OVERDUE.value)).scalars().all()
        assert units == assigned
        assert overdue_units == len(set(overdue)) <= assigned
        assert overdue_periods == len(overdue) >= overdue_units
        assert late_units <= assigned
        periodic_seen = periodic_seen or overdue_periods > overdue_units
    assert periodic_seen, "a periodic activity shows its unit-periods apart from its units"
