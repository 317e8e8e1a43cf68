"""The user's own account: password, language, notifications, calendar token."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from forms.base import Form


class ChangePasswordForm(Form):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[
        DataRequired(_l("Mật khẩu hiện tại: không được để trống"))])
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[
        DataRequired(_l("Mật khẩu mới: không được để trống")),
        Length(min=8, message=_l("Mật khẩu mới: phải có ít nhất 8 ký tự"))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        EqualTo("new_password", message=_l("Nhập lại mật khẩu mới: không khớp"))])


class PreferencesForm(Form):
    locale = SelectField(_l("Ngôn ngữ"), choices=[("vi", "Tiếng Việt"), ("en", "English")], validate_choice=False)
    email_enabled = BooleanField(_l("Nhận thông báo qua thư điện tử"))
    delivery = RadioField(_l("Cách gửi thông báo"), default="digest", choices=[
        ("digest", _l("Gộp thành một thư tổng hợp mỗi ngày")), ("immediate", _l("Gửi ngay từng thông báo"))],
        validators=[DataRequired(_l("Cách gửi thông báo: hãy chọn một cách"))])


class TokenResetForm(Form):
    """A button that POSTs with a CSRF token to issue a new calendar token."""
