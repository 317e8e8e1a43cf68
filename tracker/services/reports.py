"""Year-end reports and quarterly results notices: assembling their figures, and the stored report records.

Assembling reads the database in a fixed, small number of GROUP BY queries (the number does not grow with the
number of units or activities) and returns plain values; tracker.reports.build lays them out as a Document.
Bad settings (an unknown plan, a year with no data, a plan with no activities) raise ReportError with a
Vietnamese message naming what is wrong, so nobody gets an empty PDF.

Scores come from a score provider: tracker.services.score_results (unit_results, band_summary), or any object
with the same two functions (tests pass a small one). Points lost are computed here from unit_results
and the framework's maxima, so the report does not depend on the shape of lost_points().
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Activity,
    Assignment,
    Framework,
    FrameworkNode,
    Plan,
    Report,
    ReportFile,
    ReportVersion,
    Task,
    TaskGroup,
    Unit,
    db,
    utcnow,
)
from tracker import clock
from tracker.domain.periods import PeriodError, parse_period, previous_period
from tracker.domain.scoring import count_phrase
from tracker.domain.status import Rollup, Status
from tracker.permissions import can, descendant_ids, unit_parent_pairs, unit_scope
from tracker.services import audit, frameworks
from tracker.services.issuing_body import IssuingBody, issuing_body, root_of, roots
from tracker.services.reminders import load_policy
from tracker.services.status import stale_units_query, status_expr

REPORT_KINDS = ("year", "notice")
FORMATS = ("pdf", "docx", "xlsx")
MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: a unit with open work and no update for this many days is listed under "units without updates"
#: unit kinds that have their own appendix in the indicator part, in print order, with their wording
LEVELS: dict[str, tuple[str, str, str]] = {
    # kind: (level label, noun in "Có 02/17 … xếp loại Tốt", appendix subject)
    "province": ("Cấp tỉnh", "tỉnh", "Ủy ban nhân dân tỉnh"),
    "department": ("Cấp tỉnh (các sở, ban, ngành)", "cơ quan", "các Sở, ban, ngành"),
    "district": ("Cấp huyện", "UBND cấp huyện", "Ủy ban nhân dân các huyện, thành phố"),
    "commune": ("Cấp xã", "UBND cấp xã", "Ủy ban nhân dân các xã, phường, thị trấn"),
}
ROMAN = ("I", "II", "III", "IV")


class ReportError(ValueError):
    """Settings that cannot give a report (message in Vietnamese, naming the field or value)."""


# ------------------------------------------------------------------------------------------------ settings


@dataclass
class YearSettings:
    """What a year-end report covers: a year, some plans (all of the year when empty), optionally one unit."""

    year: int
    plan_codes: list[str] = field(default_factory=list)
    unit_code: str | None = None
    #: indicator framework and period for part II (default: the 766 framework covering `period`, the year)
    framework: str | None = None
    period: str | None = None
    #: the day the figures are judged at (overdue or not); default: today
    as_of: date | None = None
    #: code of the province (root unit) whose issuing body signs; needed only when there are several
    province: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready settings."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat() if self.as_of else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> YearSettings:
        """Settings stored with `to_dict`."""
        as_of = data.get("as_of")
        return cls(year=int(data["year"]), plan_codes=list(data.get("plan_codes") or []),
                   unit_code=data.get("unit_code") or None, framework=data.get("framework") or None,
                   period=data.get("period") or None, as_of=date.fromisoformat(as_of) if as_of else None,
                   province=data.get("province") or None)


@dataclass
class NoticeSettings:
    """What a results notice covers: one framework and one period ("2024-Q2")."""

    framework: str
    period: str
    #: code of the province (root unit) whose office issues the notice; needed only when there are several
    province: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> NoticeSettings:
        """Settings stored with `to_dict`."""
        return cls(framework=data["framework"], period=data["period"], province=data.get("province") or None)


# ------------------------------------------------------------------------------------------- report data


@dataclass
class PlanRef:
    code: str
    kind: str
    title: str
    reference: str
    known_gaps: list


@dataclass
class GroupRow:
    plan_code: str
    number: str
    title: str
    rollup: Rollup


@dataclass
class ActivityRow:
    plan_code: str
    label: str  # "I.1.2"
    content: str
    deadline_text: str
    due_date: date
    lead_text: str
    rollup: Rollup


@dataclass
class UnitRow:
    code: str
    name: str
    kind: str
    rollup: Rollup


@dataclass
class UnitIssues:
    """A unit's overdue and late-done activities (labels)."""

    name: str
    overdue: list[str]
    late: list[str]


