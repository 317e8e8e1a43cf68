"""Forms of the notifications area: the office's reminder policy and days off, action buttons."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from forms.base import Form
from forms.fields import VnDateField


class ReminderPolicyForm(Form):
    """The office's reminder policy."""

    days_before = StringField(_l("Nhắc trước hạn (số ngày, cách nhau bởi dấu phẩy)"), validators=[
        Length(max=60, message=_l("Nhắc trước hạn: dài quá 60 ký tự"))], render_kw={"placeholder": "7, 3, 1"})
    on_due_day = BooleanField(_l("Nhắc vào ngày đến hạn"))
    overdue_every = IntegerField(_l("Khi quá hạn, nhắc lại sau mỗi (ngày; 0 = không nhắc)"), validators=[
        InputRequired(_l("Hãy nhập số ngày nhắc lại khi quá hạn")),
        NumberRange(0, 365, _l("Nhắc lại khi quá hạn: từ %(min)s đến %(max)s ngày"))])
    escalate_head_after = IntegerField(_l("Báo lãnh đạo đơn vị khi quá hạn (ngày; 0 = không báo)"), validators=[
        InputRequired(_l("Hãy nhập số ngày quá hạn để báo lãnh đạo đơn vị")),
        NumberRange(0, 365, _l("Báo lãnh đạo đơn vị: từ %(min)s đến %(max)s ngày"))])
    escalate_office_after = IntegerField(_l("Báo Văn phòng UBND tỉnh khi quá hạn (ngày; 0 = không báo)"), validators=[
        InputRequired(_l("Hãy nhập số ngày quá hạn để báo Văn phòng")),
        NumberRange(0, 365, _l("Báo Văn phòng: từ %(min)s đến %(max)s ngày"))])
    working_days = RadioField(_l("Cách đếm ngày"), choices=[
        ("calendar", _l("Ngày lịch")), ("working", _l("Ngày làm việc (bỏ thứ Bảy, Chủ nhật, ngày lễ, ngày nghỉ)"))],
        default="calendar", validators=[InputRequired(_l("Hãy chọn cách đếm ngày"))])
    stale_after_days = IntegerField(_l("Báo đơn vị không cập nhật tiến độ sau (ngày)"), validators=[
        InputRequired(_l("Hãy nhập số ngày không cập nhật")),
        NumberRange(1, 365, _l("Số ngày không cập nhật: từ %(min)s đến %(max)s"))])
    version = HiddenField(validators=[DataRequired(_l("Thiếu phiên bản dữ liệu; hãy tải lại trang"))])
    save = SubmitField(_l("Lưu chính sách"))

    def validate_days_before(self, field) -> None:
        """A comma-separated list of whole days from 1 to 90."""
        parts = [p.strip() for p in (field.data or "").replace(";", ",").split(",") if p.strip()]
        if not all(p.isdigit() and 1 <= int(p) <= 90 for p in parts):
            raise ValidationError(_l("Nhắc trước hạn: mỗi số ngày phải là số nguyên từ 1 đến 90, ví dụ «7, 3, 1»"))
        field.days = sorted({int(p) for p in parts}, reverse=True)

    def validate_version(self, field) -> None:
        """The version the office saw when opening the page."""
        if not str(field.data or "").isdigit():
            raise ValidationError(_l("Phiên bản dữ liệu không hợp lệ; hãy tải lại trang"))


class DayOverrideForm(Form):
    """An announced day off or make-up working day."""

    day = VnDateField(_l("Ngày (dd/mm/yyyy)"), validators=[InputRequired(_l("Hãy nhập ngày"))],
                      render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
    kind = SelectField(_l("Loại"), choices=[("off", _l("Ngày nghỉ")), ("work", _l("Ngày làm bù"))],
                       validators=[InputRequired(_l("Hãy chọn loại ngày"))])
    name = StringField(_l("Ghi chú"), validators=[Length(max=200, message=_l("Ghi chú dài quá 200 ký tự"))],
                       render_kw={"placeholder": "Nghỉ bù Quốc khánh"})
    add = SubmitField(_l("Thêm ngày"))


class ActionForm(Form):
    """An empty form: the CSRF token of a POST-only action button."""
