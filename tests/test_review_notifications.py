"""The office hears of what awaits its decision: in the app (the bell), by email per its settings, in its digest."""
from dataclasses import asdict
from datetime import timedelta

from sqlalchemy import select, update

from models import Notification, Plan, User
from tests.factories import login
from tests.responses import version_on_page
from tests.test_assignments_pages import (
    OFFICE_UNIT,
    OWN_UNIT,
    PDF,
    TODAY,
    _clean_evidence,  # noqa: F401  (autouse: evidence files removed after each test)
    make_assignment,
    post_progress,
)
from tracker import messages
from tracker.domain.reminders import DigestCounts
from tracker.services import notifications, reminders
from tracker.services.units import DATA_DIR, load_units_file


def _issued_by(db, units, code: str = "HG") -> None:
    db.session.execute(update(Plan).values(issuer_unit_id=units[code].id))
    db.session.commit()


def _notifications(db, user_id: int, kind: str) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                              Notification.kind == kind)))


def test_office_of_the_issuing_province_hears_of_a_completion_report(app, db, units, make_user):
    load_units_file(DATA_DIR / "hau-giang.yaml")
    db.session.commit()
    assignment_id = make_assignment(db, units)
    _issued_by(db, units)
    office_user = make_user("office", OFFICE_UNIT)
    office = login(app.test_client(), office_user)
    immediate = make_user("office", OFFICE_UNIT)
    immediate.digest = False
    no_mail = make_user("office", OFFICE_UNIT)
    no_mail.email_enabled = False
    elsewhere = make_user("office", "HAG-VPUB")  # the office of another province
    db.session.commit()
    assert office.get("/notifications/count").json["unread"] == 0

    officer = make_user("unit_officer", OWN_UNIT)
    unit = login(app.test_client(), officer)
    version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
    response = post_progress(unit, assignment_id, version, submit=True, note="Đã ban hành báo cáo",
                             evidence_number="45/BC-STP", evidence_date=f"{TODAY:%d/%m/%Y}",
                             files=[("bao-cao.pdf", PDF)])
    assert response.status_code == 302

    [notice] = _notifications(db, office_user.id, "completion_submitted")
    assert notice.subject.startswith("Sở Tư pháp báo hoàn thành: 1.1 Rà soát văn bản")
    assert "45/BC-STP" in notice.body and "1 tệp minh chứng" in notice.body and "Đã ban hành báo cáo" in notice.body
    assert notice.link == f"/assignments/{assignment_id}#review"
    assert notice.email_state == "wait"  # bundled into the office user's next digest (its setting)
    assert [n.email_state for n in _notifications(db, immediate.id, "completion_submitted")] == ["pending"]
    assert [n.email_state for n in _notifications(db, no_mail.id, "completion_submitted")] == ["none"]
    assert _notifications(db, elsewhere.id, "completion_submitted") == []
    assert _notifications(db, officer.id, "completion_submitted") == []  # the unit is not told its own report

    assert office.get("/notifications/count").json["unread"] == 1
    listing = office.get("/notifications").get_data(as_text=True)
    assert "Sở Tư pháp báo hoàn thành" in listing


def test_office_hears_of_an_extension_request_and_not_of_a_refused_one(app, db, units, make_user):
    assignment_id = make_assignment(db, units, due=TODAY + timedelta(days=3))
    _issued_by(db, units)
    office_user = make_user("office", OFFICE_UNIT)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    wanted = TODAY + timedelta(days=30)

    bad = unit.post(f"/assignments/{assignment_id}/extension",
                    data={"requested_due": f"{TODAY:%d/%m/%Y}", "reason": "Thiếu nhân lực", "ask": "x"})
    assert bad.status_code == 400
    assert _notifications(db, office_user.id, "extension_requested") == []

    response = unit.post(f"/assignments/{assignment_id}/extension",
                         data={"requested_due": f"{wanted:%d/%m/%Y}", "reason": "Thiếu nhân lực", "ask": "x"})
    assert response.status_code == 302
    [notice] = _notifications(db, office_user.id, "extension_requested")
    assert notice.subject.startswith(f"Sở Tư pháp xin gia hạn đến {wanted:%d/%m/%Y}: 1.1")
    assert "Lý do: Thiếu nhân lực" in notice.body and f"{TODAY + timedelta(days=3):%d/%m/%Y}" in notice.body
    assert notice.link == f"/assignments/{assignment_id}#extensions"


