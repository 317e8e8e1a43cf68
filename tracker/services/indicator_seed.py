"""The `seed demo` step of the indicators: the four frameworks, the published results of files 000 and 001, links.

Called by tracker/services/seed.py after units and plans are loaded.
"""
from __future__ import annotations

from pathlib import Path

from models import Framework, FrameworkNode, db
from tracker.domain.score_sheets import SCORES_DIR, ParAssessment, UnitScoreSheet, load_score_file
from tracker.services import audit, indicator_links
from tracker.services.frameworks import all_frameworks, by_code, domain_framework, load_shipped_frameworks
from tracker.services.periods import get_or_create_period
from tracker.services.score_writes import save_scores
from tracker.services.unit_matching import UnitMatcher


def _node_ids(framework: Framework) -> dict[str, int]:
    return {node.code: node.id for node in db.session.query(FrameworkNode).filter_by(framework_id=framework.id)}


def load_unit_sheet(sheet: UnitScoreSheet, matcher: UnitMatcher) -> list[str]:
    """Save a 766 results sheet: groups per unit, and the printed total, band, rank and movement on the total."""
    framework = by_code(sheet.framework_code)
    period = get_or_create_period(sheet.period)
    issuer = matcher.find(sheet.issuer or "")
    if issuer is not None:  # department names repeat in every province: look under the issuing one
        matcher = UnitMatcher.from_db([issuer.id])
    nodes = _node_ids(framework)
    rows, lines = [], []
    for table in sheet.tables:
        for row in table.rows:
            unit = matcher.find(row.unit)
            if unit is None:
                lines.append(f"{sheet.source}, {table.code}: không tìm thấy đơn vị '{row.unit}', bỏ qua")
                continue
            rows += [{"unit_id": unit.id, "node_id": nodes[code], "points": value}
                     for code, value in row.scores.items()]
            rows.append({"unit_id": unit.id, "node_id": nodes["TONG"], "points": row.total,
                         "published_band": row.band, "published_rank": row.rank, "published_rank_of": row.rank_of,
                         "published_change": row.rank_change, "note": row.note or ""})
    saved = save_scores(framework, period, rows, source=sheet.source)
    audit.record(None, "import", framework, "audit.framework.results",
                 {"framework": framework.code, "period": period.label, "source": sheet.source})
    return [f"Kết quả {framework.code} kỳ {period.label} ({sheet.source}): {saved} điểm số", *lines]


def load_par_assessment(assessment: ParAssessment, matcher: UnitMatcher) -> list[str]:
    """Save a PAR assessment: self and official points of every node, and the yearly domain results."""
    unit = matcher.find(assessment.unit)
    if unit is None:
        return [f"{assessment.source}: không tìm thấy đơn vị '{assessment.unit}', bỏ qua"]
    lines = []
    published: dict[tuple[str, str], dict] = {}  # (framework, period) → {node code: printed values}
    for year in assessment.years:
        printed = published.setdefault((year.framework_code, year.period), {})
        printed["TONG"] = {"points": year.total.points, "published_rank": year.total.rank,
                           "published_rank_of": year.total.rank_of, "published_band": year.total.band}
        for code, result in year.domains.items():
            printed[code] = {"points": result.points, "published_rank": result.rank,
                             "published_rank_of": result.rank_of}
    latest = assessment.years[-1] if assessment.years else None
    for code, comparison in assessment.comparison.items():
        if latest is not None:
            key = "TONG" if code == "total" else code
            published[(latest.framework_code, latest.period)].setdefault(key, {})["published_change"] = (
                comparison.rank_change)

    framework = by_code(assessment.framework_code)
    nodes = _node_ids(framework)
    printed = published.pop((assessment.framework_code, assessment.period), {})
    rows = []
    for code, item in assessment.nodes.items():
        extra = {k: v for k, v in printed.get(code, {}).items() if k != "points"}
        rows.append({"unit_id": unit.id, "node_id": nodes[code], "points": item.official,
                     "self_points": item.self_points, "official_points": item.official, "note": item.note or "",
                     **extra})
    total_extra = {k: v for k, v in printed.get("TONG", {}).items() if k != "points"}
    rows.append({"unit_id": unit.id, "node_id": nodes["TONG"], "points": assessment.total_official,
                 "self_points": assessment.total_self, "official_points": assessment.total_official, **total_extra})
    period = get_or_create_period(assessment.period)
    saved = save_scores(framework, period, rows, source=assessment.source)
    lines.append(f"Kết quả {framework.code} kỳ {period.label} ({assessment.source}): {saved} điểm số")
    for (framework_code, period_label), printed in published.items():  # earlier years, domains only
        other = by_code(framework_code)
        other_nodes = _node_ids(other)
        other_rows = [{"unit_id": unit.id, "node_id": other_nodes[code], **values} for code, values in printed.items()]
        other_period = get_or_create_period(period_label)
        saved = save_scores(other, other_period, other_rows, source=assessment.source)
        lines.append(f"Kết quả {other.code} kỳ {other_period.label} ({assessment.source}): {saved} điểm số")
    return lines


def seed_indicators(scores_dir: Path = SCORES_DIR, links_dir: Path = indicator_links.LINKS_DIR) -> list[str]:
    """Frameworks, curated results and activity links; returns the lines to print. Flushes, never commits."""
    lines = [outcome.line() for outcome in load_shipped_frameworks()]
    frameworks = {framework.code: domain_framework(framework) for framework in all_frameworks()}  # as stored
    matcher = UnitMatcher.from_db()
    for path in sorted(scores_dir.glob("*.yaml")):
        loaded = load_score_file(path, frameworks)
        if isinstance(loaded, UnitScoreSheet):
            lines += load_unit_sheet(loaded, matcher)
        else:
            lines += load_par_assessment(loaded, matcher)
    for path in sorted(links_dir.glob("*.yaml")):
        lines += indicator_links.load_links_file(path).lines()
    db.session.flush()
    return lines

