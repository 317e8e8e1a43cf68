"""Fields and filters shared by the forms of every area."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField
from wtforms.widgets import TextInput

from tracker.domain.formatting import fmt_date, parse_vn_date
from tracker.domain.textnorm import clean
from tracker.request_input import MAX_DB_INT


def clean_text(value):
    """Filter: collapse whitespace and NFC-normalise what users type or paste from Word."""
    return clean(value) if isinstance(value, str) else value


class WholeNumberField(IntegerField):
    """An integer field whose parse error is Vietnamese and names the field."""

    def __init__(self, label=None, validators=None, example: str = "", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.example = example

    def process_formdata(self, valuelist):
        """Parse the typed text; empty stays None so Optional/InputRequired decide."""
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError as error:
            self.data = None
            if self.example:
                raise ValueError(_l("%(field)s phải là số nguyên, ví dụ %(example)s", field=self.label.text,
                                    example=self.example)) from error
            raise ValueError(_l("%(field)s phải là số nguyên", field=self.label.text)) from error
        if abs(self.data) > MAX_DB_INT:  # the database cannot store it: say so instead of a 500
            self.data = None
            raise ValueError(_l("%(field)s: số quá lớn", field=self.label.text))


def parse_form_date(text: str) -> date:
    """dd/mm/yyyy as officials write it, or yyyy-mm-dd as a date picker sends; Vietnamese ValueError otherwise."""
    text = (text or "").strip()
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return parse_vn_date(text)


class VnDateField(Field):
    """A dd/mm/yyyy date typed as text (yyyy-mm-dd accepted too); 31/02/2023 gets a Vietnamese message."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return fmt_date(self.data) if isinstance(self.data, date) else ""

    def process_formdata(self, valuelist: list) -> None:
        """Parse the typed text; empty stays None so Optional/DataRequired decide."""
        text = ((valuelist[0] if valuelist else "") or "").strip()
        if not text:
            self.data = None
            return
        try:
            self.data = parse_form_date(text)
        except ValueError as error:
            self.data = None
            # the domain message already names the date and why it is wrong
            raise ValueError(str(error)) from None
