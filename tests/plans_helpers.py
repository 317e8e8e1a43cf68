"""Test helpers for the plans pages (plans themselves come from tests.factories.make_plan)."""
from sqlalchemy import select

from models import Assignment, db

#: unit codes of tracker/data/units/ha-giang.yaml used by the plans tests
STP, SNV, VPUB, SVH = "HG-STP", "HG-SNV", "HG-VPUB", "HG-SVHTTDL"


def assignments_of(plan_id: int, unit_id: int | None = None) -> list[Assignment]:
    """The plan's assignments (of one unit), in id order."""
    query = select(Assignment).where(Assignment.plan_id == plan_id).order_by(Assignment.id)
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    return list(db.session.scalars(query))
