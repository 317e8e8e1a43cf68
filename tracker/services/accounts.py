"""Users and authentication: creation, login with rate limiting."""
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from models import ROLES, LoginAttempt, Unit, User, db, utcnow
from tracker.domain.textnorm import clean, fold
from tracker.permissions import CAPABILITIES, can
from tracker.services import audit
from tracker.services.errors import PermissionDenied
from tracker.services.unit_of_work import check_version, flush_or_conflict

#: each role's name for people (the user import also accepts the Vietnamese name in place of the code)
ROLE_LABELS = {
    "admin": _l("Quản trị hệ thống"), "office": _l("Văn phòng UBND tỉnh"),
    "unit_officer": _l("Cán bộ đầu mối đơn vị"), "unit_head": _l("Lãnh đạo đơn vị"),
    "leader": _l("Lãnh đạo UBND tỉnh"),
}


class AccountError(ValueError):
    """Invalid account data; the message is for the user."""


class TooManyAttempts(AccountError):
    """Login refused for a while after repeated failures."""


def create_user(actor, *, username: str, password: str, role: str, unit_code: str, email: str | None = None,
                full_name: str = "") -> User:
    """Create a user bound to a unit, with a hashed password."""
    username = username.strip()
    if role not in ROLES:
        raise AccountError(_l("Vai trò «%(role)s» không hợp lệ; chọn một trong: %(choices)s",
                              role=role, choices=", ".join(ROLES)))
    if not username:
        raise AccountError(_l("Thiếu tên đăng nhập"))
    if len(password) < 8:
        raise AccountError(_l("Mật khẩu phải có ít nhất 8 ký tự"))
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise AccountError(_l("Không có đơn vị mã «%(unit_code)s»", unit_code=unit_code))
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError(_l("Tên đăng nhập «%(username)s» đã có", username=username))
    user = User(username=username, role=role, unit_id=unit.id, email=email or None, full_name=full_name or username)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", user, "audit.user.create", {"username": username},
                 {"role": [None, role], "unit_id": [None, unit.id]})
    return user


def authenticate(username: str, password: str, remote_addr: str, max_failures: int, window_minutes: int
                 ) -> User | None:
    """Check credentials, refusing after too many recent failures for the name or the address."""
    since = utcnow() - timedelta(minutes=window_minutes)
    failures = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.success.is_(False), LoginAttempt.at >= since,
            or_(LoginAttempt.username == username.lower(), LoginAttempt.remote_addr == remote_addr)))
    if failures >= max_failures:
        raise TooManyAttempts(_l("Đăng nhập sai quá %(max_failures)s lần; hãy thử lại sau %(window_minutes)s phút",
                                 max_failures=max_failures, window_minutes=window_minutes))
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    ok = user is not None and user.active and user.check_password(password)
    db.session.add(LoginAttempt(username=username.lower()[:80], remote_addr=remote_addr[:64], success=ok))
    db.session.flush()
    return user if ok else None


# ---- administration of users, and each user's own account ----

MIN_PASSWORD_LENGTH = 8
LOCALES = ("vi", "en")
USER_CONFLICT_MESSAGE = _l("Người dùng này vừa được người khác sửa. Thay đổi của bạn chưa được lưu; "
                           "hãy tải lại trang rồi nhập lại.")


def _require_user_manager(actor) -> None:
    # actor None is the system (CLI); people need the capability
    if actor is not None and not can(actor, "manage_users"):
        raise PermissionDenied(_l("Bạn không có quyền quản lý người dùng"))


def _check_password(password: str, field_label: str = "Mật khẩu") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("%(field_label)s: phải có ít nhất %(count)s ký tự",
                              field_label=field_label, count=MIN_PASSWORD_LENGTH))


def matching_user_ids(query: str) -> list[int]:
    """Ids of users whose username, full name or email contains the query, accent-insensitively."""
    needle = fold(query)
    if not needle:
        return []
    # folded in Python: SQLite and PostgreSQL share no accent-stripping function, and user counts stay small
    rows = db.session.execute(select(User.id, User.username, User.full_name, User.email))
    return [row[0] for row in rows if needle in fold(" ".join(part or "" for part in row[1:]))]


