"""Unit tree administration: tree page, create, edit, end with a successor, unit kinds, validation, audit."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Unit, UnitKind
from tests.permission_helpers import UNIT_OF_ROLE, assert_permission, audit_count, role_cases
from tests.responses import page_text
from tracker import clock
from tracker.domain.assignees import parse_assignees, resolve_assignees
from tracker.services.units import unit_infos

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: Placeholders: {unit_id} is HG-STP (Sở Tư pháp), {root_id} the province HG, {kind_id} the "department"
#: kind. Admin and office users belong to HG-VPUB, the leader to HG, unit roles to HG-STP. POST bodies are
#: empty, so an allowed user gets 400 (form errors), except the reopen button, which has no fields and redirects.
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/admin/units", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/units/new", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/units/new", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/units/{unit_id}/edit", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/units/{unit_id}/edit", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/units/{unit_id}/end", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/units/{unit_id}/end", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/units/{unit_id}/reopen", {
        "anonymous": "login", "admin": 302, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/units/{root_id}/issuing-body", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/units/{root_id}/issuing-body", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/unit-kinds", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/unit-kinds/new", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/unit-kinds/new", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("GET", "/admin/unit-kinds/{kind_id}/edit", {
        "anonymous": "login", "admin": 200, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
    ("POST", "/admin/unit-kinds/{kind_id}/edit", {
        "anonymous": "login", "admin": 400, "office": 403, "leader": 403, "unit_officer": 403, "unit_head": 403}),
]



def kind_id(db, code: str) -> int:
    return db.session.scalar(select(UnitKind.id).where(UnitKind.code == code))


def unit_form(db, **overrides) -> dict:
    """A valid new-unit form: a commune under Bắc Quang district."""
    data = {"code": "HG-XVB", "name": "UBND xã Việt Vinh", "kind_id": kind_id(db, "commune"),
            "parent_id": db.session.scalar(select(Unit.id).where(Unit.name.like("%Bắc Quang%"))),
            "aliases": "Xã Việt Vinh\n\n  xã  Việt Vinh \nUBND xã Việt Vinh, huyện Bắc Quang",
            "valid_from": "01/01/2020", "email": "vietvinh@hagiang.gov.vn"}
    data.update(overrides)
    return data


# --- permissions ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "template", "role", "expected"), role_cases(ROUTE_PERMISSIONS))
def test_route_permissions(client, db, units, login_as, method, template, role, expected):
    url = template.format(unit_id=units["HG-STP"].id, root_id=units["HG"].id, kind_id=kind_id(db, "department"))
    if role != "anonymous":
        login_as(role, UNIT_OF_ROLE[role])
    before = audit_count(db)
    response = client.open(url, method=method)
    assert_permission(response, expected, page_text(response)[:300])
    # a refused or empty post changes nothing (reopening a unit that never ended changes nothing either)
    assert audit_count(db) == before


# --- the tree page --------------------------------------------------------------------------------------------


def test_tree_shows_depth_kind_code_dates_successor_and_badges(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    stp.valid_from, stp.valid_to, stp.successor_id = date(2008, 4, 1), date(2020, 6, 30), units["HG-SNV"].id
    db.session.commit()
    page = page_text(client.get("/admin/units?q=HG-STP"))
    assert "01/04/2008 – 30/06/2020" in page
    assert "Đã kết thúc" in page
    assert units["HG-SNV"].name in page  # the successor's name
    assert "Sở, ban, ngành" in page  # its kind

    page = page_text(client.get("/admin/units"))
    page = page[page.index("<table"):]
    # province (depth 0) → office (depth 1) → service centre (depth 2), in tree order
    assert page.index("UBND tỉnh Hà Giang") < page.index("Văn phòng UBND tỉnh") < page.index(
        "Trung tâm Phục vụ hành chính công tỉnh")
    assert "--depth: 2" in page
    assert "Đang hoạt động" in page


def test_tree_search_is_accent_insensitive_and_filters_by_state(client, db, units, login_as):
    login_as("admin")
    page = page_text(client.get("/admin/units?q=so tu phap"))
    assert "Sở Tư pháp" in page
    assert "Sở Nội vụ" not in page
    units["HG-STP"].valid_to = date(2001, 1, 1)
    db.session.commit()
    assert "Sở Tư pháp" not in page_text(client.get("/admin/units?state=active&q=so"))
    assert "Sở Tư pháp" in page_text(client.get("/admin/units?state=ended&q=so"))


def test_tree_page_query_count_does_not_grow_with_units(client, db, units, login_as, count_queries):
    login_as("admin")
    client.get("/admin/units")
    with count_queries() as before:
        assert client.get("/admin/units").status_code == 200
    district = units["HG-STP"]
    for index in range(30):
        db.session.add(Unit(code=f"HG-T{index:02d}", name=f"Đơn vị thử {index}", kind_id=district.kind_id,
                            parent_id=units["HG"].id, successor_id=units["HG-SNV"].id, aliases=["x"]))
    db.session.commit()
    with count_queries() as after:
        assert client.get("/admin/units").status_code == 200
    assert after.count == before.count, after.statements


def test_tree_paginates(client, db, units, login_as):
    login_as("admin")
    for index in range(120):
        db.session.add(Unit(code=f"HG-P{index:03d}", name=f"Đơn vị phân trang {index:03d}",
                            kind_id=units["HG-STP"].kind_id, parent_id=units["HG"].id, sort_order=1000 + index))
    db.session.commit()
    first, second = page_text(client.get("/admin/units")), page_text(client.get("/admin/units?page=2"))
    assert "Trang 1/2" in first and "Trang 2/2" in second
    assert "HG-P119" not in first and "HG-P119" in second


# --- creating and editing -------------------------------------------------------------------------------------


def test_create_unit_cleans_aliases_and_is_audited(client, db, units, login_as):
    admin = login_as("admin")
    response = client.post("/admin/units/new", data=unit_form(db, code="hg-xvb"))
    assert response.status_code == 302, page_text(response)[:500]
    unit = db.session.scalar(select(Unit).where(Unit.code == "HG-XVB"))
    assert unit.name == "UBND xã Việt Vinh"
    assert unit.aliases == ["Xã Việt Vinh", "UBND xã Việt Vinh, huyện Bắc Quang"]  # blanks and repeats dropped
    assert unit.valid_from == date(2020, 1, 1)
    assert unit.parent.name.endswith("Bắc Quang")
    assert "xa viet vinh" in unit.search_text
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "Unit",
                                                       AuditEntry.entity_id == unit.id))
    assert entry.action == "create" and entry.user_id == admin.id
    assert entry.changes["code"] == [None, "HG-XVB"]


@pytest.mark.parametrize(("overrides", "field_label"), [
    ({"code": "HG-STP"}, "Mã đơn vị"),
    ({"code": "hg-stp"}, "Mã đơn vị"),
    ({"code": "Xã Việt Vinh"}, "Mã đơn vị"),
    ({"code": ""}, "Mã đơn vị"),
    ({"name": ""}, "Tên đơn vị"),
    ({"valid_from": "31/02/2023"}, "31/02/2023"),
    ({"email": "khong-phai-email"}, "Thư điện tử"),
    ({"kind_id": 99999}, "Loại đơn vị"),
    ({"parent_id": 99999}, "Đơn vị cấp trên"),
])
def test_create_refuses_bad_input_with_a_vietnamese_message(client, db, units, login_as, overrides, field_label):
    login_as("admin")
    before_units, before_audit = db.session.scalar(select(func.count(Unit.id))), audit_count(db)
    response = client.post("/admin/units/new", data=unit_form(db, **overrides))
    assert response.status_code == 400
    assert field_label in page_text(response)
    assert db.session.scalar(select(func.count(Unit.id))) == before_units
    assert audit_count(db) == before_audit


def test_script_in_a_name_is_stored_as_text_and_escaped(client, db, units, login_as):
    login_as("admin")
    client.post("/admin/units/new", data=unit_form(db, name="<script>alert(1)</script> xã"))
    page = page_text(client.get("/admin/units?q=HG-XVB"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_edit_unit_changes_are_audited_before_and_after(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    form = page_text(client.get(f"/admin/units/{stp.id}/edit"))
    assert "Sở Tư pháp" in form
    response = client.post(f"/admin/units/{stp.id}/edit", data={
        "code": "HG-STP", "name": "Sở Tư pháp tỉnh Hà Giang", "kind_id": stp.kind_id, "parent_id": stp.parent_id,
        "aliases": "Sở Tư pháp", "valid_from": "", "email": ""})
    assert response.status_code == 302, page_text(response)[:500]
    db.session.refresh(stp)
    assert stp.name == "Sở Tư pháp tỉnh Hà Giang"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == stp.id,
                                                        AuditEntry.entity_type == "Unit")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.changes["name"] == ["Sở Tư pháp", "Sở Tư pháp tỉnh Hà Giang"]
    assert "search_text" not in entry.changes


@pytest.mark.parametrize("parent", ["self", "child", "grandchild"])
def test_parent_cannot_be_the_unit_or_below_it(client, db, units, login_as, parent):
    login_as("admin")
    office = units["HG"]  # the province: everything is below it
    target = {"self": office, "child": units["HG-VPUB"], "grandchild": units["HG-TTPVHCC"]}[parent]
    response = client.post(f"/admin/units/{office.id}/edit", data={
        "code": "HG", "name": office.name, "kind_id": office.kind_id, "parent_id": target.id, "aliases": ""})
    assert response.status_code == 400
    assert "Đơn vị cấp trên" in page_text(response)
    assert "vòng lặp" in page_text(response)
    db.session.refresh(office)
    assert office.parent_id is None


def test_stale_edit_gets_a_conflict_and_changes_nothing(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    page = client.get(f"/admin/units/{stp.id}/edit")
    opened_at = stp.version
    assert f'name="version" type="hidden" value="{opened_at}"' in page.get_data(as_text=True)
    # someone else saves first
    stp.name = "Sở Tư pháp (đổi bởi người khác)"
    db.session.commit()
    response = client.post(f"/admin/units/{stp.id}/edit", data={
        "code": "HG-STP", "name": "Tên của tôi", "kind_id": stp.kind_id, "parent_id": stp.parent_id,
        "version": opened_at})
    assert response.status_code == 409
    assert "vừa được người khác sửa" in page_text(response)
    db.session.refresh(stp)
    assert stp.name == "Sở Tư pháp (đổi bởi người khác)"



def test_stale_end_gets_a_conflict_and_changes_nothing(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    opened_at = stp.version
    stp.email = "stp@hagiang.gov.vn"  # someone else saves first
    db.session.commit()
    response = client.post(f"/admin/units/{stp.id}/end", data={
        "valid_to": (clock.today() - timedelta(days=1)).strftime("%d/%m/%Y"), "successor_id": 0,
        "version": opened_at})
    assert response.status_code == 409
    assert "vừa được người khác sửa" in page_text(response)
    db.session.refresh(stp)
    assert stp.valid_to is None


def test_tampered_version_is_refused_with_a_message(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    response = client.post(f"/admin/units/{stp.id}/edit", data={
        "code": "HG-STP", "name": "Tên của tôi", "kind_id": stp.kind_id, "parent_id": stp.parent_id,
        "version": "hôm qua"})
    assert response.status_code == 400
    assert "Phiên bản dữ liệu không hợp lệ" in page_text(response)
    db.session.refresh(stp)
    assert stp.name != "Tên của tôi"


# --- ending units ---------------------------------------------------------------------------------------------


def test_end_a_district_with_a_successor_keeps_history_and_stops_collective_expansion(client, db, units, login_as):
    login_as("admin")
    district = next(u for u in units.values() if u.kind.code == "district")
    successor = units["HG"]
    end_day = clock.today() - timedelta(days=10)
    district.valid_to = None
    db.session.commit()
    response = client.post(f"/admin/units/{district.id}/end", data={
        "valid_to": end_day.strftime("%d/%m/%Y"), "successor_id": successor.id})
    assert response.status_code == 302, page_text(response)[:500]
    db.session.refresh(district)
    assert district.valid_to == end_day and district.successor_id == successor.id
    # still there for history…
    assert db.session.get(Unit, district.id) is not None
    # …active on its last day, not after
    spec = parse_assignees("UBND cấp huyện")
    assert district.id in resolve_assignees(spec, unit_infos(on=end_day)).unit_ids
    assert district.id not in resolve_assignees(spec, unit_infos(on=end_day + timedelta(days=1))).unit_ids
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "end")).one()
    assert entry.changes["valid_to"] == [None, end_day.isoformat()]
    assert entry.changes["successor_id"] == [None, successor.id]
    assert "Đã kết thúc" in page_text(client.get(f"/admin/units?q={district.code}"))


def test_reopen_clears_the_ending(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    stp.valid_to, stp.successor_id = date(2020, 1, 1), units["HG-SNV"].id
    db.session.commit()
    assert client.post(f"/admin/units/{stp.id}/reopen").status_code == 302
    db.session.refresh(stp)
    assert stp.valid_to is None and stp.successor_id is None
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == stp.id)).all()[-1] == "reopen"


@pytest.mark.parametrize(("data", "message"), [
    ({"valid_to": "", "successor_id": 0}, "Ngày kết thúc"),
    ({"valid_to": "30/02/2025", "successor_id": 0}, "30/02/2025"),
    ({"valid_to": "30/06/2007", "successor_id": 0}, "Ngày kết thúc (30/06/2007) không được trước"),
    ({"valid_to": "30/06/2025", "successor_id": "self"}, "Đơn vị kế thừa: một đơn vị không thể kế thừa chính nó"),
    ({"valid_to": "30/06/2025", "successor_id": 99999}, "Đơn vị kế thừa"),
])
def test_end_refuses_bad_input(client, db, units, login_as, data, message):
    login_as("admin")
    stp = units["HG-STP"]
    stp.valid_from, stp.valid_to = date(2008, 1, 1), None
    db.session.commit()
    if data["successor_id"] == "self":
        data = {**data, "successor_id": stp.id}
    before = audit_count(db)
    response = client.post(f"/admin/units/{stp.id}/end", data=data)
    assert response.status_code == 400
    assert message in page_text(response)
    db.session.refresh(stp)
    assert stp.valid_to is None and stp.successor_id is None
    assert audit_count(db) == before


def test_successor_chain_cannot_loop(client, db, units, login_as):
    login_as("admin")
    stp, snv = units["HG-STP"], units["HG-SNV"]
    snv.valid_to, snv.successor_id = date(2025, 6, 30), stp.id
    db.session.commit()
    response = client.post(f"/admin/units/{stp.id}/end", data={"valid_to": "30/06/2025", "successor_id": snv.id})
    assert response.status_code == 400
    assert "vòng kế thừa" in page_text(response)


def test_editing_valid_from_after_the_end_date_is_refused(client, db, units, login_as):
    login_as("admin")
    stp = units["HG-STP"]
    stp.valid_to = date(2025, 6, 30)
    db.session.commit()
    response = client.post(f"/admin/units/{stp.id}/edit", data={
        "code": "HG-STP", "name": stp.name, "kind_id": stp.kind_id, "parent_id": stp.parent_id,
        "valid_from": "01/07/2025"})
    assert response.status_code == 400
    assert "Ngày kết thúc (30/06/2025) không được trước ngày bắt đầu (01/07/2025)" in page_text(response)


def test_ending_a_parent_warns_about_active_children(client, db, units, login_as):
    login_as("admin")
    office = units["HG-VPUB"]
    response = client.post(f"/admin/units/{office.id}/end", data={"valid_to": "30/06/2025", "successor_id": 0},
                           follow_redirects=True)
    assert "HG-TTPVHCC" in page_text(response)
    assert "vẫn còn hoạt động" in page_text(response)


# --- unit kinds -----------------------------------------------------------------------------------------------


def test_kinds_list_counts_units(client, db, units, login_as):
    login_as("admin")
    page = page_text(client.get("/admin/unit-kinds"))
    departments = sum(1 for u in units.values() if u.kind.code == "department")
    assert "UBND cấp xã" in page and "<code>commune</code>" in page
    assert f'class="num">{departments}</td>' in page


def test_create_and_edit_a_kind(client, db, units, login_as):
    login_as("admin")
    response = client.post("/admin/unit-kinds/new", data={"code": "ward", "name": "UBND phường", "level": 2})
    assert response.status_code == 302
    kind = db.session.scalar(select(UnitKind).where(UnitKind.code == "ward"))
    assert (kind.name, kind.level) == ("UBND phường", 2)
    response = client.post(f"/admin/unit-kinds/{kind.id}/edit", data={"code": "ward2", "name": "Phường", "level": 3})
    assert response.status_code == 302
    db.session.refresh(kind)
    assert (kind.code, kind.name, kind.level) == ("ward2", "Phường", 3)
    assert [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "UnitKind"))] \
        == ["create", "update"]


def test_stale_kind_edit_is_a_conflict(client, db, units, login_as):
    login_as("admin")
    kind = db.session.scalar(select(UnitKind).where(UnitKind.code == "commune"))
    page = client.get(f"/admin/unit-kinds/{kind.id}/edit").get_data(as_text=True)
    opened_at = kind.version
    assert f'name="version" type="hidden" value="{opened_at}"' in page
    kind.name = "UBND xã, phường, thị trấn"  # someone else saves first
    db.session.commit()
    response = client.post(f"/admin/unit-kinds/{kind.id}/edit",
                           data={"code": "commune", "name": "Xã", "level": kind.level, "version": opened_at})
    assert response.status_code == 409
    assert "Loại đơn vị commune vừa được người khác sửa" in page_text(response)
    db.session.refresh(kind)
    assert kind.name == "UBND xã, phường, thị trấn"


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "district", "name": "Trùng", "level": 2}, "Mã loại: mã «district» đã có"),
    ({"code": "Xã", "name": "Xã", "level": 3}, "Mã loại"),
    ({"code": "ward", "name": "", "level": 3}, "Tên loại"),
    ({"code": "ward", "name": "Phường", "level": 12}, "Cấp"),
    ({"code": "ward", "name": "Phường", "level": ""}, "Cấp"),
])
def test_kind_validation(client, db, units, login_as, data, message):
    login_as("admin")
    before = db.session.scalar(select(func.count(UnitKind.id)))
    response = client.post("/admin/unit-kinds/new", data=data)
    assert response.status_code == 400
    assert message in page_text(response)
    assert db.session.scalar(select(func.count(UnitKind.id))) == before


def test_kind_code_in_use_cannot_change(client, db, units, login_as):
    login_as("admin")
    district = db.session.scalar(select(UnitKind).where(UnitKind.code == "district"))
    response = client.post(f"/admin/unit-kinds/{district.id}/edit",
                           data={"code": "huyen", "name": district.name, "level": district.level})
    assert response.status_code == 400
    assert "không đổi được mã «district»" in page_text(response)
    db.session.refresh(district)
    assert district.code == "district"
