"""The daily reminder scan: what each unit owes today, written to the outbox as one digest per recipient.

Exactly once: every digest row is keyed (recipient, day, kind) and inserted with ON CONFLICT DO NOTHING in
batches the caller commits, so scanning a day twice, two scans racing, or a scan killed half-way and run again
never writes a digest twice and never leaves one out. The work is bulk: one query for the distinct due dates,
one streamed query for the assignments a reminder falls on, one grouped query for stale units.
"""
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from models import (
    Activity,
    Assignment,
    DayOverride,
    ExtensionRequest,
    Notification,
    Plan,
    ReminderPolicy,
    ReminderScan,
    Unit,
    UnitFlag,
    User,
    db,
    utcnow,
)
from tracker import clock, messages
from tracker.domain import reminders as rules
from tracker.permissions import can, descendant_ids
from tracker.services import audit
from tracker.services.errors import PermissionDenied
from tracker.services.status import OWING_STATES, stale_units_query
from tracker.services.unit_of_work import check_version

#: items listed per section of a digest; the counts always cover everything
ITEMS_PER_SECTION = 20
DIGEST = "digest"





# --- policy and calendar -------------------------------------------------------------------------------------

def policy_row() -> ReminderPolicy:
    """The policy row, created with the defaults the first time it is changed."""
    row = db.session.get(ReminderPolicy, 1)
    if row is None:
        row = ReminderPolicy(id=1)
        db.session.add(row)
        db.session.flush()
    return row


def policy_to_show() -> ReminderPolicy:
    """The policy row, or its defaults as an unsaved row: showing the policy page writes nothing."""
    row = db.session.get(ReminderPolicy, 1)
    if row is not None:
        return row
    defaults = ReminderPolicy(id=1, version=1)  # what the first save will insert
    for column in ReminderPolicy.__table__.columns:
        if getattr(defaults, column.key) is None and column.default is not None:
            value = column.default.arg
            setattr(defaults, column.key, value(None) if callable(value) else value)
    return defaults


def load_policy() -> rules.Policy:
    """The office's policy as the pure rules take it (defaults when never edited)."""
    row = db.session.get(ReminderPolicy, 1)
    if row is None:
        return rules.Policy()
    return rules.Policy(
        days_before=tuple(sorted({int(n) for n in row.days_before or ()}, reverse=True)),
        on_due_day=row.on_due_day, overdue_every=row.overdue_every, escalate_head_after=row.escalate_head_after,
        escalate_office_after=row.escalate_office_after, working_days=row.working_days,
        stale_after_days=row.stale_after_days)


class PolicyError(ValueError):
    """Bad policy input; the message names the field and is for the user."""


def require_reminder_manager(user) -> None:
    """The rule of the reminder settings pages (`manage_reminders`: the office, admins). None is the system."""
    if user is not None and not can(user, "manage_reminders"):
        raise PermissionDenied(_l("Bạn không có quyền sửa cài đặt nhắc hạn"))


def update_policy(user, values: dict, expected_version: int | None = None) -> ReminderPolicy:
    """Change the policy (office), audited; stale forms raise ConflictError."""
    require_reminder_manager(user)
    row = policy_row()
    check_version(row, expected_version)
    days = sorted({int(n) for n in values.get("days_before", row.days_before)}, reverse=True)
    if any(n < 1 or n > 90 for n in days):
        raise PolicyError(_l("Nhắc trước hạn: mỗi số ngày phải từ 1 đến 90"))
    values = dict(values, days_before=days)
    for name in ("overdue_every", "escalate_head_after", "escalate_office_after"):
        if name in values and not 0 <= int(values[name]) <= 365:
            raise PolicyError(_l("Trường «%(name)s»: phải từ 0 đến 365", name=name))
    if "stale_after_days" in values and not 1 <= int(values["stale_after_days"]) <= 365:
        raise PolicyError(_l("Số ngày không cập nhật: phải từ 1 đến 365"))
    values["updated_by_id"] = getattr(user, "id", None)
    audit.apply(user, row, values, "audit.reminder_policy.update")
    db.session.flush()
    return row


