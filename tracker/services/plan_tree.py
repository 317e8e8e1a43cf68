"""Plan pages: the plan list, the filtered and paginated plan tree with roll-ups, and the edit guards.

Read side of tracker.services.plans: every page is a fixed handful of queries (GROUP BY counts, one eager
query for the assignments of the page's activities), never a query per row.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from models import Activity, Assignment, AuditEntry, Plan, Task, TaskGroup, Unit, UnitKind, db
from tracker.domain.status import Rollup, Status
from tracker.domain.textnorm import fold
from tracker.services.plans import activity_values, desired_assignments, plan_unit_infos
from tracker.services.status import status_expr

ACTIVITY_CONFLICT_MESSAGE = _l("Hoạt động này vừa được người khác sửa. Dữ liệu của bạn chưa được lưu; "
                               "hãy tải lại trang để xem thay đổi rồi nhập lại.")
PLAN_CONFLICT_MESSAGE = _l("Kế hoạch này vừa được người khác sửa. Dữ liệu của bạn chưa được lưu; "
                           "hãy tải lại trang để xem thay đổi rồi nhập lại.")
#: shown on the tree for per-level targets, in this order
TARGET_LEVELS = (("province", "Cấp tỉnh"), ("district", "Cấp huyện"), ("commune", "Cấp xã"))


@dataclass
class TreeFilters:
    """What the user narrowed the plan tree to (all optional)."""

    group_id: int | None = None
    unit_id: int | None = None
    status: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    query: str = ""

    @property
    def narrows_assignments(self) -> bool:
        """Whether an activity must have a matching assignment to be shown."""
        return bool(self.unit_id or self.status or self.due_from or self.due_to)

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.narrows_assignments or self.group_id or self.query)


def due_window(days: int, today: date) -> tuple[date, date]:
    """The "next N days" window, today included."""
    return today, today + timedelta(days=days)


def like_pattern(text: str) -> str:
    """A LIKE pattern finding the folded text anywhere, with the user's % and _ taken literally."""
    folded = fold(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"


# ---------------------------------------------------------------------------------------------- the plan list


def plan_list_query(unit_ids: set[int] | None = None, year: int | None = None, kind: str | None = None):
    """Plans and directives, newest first; for a unit user only plans where their scope has assignments."""
    query = select(Plan).order_by(Plan.year.desc(), Plan.kind, Plan.code)
    if unit_ids is not None:
        query = query.where(Plan.id.in_(
            select(Assignment.plan_id).where(Assignment.unit_id.in_(sorted(unit_ids))).distinct()))
    if year:
        query = query.where(Plan.year == year)
    if kind:
        query = query.where(Plan.kind == kind)
    return query


def plan_years() -> list[int]:
    """Years that have plans, newest first (for the list filter)."""
    return list(db.session.scalars(select(Plan.year).distinct().order_by(Plan.year.desc())))


def activity_counts(plan_ids: list[int]) -> dict[int, int]:
    """Activities per plan for the given plans, one query."""
    if not plan_ids:
        return {}
    rows = db.session.execute(select(Activity.plan_id, func.count(Activity.id))
                              .where(Activity.plan_id.in_(plan_ids)).group_by(Activity.plan_id))
    return dict(rows.all())


def plan_visible(plan_id: int, unit_ids: set[int] | None) -> bool:
    """Whether a user of that scope may open the plan (None = everyone's scope)."""
    if unit_ids is None:
        return True
    return bool(db.session.scalar(select(exists().where(
        Assignment.plan_id == plan_id, Assignment.unit_id.in_(sorted(unit_ids))))))


def activity_visible(activity_id: int, unit_ids: set[int] | None) -> bool:
    """Whether a user of that scope may open the activity page."""
    if unit_ids is None:
        return True
    return bool(db.session.scalar(select(exists().where(
        Assignment.activity_id == activity_id, Assignment.unit_id.in_(sorted(unit_ids))))))


# ---------------------------------------------------------------------------------------------- the plan tree


def _assignment_conditions(today: date, unit_ids: set[int] | None, filters: TreeFilters,
                           with_narrowing: bool = True) -> list:
    """WHERE clauses on Assignment: the user's scope, then (optionally) the unit/status/due filters."""
    conditions = []
    if unit_ids is not None:
        conditions.append(Assignment.unit_id.in_(sorted(unit_ids)))
    if filters.unit_id:
        conditions.append(Assignment.unit_id == filters.unit_id)
    if not with_narrowing:
        return conditions
    if filters.status:
        conditions.append(status_expr(today) == filters.status)
    if filters.due_from:
        conditions.append(Assignment.due_in_force >= filters.due_from)
    if filters.due_to:
        conditions.append(Assignment.due_in_force <= filters.due_to)
    return conditions


def activity_query(plan_id: int, today: date, filters: TreeFilters, unit_ids: set[int] | None = None):
    """Activities of the plan in tree order, with task and group loaded, narrowed by the filters and scope."""
    query = (select(Activity)
             .join(Task, Activity.task_id == Task.id)
             .join(TaskGroup, Task.group_id == TaskGroup.id)
             .where(Activity.plan_id == plan_id)
             .options(contains_eager(Activity.task).contains_eager(Task.group))
             .order_by(TaskGroup.position, TaskGroup.id, Task.position, Task.id, Activity.position, Activity.id))
    if filters.group_id:
        query = query.where(Task.group_id == filters.group_id)
    if filters.query.strip():
        needle = like_pattern(filters.query)
        unit_named = exists().where(Assignment.activity_id == Activity.id, Assignment.unit_id == Unit.id,
                                    Unit.search_text.like(needle, escape="\\"))
        query = query.where(or_(Activity.search_text.like(needle, escape="\\"), unit_named))
    conditions = _assignment_conditions(today, unit_ids, filters)
    if conditions:
        # unit users see only activities their scope owes; filters keep activities with a matching assignment
        query = query.where(exists().where(Assignment.activity_id == Activity.id, *conditions))
    return query


class Occurrence(NamedTuple):
    """What the tree shows of one assignment (a unit's whole duty, or one period of it), read as plain columns."""

    id: int
    activity_id: int
    unit_id: int
    responsibility: str
    period_label: str
    due_date: date
    extended_due: date | None
    #: the deadline the unit is held to today (Assignment.due_in_force, read in SQL)
    due_in_force: date
    percent: int
    #: display status code (tracker.domain.status.Status value), computed in SQL
    status: str


@dataclass
class UnitLine:
    """One responsible unit of an activity: its responsibility and its assignment (or one per period)."""

    unit_id: int
    unit_name: str
    responsibility: str
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def periodic(self) -> bool:
        """Whether the unit reports period by period on this activity."""
        return any(o.period_label for o in self.occurrences)


def assignment_lines(activity_ids: list[int], today: date, filters: TreeFilters,
                     unit_ids: set[int] | None = None) -> dict[int, list[UnitLine]]:
    """{activity_id: [UnitLine]} for the given activities, lead units first, in one query.

    Plain columns, not ORM objects: a page may show a thousand periodic occurrences, and building
    that many mapped instances costs more than the whole rest of the page.
    """
    if not activity_ids:
        return {}
    responsibility_order = case((Assignment.responsibility == "lead", 0), else_=1)
    query = (select(Assignment.id, Assignment.activity_id, Assignment.unit_id, Assignment.responsibility,
                    Assignment.period_label, Assignment.due_date, Assignment.extended_due, Assignment.due_in_force,
                    Assignment.percent, status_expr(today), Unit.name)
             .join(Unit, Assignment.unit_id == Unit.id)
             .join(UnitKind, Unit.kind_id == UnitKind.id)
             .where(Assignment.activity_id.in_(activity_ids), *_assignment_conditions(today, unit_ids, filters))
             .order_by(Assignment.activity_id, responsibility_order, UnitKind.sort_order, Unit.sort_order, Unit.id,
                       Assignment.period_start, Assignment.id))
    lines: dict[int, list[UnitLine]] = defaultdict(list)
    by_key: dict[tuple[int, int], UnitLine] = {}
    for row in db.session.execute(query):
        occurrence = Occurrence(*row[:10])
        key = (occurrence.activity_id, occurrence.unit_id)
        line = by_key.get(key)
        if line is None:
            line = by_key[key] = UnitLine(unit_id=occurrence.unit_id, unit_name=row[10],
                                          responsibility=occurrence.responsibility)
            lines[occurrence.activity_id].append(line)
        line.occurrences.append(occurrence)
    return dict(lines)


@dataclass
class TreeRollups:
    """Status counts per activity, task, group and for the whole plan."""

    activities: dict[int, Rollup] = field(default_factory=dict)
    tasks: dict[int, Rollup] = field(default_factory=dict)
    groups: dict[int, Rollup] = field(default_factory=dict)
    plan: Rollup = field(default_factory=Rollup)

    def activity(self, activity_id: int) -> Rollup:
        """The activity's roll-up (empty when it has no assignment in view)."""
        return self.activities.get(activity_id) or Rollup()

    def task(self, task_id: int) -> Rollup:
        """The task's roll-up."""
        return self.tasks.get(task_id) or Rollup()

    def group(self, group_id: int) -> Rollup:
        """The group's roll-up."""
        return self.groups.get(group_id) or Rollup()


def tree_rollups(plan_id: int, today: date, unit_ids: set[int] | None = None,
                 filters: TreeFilters | None = None) -> TreeRollups:
    """Roll-ups over the whole plan (not just the page), in the user's scope and chosen unit: one GROUP BY."""
    status = status_expr(today)
    conditions = _assignment_conditions(today, unit_ids, filters or TreeFilters(), with_narrowing=False)
    query = (select(Activity.id, Activity.task_id, Task.group_id, status, func.count(Assignment.id))
             .select_from(Assignment)
             .join(Activity, Assignment.activity_id == Activity.id)
             .join(Task, Activity.task_id == Task.id)
             .where(Assignment.plan_id == plan_id, *conditions)
             .group_by(Activity.id, Activity.task_id, Task.group_id, status))
    per_activity: dict[int, dict] = defaultdict(dict)
    per_task: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    per_group: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    whole: dict[Status, int] = defaultdict(int)
    for activity_id, task_id, group_id, code, count in db.session.execute(query):
        code = Status(code)
        per_activity[activity_id][code] = count
        per_task[task_id][code] += count
        per_group[group_id][code] += count
        whole[code] += count
    return TreeRollups(
        activities={key: Rollup(counts) for key, counts in per_activity.items()},
        tasks={key: Rollup(dict(counts)) for key, counts in per_task.items()},
        groups={key: Rollup(dict(counts)) for key, counts in per_group.items()},
        plan=Rollup(dict(whole)),
    )


def plan_outline(plan_id: int) -> list[TaskGroup]:
    """The plan's groups with their tasks loaded (two queries)."""
    return list(db.session.scalars(select(TaskGroup).where(TaskGroup.plan_id == plan_id)
                                   .options(selectinload(TaskGroup.tasks))
                                   .order_by(TaskGroup.position, TaskGroup.id)))


def present_counts(plan_id: int) -> dict[str, dict[int, int]]:
    """Activities present per task and per group (unfiltered), to set beside the declared counts."""
    rows = db.session.execute(select(Task.group_id, Activity.task_id, func.count(Activity.id))
                              .join(Task, Activity.task_id == Task.id)
                              .where(Activity.plan_id == plan_id)
                              .group_by(Task.group_id, Activity.task_id)).all()
    tasks = {task_id: n for _group, task_id, n in rows}
    groups: dict[int, int] = defaultdict(int)
    for group_id, _task, n in rows:
        groups[group_id] += n
    return {"tasks": tasks, "groups": dict(groups)}


def gap_numbers(plan: Plan) -> list[str]:
    """Numbers of the activities the source text lost ("III.2.1", …), as recorded on the plan."""
    return [str(gap.get("number", "")) if isinstance(gap, dict) else str(gap) for gap in plan.known_gaps or []]


def gap_summary(plan: Plan, present: int, present_tasks: int) -> list[str]:
    """Vietnamese sentences comparing the declared counts with what the data holds, naming the gaps."""
    lines: list[str] = []
    gaps = gap_numbers(plan)
    if plan.declared_activities is not None and (plan.declared_activities != present or gaps):
        line = f"Văn bản công bố {plan.declared_activities} hoạt động; dữ liệu có {present}"
        if gaps:
            line += f"; thiếu {', '.join(gaps)}"
        lines.append(line)
    elif gaps:
        lines.append(f"Thiếu so với văn bản: {', '.join(gaps)}")
    if plan.declared_tasks is not None and plan.declared_tasks != present_tasks:
        lines.append(f"Văn bản công bố {plan.declared_tasks} nhiệm vụ; dữ liệu có {present_tasks}")
    return lines


@dataclass
class TaskBlock:
    """A task heading and the page's activities under it."""

    task: Task
    activities: list[Activity] = field(default_factory=list)


@dataclass
class GroupBlock:
    """A group heading and the page's tasks under it."""

    group: TaskGroup
    tasks: list[TaskBlock] = field(default_factory=list)


def page_blocks(activities: list[Activity]) -> list[GroupBlock]:
    """Regroup a page of activities (already in tree order) under their group and task headings."""
    blocks: list[GroupBlock] = []
    for activity in activities:
        task = activity.task
        if not blocks or blocks[-1].group.id != task.group_id:
            blocks.append(GroupBlock(group=task.group))
        group_block = blocks[-1]
        if not group_block.tasks or group_block.tasks[-1].task.id != task.id:
            group_block.tasks.append(TaskBlock(task=task))
        group_block.tasks[-1].activities.append(activity)
    return blocks


def plan_units(plan_id: int, unit_ids: set[int] | None = None) -> list[Unit]:
    """Units that have assignments in the plan (in the user's scope), for the unit filter."""
    query = (select(Unit).join(UnitKind, Unit.kind_id == UnitKind.id)
             .where(Unit.id.in_(select(Assignment.unit_id).where(Assignment.plan_id == plan_id).distinct()))
             .order_by(UnitKind.sort_order, Unit.sort_order, Unit.id))
    if unit_ids is not None:
        query = query.where(Unit.id.in_(sorted(unit_ids)))
    return list(db.session.scalars(query).unique())


def targets_display(targets: dict | None) -> list[tuple[str, str]]:
    """Per-level targets as (level key, value) pairs, province → district → commune, then any other key."""
    targets = targets or {}
    known = [key for key, _label in TARGET_LEVELS]
    shown = [(key, str(targets[key])) for key in known if targets.get(key)]
    shown += [(str(key), str(value)) for key, value in targets.items() if key not in known and value]
    return shown


# ---------------------------------------------------------------------------------------------- the activity page


def load_activity(activity_id: int) -> Activity | None:
    """An activity with its task, group and plan, in one query."""
    return db.session.scalar(select(Activity).where(Activity.id == activity_id).options(
        joinedload(Activity.task).joinedload(Task.group), joinedload(Activity.plan)))


def history_query(activity_id: int):
    """Audit entries of the activity, newest first, with their authors."""
    return (select(AuditEntry)
            .where(AuditEntry.entity_type == "Activity", AuditEntry.entity_id == activity_id)
            .options(joinedload(AuditEntry.user))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))


