"""Scores: periods, saving, unit-reported ratios, and the computed results every page and report reads.

Stable read API (for pages and the year-end report; values are computed from stored points, never typed):

``unit_results(framework_code, period_label, kind=None) -> list[UnitResult]``
    One row per unit with scores in that framework and period (optionally only units of one unit kind code,
    e.g. "department"), ordered by unit kind, then rank, then name. Each UnitResult carries the unit
    (UnitRef: id, code, name, kind_code), ``values`` {top-level node code: Decimal} (a group's stored points,
    else the sum of its children), ``total`` (sum of the groups; the stored total only when the source gives
    no groups), ``percent`` of max, ``band``/``band_code`` from the framework's bands, ``rank`` among units of
    the same kind (competition ranking on the unrounded totals: ties share a rank), ``peers``,
    ``published_rank``/``published_rank_of``/``published_band``/``published_change`` as printed by the
    source, ``rank_disagrees`` (a published rank among the same peers that recomputation does not reproduce)
    with ``rank_disagreement_explained`` (tie on the printed, rounded totals), ``previous_total``,
    ``previous_rank``, ``points_change`` (in points, or in percentage points when the maxima differ),
    ``rank_change_text`` ("Tăng 4 bậc"; the printed text when no previous period is stored).
    ``display_rank`` is the published rank where printed, else the computed one.

``band_summary(framework_code, period_label, kind) -> list[BandLine]``
    BandLine(band, count, total, phrase) per band, best first, bands nobody reached included:
    ``phrase`` is "Có 02/17 cơ quan xếp loại Tốt".

``lost_points(framework_code, period_label, unit_id=None) -> list[LostPoints]``
    Nodes at the deepest scored level ordered by points lost (max − points, summed over units, or for one
    unit), each with the units answerable (framework responsibility, resolved to units), the units losing
    most, and the linked activities with their assignment statuses (only the given unit's assignments when
    unit_id is given).

Periods are named by label ("2024", "Q2/2024", "Tháng 10/2025", "11:00 08/07/2024"; see tracker.domain.periods).
"""
from __future__ import annotations

import re
import secrets
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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
from tracker.domain import periods as period_rules
from tracker.domain.frameworks import Band, match_key
from tracker.domain.scoring import (
    band_counts,
    band_for,
    count_phrase,
    percent_of_max,
    rank,
    rank_change,
    rank_disagreements,
    ratio_points,
    yoy_change_percent,
)
from tracker.domain.status import Rollup, Status
from tracker.permissions import can, can_see_unit, descendant_ids, unit_parent_pairs
from tracker.services import audit
from tracker.services.frameworks import bands_of, effective_responsible
from tracker.services.status import status_expr

FOUR_PLACES = Decimal("0.0001")
#: entries kept by each per-process cache of computed results
_RESULTS_CACHE_SIZE = 64
#: a printed total this close to the sum of its printed parts differs only by rounding
TOTAL_TOLERANCE = Decimal("0.05")
#: statuses that make a linked task a bottleneck
LATE_STATUSES = (Status.OVERDUE.value, Status.NOT_STARTED.value)
_UNIT_PREFIX = re.compile(r"^(?:ubnd|uy ban nhan dan)\s+")
#: noun of the "Có 02/17 … xếp loại Tốt" sentence per unit kind
_NOUNS = {"department": "cơ quan", "office": "cơ quan", "agency": "cơ quan", "district": "huyện, thành phố",
          "commune": "xã", "province": "tỉnh, thành phố"}


class ScoreError(ValueError):
    """A score cannot be saved; the message is Vietnamese and names the field."""


# --------------------------------------------------------------------------------------------------- units


@dataclass(frozen=True)
class UnitRef:
    """A unit as plain values."""

    id: int
    code: str
    name: str
    kind_code: str


