"""Forms of the assignment workflow: progress, review, extension request and decision."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, MultipleFileField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forms.base import Form
from forms.fields import VnDateField
from tracker import clock


def _check_version(_form, field) -> None:
    if not str(field.data or "").isdigit():
        raise ValidationError(_l("Phiên bản dữ liệu không hợp lệ; hãy tải lại trang"))


class ProgressForm(Form):
    """A unit's progress update, or its submission that the work is done."""

    percent = IntegerField(_l("Tiến độ (%)"), validators=[
        InputRequired(_l("Hãy nhập tiến độ (%) từ 0 đến 100")),
        NumberRange(0, 100, _l("Tiến độ (%%) phải từ %(min)s đến %(max)s"))],
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"})
    note = TextAreaField(_l("Ghi chú / kết quả thực hiện"), validators=[
        Length(max=5000, message=_l("Ghi chú dài quá 5.000 ký tự"))])
    files = MultipleFileField(_l("Tệp minh chứng (PDF, Word, Excel, ảnh)"))
    evidence_number = StringField(_l("Số văn bản minh chứng"), validators=[
        Optional(), Length(max=100, message=_l("Số văn bản dài quá 100 ký tự"))],
        render_kw={"placeholder": "123/BC-STP"})
    evidence_date = VnDateField(_l("Ngày văn bản (dd/mm/yyyy)"), validators=[Optional()],
                                render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
    #: the version the user saw when the page was opened; the service refuses a stale one (409)
    version = HiddenField(validators=[DataRequired(_l("Thiếu phiên bản dữ liệu; hãy tải lại trang")), _check_version])
    save = SubmitField(_l("Lưu tiến độ"))
    submit_done = SubmitField(_l("Báo cáo hoàn thành"))

    def validate_evidence_date(self, field) -> None:
        """An issued document cannot be dated in the future."""
        if field.data and field.data > clock.today():
            raise ValidationError(_l("Ngày văn bản minh chứng không được sau hôm nay"))


class ReviewForm(Form):
    """The office confirms a submitted completion or sends it back with a reason."""

    reason = TextAreaField(_l("Lý do trả lại / ý kiến"), validators=[
        Length(max=2000, message=_l("Lý do dài quá 2.000 ký tự"))])
    version = HiddenField(validators=[DataRequired(_l("Thiếu phiên bản dữ liệu; hãy tải lại trang")), _check_version])
    back = HiddenField()
    confirm = SubmitField(_l("Xác nhận hoàn thành"))
    send_back = SubmitField(_l("Trả lại"))

    def validate_reason(self, field) -> None:
        """Sending work back needs a reason the unit can act on."""
        if self.send_back.data and not (field.data or "").strip():
            raise ValidationError(_l("Hãy nêu lý do trả lại"))

    def validate(self, extra_validators=None) -> bool:
        """Also require one of the two buttons, so a bare post never counts as a return."""
        valid = super().validate(extra_validators)
        if not (self.confirm.data or self.send_back.data):
            self.form_errors.append(_l("Hãy chọn «Xác nhận hoàn thành» hoặc «Trả lại»"))
            return False
        return valid


class ExtensionRequestForm(Form):
    """A unit asks for a later deadline."""

    requested_due = VnDateField(_l("Đề nghị gia hạn đến ngày (dd/mm/yyyy)"), validators=[
        InputRequired(_l("Hãy nhập ngày đề nghị gia hạn"))],
        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
    reason = TextAreaField(_l("Lý do xin gia hạn"), validators=[
        DataRequired(_l("Hãy nêu lý do xin gia hạn")), Length(max=2000, message=_l("Lý do dài quá 2.000 ký tự"))])
    ask = SubmitField(_l("Xin gia hạn"))


class ExtensionDecisionForm(Form):
    """The office approves or refuses an extension request."""

    note = TextAreaField(_l("Ý kiến của Văn phòng"), validators=[
        Length(max=2000, message=_l("Ý kiến dài quá 2.000 ký tự"))])
    #: the version of the request the office saw; a decision already taken makes it stale (409)
    version = HiddenField(validators=[DataRequired(_l("Thiếu phiên bản dữ liệu; hãy tải lại trang")), _check_version])
    back = HiddenField()
    approve = SubmitField(_l("Duyệt gia hạn"))
    refuse = SubmitField(_l("Từ chối"))

    def validate_note(self, field) -> None:
        """A refusal must say why."""
        if self.refuse.data and not (field.data or "").strip():
            raise ValidationError(_l("Hãy nêu lý do từ chối gia hạn"))

    def validate(self, extra_validators=None) -> bool:
        """Also require one of the two buttons, so a bare post never counts as a refusal."""
        valid = super().validate(extra_validators)
        if not (self.approve.data or self.refuse.data):
            self.form_errors.append(_l("Hãy chọn «Duyệt gia hạn» hoặc «Từ chối»"))
            return False
        return valid
