"""Login, logout, language choice."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from forms.auth import LoginForm
from tracker.services.accounts import TooManyAttempts, authenticate
from tracker.views.saving import saving

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # only same-site absolute paths, so the login page cannot be used as an open redirect;
    # browsers read "/\\host" as "//host", hence the backslash check
    if target and target.startswith("/") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            with saving():  # the attempt is recorded, whether it succeeds or not
                user = authenticate(form.username.data, form.password.data, request.remote_addr or "",
                                    current_app.config["LOGIN_MAX_FAILURES"],
                                    current_app.config["LOGIN_WINDOW_MINUTES"])
        except TooManyAttempts as error:
            flash(str(error), "danger")
            return render_template("auth/login.html", form=form), 429
        if user:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng"), "danger")
        status = 401
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            with saving():
                current_user.locale = code
    return redirect(_safe_next(request.form.get("next")))