@dataclass
class Bottleneck:
    """An activity many units are behind on. Units are distinct units; a periodic activity owes one assignment per
    unit per period, so its overdue assignments (unit-periods) are counted apart."""

    label: str
    content: str
    #: distinct units assigned the activity
    units: int
    #: distinct units with at least one overdue period, and the overdue unit-periods
    overdue_units: int
    overdue_periods: int
    #: distinct units that finished at least one period late
    late_units: int


@dataclass
class StaleUnit:
    name: str
    open_count: int
    last_update: date | None


@dataclass
class AssignmentLine:
    """One thing the unit owed (unit reports)."""

    label: str
    content: str
    responsibility: str
    period_label: str
    due: date
    status: Status
    completed_on: date | None
    note: str


@dataclass
class ScoreRow:
    """One unit's result, normalised from the score provider's UnitResult."""

    unit_id: int | None
    code: str
    name: str
    kind: str
    values: dict[str, Decimal]
    total: Decimal | None
    band: str
    rank: int | None
    published_rank: str
    previous_total: Decimal | None
    rank_change: str


@dataclass
class LevelScores:
    kind: str
    label: str
    noun: str
    subject: str
    rows: list[ScoreRow]
    #: (band name, count, total, phrase) best band first
    summary: list[tuple[str, int, int, str]]


@dataclass
class LostPoints:
    """Where points were lost in one group of the framework, and by whom."""

    code: str
    name: str
    max: Decimal
    units: int
    average: Decimal
    lost_total: Decimal
    worst: list[tuple[str, Decimal]]


@dataclass
class ScoreSection:
    framework_code: str
    framework_name: str
    framework_source: str
    period: str
    period_text: str
    previous_text: str
    nodes: list[tuple[str, str, Decimal]]
    bands: list[tuple[str, Decimal]]
    band_basis: str
    max_total: Decimal
    province: ScoreRow | None
    levels: list[LevelScores]
    lost: list[LostPoints]


@dataclass
class YearReportData:
    """Everything the year-end report prints, from the database."""

    settings: YearSettings
    as_of: date
    issuer: IssuingBody
    unit: tuple[str, str] | None  # (code, name) of a unit report
    plans: list[PlanRef]
    group_count: int
    task_count: int
    #: activities counted in the figures: those assigned to some unit (in scope)
    activity_count: int
    unit_count: int
    totals: Rollup
    activity_totals: Rollup
    groups: list[GroupRow]
    activities: list[ActivityRow]
    units: list[UnitRow]
    issues: list[UnitIssues]
    bottlenecks: list[Bottleneck]
    stale: list[StaleUnit]
    unit_lines: list[AssignmentLine]
    scores: ScoreSection | None
    score_note: str
    #: activities of the chosen plans, whole-province reports only (a unit report counts what the unit was given)
    plan_activity_count: int = 0
    #: labels of the plan's activities that no unit was assigned (the text names no unit), left out of the figures
    unassigned: list[str] = field(default_factory=list)
    #: days without any update that make a unit stale (the office's reminder policy)
    stale_days: int = 30


@dataclass
class NoticeData:
    """Everything the results notice prints."""

    settings: NoticeSettings
    issuer: IssuingBody
    scores: ScoreSection


# --------------------------------------------------------------------------------------- score provider


class ScoreProvider(Protocol):
    """The read API of tracker.services.score_results that reports use."""

    def unit_results(self, framework_code: str, period_label: str, kind: str | None = None) -> list: ...

    def band_summary(self, framework_code: str, period_label: str, kind: str) -> list: ...


def default_score_provider() -> ScoreProvider:
    """The stored results (tracker.services.score_results)."""
    from tracker.services import score_results

    return score_results


