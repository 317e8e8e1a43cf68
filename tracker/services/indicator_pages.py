"""What the indicator pages show: the selections, lists and tables of tracker.views.indicators, read-only.

The view parses the address and the forms, calls these, and renders; a framework, period, unit kind or record
named in the address that does not exist raises NotFound (the view answers 404). Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import (
    Activity,
    ActivityIndicator,
    Framework,
    FrameworkNode,
    Period,
    Plan,
    Score,
    ScoreImport,
    Task,
    TaskGroup,
    Unit,
    UnitKind,
    db,
)
from tracker.domain.periods import PeriodError
from tracker.domain.scoring import percent_of_max
from tracker.services import frameworks as frameworks_service
from tracker.services.lost_points import (
    LinkedActivity,
    LostPoints,
    NodeLoss,
    linked_activities,
    lost_points_for,
    node_loss,
    points_lost,
)
from tracker.services.periods import find_period, latest_context, scored_periods
from tracker.services.score_results import (
    BandLine,
    PeriodData,
    UnitResult,
    band_summary_from,
    load_period_data,
    period_results,
    unit_totals_by_period,
)
from tracker.services.unit_matching import root_ids_of

#: the unit kind whose results the bottlenecks show by default
DEFAULT_BOTTLENECK_KIND = "province"


class NotFound(LookupError):
    """A framework, period, unit kind or record named in the address does not exist."""


def _found(value):
    if value is None:
        raise NotFound()
    return value


def unit_kinds() -> dict[str, str]:
    """{unit kind code: name} in display order."""
    return dict(db.session.execute(select(UnitKind.code, UnitKind.name).order_by(UnitKind.sort_order)).all())


def period_among(periods: list[Period], label: str | None) -> Period | None:
    """The period with this label (NotFound when unknown or unreadable), else the first of `periods`."""
    if not label:
        return periods[0] if periods else None
    try:
        return _found(find_period(label))
    except PeriodError as error:
        raise NotFound() from error


@dataclass
class Selection:
    """The framework and period a results page is about, and the framework's periods with scores."""

    framework: Framework | None = None
    period: Period | None = None
    periods: list[Period] = field(default_factory=list)


def choose(framework_code: str | None, period_label: str | None) -> Selection:
    """The framework and period named, else the latest results (an empty Selection when there are none)."""
    if framework_code:
        framework = _found(frameworks_service.by_code(framework_code))
    else:
        latest = latest_context()
        if latest is None:
            return Selection()
        framework = latest[0]
    periods = scored_periods(framework.id)
    return Selection(framework, period_among(periods, period_label), periods)


# ---------------------------------------------------------------------------------------------- results


def bottleneck_kind(kind: str | None, kinds: dict[str, str]) -> str | None:
    """The unit kind asked for (None: not asked → the province's own results; "" → every kind)."""
    # by default the province's own results: summing every kind would count a point lost twice
    # (once by the province, once by the units whose work makes it up)
    if kind is None:
        kind = DEFAULT_BOTTLENECK_KIND if DEFAULT_BOTTLENECK_KIND in kinds else None
    if kind and kind not in kinds:
        raise NotFound()
    return kind or None


@dataclass
class Bottlenecks:
    """Lost points per node of one framework and period, for one unit kind (None: every kind)."""

    items: list[LostPoints]
    kind: str | None
    total_lost: Decimal
    nodes_losing: int
    late_tasks: int


def bottlenecks(framework: Framework, period: Period, kind: str | None, kind_asked: bool) -> Bottlenecks:
    """Lost points of the units of `kind`; when the kind was not asked for and has none, of every kind."""
    items = lost_points_for(framework, period, kind=kind)
    if not items and not kind_asked and kind is not None:
        kind = None  # the period has no province-level results: show every kind that has some
        items = lost_points_for(framework, period, kind=None)
    return Bottlenecks(items, kind, sum((item.lost for item in items), Decimal(0)),
                       sum(1 for item in items if item.lost > 0),
                       len({activity.id for item in items for activity in item.late_activities}))


