"""Notifications pages: permissions for every role, the bell, mark read, preferences, ICS feed, office settings."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import DayOverride, Notification, ReminderPolicy, User
from tests.factories import login
from tests.reminders_support import make_assignments
from tracker.services import calendar, notifications, reminders

OK, FORBIDDEN, LOGIN, REDIRECT, NOT_FOUND = "ok", "403", "login", "redirect", "404"
ROLES = ("admin", "office", "leader", "unit_officer", "unit_head")
ANY_USER = dict.fromkeys(ROLES, OK) | {"anon": LOGIN}
ANY_USER_POST = dict.fromkeys(ROLES, REDIRECT) | {"anon": LOGIN}
OFFICE = {"anon": LOGIN, "admin": OK, "office": OK, "leader": FORBIDDEN, "unit_officer": FORBIDDEN,
          "unit_head": FORBIDDEN}
OFFICE_POST = OFFICE | {"admin": REDIRECT, "office": REDIRECT}

#: (method, url template, {visitor: expected}); {notification} is another user's notification,
#: {override} a day override, {failed} a failed email, {token} the feed token of nobody
ROUTE_PERMISSIONS = [
    ("GET", "/notifications", ANY_USER),
    ("GET", "/notifications/count", ANY_USER),
    ("POST", "/notifications/{notification}/open", dict.fromkeys(ROLES, NOT_FOUND) | {"anon": LOGIN}),
    ("POST", "/notifications/{notification}/read", dict.fromkeys(ROLES, NOT_FOUND) | {"anon": LOGIN}),
    ("POST", "/notifications/read-all", ANY_USER_POST),
    ("GET", "/calendar/{token}.ics", dict.fromkeys((*ROLES, "anon"), NOT_FOUND)),
    ("GET", "/reminders/policy", OFFICE),
    ("POST", "/reminders/policy", OFFICE),  # no data: the form is shown again with its errors
    ("POST", "/reminders/days", OFFICE),
    ("POST", "/reminders/days/{override}/delete", OFFICE_POST),
    ("GET", "/reminders/deliveries", OFFICE),
    ("POST", "/reminders/deliveries/{failed}/resend", OFFICE_POST),
    ("POST", "/reminders/run", OFFICE_POST),
]


def _classify(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303):
        return LOGIN if "/login" in location and "next=" in location else REDIRECT
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(response.status_code, OK if response.status_code < 400 else
                                                str(response.status_code))


@pytest.fixture()
def no_queue(app, monkeypatch):
    """Point the app at a Redis that is not there, so POSTs that enqueue touch no shared queue."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    app.extensions.pop("dondoc_redis", None)
    yield
    app.extensions.pop("dondoc_redis", None)


@pytest.mark.parametrize("method,url,expected", ROUTE_PERMISSIONS, ids=[f"{m} {u}" for m, u, _e in ROUTE_PERMISSIONS])
def test_route_permissions(app, db, make_user, no_queue, method, url, expected):
    users = {role: make_user(role, "HG-STP" if role.startswith("unit") else "HG-VPUB") for role in ROLES}
    stranger = make_user("unit_officer", "HG-SNV")
    for index, visitor in enumerate(("anon", *ROLES)):
        # fresh rows per visitor: a POST by one visitor must not change what the next one meets
        db.session.add(Notification(user_id=stranger.id, day=date(2025, 3, 17), kind="digest",
                                    ref=visitor, subject="x", email_state="failed", email_to="x@example.gov.vn"))
        db.session.add(DayOverride(day=date(2030, 1, 1) + timedelta(days=index), kind="off"))
        db.session.flush()
        ids = {"notification": db.session.scalar(select(func.max(Notification.id))),
               "failed": db.session.scalar(select(func.max(Notification.id))),
               "override": db.session.scalar(select(func.max(DayOverride.id))), "token": "khong-ai-co-ma-nay-" * 2}
        db.session.commit()
        client = app.test_client()
        if visitor != "anon":
            login(client, users[visitor])
        response = client.open(url.format(**ids), method=method)
        assert _classify(response) == expected[visitor], f"{method} {url} as {visitor}: {response.status_code}"