def _pick(obj: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _score_row(result: Any) -> ScoreRow:
    """Normalise a UnitResult of tracker.services.score_results (unit: UnitRef; display_rank over published_rank)."""
    unit = _pick(result, "unit")
    band = _pick(result, "band", default="")
    rank = _pick(result, "display_rank", "rank")
    rank_of = _pick(result, "display_rank_of", "peers")
    published = _pick(result, "published_rank")
    published_of = _pick(result, "published_rank_of")
    if published is not None:
        shown = f"{published}/{published_of}" if published_of else str(published)
    else:
        shown = ""
    return ScoreRow(
        unit_id=_pick(unit, "id") if unit is not None else _pick(result, "unit_id"),
        code=str(_pick(unit, "code", default="") if unit is not None else _pick(result, "unit_code", default="")),
        name=str(_pick(unit, "name", default="") if unit is not None else _pick(result, "unit_name", default="")),
        kind=str(_pick(unit, "kind_code", "kind", default="") if unit is not None
                 else _pick(result, "unit_kind", "kind", default="")),
        values={code: _decimal(value) for code, value in (_pick(result, "values", default={}) or {}).items()
                if value is not None},
        total=_decimal(_pick(result, "total")),
        band=str(getattr(band, "name", band) or ""),
        rank=int(rank) if rank is not None else None,
        published_rank=shown or (f"{rank}/{rank_of}" if rank is not None and rank_of else ""),
        previous_total=_decimal(_pick(result, "previous_total")),
        rank_change=str(_pick(result, "rank_change_text", "published_change", default="") or ""),
    )


def _summary_rows(raw: list, noun: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for item in raw:
        if isinstance(item, tuple):
            band, count, total, phrase = (list(item) + [None])[:4]
        else:  # BandLine(band, count, total, phrase)
            band, count, total, phrase = item.band, item.count, item.total, item.phrase
        name = str(getattr(band, "name", band))
        rows.append((name, int(count), int(total), phrase or count_phrase(int(count), int(total), name, noun)))
    return rows


def period_text(period: str) -> str:
    """How a period reads in a sentence: "2024" → "năm 2024", "Q2/2024" → "quý II/2024", "Tháng 10/2025" → …,
    "Tuần 07/2024" → "tuần 7/2024", "6 tháng đầu năm 2024" as it is."""
    try:
        spec = parse_period(period)
    except PeriodError:
        return (period or "").strip()
    if spec.kind == "year":
        return f"năm {spec.year}"
    if spec.kind == "quarter":
        return f"quý {ROMAN[(spec.start.month - 1) // 3]}/{spec.year}"
    if spec.kind == "month":
        return f"tháng {spec.start.month}/{spec.year}"
    if spec.kind == "half":
        return spec.label
    if spec.kind == "week":
        return f"tuần {spec.start.isocalendar().week}/{spec.year}"
    return f"thời điểm {spec.label}"


def previous_period_text(period: str) -> str:
    """The period just before, as a sentence reads it ("2024" → "năm 2023", "Q1/2024" → "quý IV/2023")."""
    try:
        previous = previous_period(parse_period(period))
    except PeriodError:
        previous = None
    return period_text(previous.label) if previous else "kỳ trước"


def _framework(code: str | None, period: str) -> Framework:
    """The stored framework the report names, or the 766 framework covering the period's year."""
    if code:
        framework = frameworks.by_code(code)
        if framework is None:
            known = ", ".join(other.code for other in frameworks.all_frameworks())
            raise ReportError(_l("Bộ chỉ số: không có bộ chỉ số mã «%(code)s» (có: %(known)s)",
                                 code=code, known=known))
        return framework
    year_match = re.match(r"\d{4}", period or "")
    framework = frameworks.covering_year("766", int(year_match.group(0)) if year_match else 0)
    if framework is None:
        raise ReportError(_l("Bộ chỉ số: không có Bộ chỉ số 766 áp dụng cho %(period)s", period=period_text(period)))
    return framework


def _lost_points(groups: list[FrameworkNode], rows: list[ScoreRow]) -> list[LostPoints]:
    lost = []
    for node in groups:
        scored = [(row.name, row.values[node.code]) for row in rows if node.code in row.values]
        if not scored:
            continue
        total_lost = sum((node.max_points - value for _name, value in scored), Decimal(0))
        average = sum((value for _name, value in scored), Decimal(0)) / len(scored)
        worst = sorted(((name, node.max_points - value) for name, value in scored if value < node.max_points),
                       key=lambda pair: (-pair[1], pair[0]))[:3]
        lost.append(LostPoints(node.code, node.name, node.max_points, len(scored), average, total_lost, worst))
    lost.sort(key=lambda item: -item.lost_total)
    return lost


def score_section(framework_code: str | None, period: str, provider: ScoreProvider | None,
                  unit_id: int | None = None) -> ScoreSection | None:
    """Results of a period by level, band counts and points lost; None when nothing was imported for it."""
    framework = _framework(framework_code, period)
    if provider is None:
        return None
    try:
        results = provider.unit_results(framework.code, period)
    except ValueError:  # ScoreError / PeriodError: nothing stored for that framework or period
        return None
    rows = [_score_row(result) for result in results]
    if not rows:
        return None
    province = next((row for row in rows if row.kind == "province"), None)
    levels = []
    for kind, (label, noun, subject) in LEVELS.items():
        level_rows = [row for row in rows if row.kind == kind]
        if kind == "province" or not level_rows:
            continue
        level_rows.sort(key=lambda row: (row.rank is None, row.rank or 0, -(row.total or 0), row.name))
        summary = _summary_rows(provider.band_summary(framework.code, period, kind), noun)
        levels.append(LevelScores(kind, label, noun, subject, level_rows, summary))
    previous_label = next((_pick(result, "previous_period") for result in results if _pick(result, "previous_period")),
                          None)
    peers = [row for row in rows if row.kind != "province"]
    if unit_id is not None:
        own = [row for row in rows if row.unit_id == unit_id]
        for level in levels:
            level.rows = [row for row in level.rows if row.unit_id == unit_id]
        levels = [level for level in levels if level.rows]
        peers = own
        province = None
    groups = frameworks.top_nodes(framework.id)
    return ScoreSection(
        framework_code=framework.code, framework_name=framework.name, framework_source=framework.source or "",
        period=period, period_text=period_text(period),
        previous_text=period_text(previous_label) if previous_label else previous_period_text(period),
        nodes=[(node.code, node.name, node.max_points) for node in groups],
        bands=[(band.name, band.min) for band in sorted(frameworks.bands_of(framework), key=lambda band: -band.min)],
        band_basis=framework.band_basis, max_total=framework.max_total,
        province=province, levels=levels, lost=_lost_points(groups, peers),
    )


# ------------------------------------------------------------------------------------------- assembling


def _issuer(province_code: str | None, unit: Unit | None = None, plans: list[Plan] | tuple = ()) -> IssuingBody:
    """The issuing body of the province a report is about: the one named, else the unit's, else the only one,
    else the one all the plans were issued by; ReportError when several provinces exist and none can be told."""
    if province_code:
        root = db.session.scalar(select(Unit).where(Unit.code == province_code))
        if root is None or root.parent_id is not None:
            raise ReportError(_l("Tỉnh: không có tỉnh (đơn vị cấp cao nhất) mã «%(code)s»", code=province_code))
        return issuing_body(root)
    if unit is not None:
        return issuing_body(root_of(unit))
    provinces = roots()
    if len(provinces) <= 1:
        return issuing_body(provinces[0] if provinces else None)
    issuers = {plan.issuer_unit_id for plan in plans}
    if len(issuers) == 1 and None not in issuers:
        issuer_unit = db.session.get(Unit, issuers.pop())
        if issuer_unit is not None:
            return issuing_body(root_of(issuer_unit))
    raise ReportError(_l("Tỉnh: dữ liệu có %(count)s tỉnh (%(codes)s); hãy chọn tỉnh ban hành văn bản",
                         count=len(provinces), codes=", ".join(root.code for root in provinces)))


def _plans(settings: YearSettings) -> list[Plan]:
    if settings.plan_codes:
        found = {plan.code: plan for plan in db.session.scalars(select(Plan).where(Plan.code.in_(settings.plan_codes)))}
        missing = [code for code in settings.plan_codes if code not in found]
        if missing:
            raise ReportError(_l("Kế hoạch: không có kế hoạch mã «%(codes)s»", codes=", ".join(missing)))
        return [found[code] for code in settings.plan_codes]
    plans = list(db.session.scalars(select(Plan).where(Plan.year == settings.year).order_by(Plan.kind, Plan.code)))
    if not plans:
        raise ReportError(_l("Năm %(year)s: chưa có kế hoạch hay văn bản chỉ đạo nào; không có số liệu để lập báo cáo",
                             year=settings.year))
    return plans


def _unit_scope(unit_code: str | None) -> tuple[Unit | None, set[int] | None]:
    """The unit of a unit report and the ids of it and the units below it (None, None for the province)."""
    if not unit_code:
        return None, None
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise ReportError(_l("Đơn vị: không có đơn vị mã «%(unit_code)s»", unit_code=unit_code))
    return unit, descendant_ids(unit.id, unit_parent_pairs())


def validate_year(settings: YearSettings) -> None:
    """Cheap checks before a report is queued (the job checks again): ReportError on settings giving no data."""
    if not 2000 <= settings.year <= 2100:
        raise ReportError(_l("Năm: %(year)s không hợp lệ (từ 2000 đến 2100)", year=settings.year))
    plans = _plans(settings)
    plan_ids = [plan.id for plan in plans]
    unit, unit_ids = _unit_scope(settings.unit_code)
    _issuer(settings.province, unit, plans)
    with_activities = set(db.session.scalars(select(Activity.plan_id).where(Activity.plan_id.in_(plan_ids))
                                             .group_by(Activity.plan_id)))
    empty = [plan.code for plan in plans if plan.id not in with_activities]
    if empty:
        raise ReportError(_l("Kế hoạch «%(codes)s» chưa có hoạt động nào; không có số liệu để lập báo cáo",
                             codes=", ".join(empty)))
    query = select(func.count(Assignment.id)).where(Assignment.plan_id.in_(plan_ids))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(unit_ids))
    if not db.session.scalar(query):
        whom = f" của đơn vị {unit.name}" if unit else ""
        raise ReportError(_l("Năm %(year)s: các kế hoạch đã chọn chưa có phân công nào%(whom)s; không có số liệu "
                             "để lập báo cáo", year=settings.year, whom=whom))
    if settings.framework:
        _framework(settings.framework, settings.period or str(settings.year))


def _label(group_number: str, number: str) -> str:
    return f"{group_number}.{number}"


def _counts_by(key_columns: tuple, as_of: date, plan_ids: list[int], unit_ids: set[int] | None) -> dict:
    """{key: {Status: n}} for one GROUP BY over the assignments in scope."""
    status = status_expr(as_of)
    query = select(*key_columns, status, func.count(Assignment.id)).where(Assignment.plan_id.in_(plan_ids))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(unit_ids))
    grouped: dict = {}
    for *keys, code, count in db.session.execute(query.group_by(*key_columns, status)).all():
        key = keys[0] if len(keys) == 1 else tuple(keys)
        grouped.setdefault(key, {})[Status(code)] = count
    return grouped


