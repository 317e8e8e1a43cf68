"""Curated published results shipped with the product (tracker/data/scores/*.yaml): loading and cross-checks.

Two shapes, each documented at the top of its data file:
- a unit score sheet (766 index): tables of units with points per group, total, band, rank as published;
- a PAR assessment: one unit's self-assessed and official points for every node, plus domain results per year.

Loading rejects what cannot be right in any source (unknown keys, unknown node codes, text for a number).
Disagreements inside the published figures (a total that is not the sum of its parts, a band or rank that the
points do not give) are kept as published and returned by the `check_*` functions as findings, so a reviewer
or the seeding service can show them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from yaml.nodes import Node as YamlNode

from tracker.domain.frameworks import Framework, Node
from tracker.domain.scoring import (
    band_for,
    check_total,
    parse_rank,
    parse_rank_change,
    percent_of_max,
    rank_disagreements,
    round_score,
    yoy_change_percent,
)
from tracker.domain.yamldoc import (
    DataFileError,
    Problems,
    as_decimal,
    as_int,
    as_mapping,
    as_sequence,
    as_text,
    compose,
    line_of,
)

SCORES_DIR = Path(__file__).resolve().parent.parent / "data" / "scores"
LEVELS = ("province", "department", "district", "commune")
TOTAL_TOLERANCE = Decimal("0.05")
#: PAR points carry four decimals; a criterion printed rounded to two (7.78 for 7.783) stays within this.
PAR_TOLERANCE = Decimal("0.005")
#: Printed percentages have two decimals.
PERCENT_TOLERANCE = Decimal("0.01")


class ScoreSheetError(DataFileError):
    """A score data file is malformed; the message names each line and problem, in Vietnamese."""


@dataclass
class UnitScoreRow:
    """One unit's published 766 results."""

    unit: str
    scores: dict[str, Decimal]
    total: Decimal | None
    band: str | None
    rank: int | None = None
    #: Size of the field of the published rank ("10/63" → 63), when printed.
    rank_of: int | None = None
    rank_change: str | None = None
    stt: int | None = None
    note: str | None = None
    line: int = 0


@dataclass
class UnitScoreTable:
    """One appendix: the units of one level."""

    code: str
    title: str
    level: str
    rows: list[UnitScoreRow]
    rank_scope: str | None = None


@dataclass
class UnitScoreSheet:
    """Published 766 results of a period, as printed by one decision."""

    framework_code: str
    period: str
    source: str
    tables: list[UnitScoreTable]
    issuer: str | None = None


@dataclass
class NodeAssessment:
    """Self-assessed and official points of one PAR node; self is None for survey-scored nodes."""

    code: str
    self_points: Decimal | None
    official: Decimal | None
    note: str | None = None


@dataclass
class DomainResult:
    """A domain's (or the total's) printed result in one year."""

    points: Decimal
    percent: Decimal | None
    rank: int | None = None
    rank_of: int | None = None
    band: str | None = None


@dataclass
class YearResult:
    """Phụ lục 01-style results of one year: domains and total."""

    framework_code: str
    period: str
    total: DomainResult
    domains: dict[str, DomainResult]


@dataclass
class Comparison:
    """A printed year-on-year change: percentage points and rank movement text."""

    percent: Decimal | None
    rank_change: str | None


@dataclass
class ParAssessment:
    """One unit's PAR Index assessment for a year, with the yearly domain results used for comparison."""

    unit: str
    period: str
    source: str
    framework_code: str
    total_self: Decimal | None
    total_official: Decimal | None
    nodes: dict[str, NodeAssessment]
    years: list[YearResult] = field(default_factory=list)
    comparison: dict[str, Comparison] = field(default_factory=dict)


ScoreFile = UnitScoreSheet | ParAssessment


def load_score_file(path: str | Path, frameworks: Mapping[str, Framework]) -> ScoreFile:
    """Load a score data file (either shape, told apart by its keys)."""
    file_path = Path(path)
    return load_score_sheet(file_path.read_text(encoding="utf-8"), frameworks, source=file_path.name)


