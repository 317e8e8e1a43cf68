"""Links between activities (plan activities and directive tasks) and the framework nodes they should improve."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from models import Activity, ActivityIndicator, Framework, FrameworkNode, Plan, Task, TaskGroup, db
from tracker.permissions import can
from tracker.services import audit

LINKS_DIR = Path(__file__).resolve().parent.parent / "data" / "links"


class LinkError(ValueError):
    """A link cannot be made; the message is Vietnamese and names the activity or node."""


def _check_actor(user) -> None:
    if user is not None and not can(user, "manage_indicators"):
        raise LinkError("Bạn không được sửa liên kết chỉ tiêu")


def activity_label(activity: Activity) -> str:
    """Full number of an activity within its plan: group, then activity ("I.1.1")."""
    return f"{activity.task.group.number}.{activity.number}"


def links_of(activity_id: int) -> list[ActivityIndicator]:
    """The activity's links with their nodes and frameworks, by framework then node order."""
    return list(db.session.scalars(
        select(ActivityIndicator).join(FrameworkNode, FrameworkNode.id == ActivityIndicator.node_id)
        .join(Framework, Framework.id == FrameworkNode.framework_id)
        .where(ActivityIndicator.activity_id == activity_id)
        .options(joinedload(ActivityIndicator.node).joinedload(FrameworkNode.framework))
        .order_by(Framework.code, FrameworkNode.position)))


def set_links(user, activity: Activity, node_ids: set[int], note: str = "") -> tuple[int, int]:
    """Make the activity's links exactly `node_ids`; returns (added, removed). Audited; flushes."""
    _check_actor(user)
    known = set(db.session.scalars(select(FrameworkNode.id).where(
        FrameworkNode.id.in_(node_ids), FrameworkNode.is_total.is_(False)))) if node_ids else set()
    unknown = node_ids - known
    if unknown:
        raise LinkError(f"Không có chỉ tiêu mã số {', '.join(str(i) for i in sorted(unknown))}")
    current = set(db.session.scalars(select(ActivityIndicator.node_id).where(
        ActivityIndicator.activity_id == activity.id)))
    added, removed = node_ids - current, current - node_ids
    for node_id in sorted(added):
        db.session.add(ActivityIndicator(activity_id=activity.id, node_id=node_id, note=note,
                                         created_by_id=getattr(user, "id", None)))
    if removed:
        db.session.execute(delete(ActivityIndicator).where(
            ActivityIndicator.activity_id == activity.id, ActivityIndicator.node_id.in_(removed)))
    if added or removed:
        codes = dict(db.session.execute(select(FrameworkNode.id, FrameworkNode.code).where(
            FrameworkNode.id.in_(added | removed))).all())
        audit.record(user, "link", activity, "audit.activity.link", {"activity": activity.number},
                     {"indicators": [sorted(codes[i] for i in removed), sorted(codes[i] for i in added)]})
    db.session.flush()
    return len(added), len(removed)


def set_node_activities(user, node: FrameworkNode, activity_ids: set[int], scope_ids: set[int]) -> tuple[int, int]:
    """Bulk edit from the node side: among `scope_ids` (the activities shown), link exactly `activity_ids`."""
    _check_actor(user)
    if not activity_ids <= scope_ids:
        raise LinkError("Có hoạt động không thuộc danh sách đang sửa")
    current = set(db.session.scalars(select(ActivityIndicator.activity_id).where(
        ActivityIndicator.node_id == node.id, ActivityIndicator.activity_id.in_(scope_ids))))
    added, removed = activity_ids - current, current - activity_ids
    for activity_id in sorted(added):
        db.session.add(ActivityIndicator(activity_id=activity_id, node_id=node.id,
                                         created_by_id=getattr(user, "id", None)))
    if removed:
        db.session.execute(delete(ActivityIndicator).where(
            ActivityIndicator.node_id == node.id, ActivityIndicator.activity_id.in_(removed)))
    if added or removed:
        audit.record(user, "link", node, "audit.indicator.link", {"code": node.code},
                     {"activities": [sorted(removed), sorted(added)]})
    db.session.flush()
    return len(added), len(removed)


@dataclass(frozen=True)
class LinkFileResult:
    """What loading a links file did."""

    plan_code: str
    created: int
    problems: list[str]

    def lines(self) -> list[str]:
        """Lines for the seed output."""
        return [f"Liên kết chỉ tiêu ({self.plan_code}): {self.created} liên kết mới", *self.problems]


def load_links_file(path: str | Path, user=None) -> LinkFileResult:
    """Load a reviewed links file (schema at the top of tracker/data/links/*.yaml); unknown names are reported."""
    file_path = Path(path)
    data = yaml.safe_load(file_path.read_text(encoding="utf-8")) or {}
    plan_code = str(data.get("plan", ""))
    plan = db.session.scalar(select(Plan).where(Plan.code == plan_code))
    if plan is None:
        return LinkFileResult(plan_code, 0, [f"{file_path.name}: chưa có kế hoạch mã '{plan_code}'"])
    activities = {
        f"{group_number}.{number}": activity_id for activity_id, number, group_number in db.session.execute(
            select(Activity.id, Activity.number, TaskGroup.number).join(Task, Task.id == Activity.task_id)
            .join(TaskGroup, TaskGroup.id == Task.group_id).where(Activity.plan_id == plan.id))
    }
    nodes = {f"{framework_code}:{code}": node_id for node_id, code, framework_code in db.session.execute(
        select(FrameworkNode.id, FrameworkNode.code, Framework.code)
        .join(Framework, Framework.id == FrameworkNode.framework_id).where(FrameworkNode.is_total.is_(False)))}
    existing = set(db.session.execute(select(ActivityIndicator.activity_id, ActivityIndicator.node_id)))
    created, problems = 0, []
    for item in data.get("links") or []:
        label = str(item.get("activity", ""))
        activity_id = activities.get(label)
        if activity_id is None:
            problems.append(f"{file_path.name}: kế hoạch {plan_code} không có hoạt động {label}")
            continue
        for reference in item.get("nodes") or []:
            node_id = nodes.get(str(reference))
            if node_id is None:
                problems.append(f"{file_path.name}: hoạt động {label}: không có chỉ tiêu '{reference}' "
                                "(viết mã bộ chỉ số:mã chỉ tiêu)")
                continue
            if (activity_id, node_id) in existing:
                continue
            db.session.add(ActivityIndicator(activity_id=activity_id, node_id=node_id,
                                             note=str(item.get("why", "")), created_by_id=getattr(user, "id", None)))
            existing.add((activity_id, node_id))
            created += 1
    db.session.flush()
    return LinkFileResult(plan_code, created, problems)