def test_office_digest_lists_what_awaits_its_decision(app, db, units, make_user):
    load_units_file(DATA_DIR / "hau-giang.yaml")
    db.session.commit()
    awaiting = [make_assignment(db, units, number=f"1.{i}") for i in range(23)]
    asking = make_assignment(db, units, number="2.1")
    _issued_by(db, units)
    office_user = make_user("office", OFFICE_UNIT)
    # events mailed at once, so the digest holds only what awaits a decision
    db.session.execute(update(User).where(User.id == office_user.id).values(digest=False))
    elsewhere = make_user("office", "HAG-VPUB")
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    for assignment_id in awaiting:
        version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
        assert post_progress(unit, assignment_id, version, submit=True, evidence_number="1/BC").status_code == 302
    wanted = TODAY + timedelta(days=60)
    assert unit.post(f"/assignments/{asking}/extension", data={
        "requested_due": f"{wanted:%d/%m/%Y}", "reason": "Chờ số liệu", "ask": "x"}).status_code == 302
    reminders.scan_day(TODAY, on_batch=db.session.commit)
    db.session.commit()

    digest = db.session.scalar(select(Notification).where(Notification.user_id == office_user.id,
                                                          Notification.kind == "digest"))
    assert digest is not None
    assert digest.payload["headline"] == "23 báo cáo hoàn thành chờ xác nhận, 1 đề nghị gia hạn chờ duyệt"
    sections = {s["key"]: s for s in digest.payload["sections"]}
    assert len(sections["awaiting"]["items"]) == 20 and sections["awaiting"]["more"] == 3
    first = sections["awaiting"]["items"][0]
    assert first["url"] == f"/assignments/{awaiting[0]}#review"
    assert first["label"].startswith("Sở Tư pháp: 1.0 Rà soát") and f"báo ngày {TODAY:%d/%m/%Y}" in first["label"]
    [extension] = sections["extensions"]["items"]
    assert extension["url"] == f"/assignments/{asking}#extensions"
    assert f"xin đến {wanted:%d/%m/%Y}" in extension["label"]
    assert digest.link == "/assignments/review"
    assert "23 báo cáo hoàn thành chờ xác nhận" in digest.body and "… và 3 việc khác" in digest.body
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == elsewhere.id,
                                                           Notification.kind == "digest")) is None


def test_office_digest_counts_do_not_cost_a_query_per_item(app, db, units, make_user, count_queries):
    def submit(count: int, start: int) -> None:
        for index in range(start, start + count):
            assignment_id = make_assignment(db, units, number=f"1.{index}")
            version = version_on_page(unit.get(f"/assignments/{assignment_id}").get_data(as_text=True))
            assert post_progress(unit, assignment_id, version, submit=True, evidence_number="1/BC").status_code == 302

    make_user("office", OFFICE_UNIT)
    unit = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    submit(2, 1)
    with count_queries() as few:
        reminders.scan_day(TODAY)
    db.session.rollback()
    submit(30, 3)
    with count_queries() as many:
        reminders.scan_day(TODAY)
    db.session.rollback()
    assert many.count == few.count


def test_headline_counts_the_office_decisions(app):
    counts = DigestCounts(awaiting_confirmation=2, pending_extensions=1)
    assert not counts.is_empty()
    payload = {"counts": asdict(counts)}
    with app.test_request_context():
        assert messages.render_in("vi", "digest.subject", {"day": "2025-03-03",
                                                            "headline": messages.digest_headline(payload)}) == (
            "Đôn Đốc 03/03/2025: 2 báo cáo hoàn thành chờ xác nhận, 1 đề nghị gia hạn chờ duyệt")
        with messages.force_locale("en"):
            assert messages.digest_headline(payload) == (
                "2 completion reports awaiting confirmation, 1 extension request awaiting a decision")


def test_demo_history_leaves_no_unread_notices_or_emails(db):
    from tracker.services import seed

    seed.seed_demo(today=TODAY)
    db.session.commit()
    office = db.session.scalar(select(User).where(User.username == "vanphong"))
    waiting = db.session.scalars(select(Notification.kind).where(
        (Notification.read_at.is_(None)) | (Notification.email_state.in_(("wait", "pending"))))).all()
    assert waiting == [] and notifications.unread_count(office) == 0
    # what still awaits the office reaches it through its next digest
    reminders.scan_day(TODAY, on_batch=db.session.commit)
    digest = db.session.scalar(select(Notification).where(Notification.user_id == office.id,
                                                          Notification.kind == "digest"))
    assert "báo cáo hoàn thành chờ xác nhận" in digest.payload["headline"]


def test_notice_texts_read_as_sentences():
    from datetime import date

    from tracker import messages
    from tracker.services.notifications import completion_submitted_args, extension_requested_args

    args = completion_submitted_args("Sở Tư pháp", "1.1 Rà soát", date(2025, 3, 3), date(2025, 3, 1), "12/BC", None,
                                     0, "Đã xong")
    body = messages.render_in("vi", "notify.completion_submitted.body", args)
    assert body.endswith("Ghi chú: Đã xong. Chờ Văn phòng xác nhận hoặc trả lại.")
    assert "Văn bản 12/BC." in body and "ngày 03/03/2025 (hạn 01/03/2025)" in body
    args = extension_requested_args("Sở Tư pháp", "1.1 Rà soát", date(2025, 3, 1), date(2025, 4, 1), "Chờ số liệu!")
    body = messages.render_in("vi", "notify.extension_requested.body", args)
    assert body.endswith("Lý do: Chờ số liệu! Chờ Văn phòng quyết định.")


def test_escalated_items_name_their_unit_once(db, make_user):
    from tests.reminders_support import digest_of, make_assignments

    officer = make_user("unit_officer", OWN_UNIT)
    head = make_user("unit_head", OWN_UNIT)
    office = make_user("office", OFFICE_UNIT)
    make_assignments(db, officer.unit_id, [TODAY - timedelta(days=9)])  # head and office both hear on day 9
    reminders.scan_day(TODAY, on_batch=db.session.commit)
    labels = [item["label"] for user in (head, office) for s in digest_of(db, user.id, TODAY).payload["sections"]
              if s["key"] in ("head", "office") for item in s["items"]]
    assert len(labels) == 2 and all(label.count("Sở Tư pháp:") == 1 for label in labels), labels