def _digests(db, user, count: int) -> None:
    for index in range(count):
        db.session.add(Notification(user_id=user.id, day=date(2025, 1, 1) + timedelta(days=index), kind="digest",
                                    subject=f"Bản tin {index}", body="1 việc quá hạn", link="/my",
                                    payload={"headline": "1 việc quá hạn", "sections": [
                                        {"key": "overdue", "title": "Quá hạn", "more": 2, "items": [
                                            {"id": 1, "label": "1.1 Rà soát", "url": "/assignments/1",
                                             "due": "2025-01-01", "timing": "quá hạn 3 ngày"}]}]}))
    db.session.commit()


def test_bell_count_list_and_mark_read(client, db, login_as):
    user = login_as("unit_officer", "HG-STP")
    _digests(db, user, 3)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'class="badge bell-count">3<' in page
    assert "1.1 Rà soát" in page and "quá hạn 3 ngày, hạn 01/01/2025" in page and "… và 2 việc khác" in page
    assert client.get("/notifications/count").get_json() == {"unread": 3}
    first = db.session.scalar(select(Notification.id).order_by(Notification.id))
    response = client.post(f"/notifications/{first}/open")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my")
    assert client.get("/notifications/count").get_json() == {"unread": 2}
    client.post("/notifications/read-all")
    assert client.get("/notifications/count").get_json() == {"unread": 0}
    assert "bell-count" not in client.get("/notifications").get_data(as_text=True)


def test_list_query_count_does_not_grow(client, db, login_as, count_queries):
    user = login_as("unit_head", "HG-STP")
    _digests(db, user, 2)
    with count_queries() as few:
        assert client.get("/notifications").status_code == 200
    more = [Notification(user_id=user.id, day=date(2026, 1, 1) + timedelta(days=i), kind="digest",
                                  subject="x", payload={"sections": []}) for i in range(20)]
    db.session.add_all(more)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/notifications").status_code == 200
    assert many.count == few.count


def test_event_notifications_reach_the_unit(db, make_user):
    officer = make_user("unit_officer", "HG-STP")
    head = make_user("unit_head", "HG-STP")
    outsider = make_user("unit_officer", "HG-SNV")
    officer.digest = False  # wants immediate email
    db.session.commit()
    ids = make_assignments(db, officer.unit_id, [date(2025, 6, 30)])
    from models import Assignment, ExtensionRequest, ProgressUpdate

    assignment = db.session.get(Assignment, ids[0])
    assert notifications.notify_assignments_created(assignment.plan_id) == 2
    update = ProgressUpdate(assignment_id=assignment.id, action="return", state_before="submitted",
                            state_after="returned", note="Thiếu minh chứng")
    db.session.add(update)
    db.session.flush()
    notifications.notify_review(update)
    extension = ExtensionRequest(assignment_id=assignment.id, requested_by_id=officer.id, current_due=date(2025, 6, 30),
                                 requested_due=date(2025, 7, 31), reason="Chờ số liệu", state="approved")
    db.session.add(extension)
    db.session.flush()
    notifications.notify_extension_decided(extension)
    db.session.info.pop("dondoc_immediate_mail", None)  # no queue in this test
    db.session.commit()
    rows = db.session.execute(select(Notification.user_id, Notification.kind, Notification.email_state,
                                     Notification.subject)).all()
    assert {(u, k) for u, k, _s, _t in rows} == {(officer.id, "assignment_created"), (head.id, "assignment_created"),
                                                 (officer.id, "completion_returned"), (head.id, "completion_returned"),
                                                 (officer.id, "extension_approved"), (head.id, "extension_approved")}
    assert all(u != outsider.id for u, *_ in rows)
    states = {(u, k): s for u, k, s, _t in rows}
    assert states[(officer.id, "completion_returned")] == "pending"  # immediate
    assert states[(head.id, "completion_returned")] == "wait"  # into the next digest
    subjects = {k: t for _u, k, _s, t in rows}
    assert subjects["extension_approved"].startswith("Đồng ý gia hạn đến 31/07/2025")
    assert subjects["completion_returned"].startswith("Trả lại kết quả: 1.1")
    # the same event recorded twice (a retried request) is still one notification per person
    notifications.notify_review(update)
    db.session.info.pop("dondoc_immediate_mail", None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(Notification.kind == "completion_returned")) == 2


