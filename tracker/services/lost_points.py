"""Points lost (bottlenecks, điểm nghẽn): per node, who answers for them and the tasks meant to win them back.

``lost_points(framework_code, period_label, unit_id=None) -> list[LostPoints]``
    Nodes at the deepest scored level ordered by points lost (max − points, summed over units, or for one
    unit), each with the units answerable (framework responsibility, resolved to units), the units losing
    most, and the linked activities with their assignment statuses (only the given unit's assignments when
    unit_id is given).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from models import (
    Activity,
    ActivityIndicator,
    Assignment,
    Framework,
    FrameworkNode,
    Period,
    Plan,
    Score,
    Task,
    TaskGroup,
    Unit,
    UnitKind,
    db,
)
from tracker import clock
from tracker.domain.status import Rollup, Status
from tracker.permissions import descendant_ids, unit_parent_pairs
from tracker.services.frameworks import effective_responsible
from tracker.services.periods import resolve
from tracker.services.score_results import load_period_data
from tracker.services.status import status_expr
from tracker.services.unit_matching import UnitMatcher, UnitRef, root_ids_of

#: statuses that make a linked task a bottleneck
LATE_STATUSES = (Status.OVERDUE.value, Status.NOT_STARTED.value)


@dataclass
class LinkedActivity:
    """An activity linked to a node, with the statuses of its assignments (in view)."""

    id: int
    label: str
    plan_code: str
    content: str
    due_date: date
    rollup: Rollup = field(default_factory=Rollup)
    #: (unit name, status code) of the first assignments overdue or not started (LATE_UNITS_SHOWN at most)
    late_units: list[tuple[str, str]] = field(default_factory=list)
    #: how many assignments are overdue or not started
    late_count: int = 0

    @property
    def is_late(self) -> bool:
        """True when some assignment is overdue or not started."""
        return self.late_count > 0


@dataclass
class LostPoints:
    """Points lost on a node (summed over units, or for one unit), who answers, and the tasks meant to win them."""

    node: FrameworkNode
    lost: Decimal
    max_points: Decimal
    units_scored: int
    responsible: list[UnitRef] = field(default_factory=list)
    responsible_names: list[str] = field(default_factory=list)
    worst_units: list[tuple[UnitRef, Decimal]] = field(default_factory=list)
    activities: list[LinkedActivity] = field(default_factory=list)

    @property
    def late_activities(self) -> list[LinkedActivity]:
        """The linked activities with an assignment overdue or not started."""
        return [activity for activity in self.activities if activity.is_late]

    @property
    def percent_lost(self) -> Decimal:
        """Lost points as a share of the points at stake."""
        stake = self.max_points * self.units_scored
        return self.lost * 100 / stake if stake else Decimal(0)


#: late units named per activity; the rest are counted (late_count)
LATE_UNITS_SHOWN = 8


def linked_activities(node_ids: list[int], today: date, unit_id: int | None = None,
                      unit_ids: set[int] | None = None) -> dict[int, list[LinkedActivity]]:
    """{node id: [LinkedActivity]} with assignment status counts and the late units, in three queries.

    With unit_id (or unit_ids), only those units' assignments count, and only activities they owe are returned.
    """
    if not node_ids:
        return {}
    links = db.session.execute(
        select(ActivityIndicator.node_id, Activity.id, Activity.number, TaskGroup.number, Plan.code,
               Activity.content, Activity.due_date)
        .join(Activity, Activity.id == ActivityIndicator.activity_id)
        .join(Task, Task.id == Activity.task_id).join(TaskGroup, TaskGroup.id == Task.group_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .where(ActivityIndicator.node_id.in_(node_ids))
        .order_by(ActivityIndicator.node_id, Plan.code, TaskGroup.position, Task.position, Activity.position)).all()
    if not links:
        return {}
    activity_ids = list({row[1] for row in links})
    scope = [Assignment.activity_id.in_(activity_ids)]
    if unit_id is not None:
        scope.append(Assignment.unit_id == unit_id)
    elif unit_ids is not None:
        scope.append(Assignment.unit_id.in_(unit_ids))
    status = status_expr(today)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for activity_id, state, count in db.session.execute(
            select(Assignment.activity_id, status, func.count(Assignment.id)).where(*scope)
            .group_by(Assignment.activity_id, status)):
        counts[activity_id][state] = count
    late: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for activity_id, unit_name, state in db.session.execute(
            select(Assignment.activity_id, Unit.name, status).join(Unit, Unit.id == Assignment.unit_id)
            .where(*scope, status.in_(LATE_STATUSES))
            .order_by(Assignment.activity_id, Unit.sort_order, Unit.id)):
        names = late[activity_id]
        if len(names) < LATE_UNITS_SHOWN and (unit_name, state) not in names:
            names.append((unit_name, state))
    result: dict[int, list[LinkedActivity]] = defaultdict(list)
    for node_id, activity_id, number, group_number, plan_code, content, due in links:
        per_status = counts.get(activity_id, {})
        if (unit_id is not None or unit_ids is not None) and not per_status:
            continue  # a unit's scorecard shows only the tasks the unit (or a unit below it) owes
        item = LinkedActivity(activity_id, f"{group_number}.{number}", plan_code, content, due,
                              rollup=Rollup(per_status), late_units=list(late.get(activity_id, [])),
                              late_count=sum(per_status.get(state, 0) for state in LATE_STATUSES))
        result[node_id].append(item)
    return dict(result)


def lost_points(framework_code: str, period_label: str, unit_id: int | None = None,
                today: date | None = None, kind: str | None = None) -> list[LostPoints]:
    """Nodes ordered by points lost (see the module docstring); `today` decides overdue (default: today);
    `kind` counts only units of that kind (the province's own row repeats its departments' losses).
    """
    framework, period = resolve(framework_code, period_label)
    return lost_points_for(framework, period, unit_id, today, kind)


def lost_points_for(framework: Framework, period: Period, unit_id: int | None = None,
                    today: date | None = None, kind: str | None = None) -> list[LostPoints]:
    """lost_points on loaded framework and period rows."""

    today = today or clock.today()
    nodes = {node.id: node for node in db.session.scalars(
        select(FrameworkNode).where(FrameworkNode.framework_id == framework.id, FrameworkNode.is_total.is_(False)))}
    lost_expr = func.sum(FrameworkNode.max_points - Score.points)
    query = (select(Score.node_id, lost_expr, func.count(Score.id))
             .join(FrameworkNode, FrameworkNode.id == Score.node_id)
             .where(Score.framework_id == framework.id, Score.period_id == period.id, Score.points.is_not(None),
                    FrameworkNode.is_total.is_(False))
             .group_by(Score.node_id))
    if unit_id is not None:
        query = query.where(Score.unit_id == unit_id)
    if kind is not None:
        query = query.where(Score.unit_id.in_(_unit_ids_of_kind(kind)))
    rows = db.session.execute(query).all()
    scored = {node_id for node_id, _lost, _n in rows}
    # a node whose children are scored is counted through them, so points are not counted twice
    with_scored_children = {nodes[node_id].parent_id for node_id in scored if node_id in nodes}
    items = [LostPoints(nodes[node_id], Decimal(lost or 0), nodes[node_id].max_points, count)
             for node_id, lost, count in rows if node_id in nodes and node_id not in with_scored_children]
    items.sort(key=lambda item: (-item.lost, item.node.position))
    _fill_answerable(items, framework, period, unit_id, today, kind)
    return items


def _unit_ids_of_kind(kind: str):
    """SQL subquery: ids of the units of a kind."""
    return select(Unit.id).join(UnitKind, Unit.kind_id == UnitKind.id).where(UnitKind.code == kind)


def _fill_answerable(items: list[LostPoints], framework: Framework, period: Period, unit_id: int | None,
                     today: date, kind: str | None = None) -> None:
    """Responsible units, units losing most (3 per node) and linked activities, in a fixed number of queries."""
    if not items:
        return
    all_nodes = list(db.session.scalars(select(FrameworkNode).where(
        FrameworkNode.framework_id == framework.id, FrameworkNode.is_total.is_(False))
        .order_by(FrameworkNode.position)))
    responsible = effective_responsible(all_nodes)
    matcher = None
    if any(responsible.get(item.node.id) for item in items):
        scored_units = [unit_id] if unit_id is not None else db.session.scalars(
            select(Score.unit_id).where(Score.framework_id == framework.id, Score.period_id == period.id)
            .distinct()).all()
        # "Sở Nội vụ" exists in every province: resolve names within the province(s) whose scores these are
        matcher = UnitMatcher.from_db(root_ids_of(scored_units))
    node_ids = [item.node.id for item in items]
    worst: dict[int, list[tuple[UnitRef, Decimal]]] = defaultdict(list)
    if unit_id is None:
        # the three units losing most per node, picked by the database (a window function), not in Python
        lost_expr = FrameworkNode.max_points - Score.points
        ranked = (select(Score.node_id, Score.unit_id, lost_expr.label("lost"),
                         func.row_number().over(partition_by=Score.node_id,
                                                order_by=(lost_expr.desc(), Score.unit_id)).label("place"))
                  .join(FrameworkNode, FrameworkNode.id == Score.node_id)
                  .where(Score.period_id == period.id, Score.node_id.in_(node_ids), Score.points.is_not(None),
                         FrameworkNode.max_points > Score.points,
                         *([Score.unit_id.in_(_unit_ids_of_kind(kind))] if kind else []))
                  .subquery())
        for node_id, ref_id, lost in db.session.execute(
                select(ranked.c.node_id, ranked.c.unit_id, ranked.c.lost).where(ranked.c.place <= 3)
                .order_by(ranked.c.node_id, ranked.c.place)):
            worst[node_id].append((ref_id, lost if isinstance(lost, Decimal) else Decimal(str(lost))))
    worst_ids = {ref_id for pairs in worst.values() for ref_id, _lost in pairs}
    refs = {row[0]: UnitRef(*row) for row in db.session.execute(
        select(Unit.id, Unit.code, Unit.name, UnitKind.code).join(UnitKind, Unit.kind_id == UnitKind.id)
        .where(Unit.id.in_(worst_ids)))} if worst_ids else {}
    # a task aimed at a sub-indicator helps its group: a node collects the links of its whole subtree
    owner = {node.id: node.id for node in all_nodes}
    wanted = set(node_ids)
    for node in all_nodes:  # pre-order: the parent's owner is known first
        if node.id not in wanted and node.parent_id in owner:
            owner[node.id] = owner[node.parent_id]
    owed_by = None
    if unit_id is not None:  # a unit answers with the units below it (a province with its departments)
        owed_by = descendant_ids(unit_id, unit_parent_pairs())
    found = linked_activities([n.id for n in all_nodes if owner[n.id] in wanted], today, unit_ids=owed_by)
    activities: dict[int, list[LinkedActivity]] = defaultdict(list)
    for linked_node, linked in found.items():
        bucket = activities[owner[linked_node]]
        bucket += [one for one in linked if all(one.id != other.id for other in bucket)]
    for item in items:
        item.responsible_names = responsible.get(item.node.id, [])
        if matcher is not None:
            item.responsible = [ref for ref in (matcher.find(name) for name in item.responsible_names) if ref]
        item.worst_units = [(refs[ref_id], lost) for ref_id, lost in worst.get(item.node.id, []) if ref_id in refs]
        item.activities = activities.get(item.node.id, [])


@dataclass(frozen=True)
class NodeLoss:
    """A node's results over the units in a period: how many have a value, their average and the points lost."""

    count: int
    average: Decimal | None
    lost: Decimal