def load_calendar() -> rules.WorkCalendar:
    """Working-day calendar with the office's announced days off and make-up working days."""
    rows = db.session.execute(select(DayOverride.day, DayOverride.kind)).all()
    return rules.WorkCalendar(days_off=frozenset(d for d, k in rows if k == "off"),
                              make_up_days=frozenset(d for d, k in rows if k == "work"))


def add_day_override(user, day: date, kind: str, name: str) -> DayOverride:
    """Record a day off or a make-up working day (office)."""
    require_reminder_manager(user)
    if kind not in ("off", "work"):
        raise PolicyError(_l("Loại ngày: chọn «Ngày nghỉ» hoặc «Ngày làm bù»"))
    if db.session.scalar(select(DayOverride.id).where(DayOverride.day == day)):
        raise PolicyError(_l("Ngày %(day)s đã có trong danh sách", day=format(day, "%d/%m/%Y")))
    row = DayOverride(day=day, kind=kind, name=name.strip()[:200], created_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record(user, "create", row, "audit.day.create", {"kind": messages.ref(f"day.{kind}"), "day": day})
    return row


def remove_day_override(user, row: DayOverride) -> None:
    """Delete a day override (office), audited."""
    require_reminder_manager(user)
    audit.record(user, "delete", row, "audit.day.delete", {"kind": messages.ref(f"day.{row.kind}"), "day": row.day})
    db.session.delete(row)
    db.session.flush()


# --- the scan ------------------------------------------------------------------------------------------------

def insert_ignore(model, rows: list[dict], conflict_columns: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite (rows that already exist are left alone)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(model).on_conflict_do_nothing(index_elements=conflict_columns)
    db.session.execute(statement, rows)


@dataclass
class ScanResult:
    day: date
    digests_written: int = 0
    digests_total: int = 0
    assignments_seen: int = 0
    stale_units: int = 0
    skipped: str = ""
    seconds: float = 0.0

    def line(self) -> str:
        """One Vietnamese line for the CLI and the logs."""
        if self.skipped:
            return f"{self.day:%d/%m/%Y}: {self.skipped}"
        return (f"{self.day:%d/%m/%Y}: {self.assignments_seen} việc được nhắc, "
                f"{self.stale_units} đơn vị chậm cập nhật, {self.digests_written} bản tin mới "
                f"(tổng {self.digests_total}), {self.seconds:.2f} giây")


@dataclass
class _Digest:
    """What one recipient gets today, built up while streaming."""

    sections: dict[str, dict] = field(default_factory=dict)
    counts: rules.DigestCounts = field(default_factory=rules.DigestCounts)
    event_ids: list[int] = field(default_factory=list)

    def add(self, key: str, item: dict | None, count: int = 1) -> None:
        section = self.sections.setdefault(key, _section(key))
        if item is not None and len(section["items"]) < ITEMS_PER_SECTION:
            section["items"].append(item)
        else:
            section["more"] += count


@dataclass
class _UnitOwes:
    due_soon: list = field(default_factory=list)
    due_soon_count: int = 0
    overdue: list = field(default_factory=list)
    overdue_count: int = 0
    head: list = field(default_factory=list)
    head_count: int = 0


def _keep(bucket: list, item: dict) -> None:
    if len(bucket) < ITEMS_PER_SECTION:
        bucket.append(item)


def _item_text(number: str, content: str, period: str) -> str:
    text = f"{number} {content}".strip()
    if len(text) > 140:
        text = text[:139].rstrip() + "…"
    if period:
        text += f" — {period}"
    return text


def _section(key: str, **args) -> dict:
    """A digest section; its title is the message `digest.section.<key>`, rendered for each reader."""
    return {"key": key, "msg": f"digest.section.{key}", "args": args, "items": [], "more": 0}


def _pause_between_batches() -> None:
    # Test hook: the worker-kill test makes the scan slow enough to be killed half-way.
    pause = os.environ.get("DONDOC_SCAN_PAUSE")
    if pause:
        time.sleep(float(pause))


def last_finished_scan() -> date | None:
    """The latest day whose scan finished."""
    return db.session.scalar(select(func.max(ReminderScan.day)).where(ReminderScan.status == "done"))


def scan_done(day: date) -> bool:
    """Whether the day's scan already finished."""
    return bool(db.session.scalar(select(ReminderScan.id).where(ReminderScan.day == day,
                                                                ReminderScan.status == "done")))


def scan_day(day: date, on_batch: Callable[[], None] = lambda: None, batch_size: int = 500) -> ScanResult:
    """Scan one day: write that day's digests to the outbox (idempotent); `on_batch` commits between batches."""
    started = time.perf_counter()
    result = ScanResult(day=day)
    insert_ignore(ReminderScan, [{"day": day, "status": "running", "started_at": utcnow(), "runs": 0}], ["day"])
    db.session.execute(update(ReminderScan).where(ReminderScan.day == day).values(runs=ReminderScan.runs + 1))
    before = _digest_count(day)
    on_batch()

    policy, calendar = load_policy(), load_calendar()
    if not rules.sends_on(day, policy, calendar):
        result.skipped = "ngày nghỉ, không gửi nhắc hạn"
    else:
        digests = _build_digests(day, policy, calendar, result)
        users = sorted(digests)
        for start in range(0, len(users), batch_size):
            _write_batch(day, {u: digests[u] for u in users[start:start + batch_size]})
            on_batch()
            _pause_between_batches()
    result.digests_total = _digest_count(day)
    result.digests_written = result.digests_total - before
    result.seconds = time.perf_counter() - started
    db.session.execute(update(ReminderScan).where(ReminderScan.day == day).values(
        status="done", finished_at=utcnow(), digests=result.digests_total,
        assignments_seen=result.assignments_seen, seconds=round(result.seconds, 3)))
    on_batch()
    return result


def _digest_count(day: date) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.day == day,
                                                                       Notification.kind == DIGEST)) or 0


