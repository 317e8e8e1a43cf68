"""Plans: loading a plan mapping (curated file or importer), editing the tree, syncing assignments."""
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select

from models import Activity, Assignment, Plan, ProgressUpdate, Task, TaskGroup, Unit, db
from tracker.domain.assignees import UnitInfo, parse_assignees, resolve_assignees
from tracker.domain.deadlines import DeadlineError, parse_deadline
from tracker.domain.targets import parse_targets
from tracker.domain.textnorm import clean, fold
from tracker.permissions import can, descendant_ids, unit_parent_pairs
from tracker.services import audit
from tracker.services.errors import PermissionDenied
from tracker.services.notifications import notify_assignments_created
from tracker.services.units import unit_infos

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "plans"


class PlanError(ValueError):
    """A plan that cannot be saved; the message is for the user."""


def require_plan_manager(user) -> None:
    """The rule of the plan pages (`manage_plans`: the office, admins). None is the system (seeding, the CLI)."""
    if user is not None and not can(user, "manage_plans"):
        raise PermissionDenied(_l("Bạn không có quyền sửa kế hoạch"))


@dataclass
class LoadSummary:
    plan_code: str = ""
    groups: int = 0
    tasks: int = 0
    activities: int = 0
    assignments: int = 0
    #: activities the declared counts promise but the text lacks, e.g. ["III.2.1", …]
    gaps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable summary, Vietnamese."""
        out = [f"Kế hoạch {self.plan_code}: {self.groups} nhóm, {self.tasks} nhiệm vụ, "
               f"{self.activities} hoạt động, {self.assignments} phân công."]
        out += [f"Thiếu so với văn bản: {gap}" for gap in self.gaps]
        out += [f"Cảnh báo: {w}" for w in self.warnings]
        return out


def plan_unit_infos(issuer_unit_id: int | None, year: int | None = None):
    """Units an assignee text may name: those existing in the plan's year (or today) under the issuing province."""
    infos = unit_infos(date(year, 1, 1), date(year, 12, 31)) if year else unit_infos()
    if issuer_unit_id is None:
        return infos
    scope = descendant_ids(issuer_unit_id, unit_parent_pairs())
    return [info for info in infos if info.id in scope]


def issuing_units() -> list[Unit]:
    """Units a plan can be issued by: the roots of the unit tree (the provinces)."""
    return list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.sort_order, Unit.id)))


def issuer_unit_code(issuer_text: str | None, user=None) -> str | None:
    """The issuing province of a plan: the one its issuer text names, else the user's own province, else the only one.

    None when it cannot be told (several provinces, none named): the clerk has to pick it.
    """
    roots = issuing_units()
    infos = [UnitInfo(id=u.id, code=u.code, name=u.name, kind="province", aliases=tuple(u.aliases or ()))
             for u in roots]
    if clean(issuer_text or ""):
        named = resolve_assignees(parse_assignees(issuer_text), infos).unit_ids
        if len(named) == 1:
            return next(u.code for u in roots if u.id == named[0])
    unit = getattr(user, "unit", None)
    while unit is not None and unit.parent_id is not None:
        unit = unit.parent
    if unit is not None:
        return unit.code
    return roots[0].code if len(roots) == 1 else None


def activity_search_text(*parts: str) -> str:
    """Folded text of the activity's searchable cells."""
    return " | ".join(fold(p) for p in parts if p)


