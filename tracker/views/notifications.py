"""Notifications: the bell, the list, preferences, the calendar feed, and the office's reminder settings."""
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from forms.notification import ActionForm, DayOverrideForm, ReminderPolicyForm
from models import DayOverride, Notification, db
from tracker.jobs_queue import enqueue
from tracker.permissions import require
from tracker.request_input import page_arg
from tracker.services import calendar, mail, notifications, reminders
from tracker.services.errors import ConflictError
from tracker.views.saving import saving

bp = Blueprint("notifications", __name__)
#: emails waiting for a retry listed on the deliveries page (the count above it covers all)
RETRYING_SHOWN = 50


@bp.app_context_processor
def _bell():
    # a callable, so the count query runs only on pages that show the bell
    def unread_notifications() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        return notifications.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.app_template_filter("isodate")
def _isodate(value: str) -> str:
    """An ISO date string from a stored payload as dd/mm/yyyy."""
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return value or ""


def _own_notification(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)  # someone else's notification is not shown to exist
    return notification


@bp.route("/notifications")
@login_required
def index():
    page = page_arg()
    items = db.paginate(notifications.list_query(current_user), page=page,
                        per_page=current_app.config["PER_PAGE"], error_out=False)
    feed_url = url_for("notifications.calendar_feed", token=current_user.ics_token, _external=True)
    return render_template("notifications/index.html", items=items, action=ActionForm(), feed_url=feed_url,
                           unread=notifications.unread_count(current_user))


@bp.route("/notifications/count")
@login_required
def count():
    return jsonify(unread=notifications.unread_count(current_user))


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    notification = _own_notification(notification_id)
    with saving():
        notifications.mark_read(current_user, [notification.id])
    link = notification.link if notification.link.startswith("/") else url_for("notifications.index")
    return redirect(link)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_one_read(notification_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with saving():
        notifications.mark_read(current_user, [_own_notification(notification_id).id])
    return redirect(url_for("notifications.index", page=page_arg()))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with saving():
        changed = notifications.mark_read(current_user)
    flash(_("Đã đánh dấu %(n)s thông báo là đã đọc.", n=changed), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)
    # a calendar app has no session: the feed speaks the language its owner chose
    with force_locale(user.locale or "vi"):
        body = calendar.feed(user, current_app.config.get("BASE_URL") or request.host_url)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="dondoc.ics"', "Cache-Control": "private, max-age=300"})


# --- office: policy, days off, deliveries --------------------------------------------------------------------

def _reminder_policy_form(row) -> ReminderPolicyForm:
    return ReminderPolicyForm(days_before=", ".join(str(n) for n in row.days_before or []), on_due_day=row.on_due_day,
                              overdue_every=row.overdue_every, escalate_head_after=row.escalate_head_after,
                              escalate_office_after=row.escalate_office_after,
                              working_days="working" if row.working_days else "calendar",
                              stale_after_days=row.stale_after_days, version=row.version)


def _render_reminder_policy(form: ReminderPolicyForm, day_form: DayOverrideForm, status: int = 200):
    overrides = db.session.scalars(select(DayOverride).order_by(DayOverride.day.desc())).all()
    return render_template("notifications/policy.html", form=form, day_form=day_form, overrides=overrides,
                           action=ActionForm()), status


@bp.route("/reminders/policy", methods=["GET", "POST"])
@require("manage_reminders")
def reminder_policy():
    if request.method == "GET":
        return _render_reminder_policy(_reminder_policy_form(reminders.policy_to_show()), DayOverrideForm())
    form = ReminderPolicyForm()
    if not form.validate_on_submit():
        return _render_reminder_policy(form, DayOverrideForm())
    values = {"days_before": form.days_before.days, "on_due_day": form.on_due_day.data,
              "overdue_every": form.overdue_every.data, "escalate_head_after": form.escalate_head_after.data,
              "escalate_office_after": form.escalate_office_after.data,
              "working_days": form.working_days.data == "working", "stale_after_days": form.stale_after_days.data}
    try:
        with saving():
            reminders.update_policy(current_user, values, expected_version=int(form.version.data))
    except ConflictError as error:
        flash(str(error), "danger")
        return _render_reminder_policy(form, DayOverrideForm(), 409)
    except reminders.PolicyError as error:
        flash(str(error), "danger")
        return _render_reminder_policy(form, DayOverrideForm())
    flash(_("Đã lưu chính sách nhắc hạn."), "success")
    return redirect(url_for("notifications.reminder_policy"))


@bp.route("/reminders/days", methods=["POST"])
@require("manage_reminders")
def add_day():
    form = DayOverrideForm()
    row = reminders.policy_row()
    if not form.validate_on_submit():
        return _render_reminder_policy(_reminder_policy_form(row), form)
    try:
        with saving():
            reminders.add_day_override(current_user, form.day.data, form.kind.data, form.name.data or "")
    except reminders.PolicyError as error:
        form.day.errors = [str(error)]
        return _render_reminder_policy(_reminder_policy_form(row), form)
    flash(_("Đã thêm ngày %(day)s.", day=form.day.data.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("notifications.reminder_policy"))


@bp.route("/reminders/days/<int:override_id>/delete", methods=["POST"])
@require("manage_reminders")
def delete_day(override_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    row = db.session.get(DayOverride, override_id) or abort(404)
    with saving():
        reminders.remove_day_override(current_user, row)
    flash(_("Đã xóa ngày %(day)s.", day=row.day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("notifications.reminder_policy"))


@bp.route("/reminders/deliveries")
@require("manage_reminders")
def deliveries():
    page = page_arg()
    failed = db.paginate(mail.failed_query(), page=page, per_page=current_app.config["PER_PAGE"], error_out=False)
    retrying = db.session.scalars(mail.retrying_query().limit(RETRYING_SHOWN)).all()
    return render_template("notifications/deliveries.html", failed=failed, retrying=retrying,
                           counts=mail.delivery_counts(), scans=reminders.recent_scans(), action=ActionForm())


@bp.route("/reminders/deliveries/<int:notification_id>/resend", methods=["POST"])
@require("manage_reminders")
def resend(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    notification = db.session.get(Notification, notification_id) or abort(404)
    if notification.email_state != "failed":
        flash(_("Thư #%(id)s không ở trạng thái lỗi; không gửi lại.", id=notification_id), "warning")
        return redirect(url_for("notifications.deliveries")), 303
    with saving():
        mail.resend(current_user, notification)
    queued = enqueue("jobs.reminders.deliver")
    flash(_("Đã đưa thư tới %(to)s vào hàng gửi lại.", to=notification.email_to) if queued else
          _("Đã đánh dấu gửi lại thư tới %(to)s; hàng đợi đang không hoạt động, thư sẽ được gửi khi hoạt động lại.",
            to=notification.email_to), "success" if queued else "warning")
    return redirect(url_for("notifications.deliveries"))


@bp.route("/reminders/run", methods=["POST"])
@require("manage_reminders")
def run_reminder_scan():
    if not ActionForm().validate_on_submit():
        abort(400)
    if enqueue("jobs.reminders.daily_scan", job_timeout=3600):
        flash(_("Đã đưa lượt quét nhắc hạn vào hàng đợi; kết quả hiện ở trang này sau ít phút."), "success")
    else:
        flash(_("Hàng đợi (Redis) đang không hoạt động; lượt quét sẽ tự chạy bù khi hoạt động lại."), "warning")
    return redirect(url_for("notifications.deliveries"))
