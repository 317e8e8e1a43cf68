"""Computed results of scores, which every page and report reads: totals, bands, ranks, changes.

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

Points lost per node (bottlenecks) are in tracker.services.lost_points.

Periods are named by label ("2024", "Q2/2024", "Tháng 10/2025", "Tuần 27/2024", "11:00 08/07/2024";
see tracker.domain.periods).
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from models import Framework, FrameworkNode, Period, Score, Unit, UnitKind, db
from tracker.domain.frameworks import Band
from tracker.domain.scoring import (
    band_counts,
    band_for,
    count_phrase,
    percent_of_max,
    rank,
    rank_change,
    rank_disagreements,
    yoy_change_percent,
)
from tracker.services.frameworks import bands_of
from tracker.services.periods import resolve
from tracker.services.unit_matching import UnitRef

#: entries kept by the per-process cache of computed results
_RESULTS_CACHE_SIZE = 64
#: a printed total this close to the sum of its printed parts differs only by rounding
TOTAL_TOLERANCE = Decimal("0.05")
#: noun of the "Có 02/17 … xếp loại Tốt" sentence per unit kind
_NOUNS = {"department": "cơ quan", "office": "cơ quan", "agency": "cơ quan", "district": "huyện, thành phố",
          "commune": "xã", "province": "tỉnh, thành phố"}


def kept_total(printed: Decimal | None, sum_of_groups: Decimal | None) -> Decimal | None:
    """The total a unit is ranked on: the sum of its groups, or the printed total when that is within rounding.

    A printed total within TOTAL_TOLERANCE of the sum was computed by the source from unrounded parts (the
    portal's TONG_SCORE, the ministry's 84.4089), so it is the better value; a source that prints only a total
    gives only that; a larger difference (refused at import) leaves the sum of the groups.
    """
    if printed is None:
        return sum_of_groups
    if sum_of_groups is None or abs(Decimal(printed) - sum_of_groups) <= TOTAL_TOLERANCE:
        return Decimal(printed)
    return sum_of_groups



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
        stored = self.totals.get(unit_id)
        return kept_total(stored.points if stored else None, self.sum_of_groups(unit_id))


def load_period_data(framework: Framework, period: Period, unit_ids: Iterable[int] | None = None,
                     groups_only: bool = False, node_ids: Iterable[int] | None = None) -> PeriodData:
    """Nodes, the period's scores as plain tuples, and the units concerned (three or four queries).

    groups_only reads just the top-level nodes and the total (what totals, bands and ranks need); the units
    that miss a group whose children may add up to it are then read in full, so roll-ups stay right.
    node_ids reads the scores of those nodes only (a subtree: its values roll up as in the whole).
    """
    nodes = list(db.session.scalars(select(FrameworkNode).where(FrameworkNode.framework_id == framework.id)
                                    .order_by(FrameworkNode.position)))
    total_ids = {node.id for node in nodes if node.is_total}
    tree = [n for n in nodes if not n.is_total]
    wanted_nodes = [n.id for n in nodes if n.is_total or n.parent_id is None] if groups_only else None
    if node_ids is not None:
        wanted_nodes, groups_only = list(node_ids), False
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

    The key holds the period's revision, which every score write replaces (save_scores, save_ratio_figures), the
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


def unit_totals_by_period(unit_id: int, framework_kind: str) -> list[tuple[str, Decimal, Decimal]]:
    """(period label, total, maximum) of a unit in every period with scores in frameworks of a kind, oldest
    first; the total is kept by the rule of the results (kept_total: the printed total within rounding of the
    sum of the groups, else that sum). Two queries."""
    group_counts = dict(db.session.execute(
        select(FrameworkNode.framework_id, func.count(FrameworkNode.id))
        .join(Framework, Framework.id == FrameworkNode.framework_id)
        .where(Framework.kind == framework_kind, FrameworkNode.parent_id.is_(None), FrameworkNode.is_total.is_(False))
        .group_by(FrameworkNode.framework_id)).all())
    rows = db.session.execute(
        select(Period.label, Framework.id, Framework.max_total, FrameworkNode.is_total, Score.points)
        .join(Score, Score.period_id == Period.id).join(Framework, Framework.id == Score.framework_id)
        .join(FrameworkNode, FrameworkNode.id == Score.node_id)
        .where(Score.unit_id == unit_id, Framework.kind == framework_kind, Score.points.is_not(None),
               FrameworkNode.parent_id.is_(None))
        .order_by(Period.start, Period.end)).all()
    per_period: dict[str, dict] = {}
    for label, framework_id, max_total, is_total, points in rows:
        item = per_period.setdefault(label, {"max": max_total, "framework": framework_id, "groups": [],
                                             "printed": None})
        if is_total:
            item["printed"] = Decimal(points)
        else:
            item["groups"].append(Decimal(points))
    result = []
    for label, item in per_period.items():
        groups = item["groups"]
        complete = sum(groups, Decimal(0)) if groups and len(groups) == group_counts.get(item["framework"]) else None
        total = kept_total(item["printed"], complete)
        if total is None:
            total = sum(groups, Decimal(0))
        result.append((label, total, Decimal(item["max"])))
    return result
