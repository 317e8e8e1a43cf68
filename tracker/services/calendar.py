"""A personal ICS calendar feed of deadlines, reached by a secret token (reset on the account page)."""
import hmac
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import Activity, Assignment, User, db, utcnow
from tracker import messages
from tracker.permissions import unit_scope
from tracker.services.status import OWING_STATES

#: a unit user's feed lists each assignment; larger scopes get one event per due date instead
MAX_EVENTS = 2000


def user_for_token(token: str) -> User | None:
    """The active user owning this feed token, or None."""
    if not token or len(token) < 20:
        return None
    user = db.session.scalar(select(User).where(User.ics_token == token))
    if user is None or not user.active or not hmac.compare_digest(user.ics_token, token):
        return None
    return user


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "")
            .replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    # RFC 5545: lines longer than 75 octets continue on the next line after a space
    raw = line.encode("utf-8")
    out, start = [], 0
    while len(raw) - start > 75:
        cut = start + (75 if start == 0 else 74)
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[start:cut].decode("utf-8"))
        start = cut
    out.append(raw[start:].decode("utf-8"))
    return [out[0]] + [" " + part for part in out[1:]]


def _event(uid: str, day: date, summary: str, description: str, url: str, stamp: str) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
             f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}", f"SUMMARY:{_escape(summary)}",
             f"DESCRIPTION:{_escape(description)}", f"URL:{url}", "TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines


def feed(user, base_url: str) -> str:
    """The ICS text of the user's open deadlines (CRLF lines, folded, UTF-8), in the current locale."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    base_url = base_url.rstrip("/")
    due_expr = Assignment.due_in_force
    name = _("Đôn Đốc – hạn của %(name)s", name=user.full_name or user.username)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Don Doc//Nhac han//VI", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}",
             "X-WR-TIMEZONE:Asia/Ho_Chi_Minh"]
    scope = unit_scope(user)
    owing = Assignment.state.in_(OWING_STATES)
    if scope is not None:
        rows = db.session.scalars(
            select(Assignment).options(joinedload(Assignment.activity).load_only(Activity.number, Activity.content),
                                       joinedload(Assignment.unit))
            .where(owing, Assignment.unit_id.in_(scope)).order_by(due_expr, Assignment.id).limit(MAX_EVENTS)).all()
        for a in rows:
            summary = _("Hạn: %(activity)s", activity=f"{a.activity.number} {a.activity.content[:80]}".strip())
            if a.period_label:
                summary += f" ({a.period_label})"
            responsibility = messages.render(f"responsibility.{a.responsibility}")
            description = f"{a.unit.name} – {responsibility}. {a.activity.content}"
            lines += _event(f"assignment-{a.id}@dondoc", a.due_in_force, summary, description,
                            f"{base_url}/assignments/{a.id}", stamp)
    else:
        for due, count in db.session.execute(select(due_expr, func.count(Assignment.id)).where(owing)
                                             .group_by(due_expr).order_by(due_expr).limit(MAX_EVENTS)):
            lines += _event(f"due-{due:%Y%m%d}@dondoc", due, _("%(count)s việc đến hạn", count=count),
                            _("%(count)s việc của các đơn vị đến hạn ngày %(day)s.", count=count,
                              day=f"{due:%d/%m/%Y}"), f"{base_url}/dashboard", stamp)
    lines.append("END:VCALENDAR")
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
