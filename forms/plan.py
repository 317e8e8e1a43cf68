"""Forms for plans and directives: the plan itself, task groups, tasks and activities."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forms.base import Form
from forms.fields import WholeNumberField, clean_text
from tracker.domain.deadlines import DeadlineError, parse_deadline
from tracker.domain.formatting import parse_vn_date


class PlanForm(Form):
    code = StringField(_l("Mã kế hoạch"), filters=[clean_text],
                       validators=[DataRequired(_l("Hãy nhập mã kế hoạch")), Length(max=60)])
    kind = SelectField(_l("Loại"), choices=[SelectChoice("plan", _l("Kế hoạch")),
                                            SelectChoice("directive", _l("Văn bản chỉ đạo"))],
                       default="plan")
    title = StringField(_l("Tên kế hoạch"), filters=[clean_text],
                        validators=[DataRequired(_l("Hãy nhập tên kế hoạch")), Length(max=500)])
    # InputRequired, not DataRequired: it keeps the "not a whole number" error of a typed value
    year = WholeNumberField(_l("Năm"), validators=[InputRequired(_l("Hãy nhập năm của kế hoạch")),
                                                   NumberRange(2000, 2100, _l("Năm phải từ 2000 đến 2100"))])
    issuer = StringField(_l("Cơ quan ban hành"), filters=[clean_text], validators=[Length(max=255)])
    doc_type = StringField(_l("Loại văn bản"), filters=[clean_text], default="Quyết định", validators=[Length(max=60)])
    doc_number = StringField(_l("Số, ký hiệu"), filters=[clean_text], validators=[Length(max=60)])
    doc_date = StringField(_l("Ngày ban hành (ngày/tháng/năm)"), filters=[clean_text])
    signer = StringField(_l("Người ký"), filters=[clean_text], validators=[Length(max=200)])
    declared_groups = WholeNumberField(_l("Số nhóm nhiệm vụ theo văn bản"),
                                       validators=[Optional(), NumberRange(min=0, message=_l("Không được âm"))])
    declared_tasks = WholeNumberField(_l("Số nhiệm vụ theo văn bản"),
                                      validators=[Optional(), NumberRange(min=0, message=_l("Không được âm"))])
    declared_activities = WholeNumberField(_l("Số hoạt động theo văn bản"),
                                           validators=[Optional(), NumberRange(min=0, message=_l("Không được âm"))])
    version = HiddenField()

    def validate_doc_date(self, field) -> None:
        """A dd/mm/yyyy date that exists (or nothing)."""
        if field.data:
            try:
                parse_vn_date(field.data)
            except ValueError as error:
                raise ValidationError(str(error)) from error

    def fill_from(self, plan) -> None:
        """Pre-fill the form from a saved plan (dates as dd/mm/yyyy, the version for the stale-edit check)."""
        for name in ("code", "kind", "title", "year", "issuer", "doc_type", "doc_number", "signer",
                     "declared_groups", "declared_tasks", "declared_activities"):
            getattr(self, name).data = getattr(plan, name)
        self.doc_date.data = plan.doc_date.strftime("%d/%m/%Y") if plan.doc_date else ""
        self.version.data = str(plan.version)

    def values(self) -> dict:
        """Column values for tracker.services.plans.save_plan."""
        return {
            "code": self.code.data, "kind": self.kind.data, "title": self.title.data, "year": self.year.data,
            "issuer": self.issuer.data or "", "doc_type": self.doc_type.data or "",
            "doc_number": self.doc_number.data or "",
            "doc_date": parse_vn_date(self.doc_date.data) if self.doc_date.data else None,
            "signer": self.signer.data or "", "declared_groups": self.declared_groups.data,
            "declared_tasks": self.declared_tasks.data, "declared_activities": self.declared_activities.data,
        }


class GroupForm(Form):
    number = StringField(_l("Số thứ tự nhóm (I, II, …)"), filters=[clean_text],
                         validators=[DataRequired(_l("Hãy nhập số thứ tự nhóm")), Length(max=10)])
    title = StringField(_l("Tên nhóm nhiệm vụ"), filters=[clean_text],
                        validators=[DataRequired(_l("Hãy nhập tên nhóm nhiệm vụ")), Length(max=500)])
    declared_tasks = WholeNumberField(_l("Số nhiệm vụ theo văn bản"),
                                      validators=[Optional(), NumberRange(min=0, message=_l("Không được âm"))])
    declared_activities = WholeNumberField(_l("Số hoạt động theo văn bản"),
                                           validators=[Optional(), NumberRange(min=0, message=_l("Không được âm"))])

    def fill_from(self, group) -> None:
        """Pre-fill the form from a saved group."""
        for name in ("number", "title", "declared_tasks", "declared_activities"):
            getattr(self, name).data = getattr(group, name)

    def values(self) -> dict:
        """Column values for save_group."""
        return {"number": self.number.data, "title": self.title.data, "declared_tasks": self.declared_tasks.data,
                "declared_activities": self.declared_activities.data}


class TaskForm(Form):
    number = StringField(_l("Số thứ tự nhiệm vụ"), filters=[clean_text],
                         validators=[DataRequired(_l("Hãy nhập số thứ tự nhiệm vụ")), Length(max=10)])
    title = TextAreaField(_l("Tên nhiệm vụ"), filters=[clean_text],
                          validators=[DataRequired(_l("Hãy nhập tên nhiệm vụ")), Length(max=4000)])

    def fill_from(self, task) -> None:
        """Pre-fill the form from a saved task."""
        self.number.data, self.title.data = task.number, task.title

    def values(self) -> dict:
        """Column values for save_task."""
        return {"number": self.number.data, "title": self.title.data}


class ActivityForm(Form):
    number = StringField(_l("Số thứ tự hoạt động"), filters=[clean_text],
                         validators=[DataRequired(_l("Hãy nhập số thứ tự hoạt động")), Length(max=20)])
    content = TextAreaField(_l("Nội dung"), filters=[clean_text],
                            validators=[DataRequired(_l("Hãy nhập nội dung hoạt động")), Length(max=4000)])
    product = TextAreaField(_l("Sản phẩm / chỉ tiêu"), filters=[clean_text], validators=[Length(max=4000)])
    target_province = StringField(_l("Chỉ tiêu cấp tỉnh"), filters=[clean_text], validators=[Length(max=200)])
    target_district = StringField(_l("Chỉ tiêu cấp huyện"), filters=[clean_text], validators=[Length(max=200)])
    target_commune = StringField(_l("Chỉ tiêu cấp xã"), filters=[clean_text], validators=[Length(max=200)])
    lead_text = TextAreaField(_l("Đơn vị chủ trì"), filters=[clean_text],
                              validators=[DataRequired(_l("Hãy nhập đơn vị chủ trì")), Length(max=2000)])
    coordinating_text = TextAreaField(_l("Đơn vị phối hợp"), filters=[clean_text], validators=[Length(max=2000)])
    deadline_text = StringField(_l("Thời hạn (như văn bản ghi)"), filters=[clean_text],
                                validators=[DataRequired(_l("Hãy nhập thời hạn")), Length(max=255)])
    footnotes = StringField(_l("Chú thích (ký hiệu, cách nhau bởi dấu phẩy)"), filters=[clean_text],
                            validators=[Length(max=100)])
    accept_unknown = BooleanField(_l("Vẫn lưu dù có tên đơn vị không nhận ra (đơn vị đó sẽ không được giao việc)"))
    version = HiddenField()

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        #: the plan gives the year missing from "Quý IV" and the footnotes that may be cited
        self.plan = plan

    def validate_deadline_text(self, field) -> None:
        """The deadline wording must parse into a real date for the plan's year."""
        if self.plan is None or not field.data:
            return
        try:
            parse_deadline(field.data, self.plan.year)
        except DeadlineError as error:
            raise ValidationError(str(error)) from error

    def footnote_marks(self) -> list[str]:
        """The cited footnote marks, in the order typed."""
        return [mark.strip() for mark in (self.footnotes.data or "").replace(";", ",").split(",") if mark.strip()]

    def validate_footnotes(self, field) -> None:
        """Every cited mark must be one of the plan's footnotes."""
        known = set((self.plan.footnotes or {}) if self.plan is not None else {})
        unknown = [mark for mark in self.footnote_marks() if mark not in known]
        if unknown:
            raise ValidationError(_l("Kế hoạch không có chú thích %(marks)s", marks=", ".join(unknown)))

    def targets(self) -> dict:
        """Per-level targets typed in the form ({} → parsed from the product cell by the service)."""
        pairs = (("province", self.target_province.data), ("district", self.target_district.data),
                 ("commune", self.target_commune.data))
        return {key: value for key, value in pairs if value}

    def spec(self) -> dict:
        """The activity mapping tracker.services.plans.save_activity takes (plan-file schema)."""
        return {"number": self.number.data, "content": self.content.data, "product": self.product.data or "",
                "targets": self.targets(), "lead": self.lead_text.data or "",
                "coordinating": self.coordinating_text.data or "", "deadline": self.deadline_text.data,
                "footnotes": self.footnote_marks()}

    def fill_from(self, activity) -> None:
        """Pre-fill the form from a saved activity."""
        targets = activity.targets or {}
        self.number.data, self.content.data, self.product.data = activity.number, activity.content, activity.product
        self.target_province.data = targets.get("province", "")
        self.target_district.data = targets.get("district", "")
        self.target_commune.data = targets.get("commune", "")
        self.lead_text.data, self.coordinating_text.data = activity.lead_text, activity.coordinating_text
        self.deadline_text.data = activity.deadline_text
        self.footnotes.data = ", ".join(str(mark) for mark in activity.footnotes or [])
        self.version.data = str(activity.version)


class DeleteForm(Form):
    """An empty form: CSRF protection for POST-only actions."""