class UnitMatcher:
    """Find units by name or alias, ignoring accents, case, punctuation and a leading "UBND".

    A spelling shared by two units in view (Hà Giang's and Hậu Giang's "Sở Tư pháp") matches neither, so a
    table is never filed under the wrong province: narrow the view to a province with `root_ids`.
    """

    def __init__(self, rows: Iterable[tuple[int, str, str, list | None, str]]):
        self.by_key: dict[str, UnitRef] = {}
        #: spellings shared by several units → those units
        self.ambiguous: dict[str, list[UnitRef]] = {}
        self.refs: list[UnitRef] = []
        for unit_id, code, name, aliases, kind_code in rows:
            ref = UnitRef(unit_id, code, name, kind_code)
            self.refs.append(ref)
            for spelling in (name, code, *(aliases or [])):
                key = self.key(spelling)
                other = self.by_key.setdefault(key, ref)
                if other.id != ref.id:
                    shared = self.ambiguous.setdefault(key, [other])
                    if ref not in shared:
                        shared.append(ref)
        for key in self.ambiguous:
            del self.by_key[key]

    @classmethod
    def from_db(cls, root_ids: Iterable[int] | None = None) -> UnitMatcher:
        """Every unit, or the units at or below `root_ids` (two queries at most)."""
        query = (select(Unit.id, Unit.code, Unit.name, Unit.aliases, UnitKind.code)
                 .join(UnitKind, Unit.kind_id == UnitKind.id)
                 .order_by(UnitKind.sort_order, Unit.sort_order, Unit.id))
        if root_ids is not None:
            pairs = unit_parent_pairs()
            scope: set[int] = set()
            for root_id in root_ids:
                scope |= descendant_ids(root_id, pairs)
            query = query.where(Unit.id.in_(scope))
        return cls(db.session.execute(query).all())

    @staticmethod
    def key(text: str) -> str:
        """Matching key of a spelling."""
        return _UNIT_PREFIX.sub("", match_key(text))

    def find(self, text: str) -> UnitRef | None:
        """The unit with this name or alias, or None (also when the spelling is shared by two units)."""
        return self.by_key.get(self.key(text))

    def known_units(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(code, name, aliases) for tracker.domain.score_tables.parse_rows, without shared spellings."""
        spellings: dict[str, list[str]] = defaultdict(list)
        for key, ref in self.by_key.items():
            spellings[ref.code].append(key)
        return [(ref.code, ref.name if self.key(ref.name) in self.by_key else ref.code, tuple(spellings[ref.code]))
                for ref in self.refs]


def root_ids_of(unit_ids: Iterable[int]) -> set[int]:
    """The top-level ancestors (provinces) of the given units."""
    parents = dict(unit_parent_pairs())
    roots = set()
    for unit_id in unit_ids:
        seen = set()
        while parents.get(unit_id) is not None and unit_id not in seen:
            seen.add(unit_id)
            unit_id = parents[unit_id]
        roots.add(unit_id)
    return roots


# ------------------------------------------------------------------------------------------------- periods


def find_period(label: str) -> Period | None:
    """The stored period with this label (any accepted spelling); None if absent; PeriodError if unreadable."""
    spec = period_rules.parse_period(label)
    return db.session.scalar(select(Period).where(Period.label == spec.label))


def period_or_unsaved(label: str) -> Period:
    """The period with this label, or a new one left unsaved (reading a page writes nothing).

    PeriodError (Vietnamese) for an unreadable label.
    """
    period = find_period(label)
    if period is None:
        spec = period_rules.parse_period(label)
        period = Period(kind=spec.kind, label=spec.label, year=spec.year, start=spec.start, end=spec.end, at=spec.at)
    return period


def get_or_create_period(label: str) -> Period:
    """The period with this label, created when new; PeriodError (Vietnamese) for an unreadable label."""
    period = period_or_unsaved(label)
    if period.id is None:
        db.session.add(period)
        db.session.flush()
    return period


_SCORED_PERIODS: OrderedDict[tuple, frozenset[int]] = OrderedDict()


def scored_periods(framework_id: int) -> list[Period]:
    """Periods with scores in the framework, latest first.

    Which periods have scores is cached per process under the revisions of all periods (every score write
    replaces its period's revision), so the scan of the scores runs only after a write.
    """
    periods = db.session.scalars(select(Period).order_by(Period.start.desc(), Period.end.desc())).all()
    key = (framework_id, tuple((period.id, period.revision) for period in periods))
    ids = _SCORED_PERIODS.get(key)
    if ids is None:
        ids = frozenset(db.session.scalars(select(Score.period_id).where(Score.framework_id == framework_id)
                                           .distinct()))
        _SCORED_PERIODS[key] = ids
        while len(_SCORED_PERIODS) > _RESULTS_CACHE_SIZE:
            _SCORED_PERIODS.popitem(last=False)
    return [period for period in periods if period.id in ids]


def scored_frameworks() -> list[Framework]:
    """Frameworks with at least one score, by kind and code."""
    has_scores = select(Score.id).where(Score.framework_id == Framework.id).exists()
    return list(db.session.scalars(select(Framework).where(has_scores).order_by(Framework.kind, Framework.code)))


def latest_context() -> tuple[Framework, Period] | None:
    """The framework and period a leader wants first: the latest period with scores, its fullest framework."""
    periods = db.session.scalars(select(Period).order_by(Period.start.desc(), Period.end.desc()).limit(24)).all()
    for period in periods:
        row = db.session.execute(
            select(Score.framework_id, func.count(Score.id)).where(Score.period_id == period.id)
            .group_by(Score.framework_id).order_by(func.count(Score.id).desc(), Score.framework_id).limit(1)).first()
        if row is not None:
            return db.session.get(Framework, row[0]), period
    return None


def resolve(framework_code: str, period_label: str) -> tuple[Framework, Period]:
    """The stored framework and period; ScoreError naming what is missing."""
    framework = db.session.scalar(select(Framework).where(Framework.code == framework_code))
    if framework is None:
        raise ScoreError(f"Không có bộ chỉ số mã '{framework_code}'")
    period = find_period(period_label)
    if period is None:
        raise ScoreError(f"Chưa có kỳ đánh giá '{period_label}'")
    return framework, period


# ------------------------------------------------------------------------------------------- computation


def quantize(value: Decimal | None) -> Decimal | None:
    """Round to the four places the database keeps."""
    return None if value is None else value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class _TotalRow:
    points: Decimal | None
    published_rank: int | None
    published_rank_of: int | None
    published_band: str | None
    published_change: str | None


@dataclass
class PeriodData:
    """The stored scores of one framework and period, by unit, ready for roll-ups and ranks."""

    framework: Framework
    period: Period
    nodes: list[FrameworkNode]
    values: dict[int, dict[int, Decimal]]
    totals: dict[int, _TotalRow]
    units: dict[int, UnitRef]
    children: dict[int | None, list[FrameworkNode]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # plain ids and flags: roll-ups touch every unit × node, and ORM attribute access is slow there
        self._kids: dict[int, list[int]] = {}
        self._adds_up: dict[int, bool] = {}
        for node in self.nodes:
            self.children.setdefault(node.parent_id, []).append(node)
            if node.parent_id is not None:
                self._kids.setdefault(node.parent_id, []).append(node.id)
            self._adds_up[node.id] = node.children_sum
        self._groups = [(node.id, node.code) for node in self.children.get(None, [])]
        self._group_cache: dict[int, dict[str, Decimal]] = {}

    @property
    def groups(self) -> list[FrameworkNode]:
        """The top-level nodes."""
        return self.children.get(None, [])

    def _value(self, own: dict[int, Decimal], node_id: int) -> Decimal | None:
        stored = own.get(node_id)
        if stored is not None:
            return stored
        kids = self._kids.get(node_id)
        if not kids or not self._adds_up[node_id]:
            return None
        total = Decimal(0)
        for kid in kids:
            part = self._value(own, kid)
            if part is None:
                return None
            total += part
        return total

    def value(self, unit_id: int, node: FrameworkNode) -> Decimal | None:
        """The node's stored points, else the sum of its children when they are all known (and do add up)."""
        return self._value(self.values.get(unit_id, {}), node.id)

    def group_values(self, unit_id: int) -> dict[str, Decimal]:
        """{group code: points} for the groups with a known value."""
        cached = self._group_cache.get(unit_id)
        if cached is None:
            own = self.values.get(unit_id, {})
            cached = {}
            for node_id, code in self._groups:
                value = self._value(own, node_id)
                if value is not None:
                    cached[code] = value
            self._group_cache[unit_id] = cached
        return dict(cached)

    def sum_of_groups(self, unit_id: int) -> Decimal | None:
        """Sum of the groups when all are known."""
        values = self._group_cache.get(unit_id) or self.group_values(unit_id)
        if self._groups and len(values) == len(self._groups):
            return sum(values.values(), Decimal(0))
        return None

    def total(self, unit_id: int) -> Decimal | None:
        """The sum of the groups; the printed total instead when it is within rounding of that sum.

        A printed total within TOTAL_TOLERANCE of the sum was computed by the source from unrounded parts
        (the portal's TONG_SCORE, the ministry's 84.4089), so it is the better value to rank on. A source
        that prints only a total gives only that; a larger difference is refused at import.
        """
        computed = self.sum_of_groups(unit_id)
        stored = self.totals.get(unit_id)
        printed = stored.points if stored else None
        if printed is None:
            return computed
        if computed is None or abs(Decimal(printed) - computed) <= TOTAL_TOLERANCE:
            return Decimal(printed)
        return computed


def load_period_data(framework: Framework, period: Period, unit_ids: Iterable[int] | None = None,
                     groups_only: bool = False) -> PeriodData:
    """Nodes, the period's scores as plain tuples, and the units concerned (three or four queries).

    groups_only reads just the top-level nodes and the total (what totals, bands and ranks need); the units
    that miss a group whose children may add up to it are then read in full, so roll-ups stay right.
    """
    nodes = list(db.session.scalars(select(FrameworkNode).where(FrameworkNode.framework_id == framework.id)
                                    .order_by(FrameworkNode.position)))
    total_ids = {node.id for node in nodes if node.is_total}
    tree = [n for n in nodes if not n.is_total]
    wanted_nodes = [n.id for n in nodes if n.is_total or n.parent_id is None] if groups_only else None
    values: dict[int, dict[int, Decimal]] = defaultdict(dict)
    totals: dict[int, _TotalRow] = {}
    _read_scores(framework, period, unit_ids, wanted_nodes, total_ids, values, totals)
    if groups_only:
        parents = {n.parent_id for n in tree if n.parent_id is not None}
        rolled = [n.id for n in tree if n.parent_id is None and n.id in parents]
        incomplete = [unit_id for unit_id in set(values) | set(totals)
                      if any(group_id not in values.get(unit_id, ()) for group_id in rolled)]
        if incomplete:
            _read_scores(framework, period, incomplete, None, total_ids, values, totals)
    ids = set(values) | set(totals)
    units = {}
    if ids:
        for unit_id, code, name, kind_code in db.session.execute(
                select(Unit.id, Unit.code, Unit.name, UnitKind.code).join(UnitKind, Unit.kind_id == UnitKind.id)
                .where(Unit.id.in_(ids))):
            units[unit_id] = UnitRef(unit_id, code, name, kind_code)
    return PeriodData(framework, period, tree, dict(values), totals, units)


def _read_scores(framework: Framework, period: Period, unit_ids: Iterable[int] | None, node_ids: list[int] | None,
                 total_ids: set[int], values: dict, totals: dict) -> None:
    """Fill `values` ({unit: {node: points}}) and `totals` from one query."""
    query = select(Score.unit_id, Score.node_id, Score.points, Score.published_rank, Score.published_rank_of,
                   Score.published_band, Score.published_change).where(
        Score.framework_id == framework.id, Score.period_id == period.id)
    if unit_ids is not None:
        query = query.where(Score.unit_id.in_(list(unit_ids)))
    if node_ids is not None:
        query = query.where(Score.node_id.in_(node_ids))
    for unit_id, node_id, points, p_rank, p_rank_of, p_band, p_change in db.session.execute(query):
        if node_id in total_ids:
            totals[unit_id] = _TotalRow(points, p_rank, p_rank_of, p_band, p_change)
        elif points is not None:
            values[unit_id][node_id] = points if isinstance(points, Decimal) else Decimal(str(points))


@dataclass
class UnitResult:
    """One unit's computed result for a framework and period (see the module docstring)."""

    unit: UnitRef
    values: dict[str, Decimal]
    total: Decimal | None
    percent: Decimal | None
    band: str | None
    band_code: str | None
    rank: int | None
    peers: int
    published_rank: int | None = None
    published_rank_of: int | None = None
    published_band: str | None = None
    published_change: str | None = None
    rank_disagrees: bool = False
    rank_disagreement_explained: bool = False
    previous_period: str | None = None
    previous_total: Decimal | None = None
    previous_rank: int | None = None
    points_change: Decimal | None = None
    rank_change_text: str = ""
    #: places gained (positive) or lost since the previous period, when computed here; shown in the reader's
    #: language (rank_change_text is the Vietnamese text of the reports, or the text printed in the source)
    rank_delta: int | None = None
    #: the sum of the groups, shown next to a printed total that differs from it (within rounding)
    sum_of_groups: Decimal | None = None

    @property
    def total_differs(self) -> bool:
        """True when the total kept is a printed one that differs from the sum of the groups."""
        return self.sum_of_groups is not None and self.total is not None and self.sum_of_groups != self.total

    @property
    def display_rank(self) -> int | None:
        """The rank to print: the published one where the source prints it, else the computed one."""
        return self.published_rank if self.published_rank is not None else self.rank

    @property
    def display_rank_of(self) -> int:
        """Size of the field of the displayed rank."""
        return self.published_rank_of or self.peers


def _band(framework: Framework, bands: tuple[Band, ...], total: Decimal | None) -> Band | None:
    basis = framework.max_total if framework.band_basis == "percent" else None
    return band_for(total, bands, basis_max=basis)


def _ranks_by_kind(data: PeriodData, totals: dict[int, Decimal | None]) -> tuple[dict[int, int], dict[str, int]]:
    """Computed ranks among units of the same kind, and the number of ranked units per kind."""
    by_kind: dict[str, dict[int, Decimal | None]] = defaultdict(dict)
    for unit_id, ref in data.units.items():
        by_kind[ref.kind_code][unit_id] = totals.get(unit_id)
    ranks: dict[int, int] = {}
    peers: dict[str, int] = {}
    for kind_code, values in by_kind.items():
        ranks.update(rank(values))
        peers[kind_code] = sum(1 for value in values.values() if value is not None)
    return ranks, peers


def previous_period_of(framework: Framework, period: Period) -> tuple[Framework, Period] | None:
    """The latest earlier period of the same kind with scores in a framework of the same kind (766, PAR).

    Walks back period by period (each probe uses the (framework, period) index), the same framework first.
    """
    kin = sorted(db.session.scalars(select(Framework).where(Framework.kind == framework.kind)),
                 key=lambda f: (f.id != framework.id, -f.valid_from))
    candidates = db.session.scalars(
        select(Period).where(Period.kind == period.kind, Period.start < period.start)
        .order_by(Period.start.desc(), Period.end.desc()).limit(12)).all()
    for candidate in candidates:
        for other in kin:
            if db.session.scalar(select(Score.id).where(Score.framework_id == other.id,
                                                        Score.period_id == candidate.id).limit(1)):
                return other, candidate
    return None


def previous_data(framework: Framework, period: Period, groups_only: bool = True) -> PeriodData | None:
    """PeriodData of previous_period_of (groups only by default: enough for totals and ranks)."""
    found = previous_period_of(framework, period)
    return None if found is None else load_period_data(*found, groups_only=groups_only)


def results_from(data: PeriodData, previous: PeriodData | None = None) -> list[UnitResult]:
    """UnitResults of loaded period data (and of the previous period, for changes)."""
    framework = data.framework
    bands = bands_of(framework)
    totals = {unit_id: data.total(unit_id) for unit_id in data.units}
    ranks, peers = _ranks_by_kind(data, totals)
    prev_totals: dict[int, Decimal | None] = {}
    prev_ranks: dict[int, int] = {}
    if previous is not None:
        prev_totals = {unit_id: previous.total(unit_id) for unit_id in previous.units}
        prev_ranks, _ = _ranks_by_kind(previous, prev_totals)
    disagreements = _disagreements(data, totals, peers)
    results = []
    for unit_id, ref in data.units.items():
        total = totals[unit_id]
        band = _band(framework, bands, total)
        printed = data.totals.get(unit_id)
        result = UnitResult(
            unit=ref, values=data.group_values(unit_id), total=total,
            percent=percent_of_max(total, framework.max_total) if total is not None else None,
            band=band.name if band else None, band_code=band.code if band else None,
            rank=ranks.get(unit_id), peers=peers.get(ref.kind_code, 0), sum_of_groups=data.sum_of_groups(unit_id),
        )
        if printed is not None:
            result.published_rank, result.published_rank_of = printed.published_rank, printed.published_rank_of
            result.published_band, result.published_change = printed.published_band, printed.published_change
        if unit_id in disagreements:
            result.rank_disagrees, result.rank_disagreement_explained = True, disagreements[unit_id]
        _compare(result, framework.max_total, previous, prev_totals, prev_ranks)
        results.append(result)
    kind_order = _kind_order()
    results.sort(key=lambda r: (kind_order.get(r.unit.kind_code, 99), r.display_rank is None,
                                r.display_rank or 0, r.unit.name))
    return results


def _disagreements(data: PeriodData, totals: dict[int, Decimal | None], peers: dict[str, int]) -> dict[int, bool]:
    """{unit id: explained by rounding} for published ranks (among the same peers) that recomputation contradicts."""
    result: dict[int, bool] = {}
    by_kind: dict[str, list[int]] = defaultdict(list)
    for unit_id, ref in data.units.items():
        by_kind[ref.kind_code].append(unit_id)
    for kind_code, unit_ids in by_kind.items():
        published = {u: data.totals[u].published_rank for u in unit_ids if u in data.totals
                     and data.totals[u].published_rank is not None
                     and data.totals[u].published_rank_of in (None, peers.get(kind_code))}
        for item in rank_disagreements({u: totals.get(u) for u in unit_ids}, published):
            result[item.key] = item.explained_by_rounding
    return result


def _compare(result: UnitResult, max_now: Decimal, previous: PeriodData | None, prev_totals: dict,
             prev_ranks: dict) -> None:
    """Fill the change since the previous period: points (or percentage points) and rank places."""
    if previous is None or result.unit.id not in previous.units:
        result.rank_change_text = result.published_change or ""
        return
    unit_id = result.unit.id
    result.previous_period = previous.period.label
    result.previous_total = prev_totals.get(unit_id)
    printed_before = previous.totals.get(unit_id)
    # ranks printed among the same wider field (e.g. 63 provinces) compare with each other, not with ours
    if (printed_before is not None and printed_before.published_rank is not None
            and result.published_rank is not None and printed_before.published_rank_of == result.published_rank_of):
        before, now = printed_before.published_rank, result.published_rank
    else:
        before, now = prev_ranks.get(unit_id), result.rank
    result.previous_rank = before
    if result.total is not None and result.previous_total is not None:
        max_before = previous.framework.max_total
        if Decimal(max_now) == Decimal(max_before):
            result.points_change = result.total - result.previous_total
        else:
            result.points_change = yoy_change_percent(result.total, max_now, result.previous_total, max_before)
    delta, text = rank_change(before, now)
    result.rank_delta = delta
    result.rank_change_text = text if delta is not None else (result.published_change or "")


def _kind_order() -> dict[str, int]:
    return {code: order for code, order in db.session.execute(
        select(UnitKind.code, UnitKind.sort_order))}


#: computed results by (framework, its update time, period, its revision, previous period, units stamp)
_RESULTS_CACHE: OrderedDict[tuple, tuple[list[UnitResult], PeriodData | None]] = OrderedDict()


def period_results(framework: Framework, period: Period) -> tuple[list[UnitResult], PeriodData | None]:
    """Results of every unit (and the previous period's data, groups only), cached per process.

    The key holds the period's revision, which every score write replaces (save_scores, report_ratio), the
    previous period's, the framework's update time and a stamp of the units table, so a cached entry is never
    stale for writes made through this module; two cheap queries decide whether the cache can answer.
    """
    previous = previous_period_of(framework, period)
    units_stamp = tuple(db.session.execute(select(func.count(Unit.id), func.max(Unit.updated_at))).one())
    key = (framework.id, framework.updated_at, period.id, period.revision,
           (previous[0].id, previous[1].id, previous[1].revision) if previous else None, units_stamp)
    cached = _RESULTS_CACHE.get(key)
    if cached is None:
        previous_rows = load_period_data(*previous, groups_only=True) if previous else None
        cached = (results_from(load_period_data(framework, period, groups_only=True), previous_rows), previous_rows)
        _RESULTS_CACHE[key] = cached
        while len(_RESULTS_CACHE) > _RESULTS_CACHE_SIZE:
            _RESULTS_CACHE.popitem(last=False)
    else:
        _RESULTS_CACHE.move_to_end(key)
    return list(cached[0]), cached[1]


def unit_results(framework_code: str, period_label: str, kind: str | None = None) -> list[UnitResult]:
    """Computed results of every unit (or of one unit kind) for a framework and period; see the module docstring.

    The UnitResult objects may be shared with other callers (cache): read them, do not change them.
    """
    framework, period = resolve(framework_code, period_label)
    results, _previous = period_results(framework, period)
    return [r for r in results if kind is None or r.unit.kind_code == kind]


@dataclass(frozen=True)
class BandLine:
    """How many of `total` units of a kind reached `band`, with the sentence of the notices."""

    band: Band
    count: int
    total: int
    phrase: str


def band_summary_from(results: list[UnitResult], framework: Framework, kind: str) -> list[BandLine]:
    """Band counts of the units of one kind among computed results."""
    bands = bands_of(framework)
    by_code = {band.code: band for band in bands}
    chosen = {r.unit.id: by_code.get(r.band_code) for r in results if r.unit.kind_code == kind}
    noun = _NOUNS.get(kind, "đơn vị")
    return [BandLine(line.band, line.count, line.total, count_phrase(line.count, line.total, line.band.name, noun))
            for line in band_counts(chosen, bands)]


def band_summary(framework_code: str, period_label: str, kind: str) -> list[BandLine]:
    """Counts per band of the units of one kind, best band first, with "Có 02/17 cơ quan xếp loại Tốt"."""
    framework, period = resolve(framework_code, period_label)
    results, _previous = period_results(framework, period)
    return band_summary_from(results, framework, kind)


# ---------------------------------------------------------------------------------------------- lost points


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


# ------------------------------------------------------------------------------------------------- saving


def save_scores(framework: Framework, period: Period, rows: list[dict], *, source: str = "",
                import_id: int | None = None, user_id: int | None = None) -> int:
    """Upsert many scores of one framework and period: rows of {unit_id, node_id, points, …}; returns the count.

    One query reads the existing rows; changed or new rows are flushed together. Callers audit the batch.
    """
    unit_ids = {row["unit_id"] for row in rows}
    existing = {(s.unit_id, s.node_id): s for s in db.session.scalars(select(Score).where(
        Score.period_id == period.id, Score.framework_id == framework.id, Score.unit_id.in_(unit_ids)))} \
        if unit_ids else {}
    for row in rows:
        values = {key: value for key, value in row.items() if key not in ("unit_id", "node_id")}
        values.setdefault("source", source)
        values["import_id"] = import_id
        values["reported_by_id"] = user_id
        for key in ("points", "rate", "numerator", "denominator", "self_points", "official_points"):
            if values.get(key) is not None:
                values[key] = quantize(Decimal(values[key]))
        score = existing.get((row["unit_id"], row["node_id"]))
        if score is None:
            score = Score(unit_id=row["unit_id"], node_id=row["node_id"], framework_id=framework.id,
                          period_id=period.id)
            db.session.add(score)
            existing[(row["unit_id"], row["node_id"])] = score
        for key, value in values.items():
            setattr(score, key, value)
    period.revision = secrets.token_hex(8)  # cached results of the period are now stale
    db.session.flush()
    return len(rows)


def report_ratio(user, unit: Unit, node: FrameworkNode, period: Period, *, numerator: Decimal,
                 denominator: Decimal, note: str = "") -> Score:
    """A unit reports b and a of a ratio indicator; rate and points follow the framework's formula. Flushes."""
    if not (can(user, "report_scores") and can_see_unit(user, unit.id)):
        raise ScoreError("Bạn không được báo cáo số liệu cho đơn vị này")
    if not node.is_ratio:
        raise ScoreError(f"Chỉ tiêu {node.code} không tính theo tỷ lệ b/a")
    existing = db.session.scalar(select(Score).where(
        Score.unit_id == unit.id, Score.node_id == node.id, Score.period_id == period.id))
    if existing is not None and (existing.import_id is not None or existing.official_points is not None):
        raise ScoreError(f"Chỉ tiêu {node.code} kỳ {period.label} đã có điểm công bố chính thức; "
                         "không ghi đè bằng số liệu tự báo cáo")
    result = ratio_points(numerator, denominator, node.max_points)
    if result.rate_percent is None and denominator != 0:
        raise ScoreError(f"Chỉ tiêu {node.code}: {result.reason}")
    values = {"numerator": quantize(numerator), "denominator": quantize(denominator),
              "rate": quantize(result.rate_percent), "points": quantize(result.points),
              "note": note or (result.reason or ""), "source": "Đơn vị tự báo cáo", "reported_by_id": user.id}
    if existing is None:
        existing = Score(unit_id=unit.id, node_id=node.id, framework_id=node.framework_id, period_id=period.id,
                         **values)
        db.session.add(existing)
        db.session.flush()
        audit.record(user, "create", existing, "audit.score.create",
                     {"unit": unit.name, "code": node.code, "period": period.label},
                     {"numerator": [None, numerator], "denominator": [None, denominator]})
    else:
        audit.apply(user, existing, values, "audit.score.update",
                    {"unit": unit.name, "code": node.code, "period": period.label})
    period.revision = secrets.token_hex(8)  # cached results of the period are now stale
    db.session.flush()
    return existing