def desired_assignments(activity_values: dict, year: int, infos, cache: dict | None = None
                        ) -> tuple[list[dict], list[str]]:
    """Assignment rows (unit, responsibility, period, due) an activity implies, and warnings for unknown units.

    `cache` maps a cell text to its resolution, so a plan load resolves each distinct text once.
    """
    cache = {} if cache is None else cache
    warnings: list[str] = []
    number = activity_values.get("number", "")
    deadline = parse_deadline(activity_values["deadline_text"], year)
    periods = deadline.periods or ()
    rows: list[dict] = []
    seen: set[int] = set()
    for responsibility, text in (("lead", activity_values.get("lead_text", "")),
                                 ("coordinating", activity_values.get("coordinating_text", ""))):
        if not text:
            continue
        if text not in cache:
            cache[text] = resolve_assignees(parse_assignees(text), infos)
        resolution = cache[text]
        # shown at once on the page that asked (gettext in its reader's language); the domain's own words stay
        warnings += [_("Hoạt động %(number)s: %(warning)s", number=number, warning=w) for w in resolution.warnings]
        for name, suggestions in resolution.unknown:
            if suggestions:
                warnings.append(_("Hoạt động %(number)s: không tìm thấy đơn vị «%(name)s» (gợi ý: %(suggestions)s)",
                                  number=number, name=name, suggestions=", ".join(suggestions)))
            else:
                warnings.append(_("Hoạt động %(number)s: không tìm thấy đơn vị «%(name)s»", number=number,
                                  name=name))
        for unit_id in resolution.unit_ids:
            if unit_id in seen:  # a unit that leads does not also coordinate
                continue
            seen.add(unit_id)
            if periods:
                rows += [{"unit_id": unit_id, "responsibility": responsibility, "period_label": p.label,
                          "period_start": p.start, "due_date": p.due} for p in periods]
            else:
                rows.append({"unit_id": unit_id, "responsibility": responsibility, "period_label": "",
                             "period_start": None, "due_date": deadline.due})
    return rows, warnings


def activity_values(spec: dict, year: int) -> dict:
    """Column values of an Activity from a plan-file activity mapping (raises PlanError)."""
    deadline_text = clean(spec.get("deadline") or "")
    if not deadline_text:
        # the source lost the cell: hold the unit to the end of the plan year and say so in the summary
        deadline_text = f"Năm {year}"
    try:
        deadline = parse_deadline(deadline_text, year)
    except DeadlineError as error:
        raise PlanError(_l("Hoạt động %(number)s: %(error)s", number=spec.get("number", "?"), error=error)) from error
    product = clean(spec.get("product") or "")
    content = clean(spec.get("content") or "")
    if not content:
        raise PlanError(_l("Hoạt động %(number)s: thiếu nội dung", number=spec.get("number", "?")))
    lead = clean(spec.get("lead") or "")
    coordinating = clean(spec.get("coordinating") or "")
    return {
        "number": str(spec.get("number", "")),
        "content": content,
        "product": product,
        "targets": dict(spec.get("targets") or parse_targets(product)),
        "lead_text": lead,
        "coordinating_text": coordinating,
        "deadline_text": deadline_text,
        "deadline_kind": deadline.kind,
        "due_date": deadline.due,
        "footnotes": [str(f) for f in spec.get("footnotes", []) or []],
        "search_text": activity_search_text(content, product, lead, coordinating),
    }