@dataclass
class Results:
    """Results of the units of one kind, with the kinds present, the framework's groups and the band counts."""

    rows: list[UnitResult]
    previous: PeriodData | None
    groups: list[FrameworkNode]
    present: list[str]
    kind: str | None
    summary: list[BandLine]


def results(framework: Framework, period: Period, kind: str | None, kinds: dict[str, str]) -> Results:
    """Computed results of the units of `kind` (default: the first kind with results)."""
    rows, previous = period_results(framework, period)
    groups = [node for node in frameworks_service.tree_nodes(framework.id) if node.parent_id is None]
    present = [code for code in kinds if any(row.unit.kind_code == code for row in rows)]
    kind = kind or (present[0] if present else None)
    if kind is not None and kind not in kinds:
        raise NotFound()
    chosen = [row for row in rows if row.unit.kind_code == kind]
    return Results(chosen, previous, groups, present, kind,
                   band_summary_from(rows, framework, kind) if kind else [])


@dataclass
class FrameworkPage:
    """A framework's tree with the responsible units, the tasks linked per node and the periods with scores."""

    nodes: list[FrameworkNode]
    responsible: dict[int, list[str]]
    link_counts: dict[int, int]
    periods: list[Period]


def framework_page(framework: Framework) -> FrameworkPage:
    """What the framework page shows (four queries)."""
    nodes = frameworks_service.tree_nodes(framework.id)
    link_counts = dict(db.session.execute(
        select(ActivityIndicator.node_id, func.count(ActivityIndicator.id))
        .where(ActivityIndicator.node_id.in_([node.id for node in nodes])).group_by(ActivityIndicator.node_id)).all())
    return FrameworkPage(nodes, frameworks_service.effective_responsible(nodes), link_counts,
                         scored_periods(framework.id))


def get_node(node_id: int) -> FrameworkNode:
    """The node with this id; NotFound."""
    return _found(db.session.get(FrameworkNode, node_id))


@dataclass
class NodePage:
    """One indicator: its units' scores in a period (a page of them), its trend, place in the tree and tasks."""

    periods: list[Period]
    period: Period | None
    page: object | None
    #: (period label, average points over the units), oldest first
    trend: list[tuple[str, Decimal]]
    responsible_names: list[str]
    children: list[FrameworkNode]
    ancestors: list[FrameworkNode]
    activities: list[LinkedActivity]
    summary: NodeLoss | None


def node_page(node: FrameworkNode, period_label: str | None, page: int, per_page: int, today: date) -> NodePage:
    """What the page of a (non-total) node shows."""
    periods = scored_periods(node.framework_id)
    period = period_among(periods, period_label)
    scores_page = None
    if period is not None:
        query = (select(Score).where(Score.node_id == node.id, Score.period_id == period.id)
                 .options(joinedload(Score.unit)).order_by(Score.points.asc().nulls_last(), Score.unit_id))
        scores_page = db.paginate(query, page=page, per_page=per_page, error_out=False)
    # trend: the average over units per period, oldest first (one query)
    trend = [(label, Decimal(str(average))) for label, average in db.session.execute(
        select(Period.label, func.avg(Score.points)).join(Score, Score.period_id == Period.id)
        .where(Score.node_id == node.id, Score.points.is_not(None))
        .group_by(Period.id, Period.label, Period.start, Period.end).order_by(Period.start, Period.end))]
    all_nodes = frameworks_service.tree_nodes(node.framework_id)
    by_id = {each.id: each for each in all_nodes}
    ancestors = []
    parent = by_id.get(node.parent_id)
    while parent is not None:
        ancestors.insert(0, parent)
        parent = by_id.get(parent.parent_id)
    return NodePage(
        periods, period, scores_page, trend,
        responsible_names=frameworks_service.effective_responsible(all_nodes).get(node.id, []),
        children=[each for each in all_nodes if each.parent_id == node.id], ancestors=ancestors,
        activities=linked_activities([node.id], today).get(node.id, []),
        summary=node_loss(node, period) if period is not None else None)


# -------------------------------------------------------------------------------------------- a unit's card