def load_score_sheet(text: str, frameworks: Mapping[str, Framework], source: str = "tệp điểm") -> ScoreFile:
    """Parse and validate score data YAML; ScoreSheetError lists every problem with its line."""
    problems = Problems(source)
    root = compose(text, problems)
    problems.raise_if_any(ScoreSheetError)
    keys = as_mapping(root, "Tệp điểm", problems, allowed=(
        "framework", "period", "source", "issuer", "tables", "unit", "assessment", "domain_results", "comparison",
    ))
    problems.raise_if_any(ScoreSheetError)
    assert keys is not None
    if "tables" in keys:
        result: ScoreFile = _read_unit_sheet(root, keys, frameworks, problems)
    elif "assessment" in keys:
        result = _read_par(root, keys, frameworks, problems)
    else:
        problems.add(root, "tệp điểm phải có 'tables' (bảng điểm đơn vị) hoặc 'assessment' (chỉ số PAR)")
    problems.raise_if_any(ScoreSheetError)
    return result


def _items(node: YamlNode | None, what: str, problems: Problems) -> list[YamlNode]:
    """Items of an optional list (absent: none)."""
    return [] if node is None else as_sequence(node, what, problems) or []


def _keys(node: YamlNode | None, what: str, problems: Problems, allowed: Sequence[str]) -> dict[str, YamlNode]:
    """Keys of an optional mapping (absent: none)."""
    return {} if node is None else as_mapping(node, what, problems, allowed=allowed) or {}


def _framework(node: YamlNode | None, frameworks: Mapping[str, Framework], problems: Problems) -> Framework | None:
    code = as_text(node, "framework", problems)
    if code is None:
        return None
    if code not in frameworks:
        problems.add(node, f"không có bộ chỉ số '{code}' (có: {', '.join(sorted(frameworks))})")
        return None
    return frameworks[code]


def _rank(node: YamlNode | None, problems: Problems) -> tuple[int | None, int | None]:
    text = as_text(node, "rank", problems)
    if text is None:
        return None, None
    parsed = parse_rank(text)
    if parsed is None:
        problems.add(node, f"không đọc được thứ hạng '{text}'")
        return None, None
    return parsed


def _scores(
    node: YamlNode | None, framework: Framework | None, problems: Problems
) -> dict[str, Decimal]:
    """{node code: points}, codes checked against the framework."""
    if node is None:
        return {}
    keys = as_mapping(node, "scores", problems, allowed=[n.code for n in framework.walk()] if framework else ())
    scores: dict[str, Decimal] = {}
    for code, value_node in (keys or {}).items():
        value = as_decimal(value_node, f"điểm '{code}'", problems)
        if value is not None:
            scores[code] = value
    return scores


def _read_unit_sheet(
    root: YamlNode, keys: dict[str, YamlNode], frameworks: Mapping[str, Framework], problems: Problems
) -> UnitScoreSheet:
    for required in ("framework", "period", "source"):
        if required not in keys:
            problems.add(root, f"thiếu '{required}'")
    framework = _framework(keys.get("framework"), frameworks, problems)
    tables = []
    for table_node in as_sequence(keys["tables"], "tables", problems) or []:
        table = as_mapping(table_node, "Bảng", problems, allowed=("code", "title", "level", "rank_scope", "rows"),
                           required=("code", "title", "level", "rows"))
        if table is None:
            continue
        level = as_text(table.get("level"), "level", problems)
        if level is not None and level not in LEVELS:
            problems.add(table["level"], f"level phải là một trong {', '.join(LEVELS)}, nhận được '{level}'")
        rows = []
        for row_node in _items(table.get("rows"), "rows", problems):
            row = as_mapping(row_node, "Dòng điểm", problems, required=("unit", "scores"), allowed=(
                "unit", "stt", "scores", "total", "band", "rank", "rank_change", "note"))
            if row is None:
                continue
            rank, rank_of = _rank(row.get("rank"), problems)
            rows.append(UnitScoreRow(
                unit=as_text(row.get("unit"), "unit", problems) or "",
                scores=_scores(row.get("scores"), framework, problems),
                total=as_decimal(row.get("total"), "total", problems),
                band=as_text(row.get("band"), "band", problems),
                rank=rank, rank_of=rank_of,
                rank_change=as_text(row.get("rank_change"), "rank_change", problems),
                stt=as_int(row.get("stt"), "stt", problems),
                note=as_text(row.get("note"), "note", problems),
                line=line_of(row_node),
            ))
        tables.append(UnitScoreTable(
            code=as_text(table.get("code"), "code", problems) or "",
            title=as_text(table.get("title"), "title", problems) or "",
            level=level or "",
            rows=rows,
            rank_scope=as_text(table.get("rank_scope"), "rank_scope", problems),
        ))
    return UnitScoreSheet(
        framework_code=framework.code if framework else "",
        period=as_text(keys.get("period"), "period", problems) or "",
        source=as_text(keys.get("source"), "source", problems) or "",
        tables=tables,
        issuer=as_text(keys.get("issuer"), "issuer", problems),
    )