def activity_status(rollup: Rollup) -> Status:
    """One status for an activity from its units' statuses: done when every unit is done (late if any was late),
    overdue when any unit is overdue, in progress when any unit has started, else not started."""
    counts = rollup.counts
    if rollup.total and rollup.done == rollup.total:
        return Status.DONE_LATE if counts[Status.DONE_LATE] else Status.DONE_ON_TIME
    if counts[Status.OVERDUE]:
        return Status.OVERDUE
    if counts[Status.RETURNED]:
        return Status.RETURNED
    if counts[Status.AWAITING]:
        return Status.AWAITING
    if counts[Status.IN_PROGRESS] or rollup.done:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def assemble_year(settings: YearSettings, today: date, provider: ScoreProvider | None = None,
                  use_default_provider: bool = True) -> YearReportData:
    """Figures of a year-end report (whole province, or one unit and the units below it)."""
    if not 2000 <= settings.year <= 2100:
        raise ReportError(_l("Năm: %(year)s không hợp lệ (từ 2000 đến 2100)", year=settings.year))
    as_of = settings.as_of or today
    plans = _plans(settings)
    plan_ids = [plan.id for plan in plans]
    unit, unit_ids = _unit_scope(settings.unit_code)
    issuer = _issuer(settings.province, unit, plans)

    # the tree of the chosen plans, in print order (one query)
    tree = db.session.execute(
        select(Activity.id, Activity.plan_id, Activity.number, Activity.content, Activity.deadline_text,
               Activity.due_date, Activity.lead_text, Task.id.label("task_id"), TaskGroup.id.label("group_id"),
               TaskGroup.number, TaskGroup.title)
        .join(Task, Activity.task_id == Task.id).join(TaskGroup, Task.group_id == TaskGroup.id)
        .where(Activity.plan_id.in_(plan_ids))
        .order_by(Activity.plan_id, TaskGroup.position, Task.position, Activity.position)).all()
    plan_code = {plan.id: plan.code for plan in plans}
    with_activities = {row[1] for row in tree}
    empty = [plan.code for plan in plans if plan.id not in with_activities]
    if empty:
        raise ReportError(_l("Kế hoạch «%(codes)s» chưa có hoạt động nào; không có số liệu để lập báo cáo",
                             codes=", ".join(empty)))

    by_activity = {key: Rollup(counts) for key, counts in _counts_by((Assignment.activity_id,), as_of, plan_ids,
                                                                        unit_ids).items()}
    if not by_activity:
        whom = f" của đơn vị {unit.name}" if unit else ""
        raise ReportError(_l("Năm %(year)s: các kế hoạch đã chọn chưa có phân công nào%(whom)s; không có số liệu "
                             "để lập báo cáo", year=settings.year, whom=whom))
    groups: dict[int, GroupRow] = {}
    activities: list[ActivityRow] = []
    labels: dict[int, tuple[str, str]] = {}
    tasks: set[int] = set()
    unassigned: list[str] = []
    for (activity_id, plan_id, number, content, deadline_text, due_date, lead_text, task_id, group_id,
         group_number, group_title) in tree:
        labels[activity_id] = (_label(group_number, number), content)
        rollup = by_activity.get(activity_id)
        if rollup is None:  # no unit was assigned it (or not the unit in scope)
            unassigned.append(labels[activity_id][0])
            continue
        tasks.add(task_id)
        row = groups.setdefault(group_id, GroupRow(plan_code[plan_id], group_number, group_title, Rollup({})))
        row.rollup = row.rollup.merge(rollup)
        activities.append(ActivityRow(plan_code[plan_id], labels[activity_id][0], content, deadline_text, due_date,
                                      lead_text, rollup))
    totals = Rollup({})
    for rollup in by_activity.values():
        totals = totals.merge(rollup)
    activity_counts: dict[Status, int] = {}
    for row in activities:
        status = activity_status(row.rollup)
        activity_counts[status] = activity_counts.get(status, 0) + 1

    by_unit = {key: Rollup(counts) for key, counts in _counts_by((Assignment.unit_id,), as_of, plan_ids,
                                                                    unit_ids).items()}
    unit_objects = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(by_unit)))}
    units = [UnitRow(unit_objects[uid].code, unit_objects[uid].name, unit_objects[uid].kind.code, rollup)
             for uid, rollup in by_unit.items()]
    units.sort(key=lambda row: (-row.rollup.on_time_rate, row.rollup.overdue, row.name))

    issues, bottlenecks = _issues(as_of, plan_ids, unit_ids, labels, unit_objects)
    whole_plan = unit is None
    stale_days = load_policy().stale_after_days
    stale = _stale_units(as_of, plan_ids, unit_ids, unit_objects, stale_days)
    unit_lines = _unit_lines(as_of, plan_ids, unit_ids, labels) if unit is not None else []

    period = settings.period or str(settings.year)
    provider = provider if provider is not None else (default_score_provider() if use_default_provider else None)
    try:
        scores = score_section(settings.framework, period, provider, unit.id if unit else None)
    except ReportError:
        if settings.framework:  # a framework the user named must exist
            raise
        scores = None  # no 766 framework covers that year: part II says there are no results
    score_note = "" if scores else (f"Chưa có kết quả Bộ chỉ số 766 {period_text(period)} trong hệ thống; "
                                    "phần chỉ số chưa được tổng hợp.")
    return YearReportData(
        settings=settings, as_of=as_of, issuer=issuer,
        unit=(unit.code, unit.name) if unit else None,
        plans=[PlanRef(p.code, p.kind, p.title, p.reference, list(p.known_gaps or [])) for p in plans],
        # a province report counts the plans' whole tree, as the plan page does; a unit report what it was given
        group_count=len({row.group_id for row in tree}) if whole_plan else len(groups),
        task_count=len({row.task_id for row in tree}) if whole_plan else len(tasks),
        activity_count=len(activities), unit_count=len(by_unit),
        totals=totals, activity_totals=Rollup(activity_counts), groups=list(groups.values()), activities=activities,
        units=units, issues=issues, bottlenecks=bottlenecks, stale=stale, stale_days=stale_days,
        unit_lines=unit_lines, scores=scores, score_note=score_note,
        plan_activity_count=len(tree) if whole_plan else len(activities),
        unassigned=unassigned if whole_plan else [],
    )


