"""Test helpers for the plans pages: small plan mappings in the curated-file schema, loaded through the service."""
from datetime import date

from sqlalchemy import select

from models import Assignment, Plan, db
from tracker.services.plans import load_plan

PASSWORD = "matkhau123"
#: unit codes of tracker/data/units/ha-giang.yaml used by the plans tests
STP, SNV, VPUB, SVH = "HG-STP", "HG-SNV", "HG-VPUB", "HG-SVHTTDL"

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


def plan_data(code: str = "KH-THU-2023", year: int = 2023, activities: int = 6, groups: int = 2,
              tasks_per_group: int = 2, **overrides) -> dict:
    """A plan mapping with `activities` activities spread over groups × tasks, cycling the three shapes."""
    slots = [(g, t) for g in range(groups) for t in range(tasks_per_group)]
    group_specs = [{"number": ["I", "II", "III", "IV"][g], "title": f"Nhóm nhiệm vụ số {g + 1}",
                    "declared": {"tasks": tasks_per_group}, "tasks": []} for g in range(groups)]
    for g in range(groups):
        group_specs[g]["tasks"] = [{"number": str(t + 1), "title": f"Nhiệm vụ {g + 1}.{t + 1}", "activities": []}
                                   for t in range(tasks_per_group)]
    for index in range(activities):
        g, t = slots[index * len(slots) // max(activities, 1)]
        shape = dict(_SHAPES[index % len(_SHAPES)])
        shape["deadline"] = shape["deadline"].format(year=year)
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


def make_plan(**kwargs) -> Plan:
    """Load a plan mapping through tracker.services.plans.load_plan and commit."""
    plan, _report = load_plan(plan_data(**kwargs))
    db.session.commit()
    return plan


def assignments_of(plan_id: int, unit_id: int | None = None) -> list[Assignment]:
    """The plan's assignments (of one unit), in id order."""
    query = select(Assignment).where(Assignment.plan_id == plan_id).order_by(Assignment.id)
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    return list(db.session.scalars(query))


def login(client, make_user, role: str, unit_code: str = VPUB):
    """Log the client in as a fresh user of that role and unit (switching users on the same client)."""
    client.post("/logout")
    user = make_user(role, unit_code)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return user