def _read_par(
    root: YamlNode, keys: dict[str, YamlNode], frameworks: Mapping[str, Framework], problems: Problems
) -> ParAssessment:
    for required in ("unit", "period", "source"):
        if required not in keys:
            problems.add(root, f"thiếu '{required}'")
    assessment = as_mapping(keys["assessment"], "assessment", problems, allowed=("framework", "total", "nodes"),
                            required=("framework", "nodes"))
    framework = _framework((assessment or {}).get("framework"), frameworks, problems)
    assessment = assessment or {}
    total = _keys(assessment.get("total"), "total", problems, allowed=("self", "official"))
    nodes: dict[str, NodeAssessment] = {}
    node_map = _keys(assessment.get("nodes"), "nodes", problems,
                     allowed=[n.code for n in framework.walk()] if framework else ())
    for code, value_node in node_map.items():
        item = as_mapping(value_node, f"chỉ tiêu '{code}'", problems, allowed=("self", "official", "note"))
        if item is None:
            continue
        nodes[code] = NodeAssessment(
            code=code,
            self_points=as_decimal(item.get("self"), f"'{code}': self", problems),
            official=as_decimal(item.get("official"), f"'{code}': official", problems),
            note=as_text(item.get("note"), f"'{code}': note", problems),
        )
    if framework is not None and node_map:
        missing = [node.code for node in framework.walk() if node.code not in nodes]
        if missing:
            problems.add(assessment["nodes"], f"thiếu điểm của các chỉ tiêu: {', '.join(missing)}")
    years = [_read_year(item, frameworks, problems)
             for item in _items(keys.get("domain_results"), "domain_results", problems)]
    comparison: dict[str, Comparison] = {}
    comparable = [*(n.code for n in framework.nodes), "total"] if framework else ()
    for code, value_node in _keys(keys.get("comparison"), "comparison", problems, allowed=comparable).items():
        item = as_mapping(value_node, f"so sánh '{code}'", problems, allowed=("percent", "rank_change"))
        if item is not None:
            comparison[code] = Comparison(as_decimal(item.get("percent"), "percent", problems),
                                          as_text(item.get("rank_change"), "rank_change", problems))
    return ParAssessment(
        unit=as_text(keys.get("unit"), "unit", problems) or "",
        period=as_text(keys.get("period"), "period", problems) or "",
        source=as_text(keys.get("source"), "source", problems) or "",
        framework_code=framework.code if framework else "",
        total_self=as_decimal(total.get("self"), "total.self", problems),
        total_official=as_decimal(total.get("official"), "total.official", problems),
        nodes=nodes,
        years=[year for year in years if year is not None],
        comparison=comparison,
    )