def _build_digests(day: date, policy: rules.Policy, calendar: rules.WorkCalendar,
                   result: ScanResult) -> dict[int, _Digest]:
    due_expr = Assignment.due_in_force
    owing = Assignment.state.in_(OWING_STATES)
    due_dates = db.session.scalars(select(due_expr).where(owing).distinct()).all()
    hits = rules.reminders_by_due_date(due_dates, day, policy, calendar)

    per_unit: dict[int, _UnitOwes] = {}
    office_items: list[dict] = []
    office_count = 0
    if hits:
        query = (select(Assignment.id, Assignment.unit_id, Assignment.responsibility, Assignment.period_label, due_expr,
                        Activity.number, func.substr(Activity.content, 1, 150))
                 .join(Activity, Activity.id == Assignment.activity_id)
                 .where(owing, due_expr.in_(list(hits)))
                 .order_by(due_expr, Assignment.id)
                 .execution_options(yield_per=5000))
        for a_id, unit_id, responsibility, period, due, number, content in db.session.execute(query):
            reminder = hits[due]
            result.assignments_seen += 1
            item = {"id": a_id, "text": _item_text(number or "", content or "", period or ""),
                    "coordinating": responsibility == "coordinating", "due": due.isoformat(),
                    "reminder": {"kind": reminder.kind, "days": reminder.days, "working": policy.working_days},
                    "url": f"/assignments/{a_id}", "unit_id": unit_id}
            owes = per_unit.get(unit_id)
            if owes is None:
                owes = per_unit[unit_id] = _UnitOwes()
            if rules.UNIT in reminder.audiences:
                if reminder.kind == rules.OVERDUE:
                    owes.overdue_count += 1
                    _keep(owes.overdue, item)
                else:
                    owes.due_soon_count += 1
                    _keep(owes.due_soon, item)
            if rules.HEAD in reminder.audiences:
                owes.head_count += 1
                _keep(owes.head, item)
            if rules.OFFICE in reminder.audiences:
                office_count += 1
                _keep(office_items, item)

    stale = _stale_units(day, policy)
    result.stale_units = len(stale)
    unit_names = dict(db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(set(per_unit) | {s["unit_id"] for s in stale}
                                                     | {i["unit_id"] for i in office_items}))).all())
    # the office and heads see whose work it is (a copy: the unit's own officers see the item without it)
    office_items[:] = [{**item, "unit": unit_names.get(item["unit_id"], "")} for item in office_items]
    for owes in per_unit.values():
        owes.head[:] = [{**item, "unit": unit_names.get(item["unit_id"], "")} for item in owes.head]

    return _assign_recipients(per_unit, office_items, office_count, stale, unit_names, policy)


