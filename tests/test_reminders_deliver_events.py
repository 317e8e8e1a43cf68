"""The immediate-mail job finds its notifications with one query, however many events one commit produced."""
from datetime import date

from jobs import reminders as reminder_jobs
from models import Notification
from tracker.services import mail

DAY = date(2025, 3, 17)


def _events(db, users, kind: str = "assignment_created") -> list[list[str]]:
    """One pending event notification per user; returns their job keys (strings, as RQ passes them)."""
    keys = []
    for user in users:
        ref = f"plan:{user.id}"
        db.session.add(Notification(user_id=user.id, day=DAY, kind=kind, ref=ref, subject="Được giao việc",
                                    email_state="pending", email_to=user.email))
        keys.append([str(user.id), DAY.isoformat(), kind, ref])
    db.session.commit()
    return keys


def test_deliver_events_query_count_does_not_grow_with_events(db, make_user, count_queries, monkeypatch):
    delivered: list[list[int]] = []

    def fake_deliver_due(commit, ids=None):
        delivered.append(list(ids))
        return mail.DeliverySummary(sent=len(ids))

    monkeypatch.setattr(mail, "deliver_due", fake_deliver_due)
    few_keys = _events(db, [make_user("unit_officer", "HG-STP") for _ in range(2)])
    many_keys = _events(db, [make_user("unit_officer", "HG-SNV") for _ in range(12)])
    with count_queries() as few:
        reminder_jobs.deliver_events(few_keys)
    with count_queries() as many:
        reminder_jobs.deliver_events(many_keys)
    assert many.count == few.count, "\n".join(many.statements)
    ids_by_key = {(n.user_id, n.day.isoformat(), n.kind, n.ref): n.id for n in db.session.query(Notification)}
    assert delivered == [[ids_by_key[tuple([int(k[0])] + k[1:])] for k in keys] for keys in (few_keys, many_keys)]


def test_deliver_events_keeps_only_the_exact_keys_asked_for(db, make_user, monkeypatch):
    delivered: list[list[int]] = []
    monkeypatch.setattr(mail, "deliver_due", lambda commit, ids=None: delivered.append(list(ids)) or
                        mail.DeliverySummary(sent=len(ids)))
    first, second = make_user("unit_officer", "HG-STP"), make_user("unit_officer", "HG-STP")
    first_key, second_key = _events(db, [first, second])
    crossed = [first_key[0], first_key[1], first_key[2], second_key[3]]  # first's user with second's ref
    assert reminder_jobs.deliver_events([crossed]) == "0" and delivered == []
    assert reminder_jobs.deliver_events([]) == "0" and delivered == []
    reminder_jobs.deliver_events([second_key, crossed, first_key])
    ids = {n.user_id: n.id for n in db.session.query(Notification)}
    assert delivered == [[ids[second.id], ids[first.id]]]