def _issues(as_of, plan_ids, unit_ids, labels, unit_objects) -> tuple[list[UnitIssues], list[Bottleneck]]:
    """Overdue and late-done work per unit, and the activities most units are behind on (one query)."""
    status = status_expr(as_of)
    query = (select(Assignment.unit_id, Assignment.activity_id, status)
             .where(Assignment.plan_id.in_(plan_ids), status.in_((Status.OVERDUE.value, Status.DONE_LATE.value)))
             .order_by(Assignment.unit_id, Assignment.activity_id))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(unit_ids))
    per_unit: dict[int, UnitIssues] = {}
    overdue_units: dict[int, set[int]] = {}
    overdue_periods: dict[int, int] = {}
    late_units: dict[int, set[int]] = {}
    for unit_id, activity_id, code in db.session.execute(query).all():
        issue = per_unit.setdefault(unit_id, UnitIssues(unit_objects[unit_id].name, [], []))
        target = issue.overdue if code == Status.OVERDUE.value else issue.late
        label = labels[activity_id][0]
        if label not in target:  # periodic activities have one row per period
            target.append(label)
        if code == Status.OVERDUE.value:
            overdue_units.setdefault(activity_id, set()).add(unit_id)
            overdue_periods[activity_id] = overdue_periods.get(activity_id, 0) + 1
        else:
            late_units.setdefault(activity_id, set()).add(unit_id)
    issues = sorted(per_unit.values(), key=lambda item: (-len(item.overdue), -len(item.late), item.name))
    assigned = _assigned_units(list(overdue_units), unit_ids)
    bottlenecks = [Bottleneck(labels[aid][0], labels[aid][1], assigned.get(aid, 0), len(units),
                              overdue_periods[aid], len(late_units.get(aid, ())))
                   for aid, units in overdue_units.items()]
    bottlenecks.sort(key=lambda item: (-item.overdue_units, -item.overdue_periods, -item.late_units, item.label))
    return issues, bottlenecks[:10]


