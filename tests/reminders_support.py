"""Helpers for the reminder and notification tests: a small world of units, users and dated assignments."""
from datetime import date

from sqlalchemy import select

from models import Assignment, Notification
from tests.factories import make_plan


def make_assignments(db, unit_id: int, dues: list[date], code: str = "KH-NH") -> list[int]:
    """One activity per due date, each assigned (lead) to the unit; returns the assignment ids in order."""
    ids = []
    for index, due in enumerate(dues):
        plan = make_plan(code=f"{code}-{index}", year=due.year, unit_ids=[unit_id], due=due)
        ids.append(db.session.scalar(select(Assignment.id).where(Assignment.plan_id == plan.id)))
    db.session.commit()
    return ids


def digest_of(db, user_id: int, day: date) -> Notification | None:
    """The user's digest for that day, if any."""
    return db.session.scalar(select(Notification).where(Notification.user_id == user_id, Notification.day == day,
                                                        Notification.kind == "digest"))


def section_ids(notification: Notification | None, *keys: str) -> set[int]:
    """Assignment ids listed in the given sections of a digest."""
    if notification is None:
        return set()
    return {item["id"] for s in notification.payload["sections"] if s["key"] in keys for item in s["items"]
            if "id" in item}