def _read_year(node: YamlNode, frameworks: Mapping[str, Framework], problems: Problems) -> YearResult | None:
    keys = as_mapping(node, "Kết quả năm", problems, allowed=("framework", "period", "total", "domains"),
                      required=("framework", "period", "total", "domains"))
    if keys is None:
        return None
    framework = _framework(keys.get("framework"), frameworks, problems)
    domains: dict[str, DomainResult] = {}
    allowed = [n.code for n in framework.nodes] if framework else ()
    for code, value_node in (as_mapping(keys.get("domains"), "domains", problems, allowed=allowed) or {}).items():
        result = _read_domain_result(value_node, f"lĩnh vực '{code}'", problems)
        if result is not None:
            domains[code] = result
    total = _read_domain_result(keys.get("total"), "total", problems) if "total" in keys else None
    if framework is None or total is None:
        return None
    return YearResult(framework.code, as_text(keys.get("period"), "period", problems) or "", total, domains)


def _read_domain_result(node: YamlNode | None, what: str, problems: Problems) -> DomainResult | None:
    keys = as_mapping(node, what, problems, allowed=("points", "percent", "rank", "band"), required=("points",))
    if keys is None:
        return None
    points = as_decimal(keys.get("points"), f"{what}: points", problems)
    if points is None:
        return None
    rank, rank_of = _rank(keys.get("rank"), problems)
    return DomainResult(points, as_decimal(keys.get("percent"), f"{what}: percent", problems), rank, rank_of,
                        as_text(keys.get("band"), f"{what}: band", problems))


# -------------------------------------------------------------------------------------------------- checks


