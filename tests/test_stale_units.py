"""One rule for units that have gone quiet: the dashboard, the office's digest and the year report agree."""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from models import Assignment
from tests.reminders_support import make_assignments
from tracker.services import dashboards, reminders, reports

DAY = date(2025, 6, 30)


def _touch(db, assignment_id: int, *, created: datetime, updated: datetime | None = None) -> None:
    db.session.execute(update(Assignment).where(Assignment.id == assignment_id)
                       .values(created_at=created, last_update_at=updated))
    db.session.commit()


def test_dashboard_digest_and_report_name_the_same_stale_units(db, units):
    long_ago = datetime(2025, 3, 1, tzinfo=UTC)
    quiet = make_assignments(db, units["HG-STP"].id, [DAY + timedelta(days=30)], code="KH-Q")[0]
    busy = make_assignments(db, units["HG-SNV"].id, [DAY + timedelta(days=30)], code="KH-B")[0]
    new = make_assignments(db, units["HG-STC"].id, [DAY + timedelta(days=30)], code="KH-N")[0]
    _touch(db, quiet, created=long_ago, updated=datetime(2025, 4, 2, 3, tzinfo=UTC))
    _touch(db, busy, created=long_ago, updated=datetime(2025, 6, 29, 3, tzinfo=UTC))
    _touch(db, new, created=datetime(2025, 6, 28, 3, tzinfo=UTC))  # assigned two days ago, no update yet
    days = reminders.load_policy().stale_after_days

    on_dashboard = {unit.code: (owed, last) for unit, owed, last in dashboards.stale_units(DAY, days)}
    plan_ids = list(db.session.scalars(db.select(Assignment.plan_id)))
    in_report = reports._stale_units(DAY, plan_ids, None, {u.id: u for u in units.values()}, days)
    in_digest = {row["unit_id"] for row in reminders._stale_units(DAY, reminders.load_policy())}

    assert on_dashboard == {"HG-STP": (1, date(2025, 4, 2))}
    assert [(item.name, item.open_count, item.last_update) for item in in_report] == [
        (units["HG-STP"].name, 1, date(2025, 4, 2))]
    assert in_digest == {units["HG-STP"].id}
