"""Administration forms: units, unit kinds, users."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange, Optional, Regexp

from forms.base import Form
from forms.fields import VnDateField
from models import ROLES

ROLE_CHOICES = [
    ("admin", _l("Quản trị hệ thống")), ("office", _l("Văn phòng UBND tỉnh")),
    ("unit_officer", _l("Cán bộ đầu mối đơn vị")), ("unit_head", _l("Lãnh đạo đơn vị")),
    ("leader", _l("Lãnh đạo UBND tỉnh")),
]
# Choice fields below skip WTForms' own choice check (an English message): the services refuse an unknown unit,
# kind or role with a Vietnamese message naming the field.
assert [code for code, _label in ROLE_CHOICES] == list(ROLES), "ROLE_CHOICES must follow models.ROLES"


def _required(label: str):
    return DataRequired(_l("%(field)s: không được để trống", field=label))


class UnitForm(Form):
    code = StringField(_l("Mã đơn vị"), validators=[
        _required(_l("Mã đơn vị")), Length(max=40, message=_l("Mã đơn vị: tối đa 40 ký tự"))])
    name = StringField(_l("Tên đơn vị"), validators=[
        _required(_l("Tên đơn vị")), Length(max=255, message=_l("Tên đơn vị: tối đa 255 ký tự"))])
    kind_id = SelectField(_l("Loại đơn vị"), coerce=int, validate_choice=False,
                          validators=[InputRequired(_l("Loại đơn vị: hãy chọn"))])
    parent_id = SelectField(_l("Đơn vị cấp trên"), coerce=int, validate_choice=False)
    aliases = TextAreaField(_l("Tên gọi khác (mỗi dòng một tên)"), validators=[
        Length(max=1500, message=_l("Tên gọi khác: tối đa 1500 ký tự"))])
    valid_from = VnDateField(_l("Ngày bắt đầu"), validators=[Optional()])
    email = StringField(_l("Thư điện tử"), validators=[
        Optional(), Email(_l("Thư điện tử: địa chỉ không hợp lệ")), Length(max=255)])
    #: the version the form was opened at; the service refuses a stale one (409)
    version = HiddenField()


class IssuingBodyForm(Form):
    """A province's letterhead, place, number pattern and default signer (tracker.services.issuing_body)."""

    letterhead_parent = StringField(_l("Dòng cơ quan chủ quản"))
    letterhead_issuer = TextAreaField(_l("Tên cơ quan ban hành"))
    place_name = StringField(_l("Địa danh"))
    number_pattern = StringField(_l("Mẫu số, ký hiệu văn bản"))
    signer_title = StringField(_l("Chức vụ người ký"))
    signer_name = StringField(_l("Họ tên người ký"))
    #: the version the form was opened at; the service refuses a stale one (409)
    version = HiddenField()


class EndUnitForm(Form):
    valid_to = VnDateField(_l("Ngày kết thúc"), validators=[
        DataRequired(_l("Ngày kết thúc: không được để trống"))])
    successor_id = SelectField(_l("Đơn vị kế thừa"), coerce=int, validate_choice=False)
    #: the version the form was opened at; the service refuses a stale one (409)
    version = HiddenField()


class UnitKindForm(Form):
    code = StringField(_l("Mã loại"), validators=[
        _required(_l("Mã loại")),
        Regexp(r"^[a-z][a-z0-9_-]{0,39}$", message=_l("Mã loại: chỉ gồm chữ thường không dấu, số, «-» hoặc «_»"))])
    name = StringField(_l("Tên loại"), validators=[_required(_l("Tên loại")), Length(max=200)])
    level = IntegerField(_l("Cấp (0 = tỉnh)"), validators=[
        InputRequired(_l("Cấp: hãy nhập một số")),
        NumberRange(min=0, max=9, message=_l("Cấp: phải là số từ 0 đến 9"))])
    #: the version the form was opened at; the service refuses a stale one (409)
    version = HiddenField()


class UserCreateForm(Form):
    username = StringField(_l("Tên đăng nhập"), validators=[
        _required(_l("Tên đăng nhập")),
        Regexp(r"^[A-Za-z0-9._-]{2,80}$",
               message=_l("Tên đăng nhập: 2–80 ký tự gồm chữ không dấu, số, «.», «-» hoặc «_»"))])
    full_name = StringField(_l("Họ và tên"), validators=[_required(_l("Họ và tên")), Length(max=200)])
    email = StringField(_l("Thư điện tử"), validators=[
        Optional(), Email(_l("Thư điện tử: địa chỉ không hợp lệ")), Length(max=255)])
    role = SelectField(_l("Vai trò"), choices=ROLE_CHOICES, validate_choice=False)
    unit_id = SelectField(_l("Đơn vị"), coerce=int, validate_choice=False)
    password = PasswordField(_l("Mật khẩu"), validators=[
        _required(_l("Mật khẩu")), Length(min=8, message=_l("Mật khẩu: phải có ít nhất 8 ký tự"))])
    confirm = PasswordField(_l("Nhập lại mật khẩu"), validators=[
        EqualTo("password", message=_l("Nhập lại mật khẩu: không khớp với mật khẩu"))])


class UserEditForm(Form):
    full_name = StringField(_l("Họ và tên"), validators=[_required(_l("Họ và tên")), Length(max=200)])
    email = StringField(_l("Thư điện tử"), validators=[
        Optional(), Email(_l("Thư điện tử: địa chỉ không hợp lệ")), Length(max=255)])
    role = SelectField(_l("Vai trò"), choices=ROLE_CHOICES, validate_choice=False)
    unit_id = SelectField(_l("Đơn vị"), coerce=int, validate_choice=False)
    active = BooleanField(_l("Đang hoạt động (bỏ chọn để khóa tài khoản)"))
    #: the version the form was opened at; the service refuses a stale one (409)
    version = HiddenField()


class PasswordResetForm(Form):
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[
        _required(_l("Mật khẩu mới")), Length(min=8, message=_l("Mật khẩu mới: phải có ít nhất 8 ký tự"))])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        EqualTo("new_password", message=_l("Nhập lại mật khẩu mới: không khớp"))])


class ConfirmForm(Form):
    """An empty form: a button that POSTs with a CSRF token."""


class UserImportForm(Form):
    file = FileField(_l("Tệp danh sách người dùng (.csv hoặc .xlsx)"),
                     validators=[FileRequired(_l("Hãy chọn tệp .csv hoặc .xlsx"))])


class UserImportConfirmForm(Form):
    upload = HiddenField(validators=[DataRequired()])