def _assigned_units(activity_ids: list[int], unit_ids: set[int] | None) -> dict[int, int]:
    """{activity id: distinct units assigned it (in scope)} in one query."""
    query = (select(Assignment.activity_id, func.count(func.distinct(Assignment.unit_id)))
             .where(Assignment.activity_id.in_(activity_ids)).group_by(Assignment.activity_id))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(unit_ids))
    return dict(db.session.execute(query).all())


def _stale_units(as_of, plan_ids, unit_ids, unit_objects, days: int) -> list[StaleUnit]:
    """Units with open work in these plans that touched none of it in `days` days before `as_of` (one query;
    the rule is tracker.services.status.stale_units_query, as on the dashboard and in the digest)."""
    query = stale_units_query(as_of, days).where(Assignment.plan_id.in_(plan_ids))
    if unit_ids is not None:
        query = query.where(Assignment.unit_id.in_(unit_ids))
    stale = []
    for row in db.session.execute(query).all():
        if row.unit_id not in unit_objects:
            continue
        when = clock.local_date(row.last_update) if row.last_update else None
        stale.append(StaleUnit(unit_objects[row.unit_id].name, row.owed, when))
    stale.sort(key=lambda item: (item.last_update or date.min, -item.open_count, item.name))
    return stale


def _unit_lines(as_of, plan_ids, unit_ids, labels) -> list[AssignmentLine]:
    status = status_expr(as_of)
    query = (select(Assignment, status).where(Assignment.plan_id.in_(plan_ids), Assignment.unit_id.in_(unit_ids))
             .order_by(Assignment.plan_id, Assignment.activity_id, Assignment.period_start, Assignment.id))
    lines = []
    for assignment, code in db.session.execute(query).all():
        label, content = labels.get(assignment.activity_id, ("", ""))
        lines.append(AssignmentLine(label, content, assignment.responsibility, assignment.period_label,
                                    assignment.due_in_force, Status(code), assignment.completed_on, assignment.note))
    order = {label: index for index, (label, _content) in enumerate(labels.values())}
    lines.sort(key=lambda line: order.get(line.label, 0))
    return lines


