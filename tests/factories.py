"""Hand-written factories: a small world of plan, activity, assignments and users for permission tests."""
from dataclasses import dataclass, field
from datetime import date

from models import Activity, Assignment, Plan, Task, TaskGroup

PASSWORD = "matkhau123"


@dataclass
class World:
    users: dict
    ids: dict
    password: str = PASSWORD
    #: form data posted to a rule (so allowed POSTs pass validation where it matters)
    post_data: dict = field(default_factory=dict)


def make_plan(db, code: str = "KH-TEST", year: int = 2023, activities: int = 1, unit_ids=(),
              due: date = date(2023, 12, 14)) -> Plan:
    """A plan with one group, one task and `activities` activities assigned to unit_ids."""
    plan = Plan(code=code, kind="plan", title=f"Kế hoạch {code}", year=year, doc_number="1/QĐ-UBND",
                doc_date=date(year, 2, 17))
    group = TaskGroup(plan=plan, number="I", title="Nhóm thử", position=0)
    task = Task(group=group, number="1", title="Nhiệm vụ thử", position=0)
    db.session.add_all([plan, group, task])
    db.session.flush()
    for index in range(activities):
        activity = Activity(task_id=task.id, plan_id=plan.id, number=f"1.{index + 1}", content=f"Hoạt động {index}",
                            deadline_text=due.strftime("%d/%m/%Y"), due_date=due, position=index,
                            search_text=f"hoat dong {index}")
        db.session.add(activity)
        db.session.flush()
        for unit_id in unit_ids:
            db.session.add(Assignment(activity_id=activity.id, plan_id=plan.id, unit_id=unit_id, role="lead",
                                      due_date=due))
    db.session.flush()
    return plan


def build_world(db, make_user) -> World:
    """Users of every role (unit users in HG-STP, one outsider in HG-SNV) and a plan assigned to HG-STP."""
    users = {
        "admin": make_user("admin", "HG-VPUB"),
        "office": make_user("office", "HG-VPUB"),
        "leader": make_user("leader", "HG"),
        "unit_officer": make_user("unit_officer", "HG-STP"),
        "unit_head": make_user("unit_head", "HG-STP"),
        "other_unit": make_user("unit_officer", "HG-SNV"),
    }
    stp = users["unit_officer"].unit_id
    plan = make_plan(db, unit_ids=[stp])
    assignment = db.session.query(Assignment).filter_by(plan_id=plan.id).one()
    db.session.commit()
    ids = {"plan": plan.id, "activity": assignment.activity_id, "assignment": assignment.id, "unit": stp,
           "user": users["unit_officer"].id, "group": plan.groups[0].id, "task": plan.groups[0].tasks[0].id}
    return World(users=users, ids=ids)