def _assign_recipients(per_unit: dict[int, _UnitOwes], office_items: list[dict], office_count: int,
                       stale: list[dict], unit_names: dict[int, str], policy: rules.Policy) -> dict[int, _Digest]:
    officers: dict[int, list[int]] = {}
    heads: dict[int, list[int]] = {}
    office_users: list[int] = []
    office_units: dict[int, int] = {}
    for user_id, role, unit_id in db.session.execute(
            select(User.id, User.role, User.unit_id).where(User.active.is_(True),
                                                           User.role.in_(("unit_officer", "unit_head", "office")))):
        if role == "office":
            office_users.append(user_id)
            office_units[user_id] = unit_id
        else:
            (officers if role == "unit_officer" else heads).setdefault(unit_id, []).append(user_id)

    digests: dict[int, _Digest] = {}

    def digest_of(user_id: int) -> _Digest:
        found = digests.get(user_id)
        if found is None:
            found = digests[user_id] = _Digest(counts=rules.DigestCounts(horizon=policy.horizon))
        return found

    for unit_id, owes in per_unit.items():
        # the focal officers chase the work; a unit without one is chased through its head
        chasers = officers.get(unit_id) or heads.get(unit_id, [])
        for user_id in chasers:
            digest = digest_of(user_id)
            for key, items, count in (("due_soon", owes.due_soon, owes.due_soon_count),
                                      ("overdue", owes.overdue, owes.overdue_count)):
                if count:
                    _add_section(digest, _section(key), items, count)
            digest.counts.due_soon += owes.due_soon_count
            digest.counts.overdue += owes.overdue_count
        if owes.head_count:
            for user_id in heads.get(unit_id, []):
                digest = digest_of(user_id)
                _add_section(digest, _section("head", days=policy.escalate_head_after), owes.head, owes.head_count)
                digest.counts.escalated += owes.head_count
                digest.counts.escalated_after = policy.escalate_head_after
    for user_id in office_users:
        digest = digest_of(user_id)
        if office_count:
            _add_section(digest, _section("office", days=policy.escalate_office_after), office_items,
                         office_count)
            digest.counts.escalated += office_count
            digest.counts.escalated_after = policy.escalate_office_after
        if stale:
            items = [{"msg": "digest.item.stale", "args": {"unit": unit_names.get(s["unit_id"], ""),
                                                            "count": s["count"], "day": s["since"].isoformat()},
                      "url": "/dashboard", "unit_id": s["unit_id"]} for s in stale[:ITEMS_PER_SECTION]]
            _add_section(digest, _section("stale", days=policy.stale_after_days), items, len(stale))
            digest.counts.stale_units += len(stale)
    _add_office_decisions(office_units, digest_of)

    _attach_waiting_events(digests)
    return {user_id: d for user_id, d in digests.items() if not d.counts.is_empty()}


def _waiting_by_issuer(query, order_by) -> tuple[dict, dict]:
    """Counts and the first ITEMS_PER_SECTION rows per issuing province of a query over waiting assignments.

    Two queries whatever the number of rows: a grouped count and a windowed list.
    """
    ranked = query.add_columns(func.row_number().over(partition_by=Plan.issuer_unit_id, order_by=order_by)
                               .label("rank")).subquery()
    counts = dict(db.session.execute(select(ranked.c.issuer, func.count()).group_by(ranked.c.issuer)).all())
    items: dict[int | None, list] = {}
    for row in db.session.execute(select(ranked).where(ranked.c.rank <= ITEMS_PER_SECTION)
                                  .order_by(ranked.c.issuer, ranked.c.rank)):
        items.setdefault(row.issuer, []).append(row)
    return counts, items


