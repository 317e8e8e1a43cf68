"""Hand-written test data and the test client's login.

- `make_plan`: the one plan factory. Plans are loaded through tracker.services.plans.load_plan (the service the
  plan files and the import use); `unit_ids` assigns plain activities straight to units instead.
- `login`: the one way a Flask test client logs in (tests.browser_support.login is Playwright's); `post_login`
  posts the form and hands back the response, for the tests of logging in itself.
- `build_world`: users of every role and a plan, for the permission tests.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from models import Assignment, Plan, db
from tracker.services.plans import load_plan

#: every test user's password (conftest's make_user)
PASSWORD = "matkhau123"

#: three shapes of activity, cycled: per-level target + quarter deadline; periodic; one date with two coordinators
_SHAPES = (
    {"content": "Rà soát, đánh giá thủ tục hành chính thuộc thẩm quyền giải quyết của tỉnh",
     "product": "Cấp tỉnh: 100%; Cấp huyện: 60%; Cấp xã: 30%", "lead": "Sở Tư pháp",
     "coordinating": "Văn phòng UBND tỉnh", "deadline": "Quý IV/{year}", "footnotes": ["1"]},
    {"content": "Báo cáo tình hình tiếp nhận hồ sơ trực tuyến", "product": "Báo cáo quý", "lead": "Sở Nội vụ",
     "coordinating": "", "deadline": "Hàng quý"},
    {"content": "Công khai kết quả giải quyết hồ sơ trên Cổng dịch vụ công", "product": "60%",
     "lead": "Văn phòng UBND tỉnh", "coordinating": "Sở Tư pháp; Sở Nội vụ", "deadline": "14/12/{year}"},
)


def plan_data(code: str = "KH-THU-2023", year: int = 2023, activities: int = 1, groups: int = 1,
              tasks_per_group: int = 1, due: date | None = None, **overrides) -> dict:
    """A plan mapping in the curated-file schema: `activities` activities spread over groups × tasks.

    Without `due` the activities cycle three shapes that name their units (Sở Tư pháp, Sở Nội vụ, Văn phòng UBND
    tỉnh of tracker/data/units/ha-giang.yaml); with it they are plain «Hoạt động N», due that day, naming no unit.
    """
    slots = [(g, t) for g in range(groups) for t in range(tasks_per_group)]
    group_specs = [{"number": ["I", "II", "III", "IV"][g], "title": f"Nhóm nhiệm vụ số {g + 1}",
                    "declared": {"tasks": tasks_per_group},
                    "tasks": [{"number": str(t + 1), "title": f"Nhiệm vụ {g + 1}.{t + 1}", "activities": []}
                              for t in range(tasks_per_group)]} for g in range(groups)]
    for index in range(activities):
        g, t = slots[index * len(slots) // max(activities, 1)]
        if due is None:
            shape = dict(_SHAPES[index % len(_SHAPES)])
            shape["deadline"] = shape["deadline"].format(year=year)
        else:
            shape = {"content": f"Hoạt động {index}", "deadline": due.strftime("%d/%m/%Y")}
        task = group_specs[g]["tasks"][t]
        task["activities"].append({"number": f"{t + 1}.{len(task['activities']) + 1}", **shape})
    data = {
        "code": code, "kind": "plan", "year": year, "issuer": "UBND tỉnh Hà Giang",
        "title": f"Kế hoạch kiểm soát thủ tục hành chính năm {year}",
        "decision": {"type": "Quyết định", "number": "210/QĐ-UBND", "date": date(year, 2, 17),
                     "signer": "Nguyễn Văn Sơn"},
        "declared": {"groups": groups, "tasks": groups * tasks_per_group, "activities": activities},
        "footnotes": {"1": "Theo công thức (b/a). Trong đó: a là tổng số hồ sơ; b là số hồ sơ đúng hạn."},
        "known_gaps": [],
        "groups": group_specs,
    }
    data.update(overrides)
    return data


def make_plan(code: str = "KH-THU-2023", year: int = 2023, activities: int = 1, groups: int = 1,
              tasks_per_group: int = 1, unit_ids=None, due: date | None = None, **overrides) -> Plan:
    """A plan loaded through the plan service (plan_data's mapping), committed.

    `unit_ids`: plain activities («Hoạt động N», due on `due`, default 14/12 of the year), each assigned (lead)
    straight to those units, bypassing the name rules (so a unit that has ended can still be given work).
    `overrides` replace keys of the mapping (kind="directive", issuer_unit=…).
    """
    if unit_ids is not None and due is None:
        due = date(year, 12, 14)
    plan, _report = load_plan(plan_data(code, year, activities, groups, tasks_per_group, due, **overrides))
    for activity in (a for g in plan.groups for t in g.tasks for a in t.activities):
        db.session.add_all(Assignment(activity_id=activity.id, plan_id=plan.id, unit_id=unit_id, responsibility="lead",
                                      due_date=due) for unit_id in unit_ids or ())
    db.session.commit()
    return plan


def post_login(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    """Post the login form as it is; the response (for the tests of logging in itself)."""
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(url, data={"username": username, "password": password})


def login(client, user, password: str = PASSWORD):
    """Log the test client in as the user (a User or a username), logging out whoever was in first; the client."""
    client.post("/logout")
    username = getattr(user, "username", user)
    response = post_login(client, username, password)
    assert response.status_code == 302, f"{username} could not log in: {response.get_data(as_text=True)[:500]}"
    return client


@dataclass
class World:
    users: dict
    ids: dict
    password: str = PASSWORD
    #: form data posted to a rule (so allowed POSTs pass validation where it matters)
    post_data: dict = field(default_factory=dict)

    def client(self, app, visitor: str):
        """A fresh test client logged in as the world's user `visitor` ("anon": nobody)."""
        client = app.test_client()
        return client if visitor == "anon" else login(client, self.users[visitor], self.password)


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
    plan = make_plan(unit_ids=[stp])
    assignment = db.session.scalars(select(Assignment).where(Assignment.plan_id == plan.id)).one()
    ids = {"plan": plan.id, "activity": assignment.activity_id, "assignment": assignment.id, "unit": stp,
           "user": users["unit_officer"].id, "group": plan.groups[0].id, "task": plan.groups[0].tasks[0].id}
    return World(users=users, ids=ids)