def assemble_notice(settings: NoticeSettings, provider: ScoreProvider | None = None) -> NoticeData:
    """Figures of a results notice; ReportError when the period has no imported results."""
    if not settings.period.strip():
        raise ReportError(_l("Kỳ đánh giá: chưa nhập kỳ (ví dụ 2024-Q2)"))
    issuer = _issuer(settings.province)
    provider = provider if provider is not None else default_score_provider()
    section = score_section(settings.framework, settings.period, provider)
    if section is None or not section.levels:
        raise ReportError(_l("Kỳ %(period)s: chưa có kết quả Bộ chỉ số «%(framework)s» của các cơ quan, đơn vị; "
                             "hãy nhập kết quả trước khi lập thông báo",
                             period=period_text(settings.period), framework=settings.framework))
    return NoticeData(settings=settings, issuer=issuer, scores=section)


# --------------------------------------------------------------------------------------- report records


def can_create(user, kind: str, unit_id: int | None) -> bool:
    """The office and admins make any report; a unit user only the year report of its own unit."""
    if can(user, "manage_reports"):
        return True
    return kind == "year" and can(user, "view_unit") and unit_id is not None and unit_id == user.unit_id


def can_view(user, report: Report) -> bool:
    """The office, admins and leaders see every report; unit users the reports of units in their scope."""
    if can(user, "view_all"):
        return True
    scope = unit_scope(user)
    return can(user, "view_unit") and report.unit_id is not None and scope is not None and report.unit_id in scope


