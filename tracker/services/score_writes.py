"""Writing scores: many rows at once (imports, seed) and a unit's own ratio indicators (b/a).

Every write replaces its period's revision, so the cached results of that period are recomputed.
"""
from __future__ import annotations

import secrets
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from models import Framework, FrameworkNode, Period, Score, Unit, db
from tracker.domain.scoring import ratio_points
from tracker.permissions import can, can_see_unit
from tracker.services import audit
from tracker.services.periods import ScoreError

FOUR_PLACES = Decimal("0.0001")


def quantize(value: Decimal | None) -> Decimal | None:
    """Round to the four places the database keeps."""
    return None if value is None else value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


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


def save_ratio_figures(user, unit: Unit, node: FrameworkNode, period: Period, *, numerator: Decimal,
                       denominator: Decimal, note: str = "") -> Score:
    """A unit reports b and a of a ratio indicator; rate and points follow the framework's formula. Flushes."""
    if not (can(user, "enter_ratio_figures") and can_see_unit(user, unit.id)):
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
