"""Forms for reports: the year-end report and the results notice, with the office's narrative texts."""
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import Form
from tracker.domain.formatting import parse_vn_date
from tracker.domain.periods import PeriodError, parse_period
from tracker.domain.textnorm import clean

NARRATIVE_MAX = 20_000


def _clean(value):
    """Collapse spaces and NFC-normalise one-line inputs (text pasted from Word)."""
    return clean(value) if isinstance(value, str) else value


def _strip(value):
    """Keep the line breaks of long texts, trim the ends."""
    return value.strip() if isinstance(value, str) else value


class ChecklistField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class YearField(IntegerField):
    """A year whose parse error is Vietnamese and names the field."""

    def process_formdata(self, valuelist):
        raw = str(valuelist[0]).strip() if valuelist else ""
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError as error:
            self.data = None
            raise ValueError(_l("%(field)s phải là số năm, ví dụ 2023", field=self.label.text)) from error


def _vn_date(form, field) -> None:
    if field.data:
        try:
            parse_vn_date(field.data)
        except ValueError as error:
            raise ValidationError(_l("%(field)s: %(error)s", field=field.label.text, error=str(error))) from None


def _period(form, field) -> None:
    if field.data:
        try:
            parse_period(field.data)
        except PeriodError as error:
            raise ValidationError(str(error)) from None


def _year_range(form, field) -> None:
    if field.data is not None and not 2000 <= field.data <= 2100:
        raise ValidationError(_l("Năm phải từ 2000 đến 2100"))


def _known_choice(form, field) -> None:
    """A select's value must be one offered (the message is Vietnamese and names the field)."""
    offered = {str(value) for value, _label in field.choices}
    values = field.data if isinstance(field.data, list) else [field.data]
    unknown = [str(value) for value in values if (value or "") not in offered]
    if unknown:
        raise ValidationError(_l("%(field)s: «%(value)s» không có trong danh sách được chọn",
                                 field=field.label.text, value=", ".join(unknown)))


FORMAT_CHOICES = [("pdf", "PDF"), ("docx", "Word (.docx)"), ("xlsx", "Excel (.xlsx)")]


class _DocumentFields(Form):
    """What the office fills in on every document: number, date, summary, recipients and signer."""

    formats = ChecklistField(_l("Định dạng tệp"), choices=FORMAT_CHOICES, default=["pdf", "docx", "xlsx"],
                             validate_choice=False,
                             validators=[DataRequired(_l("Chọn ít nhất một định dạng tệp")), _known_choice])
    number = StringField(_l("Số, ký hiệu"), filters=[_clean], validators=[Optional(), Length(max=60)])
    doc_date = StringField(_l("Ngày ban hành (dd/mm/yyyy)"), filters=[_clean], validators=[Optional(), _vn_date])
    title = StringField(_l("Trích yếu"), filters=[_clean], validators=[Optional(), Length(max=300)])
    recipients = TextAreaField(_l("Nơi nhận (mỗi dòng một nơi)"), filters=[_strip],
                               validators=[Optional(), Length(max=2000)])
    signer_authority = StringField(_l("Thẩm quyền ký"), filters=[_clean], validators=[Optional(), Length(max=100)])
    signer_position = StringField(_l("Chức vụ người ký"), filters=[_clean], validators=[Optional(), Length(max=100)])
    signer_name = StringField(_l("Họ tên người ký"), filters=[_clean], validators=[Optional(), Length(max=100)])

    DOC_KEYS = ("number", "doc_date", "title", "recipients", "signer_authority", "signer_position", "signer_name")


def _narrative(label):
    return TextAreaField(label, filters=[_strip], validators=[Optional(), Length(max=NARRATIVE_MAX)])


class YearReportForm(_DocumentFields):
    """Settings and texts of a year-end report (plan choices and units are filled in by the view)."""

    year = YearField(_l("Năm báo cáo"), validators=[InputRequired(_l("Hãy nhập năm báo cáo")), _year_range])
    plans = SelectMultipleField(_l("Kế hoạch, văn bản chỉ đạo (để trống: mọi kế hoạch của năm)"), choices=[],
                                validate_choice=False, validators=[_known_choice])
    unit = SelectField(_l("Đơn vị (để trống: toàn tỉnh)"), choices=[], validate_choice=False,
                       validators=[_known_choice])
    framework = SelectField(_l("Bộ chỉ số cho phần II"), choices=[], validate_choice=False,
                            validators=[_known_choice])
    period = StringField(_l("Kỳ kết quả chỉ số (để trống: năm báo cáo)"), filters=[_clean],
                         validators=[Optional(), _period])
    as_of = StringField(_l("Tính số liệu đến ngày (dd/mm/yyyy, để trống: hôm nay)"), filters=[_clean],
                        validators=[Optional(), _vn_date])
    intro = _narrative(_l("Mở đầu (căn cứ, mục đích)"))
    plan_assessment = _narrative(_l("I. Đánh giá chung về thực hiện kế hoạch"))
    indicators_assessment = _narrative(_l("II. Đánh giá về kết quả các chỉ số"))
    causes = _narrative(_l("III. Nguyên nhân của tồn tại, hạn chế"))
    next_steps = _narrative(_l("IV. Nhiệm vụ, giải pháp thời gian tới"))

    NARRATIVE_KEYS = ("intro", "plan_assessment", "indicators_assessment", "causes", "next_steps")


class NoticeForm(_DocumentFields):
    """Settings and texts of a results notice."""

    framework = SelectField(_l("Bộ chỉ số"), choices=[], validate_choice=False,
                            validators=[DataRequired(_l("Hãy chọn bộ chỉ số")), _known_choice])
    period = StringField(_l("Kỳ đánh giá (ví dụ Q2/2024)"), filters=[_clean],
                         validators=[DataRequired(_l("Hãy nhập kỳ đánh giá")), _period])
    addressees = TextAreaField(_l("Kính gửi (mỗi dòng một nơi)"), filters=[_strip],
                               validators=[Optional(), Length(max=2000)])
    intro = _narrative(_l("Mở đầu (căn cứ)"))
    snapshot = StringField(_l("Thời điểm đánh giá, xếp loại (ví dụ 11 giờ 00 phút ngày 08/7/2024)"),
                           filters=[_clean], validators=[Optional(), Length(max=200)])
    requests = _narrative(_l("Đề nghị các cơ quan, đơn vị"))

    NARRATIVE_KEYS = ("addressees", "intro", "snapshot", "requests")


class RegenerateForm(Form):
    """POST-only: make a new version from the report's current settings (CSRF only)."""