def load_plan(data: dict, user=None, replace: bool = False) -> tuple[Plan, LoadSummary]:
    """Save a plan mapping (the curated-file schema) with its tree and assignments, all or nothing."""
    require_plan_manager(user)
    code = data["code"]
    summary = LoadSummary(plan_code=code)
    existing = db.session.scalar(select(Plan).where(Plan.code == code))
    if existing is not None:
        if not replace:
            raise PlanError(_l("Kế hoạch mã %(code)s đã có", code=code))
        db.session.delete(existing)
        db.session.flush()
    decision = data.get("decision") or {}
    year = int(data["year"])
    declared = data.get("declared") or {}
    plan = Plan(
        code=code, kind=data.get("kind", "plan"), title=clean(data["title"]), year=year,
        issuer=clean(data.get("issuer", "")), doc_type=decision.get("type", "Quyết định"),
        doc_number=decision.get("number", ""), doc_date=decision.get("date"), signer=decision.get("signer", ""),
        declared_groups=declared.get("groups"), declared_tasks=declared.get("tasks"),
        declared_activities=declared.get("activities"),
        footnotes={str(k): v for k, v in (data.get("footnotes") or {}).items()},
        known_gaps=list(data.get("known_gaps") or []),
    )
    db.session.add(plan)
    db.session.flush()
    issuer_unit_id = None
    if data.get("issuer_unit"):
        issuer_unit_id = db.session.scalar(select(Unit.id).where(Unit.code == data["issuer_unit"]))
        if issuer_unit_id is None:
            raise PlanError(_l("Không có đơn vị ban hành mã «%(issuer_unit)s»", issuer_unit=data["issuer_unit"]))
    plan.issuer_unit_id = issuer_unit_id
    infos = plan_unit_infos(issuer_unit_id, year)
    resolutions: dict = {}
    assignment_rows: list[dict] = []
    for g_pos, g_spec in enumerate(data.get("groups", [])):
        g_declared = g_spec.get("declared") or {}
        group = TaskGroup(plan_id=plan.id, number=str(g_spec["number"]), title=clean(g_spec["title"]),
                          position=g_pos, declared_tasks=g_declared.get("tasks"),
                          declared_activities=g_declared.get("activities"))
        db.session.add(group)
        summary.groups += 1
        present = 0
        for t_pos, t_spec in enumerate(g_spec.get("tasks", [])):
            # a title lost from the source stays visible as such rather than empty
            title = clean(t_spec.get("title") or "") or (
                f"(Văn bản nguồn mất tên nhiệm vụ {g_spec['number']}.{t_spec['number']})")
            task = Task(group=group, number=str(t_spec["number"]), title=title, position=t_pos)
            db.session.add(task)
            summary.tasks += 1
            db.session.flush()
            for a_pos, a_spec in enumerate(t_spec.get("activities", [])):
                values = activity_values(a_spec, year)
                activity = Activity(task_id=task.id, plan_id=plan.id, position=a_pos, **values)
                db.session.add(activity)
                db.session.flush()
                summary.activities += 1
                present += 1
                rows, warnings = desired_assignments(values, year, infos, resolutions)
                summary.warnings += warnings
                assignment_rows += [dict(r, activity_id=activity.id, plan_id=plan.id) for r in rows]
        if group.declared_activities is not None and present != group.declared_activities:
            summary.warnings.append(
                f"Nhóm {group.number}: văn bản ghi {group.declared_activities} hoạt động, có {present}")
    summary.gaps = [gap["number"] if isinstance(gap, dict) else str(gap) for gap in plan.known_gaps]
    for missing in data.get("missing_cells") or []:
        fields = ", ".join(missing.get("fields", [])) if isinstance(missing, dict) else ""
        number = missing.get("number", "?") if isinstance(missing, dict) else str(missing)
        summary.warnings.append(f"{number}: văn bản nguồn mất ô {fields}".rstrip())
    if plan.declared_activities is not None and plan.declared_activities != summary.activities:
        summary.warnings.append(f"Văn bản ghi {plan.declared_activities} hoạt động; nạp được {summary.activities}")
    if assignment_rows:
        db.session.execute(insert(Assignment), assignment_rows)
    summary.assignments = len(assignment_rows)
    audit.record(user, "create", plan, "audit.plan.load", {"plan": code, "activities": summary.activities})
    db.session.flush()
    notify_assignments_created(plan.id)
    return plan, summary


def load_plan_file(path: Path | str, user=None, replace: bool = False) -> tuple[Plan, LoadSummary]:
    """Load a curated plan YAML file."""
    return load_plan(yaml.safe_load(Path(path).read_text(encoding="utf-8")), user, replace)


def sync_assignments(activity: Activity, user=None) -> list[str]:
    """Make the activity's assignments match its lead/coordinating texts and deadline.

    New units get assignments; units no longer named lose theirs unless they already reported
    (history is never deleted: those are kept and reported as a warning).
    """
    require_plan_manager(user)
    rows, warnings = desired_assignments(
        {"number": activity.number, "deadline_text": activity.deadline_text, "lead_text": activity.lead_text,
         "coordinating_text": activity.coordinating_text}, activity.plan.year,
        plan_unit_infos(activity.plan.issuer_unit_id, activity.plan.year))
    wanted = {(r["unit_id"], r["period_label"]): r for r in rows}
    current = {(a.unit_id, a.period_label): a for a in db.session.scalars(
        select(Assignment).where(Assignment.activity_id == activity.id))}
    with_history = set(db.session.scalars(
        select(ProgressUpdate.assignment_id).join(Assignment).where(Assignment.activity_id == activity.id)))
    for key, assignment in current.items():
        if key in wanted:
            row = wanted[key]
            audit.apply(user, assignment, {"responsibility": row["responsibility"], "due_date": row["due_date"]},
                        "audit.assignment.sync", {"activity": activity.number, "unit": assignment.unit.name})
        elif assignment.id in with_history or assignment.started:
            warnings.append(_("Đơn vị %(unit)s đã báo cáo nên vẫn giữ phân công", unit=assignment.unit.name))
        else:
            audit.record(user, "delete", assignment, "audit.assignment.remove",
                         {"activity": activity.number, "unit": assignment.unit.name})
            db.session.delete(assignment)
    for key, row in wanted.items():
        if key not in current:
            assignment = Assignment(activity_id=activity.id, plan_id=activity.plan_id, **row)
            db.session.add(assignment)
            db.session.flush()
            audit.record(user, "create", assignment, "audit.assignment.add",
                         {"activity": activity.number, "unit": db.session.get(Unit, assignment.unit_id).name})
    db.session.flush()
    return warnings