def users_query(search: str = "", role: str | None = None, unit_ids: set[int] | None = None):
    """The admin user list as a select, filtered, with units eagerly loaded, ordered by username."""
    query = select(User).options(joinedload(User.unit)).order_by(func.lower(User.username), User.id)
    if search.strip():
        query = query.where(User.id.in_(matching_user_ids(search)))
    if role:
        query = query.where(User.role == role)
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(unit_ids))
    return query


def update_user(actor, user: User, *, full_name: str, email: str | None, role: str, unit_id: int, active: bool,
                expected_version: int | str | None = None) -> dict:
    """Change a user's name, email, role, unit or active flag; returns the audited changes.

    `expected_version` is the version the form was opened at (None: not checked)."""
    _require_user_manager(actor)
    check_version(user, expected_version, USER_CONFLICT_MESSAGE)
    if role not in ROLES:
        raise AccountError(_l("Vai trò: «%(role)s» không hợp lệ; chọn một trong: %(choices)s",
                              role=role, choices=", ".join(ROLES)))
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise AccountError(_l("Đơn vị: không có đơn vị này"))
    if actor is not None and actor.id == user.id:
        # an administrator locking themselves out leaves nobody to undo it
        if not active:
            raise AccountError(_l("Đang hoạt động: bạn không thể tự khóa tài khoản của chính mình"))
        if can(user, "manage_users") and role not in CAPABILITIES["manage_users"]:
            raise AccountError(_l("Vai trò: bạn không thể tự bỏ quyền quản trị của chính mình"))
    values = {"full_name": clean(full_name) or user.username, "email": (email or "").strip() or None,
              "role": role, "unit_id": unit.id, "active": bool(active)}
    message = ("audit.user.lock" if user.active and not active else
               "audit.user.unlock" if not user.active and active else "audit.user.update")
    return audit.apply(actor, user, values, message, {"username": user.username}, conflict=USER_CONFLICT_MESSAGE)


def reset_password(actor, user: User, new_password: str) -> None:
    """Set a new password for a user (by an administrator); audited without the password."""
    _require_user_manager(actor)
    _check_password(new_password, "Mật khẩu mới")
    user.set_password(new_password)
    # the administrator knows this password: the user chooses their own at the next login
    user.must_change_password = True
    flush_or_conflict(USER_CONFLICT_MESSAGE)
    audit.record(actor, "reset_password", user, "audit.user.reset_password", {"username": user.username})


def _field_error(field: str, message: str) -> AccountError:
    error = AccountError(message)
    error.field = field  # lets a view put the message next to the right input
    return error


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """A user changes their own password, proving they know the current one."""
    if not user.check_password(current_password or ""):
        raise _field_error("current_password", _l("Mật khẩu hiện tại: không đúng"))
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise _field_error("new_password", _l("Mật khẩu mới: phải có ít nhất %(count)s ký tự",
                                              count=MIN_PASSWORD_LENGTH))
    if new_password == current_password:
        raise _field_error("new_password", _l("Mật khẩu mới: phải khác mật khẩu hiện tại"))
    user.set_password(new_password)
    user.must_change_password = False
    flush_or_conflict(USER_CONFLICT_MESSAGE)
    audit.record(user, "change_password", user, "audit.user.change_password")


def update_preferences(user: User, *, locale: str, email_enabled: bool, digest: bool) -> dict:
    """Save the user's language and notification choices; returns the audited changes."""
    if locale not in LOCALES:
        raise AccountError(_l("Ngôn ngữ: «%(locale)s» không hỗ trợ; chọn một trong: %(choices)s",
                              locale=locale, choices=", ".join(LOCALES)))
    return audit.apply(user, user, {"locale": locale, "email_enabled": bool(email_enabled), "digest": bool(digest)},
                       "audit.user.preferences", conflict=USER_CONFLICT_MESSAGE)


def reset_ics_token(user: User) -> str:
    """Issue a new calendar-feed secret; the old feed address stops working."""
    user.ics_token = secrets.token_urlsafe(32)
    flush_or_conflict(USER_CONFLICT_MESSAGE)
    # the token is a secret: the audit line says it changed, never what it is
    audit.record(user, "reset_token", user, "audit.user.reset_token")
    return user.ics_token