#: the office's decisions listed in its digest: section key (title `digest.section.<key>`), link, item message
#: (which says what the item's date means)
OFFICE_DECISIONS = (
    ("awaiting", "/assignments/{id}#review", "digest.item.awaiting"),
    ("extensions", "/assignments/{id}#extensions", "digest.item.extension"),
)


def _decision_item(row, url: str, message: str) -> dict:
    args = {"unit": row.unit, "label": _item_text(row.number or "", row.content or "", row.period or "")}
    if row.detail_date is None:
        message = "digest.item.unit"
    else:
        args["day"] = row.detail_date.isoformat()
    return {"id": row.assignment_id, "msg": message, "args": args, "url": url.format(id=row.assignment_id)}


def _add_office_decisions(office_units: dict[int, int], digest_of: Callable[[int], _Digest]) -> None:
    """List for each office user what awaits its decision in its province: completions and extension requests."""
    if not office_units:
        return
    base = (select(Plan.issuer_unit_id.label("issuer"), Assignment.id.label("assignment_id"),
                   Unit.name.label("unit"), Activity.number.label("number"),
                   func.substr(Activity.content, 1, 150).label("content"), Assignment.period_label.label("period"))
            .join(Activity, Activity.id == Assignment.activity_id).join(Plan, Plan.id == Assignment.plan_id)
            .join(Unit, Unit.id == Assignment.unit_id))
    waiting = {
        "awaiting": _waiting_by_issuer(
            base.add_columns(Assignment.completed_on.label("detail_date")).where(Assignment.state == "submitted"),
            (Assignment.last_update_at, Assignment.id)),
        "extensions": _waiting_by_issuer(
            base.join(ExtensionRequest, ExtensionRequest.assignment_id == Assignment.id)
            .add_columns(ExtensionRequest.requested_due.label("detail_date"))
            .where(ExtensionRequest.state == "pending"),
            (ExtensionRequest.at, ExtensionRequest.id)),
    }
    issuers = {issuer for counts, _items in waiting.values() for issuer in counts}
    if not issuers:
        return
    # an office user decides for the provinces above its unit; plans naming no issuer go to every office user
    pairs = db.session.execute(select(Unit.id, Unit.parent_id)).all()
    reach = {issuer: descendant_ids(issuer, pairs) for issuer in issuers if issuer is not None}
    for user_id, unit_id in office_units.items():
        mine = [issuer for issuer in issuers if issuer is None or unit_id in reach[issuer]]
        for key, url, message in OFFICE_DECISIONS:
            counts, rows = waiting[key]
            count = sum(counts.get(issuer, 0) for issuer in mine)
            if not count:
                continue
            items = [_decision_item(row, url, message) for issuer in mine for row in rows.get(issuer, [])]
            digest = digest_of(user_id)
            _add_section(digest, _section(key), items, count)
            if key == "awaiting":
                digest.counts.awaiting_confirmation += count
            else:
                digest.counts.pending_extensions += count


def _add_section(digest: _Digest, new: dict, items: list[dict], count: int) -> None:
    section = digest.sections.setdefault(new["key"], new)
    room = ITEMS_PER_SECTION - len(section["items"])
    section["items"].extend(items[:room])
    section["more"] += count - min(len(items), room)


def _attach_waiting_events(digests: dict[int, _Digest]) -> None:
    # Users who chose digests get their event emails inside the next daily digest.
    rows = db.session.execute(
        select(Notification.id, Notification.user_id, Notification.subject, Notification.message, Notification.args,
               Notification.link)
        .where(Notification.email_state == "wait").order_by(Notification.id)).all()
    for n_id, user_id, subject, message, args, link in rows:
        digest = digests.get(user_id)
        if digest is None:
            digest = digests[user_id] = _Digest()
        item = {"label": subject, "url": link}
        if message:  # the event's own subject, in the reader's language
            item.update(msg=f"{message}.subject", args=args or {})
        digest.add("events", item)
        digest.counts.events += 1
        digest.event_ids.append(n_id)


