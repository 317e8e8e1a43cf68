"""Stored texts are keys: a message id and its arguments, rendered in the reader's language.

Notifications and audit entries store `message` (a key of MESSAGES) and `args` (JSON) instead of a sentence,
so each reader sees them in their own language, whoever wrote them and in whatever language. An argument
is rendered for the reader too: an ISO date becomes dd/mm/yyyy, a list is joined, and a nested
`{"msg": key, "args": {...}}` (a state, a role, a reminder's timing) is itself a message.

Add a key here (Vietnamese msgid wrapped in `N_`, named placeholders) and pass it with its arguments;
`python -m tracker.i18n_tools update` extracts it.
"""
import re
from collections.abc import Mapping

from flask_babel import LazyString, force_locale, gettext, ngettext


def N_(msgid: str) -> str:  # noqa: N802 - the usual gettext name for "mark for extraction only"
    """Mark a msgid for extraction; it is translated when rendered."""
    return msgid


def NP_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - N_ for a message with plural forms
    """Mark a plural msgid for extraction (Vietnamese has one form: singular and plural are the same text)."""
    return singular, plural


#: key → Vietnamese msgid with named placeholders. Audit sentences get %(actor)s (the user's name).
MESSAGES: dict[str, str] = {
    # -- labels used as arguments -------------------------------------------------------------------------
    "system": N_("Hệ thống"),
    "yes": N_("có"),
    "no": N_("không"),
    "state.open": N_("đang thực hiện"),
    "state.submitted": N_("đã gửi, chờ xác nhận"),
    "state.confirmed": N_("đã xác nhận hoàn thành"),
    "state.returned": N_("bị trả lại"),
    "state.pending": N_("chờ quyết định"),
    "state.approved": N_("đã duyệt"),
    "state.refused": N_("bị từ chối"),
    "state.draft": N_("bản nháp"),
    "state.committed": N_("đã nạp"),
    "state.discarded": N_("đã huỷ"),
    "state.queued": N_("đang chờ"),
    "state.running": N_("đang chạy"),
    "state.done": N_("xong"),
    "state.failed": N_("lỗi"),
    "state.none": N_("không gửi thư"),
    "state.wait": N_("chờ thư tổng hợp"),
    "state.sending": N_("đang gửi"),
    "state.sent": N_("đã gửi"),
    "state.bundled": N_("đã gửi trong thư tổng hợp"),
    "role.lead": N_("chủ trì"),
    "role.coordinating": N_("phối hợp"),
    # the responsibility of an assignment; "role.lead"/"role.coordinating" above read audit entries
    # written before it was renamed from "role"
    "responsibility.lead": N_("chủ trì"),
    "responsibility.coordinating": N_("phối hợp"),
    "role.admin": N_("Quản trị hệ thống"),
    "role.office": N_("Văn phòng UBND tỉnh"),
    "role.leader": N_("Lãnh đạo UBND tỉnh"),
    "role.unit_head": N_("Lãnh đạo đơn vị"),
    "role.unit_officer": N_("Cán bộ đầu mối đơn vị"),
    "locale.vi": N_("tiếng Việt"),
    "locale.en": N_("tiếng Anh"),
    "day.off": N_("ngày nghỉ"),
    "day.work": N_("ngày làm bù"),
    # -- audit sentences -----------------------------------------------------------------------------------
    "audit.legacy": N_("%(actor)s: %(summary)s"),
    "audit.user.create": N_("%(actor)s đã tạo người dùng %(username)s"),
    "audit.user.update": N_("%(actor)s đã sửa người dùng %(username)s"),
    "audit.user.lock": N_("%(actor)s đã khóa người dùng %(username)s"),
    "audit.user.unlock": N_("%(actor)s đã mở khóa người dùng %(username)s"),
    "audit.user.reset_password": N_("%(actor)s đã đặt lại mật khẩu cho %(username)s"),
    "audit.user.change_password": N_("%(actor)s đã đổi mật khẩu của mình"),
    "audit.user.preferences": N_("%(actor)s đã đổi tùy chọn tài khoản"),
    "audit.user.reset_token": N_("%(actor)s đã tạo địa chỉ lịch mới"),
    "audit.unit.create": N_("%(actor)s đã tạo đơn vị %(unit)s"),
    "audit.unit.update": N_("%(actor)s đã sửa đơn vị %(unit)s"),
    "audit.unit.end": N_("%(actor)s đã kết thúc đơn vị %(unit)s từ ngày %(day)s"),
    "audit.unit.end_succeeded": N_("%(actor)s đã kết thúc đơn vị %(unit)s từ ngày %(day)s; đơn vị kế thừa: "
                                   "%(successor)s"),
    "audit.unit.issuing_body": N_("%(actor)s đã sửa tiêu đề văn bản (cơ quan ban hành) của %(unit)s"),
    "audit.unit.reopen": N_("%(actor)s đã bỏ kết thúc đơn vị %(unit)s"),
    "audit.unit_kind.create": N_("%(actor)s đã tạo loại đơn vị %(kind)s"),
    "audit.unit_kind.update": N_("%(actor)s đã sửa loại đơn vị %(kind)s"),
    "audit.plan.load": N_("%(actor)s đã nạp kế hoạch %(plan)s (%(activities)s hoạt động)"),
    "audit.plan.create": N_("%(actor)s đã tạo kế hoạch %(plan)s"),
    "audit.plan.update": N_("%(actor)s đã sửa kế hoạch %(plan)s"),
    "audit.plan.clone": N_("%(actor)s đã nhân bản kế hoạch %(plan)s sang năm %(year)s"),
    "audit.task_group.create": N_("%(actor)s đã tạo nhóm nhiệm vụ %(number)s"),
    "audit.task_group.update": N_("%(actor)s đã sửa nhóm nhiệm vụ %(number)s"),
    "audit.task.create": N_("%(actor)s đã tạo nhiệm vụ %(number)s"),
    "audit.task.update": N_("%(actor)s đã sửa nhiệm vụ %(number)s"),
    "audit.activity.create": N_("%(actor)s đã tạo hoạt động %(activity)s"),
    "audit.activity.update": N_("%(actor)s đã sửa hoạt động %(activity)s"),
    "audit.activity.delete": N_("%(actor)s đã xoá hoạt động %(activity)s"),
    "audit.activity.link": N_("%(actor)s đã sửa các chỉ tiêu liên kết với hoạt động %(activity)s"),
    "audit.indicator.link": N_("%(actor)s đã sửa các hoạt động liên kết với chỉ tiêu %(code)s"),
    "audit.plan_import.upload": N_("%(actor)s đã tải lên kế hoạch từ tệp %(file)s"),
    "audit.plan_import.edit": N_("%(actor)s đã sửa %(cells)s ô trong bản xem trước của tệp %(file)s"),
    "audit.plan_import.confirm": N_("%(actor)s đã nạp kế hoạch %(plan)s từ tệp %(file)s"),
    "audit.plan_import.discard": N_("%(actor)s đã huỷ bản xem trước của tệp %(file)s"),
    "audit.assignment.add": N_("%(actor)s đã giao hoạt động %(activity)s cho %(unit)s"),
    "audit.assignment.sync": N_("%(actor)s đã cập nhật phân công hoạt động %(activity)s cho %(unit)s"),
    "audit.assignment.remove": N_("%(actor)s đã bỏ phân công hoạt động %(activity)s cho %(unit)s"),
    "audit.assignment.progress": N_("%(actor)s đã cập nhật tiến độ hoạt động %(activity)s của %(unit)s"),
    "audit.assignment.submit": N_("%(actor)s đã báo hoàn thành hoạt động %(activity)s của %(unit)s"),
    "audit.assignment.confirm": N_("%(actor)s đã xác nhận hoàn thành hoạt động %(activity)s của %(unit)s"),
    "audit.assignment.return": N_("%(actor)s đã trả lại kết quả hoạt động %(activity)s của %(unit)s"),
    "audit.assignment.extension_request": N_("%(actor)s đã xin gia hạn hoạt động %(activity)s của %(unit)s "
                                             "đến %(due)s"),
    "audit.assignment.extend": N_("%(actor)s đã dời hạn hoạt động %(activity)s của %(unit)s đến %(due)s"),
    "audit.extension.approve": N_("%(actor)s đã duyệt gia hạn hoạt động %(activity)s của %(unit)s đến %(due)s"),
    "audit.extension.refuse": N_("%(actor)s đã từ chối gia hạn hoạt động %(activity)s của %(unit)s"),
    "audit.framework.create": N_("%(actor)s đã nạp bộ chỉ số %(framework)s từ tệp %(file)s"),
    "audit.framework.update": N_("%(actor)s đã cập nhật bộ chỉ số %(framework)s từ tệp %(file)s"),
    "audit.framework.results": N_("%(actor)s đã nạp kết quả %(framework)s kỳ %(period)s (%(source)s)"),
    "audit.score.create": N_("%(actor)s đã nhập kết quả %(code)s kỳ %(period)s của %(unit)s"),
    "audit.score.update": N_("%(actor)s đã sửa kết quả %(code)s kỳ %(period)s của %(unit)s"),
    "audit.score_import.upload": N_("%(actor)s đã tải lên bảng kết quả %(file)s (%(framework)s, kỳ %(period)s)"),
    "audit.score_import.import": N_("%(actor)s đã nhập %(rows)s dòng (%(scores)s điểm số) từ %(file)s vào "
                                    "%(framework)s kỳ %(period)s"),
    "audit.report.create": N_("%(actor)s đã lập báo cáo «%(title)s»"),
    "audit.report.edit": N_("%(actor)s đã sửa nội dung báo cáo «%(title)s»"),
    "audit.report.generate": N_("%(actor)s đã yêu cầu tạo phiên bản %(number)s của báo cáo «%(title)s»"),
    "audit.reminder_policy.update": N_("%(actor)s đã sửa chính sách nhắc hạn"),
    "audit.day.create": N_("%(actor)s đã thêm %(kind)s %(day)s"),
    "audit.day.delete": N_("%(actor)s đã xoá %(kind)s %(day)s"),
    "audit.notification.resend": N_("%(actor)s đã cho gửi lại thư tới %(email)s"),
    # -- notifications (subject, then body) ----------------------------------------------------------------
    "notify.assignment_created.subject": N_("Được giao %(count)s việc theo %(plan)s"),
    "notify.assignment_created.body": N_("%(document)s: đơn vị được giao %(count)s việc (chủ trì hoặc phối "
                                         "hợp). Xem và cập nhật tiến độ trong Đôn Đốc."),
    "notify.completion_confirmed.subject": N_("Đã xác nhận hoàn thành: %(label)s"),
    "notify.completion_confirmed.body": N_("Văn phòng UBND tỉnh đã xác nhận hoàn thành việc «%(label)s»."),
    "notify.completion_returned.subject": N_("Trả lại kết quả: %(label)s"),
    "notify.completion_returned.body": N_("Văn phòng UBND tỉnh trả lại việc «%(label)s». Lý do: %(reason)s"),
    "notify.extension_approved.subject": N_("Đồng ý gia hạn đến %(due)s: %(label)s"),
    "notify.extension_approved.body": N_("Việc «%(label)s» được gia hạn đến %(due)s. %(note)s"),
    "notify.extension_refused.subject": N_("Không đồng ý gia hạn: %(label)s"),
    "notify.extension_refused.body": N_("Đề nghị gia hạn việc «%(label)s» không được chấp thuận; hạn vẫn là "
                                        "%(due)s. %(note)s"),
    "notify.completion_submitted.subject": N_("%(unit)s báo hoàn thành: %(label)s"),
    # the optional parts (notify.part.*) start with a space: each is a sentence added to the body or nothing
    "notify.completion_submitted.body": N_("%(unit)s báo cáo hoàn thành việc «%(label)s» ngày %(day)s (hạn "
                                           "%(due)s).%(evidence)s%(files)s%(note)s Chờ Văn phòng xác nhận hoặc "
                                           "trả lại."),
    "notify.part.document": N_(" Văn bản %(number)s."),
    "notify.part.document_dated": N_(" Văn bản %(number)s ngày %(day)s."),
    "notify.part.note": N_(" Ghi chú: %(note)s"),
    "notify.extension_requested.subject": N_("%(unit)s xin gia hạn đến %(requested_due)s: %(label)s"),
    "notify.extension_requested.body": N_("%(unit)s đề nghị gia hạn việc «%(label)s» từ %(current_due)s đến "
                                          "%(requested_due)s. Lý do: %(reason)s Chờ Văn phòng quyết định."),
    "digest.subject": N_("Đôn Đốc %(day)s: %(headline)s"),
    "digest.section.due_soon": N_("Sắp đến hạn"),
    "digest.section.overdue": N_("Quá hạn"),
    "digest.section.head": N_("Quá hạn từ %(days)s ngày, cần lãnh đạo đơn vị chỉ đạo"),
    "digest.section.office": N_("Quá hạn từ %(days)s ngày"),
    "digest.section.stale": N_("Đơn vị không cập nhật tiến độ %(days)s ngày"),
    "digest.section.events": N_("Thông báo trong ngày"),
    "digest.section.awaiting": N_("Báo cáo hoàn thành chờ xác nhận"),
    "digest.section.extensions": N_("Đề nghị gia hạn chờ duyệt"),
    "digest.item.awaiting": N_("%(unit)s: %(label)s (báo ngày %(day)s)"),
    "digest.item.extension": N_("%(unit)s: %(label)s (xin đến %(day)s)"),
    "digest.item.coordinating": N_("%(label)s (phối hợp)"),
    "digest.item.unit": N_("%(unit)s: %(label)s"),
    "digest.item.stale": N_("%(unit)s: %(count)s việc không cập nhật từ %(day)s"),
    "timing.due": N_("đến hạn hôm nay"),
    "rank.same": N_("Giữ nguyên"),
    "report.year": N_("Báo cáo tổng kết năm %(year)s"),
    "report.notice": N_("Thông báo kết quả %(framework)s kỳ %(period)s"),
}