def get_unit(unit_id: int) -> Unit:
    """The unit with this id; NotFound."""
    return _found(db.session.get(Unit, unit_id))


def ratio_frameworks() -> list[Framework]:
    """Frameworks with ratio indicators units may report."""
    return list(db.session.scalars(select(Framework).where(Framework.id.in_(
        select(FrameworkNode.framework_id).where(FrameworkNode.formula.is_not(None)))).order_by(Framework.code)))


@dataclass
class Scorecard:
    """A unit's results in one framework and period: its rank and band, every node, its biggest losses."""

    available: list[Framework]
    framework: Framework | None = None
    periods: list[Period] = field(default_factory=list)
    period: Period | None = None
    result: UnitResult | None = None
    #: per node with a value or a stored score: node, value, stored, score, lost, percent, before
    rows: list[dict] = field(default_factory=list)
    lost: list[LostPoints] = field(default_factory=list)
    #: (period label, percent of the maximum) of the unit's total, oldest first
    trend: list[tuple[str, Decimal]] = field(default_factory=list)
    total_score: Score | None = None


def scorecard(unit: Unit, framework_code: str | None, period_label: str | None) -> Scorecard:
    """The unit's scorecard in the framework named (default: the first it has scores in) and period."""
    available = list(db.session.scalars(select(Framework).where(Framework.id.in_(
        select(Score.framework_id).where(Score.unit_id == unit.id).distinct())).order_by(Framework.kind,
                                                                                          Framework.code.desc())))
    if framework_code:
        framework = _found(frameworks_service.by_code(framework_code))
    else:
        framework = available[0] if available else None
    if framework is None:
        return Scorecard(available)
    periods = list(db.session.scalars(select(Period).where(Period.id.in_(
        select(Score.period_id).where(Score.unit_id == unit.id, Score.framework_id == framework.id)))
        .order_by(Period.start.desc(), Period.end.desc())))
    period = period_among(periods, period_label)
    card = Scorecard(available, framework, periods, period)
    if period is None:
        return card
    # ranks need every unit's groups; the node table needs this unit's every node (now and the period before)
    all_results, previous = period_results(framework, period)
    card.result = next((r for r in all_results if r.unit.id == unit.id), None)
    data = load_period_data(framework, period, unit_ids=[unit.id])
    own = data.values.get(unit.id, {})
    before_by_code = {}
    if previous is not None:
        mine = load_period_data(previous.framework, previous.period, unit_ids=[unit.id])
        before_by_code = {node.code: value for node in mine.nodes if (value := mine.value(unit.id, node)) is not None}
    details = dict(db.session.execute(
        select(Score.node_id, Score).where(Score.unit_id == unit.id, Score.period_id == period.id,
                                           Score.framework_id == framework.id)).all())
    for node in data.nodes:
        value = data.value(unit.id, node)
        score = details.get(node.id)
        if value is None and score is None:
            continue
        card.rows.append({"node": node, "value": value, "stored": node.id in own, "score": score,
                          "lost": points_lost(node, value),
                          "percent": percent_of_max(value, node.max_points) if value is not None else None,
                          "before": before_by_code.get(node.code)})
    card.lost = [item for item in lost_points_for(framework, period, unit_id=unit.id) if item.lost > 0][:10]
    card.trend = [(label, percent_of_max(total, maximum))
                  for label, total, maximum in unit_totals_by_period(unit.id, framework.kind)]
    card.total_score = details.get(frameworks_service.total_node(framework.id).id)
    return card


@dataclass
class RatioFigures:
    """The ratio indicators a unit enters figures for in a framework and period, with the figures already entered."""

    framework: Framework
    nodes: list[FrameworkNode]
    #: {node id: Score} of the period (empty for a period not yet saved)
    current: dict[int, Score]


def ratio_figures_form(unit: Unit, framework_code: str | None, period: Period) -> RatioFigures:
    """The framework named (default: the first with ratio indicators; NotFound without one) and its ratio nodes."""
    if framework_code:
        framework = _found(frameworks_service.by_code(framework_code))
    else:
        framework = _found(next(iter(ratio_frameworks()), None))
    nodes = [node for node in frameworks_service.tree_nodes(framework.id) if node.is_ratio]
    current = {} if period.id is None else {score.node_id: score for score in db.session.scalars(select(Score).where(
        Score.unit_id == unit.id, Score.period_id == period.id, Score.node_id.in_([node.id for node in nodes])))}
    return RatioFigures(framework, nodes, current)


