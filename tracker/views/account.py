"""The user's own account: profile, password, language, notifications, calendar-feed token."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forms.account import ChangePasswordForm, PreferencesForm, TokenResetForm
from tracker.services import accounts
from tracker.services.errors import ConflictError
from tracker.views.saving import saving

bp = Blueprint("account", __name__, url_prefix="/account")


#: pages a user who must change their password may still open: leaving, the change page itself, and what
#: machines call (health checks, calendar feeds, the notification counter's polling)
FREE_WHILE_PASSWORD_MUST_CHANGE = frozenset({
    "static", "auth.login", "auth.logout", "auth.set_language", "account.new_password", "main.healthz",
    "notifications.calendar_feed", "notifications.count"})


@bp.before_app_request
def _require_new_password():
    """Send a user whose password was set by someone else (import, administrator reset) to choose their own."""
    if request.endpoint in FREE_WHILE_PASSWORD_MUST_CHANGE or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("account.new_password"))
    return None


def _calendar_feed_url(token: str) -> str | None:
    """The personal ICS feed address, if the feed (built by the reminders feature) is installed."""
    # found by shape rather than by name, so this page does not depend on that feature's endpoint names
    for rule in current_app.url_map.iter_rules():
        if "token" in rule.arguments and "ics" in rule.rule and "GET" in (rule.methods or ()):
            return url_for(rule.endpoint, token=token, _external=True)
    return None


def _me():
    # the real User, not the proxy: services audit the entity by its type name
    return current_user._get_current_object()


def _page(status: int = 200, password_form=None, preferences_form=None):
    user = current_user
    if preferences_form is None:
        preferences_form = PreferencesForm(formdata=None, locale=user.locale or "vi",
                                           email_enabled=user.email_enabled,
                                           delivery="digest" if user.digest else "immediate")
    return render_template(
        "account/profile.html", user=user,
        password_form=password_form or ChangePasswordForm(formdata=None),
        preferences_form=preferences_form, token_form=TokenResetForm(formdata=None),
        feed_url=_calendar_feed_url(user.ics_token)), status


@bp.route("/")
@login_required
def profile():
    """The account page: who I am, and the forms to change my settings."""
    return _page()


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    """Change my own password; the current one is required."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            with saving():
                accounts.change_own_password(_me(), form.current_password.data, form.new_password.data)
        except accounts.AccountError as error:
            field = form.current_password if getattr(error, "field", "") == "current_password" else form.new_password
            field.errors = [*field.errors, str(error)]
            flash(_("Chưa đổi mật khẩu: %(reason)s", reason=str(error)), "danger")
            return _page(400, password_form=form)
        except ConflictError as error:  # an administrator saved this account at the same moment
            flash(_("Chưa đổi mật khẩu: %(reason)s", reason=str(error)), "danger")
            return _page(409, password_form=form)
        flash(_("Đã đổi mật khẩu"), "success")
        return redirect(url_for("account.profile"))
    flash(_("Chưa đổi mật khẩu: hãy sửa các ô được đánh dấu"), "danger")
    return _page(400, password_form=form)


@bp.route("/preferences", methods=["POST"])
@login_required
def preferences():
    """Save my language and notification choices."""
    form = PreferencesForm()
    if form.validate_on_submit():
        try:
            with saving():
                accounts.update_preferences(_me(), locale=form.locale.data,
                                            email_enabled=form.email_enabled.data,
                                            digest=form.delivery.data == "digest")
        except accounts.AccountError as error:
            flash(str(error), "danger")
            return _page(400, preferences_form=form)
        except ConflictError as error:  # an administrator saved this account at the same moment
            flash(str(error), "danger")
            return _page(409, preferences_form=form)
        session["lang"] = current_user.locale
        flash(_("Đã lưu tùy chọn"), "success")
        return redirect(url_for("account.profile"))
    flash(_("Chưa lưu tùy chọn: hãy sửa các ô được đánh dấu"), "danger")
    return _page(400, preferences_form=form)


@bp.route("/calendar-token", methods=["POST"])
@login_required
def reset_calendar_token():
    """Issue a new calendar-feed token; calendars subscribed to the old address stop updating."""
    if not TokenResetForm().validate_on_submit():
        flash(_("Yêu cầu không hợp lệ; hãy tải lại trang rồi thử lại"), "danger")
        return _page(400)
    try:
        with saving():
            accounts.reset_ics_token(_me())
    except ConflictError as error:  # an administrator saved this account at the same moment
        flash(str(error), "danger")
        return _page(409)
    flash(_("Đã tạo mã lịch mới; hãy cập nhật địa chỉ lịch trong Outlook hoặc điện thoại"), "success")
    return redirect(url_for("account.profile"))


@bp.route("/new-password", methods=["GET", "POST"])
@login_required
def new_password():
    """Choose my own password; required before anything else after an import or an administrator's reset."""
    form = ChangePasswordForm(formdata=None) if request.method == "GET" else ChangePasswordForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with saving():
                    accounts.change_own_password(_me(), form.current_password.data, form.new_password.data)
            except accounts.AccountError as error:
                field = (form.current_password if getattr(error, "field", "") == "current_password"
                         else form.new_password)
                field.errors = [*field.errors, str(error)]
            except ConflictError as error:
                flash(_("Chưa đổi mật khẩu: %(reason)s", reason=str(error)), "danger")
                return render_template("account/new_password.html", form=form), 409
            else:
                flash(_("Đã đổi mật khẩu"), "success")
                return redirect(url_for("main.index"))
        flash(_("Chưa đổi mật khẩu: hãy sửa các ô được đánh dấu"), "danger")
        return render_template("account/new_password.html", form=form), 400
    return render_template("account/new_password.html", form=form)