def _show(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def check_unit_scores(sheet: UnitScoreSheet, framework: Framework) -> list[str]:
    """Findings where the published 766 figures disagree with themselves (totals, bands, ranks, maxima)."""
    findings: list[str] = []
    for table in sheet.tables:
        for row in table.rows:
            where = f"{table.code}, {row.unit}"
            for code, value in row.scores.items():
                if not 0 <= value <= framework.node(code).max:
                    findings.append(f"{where}: điểm {code} = {_show(value)} vượt điểm tối đa "
                                    f"{_show(framework.node(code).max)}")
            if row.total is None:
                continue
            checked = check_total(row.scores.values(), row.total, TOTAL_TOLERANCE)
            if len(row.scores) == len(framework.nodes) and not checked.ok:
                findings.append(f"{where}: tổng điểm {_show(row.total)} khác tổng các nhóm {_show(checked.computed)}")
            band = band_for(row.total, framework)
            if row.band is not None and (band is None or band.name != row.band):
                findings.append(f"{where}: xếp loại '{row.band}' khác xếp loại theo tổng điểm "
                                f"('{band.name if band else 'không xếp loại'}')")
        ranked = {index: row.rank for index, row in enumerate(table.rows)
                  if row.rank is not None and row.rank_of in (None, len(table.rows))}
        if len(ranked) > 1:
            totals = {index: row.total for index, row in enumerate(table.rows)}
            for disagreement in rank_disagreements(totals, ranked):
                row = table.rows[disagreement.key]
                reason = ("đồng điểm khi làm tròn, có thể xếp trên điểm chưa làm tròn"
                          if disagreement.explained_by_rounding else "không giải thích được bằng làm tròn")
                findings.append(f"{table.code}, {row.unit}: hạng công bố {disagreement.published}, tính lại từ tổng "
                                f"điểm {_show(row.total)} là {disagreement.computed} ({reason})")
    return findings


def check_par_assessment(assessment: ParAssessment, frameworks: Mapping[str, Framework]) -> list[str]:
    """Findings where the published PAR figures disagree with themselves or with the framework."""
    framework = frameworks[assessment.framework_code]
    findings: list[str] = []
    for node in framework.walk():
        item = assessment.nodes[node.code]
        for label, value in (("tự đánh giá", item.self_points), ("Bộ Nội vụ đánh giá", item.official)):
            if value is not None and not 0 <= value <= node.max:
                findings.append(f"{node.code}: điểm {label} {_show(value)} vượt điểm tối đa {_show(node.max)}")
        if node.children and node.children_sum:
            findings.extend(_children_findings(node, node.children, assessment))
    top = Node(code="tổng", name="Tổng điểm", max=framework.max_total, parent_code=None, depth=-1)
    top_item = NodeAssessment("tổng", assessment.total_self, assessment.total_official)
    findings.extend(_children_findings(top, framework.nodes, assessment, top_item))

    for year in assessment.years:
        year_framework = frameworks[year.framework_code]
        for code, result in year.domains.items():
            findings.extend(_percent_findings(f"{year.period}, lĩnh vực {code}", result,
                                              year_framework.node(code).max))
            official = assessment.nodes[code].official if year.framework_code == framework.code else None
            if official is not None and abs(round_score(official, 2) - result.points) > PAR_TOLERANCE:
                findings.append(f"{year.period}, lĩnh vực {code}: Phụ lục 01 in {_show(result.points)} điểm, "
                                f"Phụ lục 02 in {_show(official)}")
        findings.extend(_percent_findings(f"{year.period}, tổng", year.total, year_framework.max_total))
        checked = check_total((result.points for result in year.domains.values()), year.total.points)
        if not checked.ok:
            findings.append(f"{year.period}: tổng {_show(year.total.points)} khác tổng các lĩnh vực "
                            f"{_show(checked.computed)}")
        band = band_for(year.total.points, year_framework)
        if year.total.band is not None and (band is None or band.code != year.total.band):
            findings.append(f"{year.period}: nhóm '{year.total.band}' khác nhóm theo tỷ lệ "
                            f"('{band.code if band else 'không xếp nhóm'}')")
    findings.extend(_comparison_findings(assessment, frameworks))
    return findings


def _children_findings(
    node: Node, children: list[Node], assessment: ParAssessment, item: NodeAssessment | None = None
) -> list[str]:
    """A parent's self and official points against the sum of its children's (missing self counts as 0)."""
    item = item or assessment.nodes[node.code]
    findings = []
    for label, own, parts in (
        ("tự đánh giá", item.self_points, [assessment.nodes[child.code].self_points for child in children]),
        ("Bộ Nội vụ đánh giá", item.official, [assessment.nodes[child.code].official for child in children]),
    ):
        if own is None:
            continue
        checked = check_total(parts, own, PAR_TOLERANCE)
        if not checked.ok:
            findings.append(f"{node.code}: điểm {label} {_show(own)} khác tổng các chỉ tiêu con "
                            f"{_show(checked.computed)}")
    return findings


def _percent_findings(where: str, result: DomainResult, max_points: Decimal) -> list[str]:
    if result.percent is None:
        return []
    computed = percent_of_max(result.points, max_points)
    if abs(round_score(computed, 2) - result.percent) > PERCENT_TOLERANCE:
        return [f"{where}: tỷ lệ in {_show(result.percent)}% khác {_show(round_score(computed, 2))}% "
                f"({_show(result.points)}/{_show(max_points)})"]
    return []


def _comparison_findings(assessment: ParAssessment, frameworks: Mapping[str, Framework]) -> list[str]:
    """The printed changes against the changes recomputed from the two latest years' points and ranks."""
    if len(assessment.years) < 2 or not assessment.comparison:
        return []
    before, now = assessment.years[-2], assessment.years[-1]
    framework_before, framework_now = frameworks[before.framework_code], frameworks[now.framework_code]
    findings = []
    for code, printed in assessment.comparison.items():
        if code == "total":
            old, new = before.total, now.total
            max_old, max_new = framework_before.max_total, framework_now.max_total
        else:
            old, new = before.domains[code], now.domains[code]
            max_old, max_new = framework_before.node(code).max, framework_now.node(code).max
        change = round_score(yoy_change_percent(new.points, max_new, old.points, max_old), 2)
        if printed.percent is not None and abs(change - printed.percent) > PERCENT_TOLERANCE:
            findings.append(f"so sánh {code}: in {_show(printed.percent)} điểm %, tính lại {_show(change)}")
        printed_steps = parse_rank_change(printed.rank_change)
        if old.rank is not None and new.rank is not None and printed_steps != old.rank - new.rank:
            findings.append(f"so sánh {code}: in '{printed.rank_change}', tính lại từ hạng {old.rank} → {new.rank} "
                            f"là {old.rank - new.rank} bậc")
    return findings