def footnotes_of(activity: Activity, plan: Plan) -> list[tuple[str, str]]:
    """The plan footnotes the activity refers to: (mark, text); unknown marks are shown as such."""
    notes = plan.footnotes or {}
    return [(str(mark), notes.get(str(mark), "")) for mark in activity.footnotes or []]


# ---------------------------------------------------------------------------------------------- edit guards


def plan_code_taken(code: str, exclude_id: int | None = None) -> bool:
    """Whether another plan already uses the code."""
    query = select(Plan.id).where(Plan.code == code)
    if exclude_id is not None:
        query = query.where(Plan.id != exclude_id)
    return db.session.scalar(query) is not None


def has_activities(plan_id: int) -> bool:
    """Whether the plan has any activity (its year then drives every due date)."""
    return bool(db.session.scalar(select(exists().where(Activity.plan_id == plan_id))))


def unknown_unit_warnings(plan: Plan, spec: dict) -> dict[str, list[str]]:
    """Resolution warnings per cell ("lead", "coordinating"): unknown names with suggestions, empty collectives.

    Runs the resolution save_activity will run, without writing anything, so the form can ask before an
    activity is saved with a unit nobody would be assigned for. Raises PlanError on values the service refuses.
    """
    values = activity_values(spec, plan.year)
    infos = plan_unit_infos(getattr(plan, "issuer_unit_id", None), getattr(plan, "year", None))
    found: dict[str, list[str]] = {}
    for cell, other in (("lead", "coordinating_text"), ("coordinating", "lead_text")):
        _rows, warnings = desired_assignments({**values, other: ""}, plan.year, infos)
        found[cell] = warnings
    return found