#: messages with plural forms: key → (singular, plural) msgids; %(num)s is the count
PLURALS: dict[str, tuple[str, str]] = {
    "digest.due_soon": NP_("%(num)s việc đến hạn trong %(days)s ngày", "%(num)s việc đến hạn trong %(days)s ngày"),
    "digest.overdue": NP_("%(num)s việc quá hạn", "%(num)s việc quá hạn"),
    "digest.escalated": NP_("%(num)s việc quá hạn cần lãnh đạo chỉ đạo", "%(num)s việc quá hạn cần lãnh đạo chỉ đạo"),
    "digest.escalated_after": NP_("%(num)s việc quá hạn trên %(days)s ngày cần lãnh đạo chỉ đạo",
                                  "%(num)s việc quá hạn trên %(days)s ngày cần lãnh đạo chỉ đạo"),
    "digest.stale_units": NP_("%(num)s đơn vị không cập nhật tiến độ", "%(num)s đơn vị không cập nhật tiến độ"),
    "notify.part.files": NP_(" %(num)s tệp minh chứng.", " %(num)s tệp minh chứng."),
    "digest.events": NP_("%(num)s thông báo mới", "%(num)s thông báo mới"),
    "digest.awaiting_confirmation": NP_("%(num)s báo cáo hoàn thành chờ xác nhận",
                                        "%(num)s báo cáo hoàn thành chờ xác nhận"),
    "digest.pending_extensions": NP_("%(num)s đề nghị gia hạn chờ duyệt", "%(num)s đề nghị gia hạn chờ duyệt"),
    "timing.before": NP_("còn %(num)s ngày", "còn %(num)s ngày"),
    "timing.before_working": NP_("còn %(num)s ngày làm việc", "còn %(num)s ngày làm việc"),
    "timing.overdue": NP_("quá hạn %(num)s ngày", "quá hạn %(num)s ngày"),
    "timing.overdue_working": NP_("quá hạn %(num)s ngày làm việc", "quá hạn %(num)s ngày làm việc"),
    "rank.up": NP_("Tăng %(num)s bậc", "Tăng %(num)s bậc"),
    "rank.down": NP_("Giảm %(num)s bậc", "Giảm %(num)s bậc"),
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def ref(key: str, **args) -> dict:
    """A nested message, stored as an argument of another one (e.g. a state label)."""
    return {"msg": key, "args": args} if args else {"msg": key}


def humanise(value) -> str:
    """An argument as the reader reads it."""
    if isinstance(value, Mapping) and "msg" in value:
        return render(value["msg"], value.get("args"))
    if isinstance(value, bool):
        return render("yes" if value else "no")
    if value is None:
        return ""
    if isinstance(value, str) and _ISO_DATE.match(value):
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    if isinstance(value, (list, tuple)):
        return "; ".join(humanise(item) for item in value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(value)


def render(key: str | None, args: Mapping | None = None, fallback: str = "") -> str:
    """The message in the current locale, or `fallback` (a row's stored text) when the key is unknown."""
    args = dict(args or {})
    if key in PLURALS:
        singular, plural = PLURALS[key]
        return ngettext(singular, plural, int(args.get("num", 0)),
                        **{name: humanise(value) for name, value in args.items() if name != "num"})
    msgid = MESSAGES.get(key or "")
    if msgid is None:
        return fallback
    if "%(" not in msgid:
        return gettext(msgid)
    try:
        return gettext(msgid, **{name: humanise(value) for name, value in args.items()})
    except (KeyError, ValueError, TypeError):  # an argument went missing: the stored text says it better
        return fallback or gettext(msgid.split("%(")[0]).strip()


def lazy(key: str, args: Mapping | None = None) -> LazyString:
    """The message rendered when it is shown (e.g. inside an exception raised before the reader is known)."""
    return LazyString(render, key, args)


def render_in(locale: str, key: str | None, args: Mapping | None = None, fallback: str = "") -> str:
    """The message in a given locale (the recipient's, or Vietnamese for the stored fallback text)."""
    with force_locale(locale):
        return render(key, args, fallback)


# --- notifications and digests -------------------------------------------------------------------------------

def notification_text(notification, part: str) -> str:
    """A notification's "subject" or "body" in the current locale (the stored text for rows without a key)."""
    stored = getattr(notification, part) or ""
    if notification.kind == "digest":
        payload = notification.payload or {}
        if "counts" not in payload:
            return stored
        if part == "subject":
            return render("digest.subject", {"day": notification.day, "headline": digest_headline(payload)},
                          fallback=stored)
        return digest_text(payload)
    if not notification.message:
        return stored
    # an empty optional argument (a decision without a note) leaves a trailing space
    return render(f"{notification.message}.{part}", notification.args, fallback=stored).strip()


def digest_headline(payload: Mapping) -> str:
    """The digest's one-line summary from its counts, e.g. "3 việc đến hạn trong 7 ngày, 1 việc quá hạn"."""
    counts = payload.get("counts") or {}
    if not counts:
        return payload.get("headline", "")
    parts = []
    if counts.get("due_soon"):
        parts.append(render("digest.due_soon", {"num": counts["due_soon"], "days": counts.get("horizon", 7)}))
    if counts.get("overdue"):
        parts.append(render("digest.overdue", {"num": counts["overdue"]}))
    if counts.get("escalated"):
        after = counts.get("escalated_after")
        parts.append(render("digest.escalated_after" if after else "digest.escalated",
                            {"num": counts["escalated"], "days": after}))
    for name in ("awaiting_confirmation", "pending_extensions", "stale_units"):
        if counts.get(name):
            parts.append(render(f"digest.{name}", {"num": counts[name]}))
    if counts.get("events"):
        parts.append(render("digest.events", {"num": counts["events"]}))
    return ", ".join(parts)


def section_title(section: Mapping) -> str:
    """A digest section's heading in the current locale."""
    return render(section.get("msg"), section.get("args"), fallback=section.get("title", ""))


def item_label(item: Mapping) -> str:
    """A digest item's text in the current locale (`label` is the stored Vietnamese text of older rows)."""
    if item.get("msg"):
        return render(item["msg"], item.get("args"), fallback=item.get("label", ""))
    if "text" not in item:
        return item.get("label", "")
    label = item["text"]
    if item.get("coordinating"):
        label = render("digest.item.coordinating", {"label": label})
    if item.get("unit"):
        label = render("digest.item.unit", {"unit": item["unit"], "label": label})
    return label


def item_timing(item: Mapping) -> str:
    """How an item stands against its deadline ("còn 3 ngày", "quá hạn 6 ngày làm việc"), "" without one."""
    reminder = item.get("reminder")
    if not reminder:
        return item.get("timing", "")
    if reminder["kind"] == "due":
        return render("timing.due")
    return render(f"timing.{reminder['kind']}" + ("_working" if reminder.get("working") else ""),
                  {"num": reminder.get("days", 0)})


def digest_text(payload: Mapping) -> str:
    """The plain-text body of a digest: the headline, then each section with its items."""
    lines = [digest_headline(payload)]
    for section in payload.get("sections", []):
        lines += ["", section_title(section) + ":"]
        for item in section.get("items", []):
            timing = f" ({item_timing(item)}, {gettext('hạn')} {humanise(item['due'])})" if item.get("due") else ""
            lines.append(f"- {item_label(item)}{timing}")
        if section.get("more"):
            lines.append("- " + gettext("… và %(n)s việc khác", n=section["more"]))
    return "\n".join(lines)


def rank_change_label(result) -> str:
    """A unit's movement in the ranking ("Tăng 4 bậc") in the current locale; a text printed in the source as is."""
    delta = getattr(result, "rank_delta", None)
    if delta is None:
        return result.rank_change_text
    if delta == 0:
        return render("rank.same")
    return render("rank.up" if delta > 0 else "rank.down", {"num": abs(delta)})


def report_title(report) -> str:
    """A report's title from what it covers, in the current locale (the stored title for other kinds)."""
    settings = report.settings or {}
    if report.kind == "year" and settings.get("year"):
        title = render("report.year", {"year": settings["year"]})
        if settings.get("plan_codes"):
            title += f" ({', '.join(settings['plan_codes'])})"
        return title + (f" — {report.unit.name}" if report.unit else "")
    if report.kind == "notice" and settings.get("framework"):
        return render("report.notice", {"framework": settings["framework"], "period": settings.get("period", "")})
    return report.title