def next_position(model, parent_column, parent_id: int) -> int:
    """Position after the last sibling."""
    last = db.session.scalar(select(func.max(model.position)).where(parent_column == parent_id))
    return 0 if last is None else last + 1


def save_plan(user, plan: Plan | None, values: dict) -> Plan:
    """Create or edit a plan's own fields, audited."""
    require_plan_manager(user)
    if plan is None:
        if db.session.scalar(select(Plan.id).where(Plan.code == values["code"])):
            raise PlanError(_l("Mã kế hoạch %(code)s đã được dùng", code=values["code"]))
        plan = Plan(**values)
        db.session.add(plan)
        db.session.flush()
        audit.record(user, "create", plan, "audit.plan.create", {"plan": plan.code})
        return plan
    audit.apply(user, plan, values, "audit.plan.update", {"plan": plan.code})
    return plan


def _save_child(user, model, parent_column, parent_id: int, obj, values: dict, noun: str):
    """Create (last among its siblings) or edit a group or task, audited either way."""
    if obj is None:
        obj = model(**{parent_column.key: parent_id}, position=next_position(model, parent_column, parent_id),
                    **values)
        db.session.add(obj)
        db.session.flush()
        audit.record(user, "create", obj, f"audit.{noun}.create", {"number": obj.number})
        return obj
    audit.apply(user, obj, values, f"audit.{noun}.update", {"number": obj.number})
    return obj


def save_group(user, plan: Plan, group: TaskGroup | None, values: dict) -> TaskGroup:
    """Create or edit a task group."""
    require_plan_manager(user)
    return _save_child(user, TaskGroup, TaskGroup.plan_id, plan.id, group, values, "task_group")


def save_task(user, group: TaskGroup, task: Task | None, values: dict) -> Task:
    """Create or edit a task."""
    require_plan_manager(user)
    return _save_child(user, Task, Task.group_id, group.id, task, values, "task")


def save_activity(user, task: Task, activity: Activity | None, spec: dict) -> tuple[Activity, list[str]]:
    """Create or edit an activity from form values, then sync its assignments."""
    require_plan_manager(user)
    plan = task.group.plan
    values = activity_values(spec, plan.year)
    if activity is None:
        activity = Activity(task_id=task.id, plan_id=plan.id,
                            position=next_position(Activity, Activity.task_id, task.id), **values)
        db.session.add(activity)
        db.session.flush()
        audit.record(user, "create", activity, "audit.activity.create", {"activity": activity.number})
    else:
        audit.apply(user, activity, values, "audit.activity.update", {"activity": activity.number})
    return activity, sync_assignments(activity, user)


def delete_activity(user, activity: Activity) -> None:
    """Delete an activity nobody has reported on yet."""
    require_plan_manager(user)
    has_history = db.session.scalar(
        select(func.count(ProgressUpdate.id)).join(Assignment).where(Assignment.activity_id == activity.id))
    if has_history:
        raise PlanError(_l("Hoạt động đã có báo cáo tiến độ nên không thể xoá"))
    audit.record(user, "delete", activity, "audit.activity.delete",
                 {"activity": f"{activity.number}: {activity.content[:200]}"})
    db.session.execute(delete(Assignment).where(Assignment.activity_id == activity.id))
    db.session.delete(activity)
    db.session.flush()