def points_lost(node: FrameworkNode, value: Decimal | None) -> Decimal | None:
    """Points a unit lost on a node: its maximum less the node's value (see PeriodData.value), None when unknown."""
    return None if value is None else node.max_points - value


def node_loss(node: FrameworkNode, period: Period) -> NodeLoss:
    """Units with a value on the node, their average and the points lost, by the rule of the bottlenecks.

    A node's value is its stored points, else the sum of its children (PeriodData.value), as everywhere else:
    a group whose units reported only its sub-indicators still shows what they lost.
    """
    data = load_period_data(node.framework, period, node_ids=_subtree_ids(node))
    values = [value for unit_id in data.values if (value := data.value(unit_id, node)) is not None]
    if not values:
        return NodeLoss(0, None, Decimal(0))
    total = sum(values, Decimal(0))
    lost = sum((points_lost(node, value) for value in values), Decimal(0))
    return NodeLoss(len(values), total / len(values), lost)


def _subtree_ids(node: FrameworkNode) -> list[int]:
    """Ids of the node and every node below it (one query)."""
    pairs = db.session.execute(select(FrameworkNode.id, FrameworkNode.parent_id)
                               .where(FrameworkNode.framework_id == node.framework_id)).all()
    ids, frontier = [node.id], [node.id]
    while frontier:
        frontier = [child for child, parent in pairs if parent in frontier]
        ids += frontier
    return ids