def _stale_units(day: date, policy: rules.Policy) -> list[dict]:
    """Units with an open assignment untouched for the policy's days, flagged at most weekly (idempotent)."""
    candidates = [(row.unit_id, row.owed, row.since)
                  for row in db.session.execute(stale_units_query(day, policy.stale_after_days))]
    recent = set(db.session.scalars(select(UnitFlag.unit_id).where(
        UnitFlag.day > day - timedelta(days=7), UnitFlag.day < day)))
    insert_ignore(UnitFlag, [{"unit_id": unit_id, "day": day, "stale_count": count, "oldest_touch": oldest}
                             for unit_id, count, oldest in candidates if unit_id not in recent], ["unit_id", "day"])
    flagged = db.session.execute(select(UnitFlag.unit_id, UnitFlag.stale_count, UnitFlag.oldest_touch)
                                 .where(UnitFlag.day == day).order_by(UnitFlag.stale_count.desc(),
                                                                      UnitFlag.unit_id)).all()
    return [{"unit_id": u, "count": c, "since": _as_local_date(t)} for u, c, t in flagged]


def _as_local_date(moment: datetime | None) -> date:
    return clock.today() if moment is None else clock.local_date(moment)


def _write_batch(day: date, digests: dict[int, _Digest]) -> None:
    emails = {user_id: (email, enabled) for user_id, email, enabled in db.session.execute(
        select(User.id, User.email, User.email_enabled).where(User.id.in_(list(digests))))}
    now = utcnow()
    rows = []
    for user_id, digest in digests.items():
        email, enabled = emails.get(user_id, (None, False))
        sections = list(digest.sections.values())
        payload = {"counts": asdict(digest.counts), "sections": sections, "events": digest.event_ids}
        with force_locale("vi"):  # the stored texts are the Vietnamese rendering; readers get their own
            headline = messages.digest_headline(payload)
            subject = messages.render("digest.subject", {"day": day, "headline": headline})
            body = messages.digest_text(payload)
            for section in sections:
                section["title"] = messages.section_title(section)
                for item in section["items"]:
                    item["label"] = messages.item_label(item)
                    if item.get("reminder"):
                        item["timing"] = messages.item_timing(item)
        rows.append({
            "user_id": user_id, "day": day, "kind": DIGEST, "ref": "", "created_at": now,
            "subject": subject, "body": body, "link": _digest_link(sections),
            "payload": {**payload, "headline": headline},
            "email_state": "pending" if enabled and email else "none", "email_to": email or "",
            "next_attempt_at": now, "last_error": "", "email_attempts": 0,
        })
    insert_ignore(Notification, rows, ["user_id", "day", "kind", "ref"])
    with_events = {u: d.event_ids for u, d in digests.items() if d.event_ids}
    if with_events:
        written = dict(db.session.execute(select(Notification.user_id, Notification.id).where(
            Notification.day == day, Notification.kind == DIGEST,
            Notification.user_id.in_(list(with_events)))).all())
        for user_id, event_ids in with_events.items():
            db.session.execute(update(Notification).where(Notification.id.in_(event_ids),
                                                          Notification.email_state == "wait")
                               .values(email_state="bundled", bundled_into_id=written[user_id]))


def _digest_link(sections: list[dict]) -> str:
    keys = {s["key"] for s in sections}
    if keys & {"awaiting", "extensions"}:
        return "/assignments/review"
    if keys & {"office", "stale"}:
        return "/dashboard"
    if keys & {"due_soon", "overdue", "head"}:
        return "/my"
    return "/notifications"


def recent_scans(limit: int = 14) -> list[ReminderScan]:
    """The latest scans, newest first (office page)."""
    return list(db.session.scalars(select(ReminderScan).order_by(ReminderScan.day.desc()).limit(limit)))


def catch_up(today: date, on_batch: Callable[[], None] = lambda: None, batch_size: int = 500) -> list[ScanResult]:
    """Scan every day missed since the last finished scan (at most a week back), then today."""
    results = []
    for day in rules.days_to_scan(last_finished_scan(), today):
        if not scan_done(day):
            results.append(scan_day(day, on_batch=on_batch, batch_size=batch_size))
    return results
