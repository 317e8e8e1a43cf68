"""Forms of the plan importer: upload, preview corrections, confirm/discard, clone."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forms.base import Form
from forms.fields import WholeNumberField, clean_text
from tracker.domain.formatting import parse_vn_date

_YEAR_RANGE = NumberRange(min=2000, max=2100, message=_l("Năm phải từ 2000 đến 2100"))


class PlanUploadForm(Form):
    file = FileField(_l("Tệp phụ lục kế hoạch (.docx hoặc .xlsx)"),
                     validators=[FileRequired(_l("Hãy chọn tệp Word hoặc Excel của kế hoạch"))])
    code = StringField(_l("Mã kế hoạch (để trống: lấy theo số quyết định)"), filters=[clean_text],
                       validators=[Optional(), Length(max=60, message=_l("Mã kế hoạch tối đa 60 ký tự"))])
    year = WholeNumberField(_l("Năm kế hoạch (để trống: lấy từ tệp)"), example="2024",
                            validators=[Optional(), _YEAR_RANGE])
    title = StringField(_l("Tên kế hoạch (để trống: lấy từ tệp)"), filters=[clean_text],
                        validators=[Optional(), Length(max=500, message=_l("Tên kế hoạch tối đa 500 ký tự"))])


class PreviewForm(Form):
    """The plan's own fields in the preview; the cells of the tree are posted as cell-<key> inputs."""

    version = HiddenField()
    code = StringField(_l("Mã kế hoạch"), filters=[clean_text], validators=[
        DataRequired(_l("Hãy nhập mã kế hoạch")), Length(max=60, message=_l("Mã kế hoạch tối đa 60 ký tự"))])
    title = TextAreaField(_l("Tên kế hoạch"), filters=[clean_text], validators=[
        DataRequired(_l("Hãy nhập tên kế hoạch")), Length(max=500, message=_l("Tên kế hoạch tối đa 500 ký tự"))])
    year = WholeNumberField(_l("Năm kế hoạch"), example="2024",
                            validators=[InputRequired(_l("Hãy nhập năm kế hoạch")), _YEAR_RANGE])
    issuer = StringField(_l("Cơ quan ban hành"), filters=[clean_text], validators=[Optional(), Length(max=255)])
    #: which province's units the cells may name and collectives expand to; choices set by the view
    issuer_unit = SelectField(_l("Tỉnh ban hành (đơn vị được giao thuộc tỉnh này)"), validators=[Optional()],
                              validate_choice=False)
    doc_type = StringField(_l("Loại văn bản"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    doc_number = StringField(_l("Số văn bản"), filters=[clean_text], validators=[Optional(), Length(max=60)])
    doc_date = StringField(_l("Ngày ban hành (dd/mm/yyyy)"), filters=[clean_text], validators=[Optional()])
    signer = StringField(_l("Người ký"), filters=[clean_text], validators=[Optional(), Length(max=200)])

    def validate_issuer_unit(self, field) -> None:
        """Only a province the page offered (WTForms' own message would be English)."""
        if field.data and field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Hãy chọn tỉnh ban hành trong danh sách"))

    def validate_doc_date(self, field) -> None:
        """Dates are typed dd/mm/yyyy."""
        if field.data:
            try:
                parse_vn_date(field.data)
            except ValueError as error:
                raise ValidationError(_l("Ngày ban hành: %(error)s", error=str(error))) from error

    def meta_values(self) -> dict:
        """The plan fields as apply_meta() takes them."""
        return {"code": self.code.data, "title": self.title.data, "year": self.year.data,
                "issuer": self.issuer.data, "issuer_unit": self.issuer_unit.data, "doc_type": self.doc_type.data,
                "doc_number": self.doc_number.data,
                "doc_date": parse_vn_date(self.doc_date.data) if self.doc_date.data else None,
                "signer": self.signer.data}


class ConfirmForm(Form):
    version = HiddenField()


class CloneForm(Form):
    code = StringField(_l("Mã kế hoạch mới"), filters=[clean_text], validators=[
        DataRequired(_l("Hãy nhập mã kế hoạch mới")), Length(max=60, message=_l("Mã kế hoạch tối đa 60 ký tự"))])
    year = WholeNumberField(_l("Năm của kế hoạch mới"), example="2024",
                            validators=[InputRequired(_l("Hãy nhập năm")), _YEAR_RANGE])
    title = TextAreaField(_l("Tên kế hoạch mới (để trống: thay năm trong tên cũ)"), filters=[clean_text],
                          validators=[Optional(), Length(max=500, message=_l("Tên kế hoạch tối đa 500 ký tự"))])