# ------------------------------------------------------------------------------------------------ imports


def all_frameworks() -> list[Framework]:
    """Every framework, by kind and code."""
    return list(db.session.scalars(select(Framework).order_by(Framework.kind, Framework.code)))


def top_units() -> list[tuple[int, str]]:
    """(id, name) of the units without a parent (provinces), in display order."""
    return [tuple(row) for row in db.session.execute(
        select(Unit.id, Unit.name).where(Unit.parent_id.is_(None)).order_by(Unit.sort_order, Unit.id))]


def own_root(unit_id: int | None) -> int | None:
    """The top-level unit (province) of a unit."""
    return next(iter(root_ids_of([unit_id])), None) if unit_id is not None else None


def imports_page(page: int, per_page: int):
    """A page of the score imports, newest first."""
    query = (select(ScoreImport).options(joinedload(ScoreImport.framework), joinedload(ScoreImport.period),
                                         joinedload(ScoreImport.created_by))
             .order_by(ScoreImport.created_at.desc(), ScoreImport.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_import(import_id: int) -> ScoreImport:
    """The score import with this id; NotFound."""
    return _found(db.session.get(ScoreImport, import_id))


# ------------------------------------------------------------------------------------------------- links


@dataclass
class ActivityLinks:
    """An activity and every node it may be linked to."""

    activity: Activity
    frameworks: list[Framework]
    nodes: list[FrameworkNode]


def activity_links(activity_id: int) -> ActivityLinks:
    """The activity (with its task, group and plan) and the nodes of every framework; NotFound."""
    activity = _found(db.session.scalar(select(Activity).where(Activity.id == activity_id).options(
        joinedload(Activity.task).joinedload(Task.group), joinedload(Activity.plan))))
    nodes = list(db.session.scalars(select(FrameworkNode).where(FrameworkNode.is_total.is_(False))
                                    .order_by(FrameworkNode.framework_id, FrameworkNode.position)))
    return ActivityLinks(activity, all_frameworks(), nodes)


@dataclass
class BulkLinks:
    """One node against a page of one plan's activities, and which of them are linked to it."""

    frameworks: list[Framework]
    plans: list[Plan]
    framework: Framework | None
    nodes: list[FrameworkNode]
    node: FrameworkNode | None
    plan: Plan | None
    page: object | None = None
    linked: set[int] = field(default_factory=set)


def bulk_links(node_id: int | None, plan_id: int | None, framework_code: str, page: int, per_page: int) -> BulkLinks:
    """The node and plan chosen (the latest plan by default) and a page of the plan's activities."""
    frameworks = all_frameworks()
    plans = list(db.session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.code)))
    node = db.session.get(FrameworkNode, node_id or 0)
    plan = db.session.get(Plan, plan_id or 0) or (plans[0] if plans else None)
    framework = node.framework if node else (frameworks_service.by_code(framework_code)
                                             or (frameworks[0] if frameworks else None))
    found = BulkLinks(frameworks, plans, framework, frameworks_service.tree_nodes(framework.id) if framework else [],
                      node, plan)
    if node is not None and plan is not None:
        query = (select(Activity).join(Task, Task.id == Activity.task_id).join(TaskGroup, TaskGroup.id == Task.group_id)
                 .where(Activity.plan_id == plan.id)
                 .options(joinedload(Activity.task).joinedload(Task.group))
                 .order_by(TaskGroup.position, Task.position, Activity.position, Activity.id))
        found.page = db.paginate(query, page=page, per_page=per_page, error_out=False)
        found.linked = set(db.session.scalars(select(ActivityIndicator.activity_id).where(
            ActivityIndicator.node_id == node.id,
            ActivityIndicator.activity_id.in_([activity.id for activity in found.page.items]))))
    return found