def test_ics_feed_and_token_reset(client, db, login_as):
    user = login_as("unit_officer", "HG-STP")
    ids = make_assignments(db, user.unit_id, [date(2025, 6, 30), date(2025, 9, 30)])
    token = user.ics_token
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20250630" in body and f"UID:assignment-{ids[1]}@dondoc" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    client.post("/account/calendar-token")  # the account page resets it
    db.session.refresh(user)
    assert user.ics_token != token
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get(f"/calendar/{user.ics_token}.ics").status_code == 200


def test_office_feed_groups_by_due_date(db, make_user):
    office = make_user("office", "HG-VPUB")
    officer = make_user("unit_officer", "HG-STP")
    make_assignments(db, officer.unit_id, [date(2025, 6, 30), date(2025, 6, 30)])
    body = calendar.feed(office, "https://x")
    assert body.count("BEGIN:VEVENT") == 1 and "SUMMARY:2 việc đến hạn" in body


def test_showing_the_policy_page_writes_nothing(client, db, login_as):
    # the GET created and committed the defaults row
    login_as("office", "HG-VPUB")
    assert 'value="7, 3, 1"' in client.get("/reminders/policy").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ReminderPolicy, 1) is None


def test_office_edits_the_policy_and_days_off(client, db, login_as):
    login_as("office", "HG-VPUB")
    page = client.get("/reminders/policy").get_data(as_text=True)
    assert 'value="7, 3, 1"' in page
    response = client.post("/reminders/policy", data={
        "days_before": "10, 5, x", "on_due_day": "y", "overdue_every": "2", "escalate_head_after": "4",
        "escalate_office_after": "8", "working_days": "working", "stale_after_days": "30", "version": "1"})
    assert response.status_code == 200 and "Nhắc trước hạn: mỗi số ngày phải là số nguyên" in response.get_data(
        as_text=True)
    assert reminders.load_policy().days_before == (7, 3, 1)  # the refused form changed nothing
    response = client.post("/reminders/policy", data={
        "days_before": "10; 5", "on_due_day": "y", "overdue_every": "2", "escalate_head_after": "4",
        "escalate_office_after": "8", "working_days": "working", "stale_after_days": "30", "version": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    policy = reminders.load_policy()
    assert policy.days_before == (10, 5) and policy.working_days and policy.overdue_every == 2
    stale = client.post("/reminders/policy", data={
        "days_before": "1", "overdue_every": "2", "escalate_head_after": "4", "escalate_office_after": "8",
        "working_days": "calendar", "stale_after_days": "30", "version": "1"})
    assert stale.status_code == 409
    bad_day = client.post("/reminders/days", data={"day": "31/02/2025", "kind": "off"})
    assert bad_day.status_code == 200 and db.session.scalar(select(func.count(DayOverride.id))) == 0
    client.post("/reminders/days", data={"day": "02/05/2025", "kind": "off", "name": "Nghỉ bù"})
    duplicate = client.post("/reminders/days", data={"day": "02/05/2025", "kind": "work"})
    assert "02/05/2025 đã có" in duplicate.get_data(as_text=True)
    assert reminders.load_calendar().is_working(date(2025, 5, 2)) is False


def test_nav_shows_the_bell_to_every_role(client, db, login_as):
    login_as("leader", "HG")
    page = client.get("/notifications").get_data(as_text=True)
    assert 'class="bell"' in page
    assert db.session.scalar(select(func.count(User.id))) == 1
