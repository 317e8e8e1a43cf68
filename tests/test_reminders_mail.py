"""Email delivery against a real SMTP server on loopback (aiosmtpd): content, retries, failures, exactly once."""
from datetime import date, timedelta
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from models import DeliveryAttempt, Notification
from tests.factories import login
from tests.live_support import free_port
from tests.reminders_support import make_assignments
from tracker.services import mail, reminders

pytestmark = pytest.mark.smtp
DAY = date(2025, 3, 17)


class Mailbox:
    """aiosmtpd handler keeping every accepted message; can refuse the first few or some recipients."""

    def __init__(self, refuse_first: int = 0, refuse_rcpt: str = ""):
        self.messages: list = []
        self.refuse_first = refuse_first
        self.refuse_rcpt = refuse_rcpt

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse_rcpt:
            return "550 5.1.1 Hộp thư không tồn tại"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_first > 0:
            self.refuse_first -= 1
            return "451 4.3.0 Tạm thời không nhận, thử lại sau"
        self.messages.append((envelope.rcpt_tos[:], message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"


@pytest.fixture()
def smtp_server(app, monkeypatch):
    """Start a loopback SMTP server on demand; MAIL_PORT points at it (or at nothing until started)."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "BASE_URL", "https://dondoc.example.gov.vn")
    controllers = []

    def start(handler: Mailbox) -> Mailbox:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def _world(db, make_user):
    officer = make_user("unit_officer", "HG-STP")
    other = make_user("unit_officer", "HG-SNV")
    head = make_user("unit_head", "HG-STP")
    officer.email, other.email, head.email = "dau.moi@stp.gov.vn", "dau.moi@snv.gov.vn", "giam.doc@stp.gov.vn"
    db.session.commit()
    ids = make_assignments(db, officer.unit_id, [DAY + timedelta(days=3), DAY - timedelta(days=3)])
    make_assignments(db, other.unit_id, [DAY], code="KH-SNV")
    reminders.scan_day(DAY, on_batch=db.session.commit)
    db.session.commit()
    return officer, other, head, ids


def test_digests_arrive_in_vietnamese_with_links(db, make_user, smtp_server):
    officer, other, head, ids = _world(db, make_user)
    box = smtp_server(Mailbox())
    report = mail.deliver_due(db.session.commit)
    assert report.sent == 3 and report.failed == 0
    by_rcpt = {tuple(rcpts): message for rcpts, message in box.messages}
    assert set(by_rcpt) == {(officer.email,), (other.email,), (head.email,)}
    message = by_rcpt[(officer.email,)]
    assert message["Subject"] == "Đôn Đốc 17/03/2025: 1 việc đến hạn trong 7 ngày, 1 việc quá hạn"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Kính gửi" in text and "còn 3 ngày, hạn 20/03/2025" in text and "quá hạn 3 ngày" in text
    assert f"https://dondoc.example.gov.vn/assignments/{ids[0]}" in text
    assert f'href="https://dondoc.example.gov.vn/assignments/{ids[1]}"' in html
    assert message["Message-ID"].startswith("<dondoc-")
    assert mail.deliver_due(db.session.commit).sent == 0  # nothing twice
    assert len(box.messages) == 3
    assert db.session.scalar(select(func.count()).where(Notification.email_state == "sent")) == 3


def test_refused_connection_then_recovery_loses_and_doubles_nothing(db, make_user, smtp_server):
    _world(db, make_user)
    down = mail.deliver_due(db.session.commit)  # nothing listens on the port yet
    assert down.sent == 0 and down.retrying == 1  # one try is spent; the rest keep their turn
    waiting = db.session.scalars(select(Notification).where(Notification.email_attempts == 1)).all()
    assert len(waiting) == 1 and "ConnectionRefusedError" in waiting[0].last_error
    assert waiting[0].next_attempt_at is not None
    box = smtp_server(Mailbox())
    early = mail.deliver_due(db.session.commit)  # the failed one waits for its backoff; the others go
    assert early.sent == 2
    later = mail.deliver_due(db.session.commit, now=reminders.utcnow() + timedelta(minutes=2))
    assert later.sent == 1
    assert sorted(r[0] for r, _m in box.messages) == sorted(
        db.session.scalars(select(Notification.email_to)).all())
    assert db.session.scalar(select(func.count(DeliveryAttempt.id)).where(DeliveryAttempt.ok.is_(False))) == 1


def test_temporary_rejection_is_retried_with_backoff(db, make_user, smtp_server):
    _world(db, make_user)
    box = smtp_server(Mailbox(refuse_first=2))
    first = mail.deliver_due(db.session.commit)
    assert (first.sent, first.retrying) == (1, 2)
    retry_at = first.next_attempt_at.replace(tzinfo=None) if first.next_attempt_at else None
    assert retry_at is not None
    second = mail.deliver_due(db.session.commit, now=reminders.utcnow() + timedelta(minutes=2))
    assert second.sent == 2 and len(box.messages) == 3
    assert len({tuple(r) for r, _m in box.messages}) == 3


def test_permanent_refusal_is_visible_to_the_office_and_can_be_resent(db, make_user, smtp_server, client):
    officer, _other, _head, _ids = _world(db, make_user)
    box = smtp_server(Mailbox(refuse_rcpt=officer.email))
    report = mail.deliver_due(db.session.commit)
    assert report.failed == 1 and report.sent == 2
    failed = db.session.scalar(select(Notification).where(Notification.email_state == "failed"))
    assert failed.email_to == officer.email and "550" in failed.last_error
    office = make_user("office", "HG-VPUB")
    login(client, office)
    page = client.get("/reminders/deliveries").get_data(as_text=True)
    assert officer.email in page and "Gửi lại" in page
    box.refuse_rcpt = ""
    response = client.post(f"/reminders/deliveries/{failed.id}/resend")
    assert response.status_code == 302
    assert mail.deliver_due(db.session.commit).sent == 1
    assert [r for r, _m in box.messages].count([officer.email]) == 1


def test_give_up_after_the_last_retry(db, make_user, smtp_server):
    _world(db, make_user)
    smtp_server(Mailbox(refuse_first=100))
    now = reminders.utcnow()
    for step in range(7):
        mail.deliver_due(db.session.commit, now=now + timedelta(hours=5 * step))
    states = db.session.scalars(select(Notification.email_state)).all()
    assert states == ["failed"] * 3
    assert set(db.session.scalars(select(Notification.email_attempts)).all()) == {6}


def test_each_email_loads_its_recipient_with_the_notification(db, make_user, smtp_server, count_queries):
    """The worker reads a claimed row and its recipient in one query, not one more query per email."""
    _world(db, make_user)
    box = smtp_server(Mailbox())
    with count_queries() as counter:
        report = mail.deliver_due(db.session.commit)
    assert report.sent == 3 and len(box.messages) == 3
    user_loads = [s for s in counter.statements if " FROM user " in f" {' '.join(s.split())} "]
    assert user_loads == [], "\n".join(user_loads)
