"""Periods of scores ("2024", "Q2/2024", "Tháng 10/2025", "Tuần 27/2024"; see tracker.domain.periods), the
frameworks and periods that have scores, and the framework-and-period a results page or report is about.
"""
from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import func, select

from models import Framework, Period, Score, db
from tracker.domain import periods as period_rules

#: entries kept by the per-process cache of which periods have scores
_CACHE_SIZE = 64


class ScoreError(ValueError):
    """A score cannot be read or saved; the message is Vietnamese and names the field."""


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
        while len(_SCORED_PERIODS) > _CACHE_SIZE:
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