def visible_reports_query(user):
    """Reports the user may see, newest first, with their versions and files loaded."""
    query = (select(Report).options(selectinload(Report.versions).selectinload(ReportVersion.files),
                                    joinedload(Report.unit), joinedload(Report.created_by))
             .order_by(Report.id.desc()))
    if not can(user, "view_all"):
        scope = unit_scope(user) or set()
        query = query.where(Report.unit_id.in_(scope))
    return query


def create_report(user, kind: str, title: str, settings: dict, narrative: dict, formats: list[str],
                  unit_id: int | None) -> Report:
    """A new report record (version 1 is queued by `new_version`); flushes, never commits."""
    if kind not in REPORT_KINDS:
        raise ReportError(_l("Loại báo cáo «%(kind)s» không hợp lệ", kind=kind))
    if not can_create(user, kind, unit_id):
        raise PermissionError(_l("Bạn chỉ được lập báo cáo của đơn vị mình"))
    bad = [fmt for fmt in formats if fmt not in FORMATS]
    if bad or not formats:
        raise ReportError(_l("Định dạng: chọn ít nhất một trong %(choices)s", choices=", ".join(FORMATS)))
    report = Report(kind=kind, title=title[:300], settings=settings, narrative=narrative, formats=list(formats),
                    unit_id=unit_id, created_by_id=getattr(user, "id", None))
    db.session.add(report)
    db.session.flush()
    audit.record(user, "report.create", report, "audit.report.create", {"title": report.title})
    return report


def update_narrative(user, report: Report, narrative: dict) -> None:
    """Save the office's text before (re)generation; flushes."""
    if not can_create(user, report.kind, report.unit_id):
        raise PermissionError(_l("Bạn không được sửa báo cáo này"))
    report.narrative = dict(narrative)
    db.session.flush()
    audit.record(user, "report.edit", report, "audit.report.edit", {"title": report.title})


def new_version(user, report: Report) -> ReportVersion:
    """Queue a new version (regenerating never overwrites a stored one); flushes."""
    if not can_create(user, report.kind, report.unit_id):
        raise PermissionError(_l("Bạn không được tạo lại báo cáo này"))
    number = (db.session.scalar(select(func.max(ReportVersion.number)).where(ReportVersion.report_id == report.id))
              or 0) + 1
    version = ReportVersion(report_id=report.id, number=number, state="queued", settings=dict(report.settings),
                            narrative=dict(report.narrative), formats=list(report.formats),
                            requested_by_id=getattr(user, "id", None), requested_at=utcnow())
    db.session.add(version)
    db.session.flush()
    audit.record(user, "report.generate", report, "audit.report.generate", {"number": number, "title": report.title})
    return version


def storage_dir(base: str | Path, report_id: int, number: int) -> Path:
    """Where a version's files live: <REPORT_FOLDER>/<report id>/v<number>/."""
    return Path(base) / str(report_id) / f"v{number}"


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of file content (stored, and checked on download)."""
    return hashlib.sha256(data).hexdigest()


def file_name(report: Report, version: ReportVersion, fmt: str) -> str:
    """The download name: bao-cao-12-v2.pdf."""
    prefix = "bao-cao" if report.kind == "year" else "thong-bao"
    return f"{prefix}-{report.id}-v{version.number}.{fmt}"


def record_file(version: ReportVersion, fmt: str, stored_path: Path, data: bytes) -> ReportFile:
    """A stored file row with its size and hash; flushes."""
    row = ReportFile(version_id=version.id, format=fmt, stored_path=str(stored_path), size=len(data),
                     sha256=sha256_of(data))
    db.session.add(row)
    db.session.flush()
    return row
