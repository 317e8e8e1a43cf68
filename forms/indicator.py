"""Forms of the indicators area: framework upload, results import and mapping, links, ratio reports."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import Form
from tracker.domain.formatting import parse_vn_decimal
from tracker.domain.periods import PeriodError, parse_period
from tracker.domain.textnorm import clean


def _clean(value):
    """Collapse whitespace and NFC-normalise what users type or paste."""
    return clean(value) if isinstance(value, str) else value


class FrameworkUploadForm(Form):
    """An administrator loads a framework YAML file."""

    file = FileField(_l("Tệp bộ chỉ số (.yaml)"), validators=[FileRequired(_l("Hãy chọn tệp bộ chỉ số"))])


class ImportUploadForm(Form):
    """Step 1 of an import: which framework and period, and the table file."""

    framework = SelectField(_l("Bộ chỉ số"), validators=[DataRequired(_l("Hãy chọn bộ chỉ số"))])
    period = StringField(_l("Kỳ đánh giá"), filters=[_clean],
                         validators=[DataRequired(_l("Hãy nhập kỳ đánh giá")), Length(max=40)],
                         description=_l("Ví dụ: 2024, 6 tháng đầu năm 2024, Q2/2024, Tháng 10/2025, Tuần 27/2024, "
                                        "11:00 08/07/2024"))
    source = StringField(_l("Văn bản công bố"), filters=[_clean], validators=[Length(max=500)],
                         description=_l("Ví dụ: Quyết định số 01/QĐ-UBND ngày 02/01/2025"))
    scope = SelectField(_l("Khớp tên đơn vị trong"), default="")
    sheet = StringField(_l("Trang tính (tệp Excel)"), filters=[_clean], validators=[Optional(), Length(max=100)])
    file = FileField(_l("Bảng kết quả (.xlsx, .csv, .tsv)"),
                     validators=[FileRequired(_l("Hãy chọn tệp bảng kết quả"))])

    def validate_period(self, field) -> None:
        """A period label the app can read."""
        try:
            parse_period(field.data or "")
        except PeriodError as error:
            raise ValidationError(str(error)) from error


class PostForm(Form):
    """A POST-only action (confirm, …): just the CSRF token."""


def mapping_form(columns: list[tuple[int, str, str]], choices: list[tuple[str, str]], formdata=None) -> Form:
    """A form with one select per table column (name col_<index>), preset to the current mapping."""

    class MappingForm(Form):
        pass

    for index, header, current in columns:
        label = header or _l("Cột %(n)s", n=index + 1)
        setattr(MappingForm, f"col_{index}", SelectField(label, choices=[SelectChoice(v, t) for v, t in choices],
                                                         default=current))
    return MappingForm(formdata=formdata)


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multiple choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Refuse values that are not among the choices, naming the field."""
        values = {choice.value if isinstance(choice, SelectChoice) else choice[0] for choice in self.choices}
        for item in self.data or []:
            if item not in values:
                raise ValidationError(_l("%(field)s: lựa chọn không hợp lệ", field=self.label.text))


class LinksForm(Form):
    """The nodes an activity should improve."""

    nodes = MultiCheckboxField(_l("Chỉ tiêu"), coerce=int, validate_choice=False)
    note = StringField(_l("Lý do liên kết"), filters=[_clean], validators=[Length(max=500)])


class BulkLinksForm(Form):
    """The activities linked to one node, edited together."""

    activities = MultiCheckboxField(_l("Hoạt động"), coerce=int, validate_choice=False)


def ratio_form(nodes, formdata=None) -> Form:
    """b and a per ratio node (names b_<id>, a_<id>), Vietnamese numbers accepted ("343.894", "85,6")."""

    class RatioForm(Form):
        note = TextAreaField(_l("Ghi chú"), filters=[_clean], validators=[Length(max=2000)])

        def ratio_values(self) -> dict[int, tuple[Decimal, Decimal]]:
            """{node id: (b, a)} for the nodes with both numbers filled in."""
            result = {}
            for node in nodes:
                b, a = getattr(self, f"b_{node.id}").data, getattr(self, f"a_{node.id}").data
                if b is not None and a is not None:
                    result[node.id] = (b, a)
            return result

        def validate(self, extra_validators=None) -> bool:
            """Each pair complete or empty, b ≤ a, and at least one pair."""
            ok = super().validate(extra_validators)
            filled = 0
            for node in nodes:
                b_field, a_field = getattr(self, f"b_{node.id}"), getattr(self, f"a_{node.id}")
                if (b_field.data is None) != (a_field.data is None) and not (b_field.errors or a_field.errors):
                    missing = a_field if a_field.data is None else b_field
                    missing.errors.append(_l("Chỉ tiêu %(code)s: hãy nhập cả b và a", code=node.code))
                    ok = False
                elif b_field.data is not None and a_field.data is not None:
                    filled += 1
                    if b_field.data > a_field.data:
                        b_field.errors.append(_l("Chỉ tiêu %(code)s: b không được lớn hơn a", code=node.code))
                        ok = False
            if ok and not filled:
                self.note.errors.append(_l("Hãy nhập số liệu b và a của ít nhất một chỉ tiêu"))
                ok = False
            return ok

    for node in nodes:
        setattr(RatioForm, f"b_{node.id}", CountField(_l("%(code)s — b", code=node.code)))
        setattr(RatioForm, f"a_{node.id}", CountField(_l("%(code)s — a", code=node.code)))
    return RatioForm(formdata=formdata)


class CountField(StringField):
    """A non-negative count typed the Vietnamese way ("343.894"); empty is None."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "") or ""
        if not raw.strip():
            self.data = None
            return
        try:
            value = parse_vn_decimal(raw)
        except ValueError as error:
            self.data = None
            raise ValueError(_l("%(field)s: %(error)s", field=self.label.text, error=str(error))) from error
        if value < 0:
            self.data = None
            raise ValueError(_l("%(field)s: không được âm", field=self.label.text))
        self.data = value

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data, "f").replace(".", ",")
