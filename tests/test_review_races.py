"""Simultaneous decisions against a live threaded server: one wins, the others get the conflict and change nothing.

Real concurrency: each poster has its own HTTP session (its own login), all wait on a barrier and post at
once to werkzeug's threaded server, so each request runs in its own thread with its own database connection
(SQLite here, PostgreSQL with TEST_DATABASE_URL).
"""
from datetime import timedelta

from sqlalchemy import func, select

from models import Assignment, AuditEntry, ExtensionRequest, Notification, ProgressUpdate
from tests.live_support import http_login, post_at_once
from tests.test_assignments_pages import OFFICE_UNIT, OWN_UNIT, TODAY, make_assignment
from tracker.services import assignments as workflow

DECISION_KINDS = ("extension_approved", "extension_refused")


def _pending_extension(db, units, make_user):
    assignment_id = make_assignment(db, units, due=TODAY + timedelta(days=5))
    officer = make_user("unit_officer", OWN_UNIT)
    make_user("unit_head", OWN_UNIT)
    request = workflow.request_extension(officer, db.session.get(Assignment, assignment_id),
                                         requested_due=TODAY + timedelta(days=40), reason="Chờ số liệu của Bộ")
    db.session.commit()
    return assignment_id, request.id, request.version


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _decision_facts(db, assignment_id: int, extension_id: int) -> dict:
    return {
        "history": _count(db, ProgressUpdate, ProgressUpdate.assignment_id == assignment_id,
                          ProgressUpdate.action.in_(("extension_approved", "extension_refused"))),
        "audit": _count(db, AuditEntry, AuditEntry.action == "extension_decision",
                        AuditEntry.entity_id == extension_id),
        "notified_kinds": set(db.session.scalars(select(Notification.kind).where(
            Notification.ref == f"ext:{extension_id}", Notification.kind.in_(DECISION_KINDS)))),
        "notifications": _count(db, Notification, Notification.ref == f"ext:{extension_id}",
                                Notification.kind.in_(DECISION_KINDS)),
    }


def test_double_click_refusal_records_one_refusal(app, db, units, make_user, live_server):
    assignment_id, extension_id, version = _pending_extension(db, units, make_user)
    office = make_user("office", OFFICE_UNIT)
    session = http_login(live_server, office)
    url = f"{live_server}/assignments/extensions/{extension_id}/decide"
    data = {"note": "Không có căn cứ", "refuse": "x", "version": str(version)}

    responses = post_at_once([(session, url, data), (session, url, data)])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 409], statuses
    loser = next(r for r in responses if r.status_code == 409)
    assert "đã được xử lý" in loser.text and "chưa được lưu" in loser.text
    facts = _decision_facts(db, assignment_id, extension_id)
    assert facts["history"] == 1 and facts["audit"] == 1
    assert facts["notified_kinds"] == {"extension_refused"}
    assert facts["notifications"] == 2  # the unit's officer and head, once each
    assert db.session.get(ExtensionRequest, extension_id).state == "refused"


def test_ten_approvals_and_ten_refusals_at_once_one_decision_wins(app, db, units, make_user, live_server):
    assignment_id, extension_id, version = _pending_extension(db, units, make_user)
    offices = [make_user("office", OFFICE_UNIT) for _ in range(20)]
    sessions = [http_login(live_server, user) for user in offices]
    url = f"{live_server}/assignments/extensions/{extension_id}/decide"
    posts = [(s, url, {"note": "Ý kiến", ("approve" if i % 2 else "refuse"): "x", "version": str(version),
                       "back": "queue"})
             for i, s in enumerate(sessions)]

    responses = post_at_once(posts)

    assert all(r.status_code in (302, 303) for r in responses), [r.status_code for r in responses]
    # what each poster then reads on the queue: the success message, or the conflict
    pages = [s.get(f"{live_server}/assignments/review").text for s in sessions]
    winners = [i for i, page in enumerate(pages) if "Đã duyệt gia hạn." in page or "Đã từ chối gia hạn." in page]
    losers = [i for i, page in enumerate(pages) if "đã được xử lý" in page and "chưa được lưu" in page]
    db.session.expire_all()
    extension = db.session.get(ExtensionRequest, extension_id)
    assert extension.state in ("approved", "refused")
    assert winners == [[o.id for o in offices].index(extension.decided_by_id)]
    assert sorted(winners + losers) == list(range(20))
    facts = _decision_facts(db, assignment_id, extension_id)
    assert facts["history"] == 1 and facts["audit"] == 1
    assert facts["notified_kinds"] == {f"extension_{extension.state}"}
    assert facts["notifications"] == 2
    assignment = db.session.get(Assignment, assignment_id)
    assert (assignment.extended_due is not None) == (extension.state == "approved")


def test_simultaneous_confirm_and_return_one_wins(app, db, units, make_user, live_server):
    assignment_id = make_assignment(db, units)
    officer = make_user("unit_officer", OWN_UNIT)
    assignment = db.session.get(Assignment, assignment_id)
    workflow.update_progress(officer, assignment, percent=100, note="Xong", expected_version=None,
                             evidence_number="12/BC-STP", submit=True)
    db.session.commit()
    version = assignment.version
    offices = [make_user("office", OFFICE_UNIT) for _ in range(10)]
    sessions = [http_login(live_server, user) for user in offices]
    url = f"{live_server}/assignments/{assignment_id}/review"
    posts = [(s, url, {"version": str(version), "reason": "Thiếu phụ lục",
                       ("confirm" if i % 2 else "send_back"): "x"}) for i, s in enumerate(sessions)]

    responses = post_at_once(posts)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [409] * 9, statuses
    reviews = _count(db, ProgressUpdate, ProgressUpdate.assignment_id == assignment_id,
                     ProgressUpdate.action.in_(("confirm", "return")))
    audits = _count(db, AuditEntry, AuditEntry.entity_type == "Assignment", AuditEntry.entity_id == assignment_id,
                    AuditEntry.action.in_(("confirm", "return")))
    notified = set(db.session.scalars(select(Notification.kind).where(
        Notification.kind.in_(("completion_confirmed", "completion_returned")))))
    assert (reviews, audits, len(notified)) == (1, 1, 1)


def test_double_click_extension_request_records_one_request(app, db, units, make_user, live_server):
    assignment_id = make_assignment(db, units, due=TODAY + timedelta(days=5))
    officer = make_user("unit_officer", OWN_UNIT)
    office = make_user("office", OFFICE_UNIT)
    session = http_login(live_server, officer)
    url = f"{live_server}/assignments/{assignment_id}/extension"
    data = {"requested_due": f"{TODAY + timedelta(days=40):%d/%m/%Y}", "reason": "Chờ số liệu", "ask": "x"}

    responses = post_at_once([(session, url, data), (session, url, data)])

    assert sorted(r.status_code for r in responses) == [302, 409], [r.status_code for r in responses]
    assert "Đã có một đề nghị gia hạn đang chờ xử lý" in next(r.text for r in responses if r.status_code == 409)
    assert _count(db, ExtensionRequest, ExtensionRequest.assignment_id == assignment_id) == 1
    assert _count(db, ProgressUpdate, ProgressUpdate.action == "extension_request") == 1
    assert _count(db, Notification, Notification.user_id == office.id, Notification.kind == "extension_requested") == 1


def test_second_extension_request_after_the_first_gets_the_same_conflict(app, db, units, make_user, live_server):
    # a double-click whose second post arrives after the first finished (what a loaded server does) is the
    # same conflict as two that race: it failed with a 400 before, and the race test above flickered
    assignment_id = make_assignment(db, units, due=TODAY + timedelta(days=5))
    session = http_login(live_server, make_user("unit_officer", OWN_UNIT))
    url = f"{live_server}/assignments/{assignment_id}/extension"
    data = {"requested_due": f"{TODAY + timedelta(days=40):%d/%m/%Y}", "reason": "Chờ số liệu", "ask": "x"}
    first = session.post(url, data=data, allow_redirects=False)
    second = session.post(url, data=data, allow_redirects=False)
    assert (first.status_code, second.status_code) == (302, 409)
    assert "Đã có một đề nghị gia hạn đang chờ xử lý" in second.text
    assert _count(db, ExtensionRequest, ExtensionRequest.assignment_id == assignment_id) == 1
