"""Plan import pages: permissions for every role, upload → preview → correct → confirm, export, clone."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from models import Plan, PlanImport
from tests.test_plan_import_files import accept_lost_leads, build_xlsx, curated
from tracker.services import plan_import

OK, FORBIDDEN, LOGIN = "ok", "403", "login"
MANAGE = {"anon": LOGIN, "admin": OK, "office": OK, "leader": FORBIDDEN, "unit_officer": FORBIDDEN,
          "unit_head": FORBIDDEN}
VIEW_ALL = dict(MANAGE, leader=OK)

#: (method, url template, {role: expected}); ids come from the `world` fixture
ROUTE_PERMISSIONS = [
    ("GET", "/plan-imports/", MANAGE),
    ("POST", "/plan-imports/", MANAGE),
    ("GET", "/plan-imports/{import_id}", MANAGE),
    ("POST", "/plan-imports/{import_id}", MANAGE),
    ("POST", "/plan-imports/{import_id}/confirm", MANAGE),
    ("POST", "/plan-imports/{import_id}/discard", MANAGE),
    ("GET", "/plan-imports/plans/{plan_id}", VIEW_ALL),
    ("GET", "/plan-imports/plans/{plan_id}/export.xlsx", VIEW_ALL),
    ("GET", "/plan-imports/plans/{plan_id}/source", VIEW_ALL),
    ("GET", "/plan-imports/plans/{plan_id}/clone", MANAGE),
    ("POST", "/plan-imports/plans/{plan_id}/clone", MANAGE),
]


@pytest.fixture()
def world(app, db, units):
    """A committed imported plan (with its original file) and a fresh draft."""
    root = app.config["UPLOAD_FOLDER"]
    content = build_xlsx(curated())
    first = plan_import.create_preview(None, "phu-luc.xlsx", content, upload_root=root, max_bytes=20 << 20,
                                       overrides={"code": "KH-IMPORTED"})
    accept_lost_leads(first)
    plan, _ = plan_import.commit_import(None, first)
    draft = plan_import.create_preview(None, "phu-luc-2.xlsx", content, upload_root=root, max_bytes=20 << 20,
                                       overrides={"code": "KH-DRAFT"})
    db.session.commit()
    return {"plan_id": plan.id, "import_id": draft.id, "content": content, "version": draft.version}


def _classify(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in (301, 302, 303) and "/login" in location:
        return LOGIN
    if response.status_code == 403:
        return FORBIDDEN
    assert response.status_code < 500, response.get_data(as_text=True)[:800]
    return OK


@pytest.mark.parametrize(("method", "template", "expected"), ROUTE_PERMISSIONS,
                         ids=[f"{m} {t}" for m, t, _e in ROUTE_PERMISSIONS])
@pytest.mark.parametrize("role", ["anon", "admin", "office", "leader", "unit_officer", "unit_head"])
def test_route_permissions(client, login_as, world, method, template, expected, role):
    if role != "anon":
        login_as(role, "HG-STP" if role.startswith("unit") else "HG-VPUB")
    url = template.format(**world)
    data = {"version": world["version"], "code": "KH-CLONE", "year": "2024", "title": "Tên"}
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    assert _classify(response) == expected[role]


def _upload(client, content: bytes, name: str, **fields):
    return client.post("/plan-imports/", data={"file": (io.BytesIO(content), name), **fields},
                       content_type="multipart/form-data")


def test_upload_preview_correct_confirm(client, login_as, db, units, app):
    login_as("office")
    data = curated()
    data["groups"][1]["tasks"][0]["activities"][1]["deadline"] = "Quý V/2023"  # II.1.2
    content = build_xlsx(data)
    response = _upload(client, content, "phu-luc-210.xlsx", code="HG-2023")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    imp = db.session.scalar(select(PlanImport))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "phu-luc-210.xlsx" in page and "Văn bản thiếu hoạt động III.2.1" in page
    # the Quý V deadline, and the eight activities whose lead the source lost
    assert "hoạt động II.1.2: Quý V" in page and 'data-kpi="errors">9<' in page
    second_group = client.get(f"/plan-imports/{imp.id}?group=1").get_data(as_text=True)
    assert "Quý V/2023" in second_group and 'name="cell-a:1:0:1:deadline"' in second_group

    # confirming with an error is refused; nothing saved
    response = client.post(f"/plan-imports/{imp.id}/confirm", data={"version": imp.version})
    assert response.status_code == 400 and "Chưa nạp được" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Plan.id))) == 0

    response = client.post(f"/plan-imports/{imp.id}?group=1", data={
        "version": imp.version, "code": "HG-2023", "title": data["title"], "year": "2023",
        "doc_number": "210/QĐ-UBND", "doc_date": "17/02/2023", "cell-a:1:0:1:deadline": "Quý III/2023"})
    assert response.status_code == 302
    db.session.refresh(imp)
    assert imp.error_count == 8
    accept_lost_leads(imp)
    db.session.commit()
    assert imp.error_count == 0 and imp.data["groups"][1]["tasks"][0]["activities"][1]["deadline"] == "Quý III/2023"

    response = client.post(f"/plan-imports/{imp.id}/confirm", data={"version": imp.version})
    assert response.status_code == 302
    plan = db.session.scalar(select(Plan).where(Plan.code == "HG-2023"))
    assert plan.source_filename == "phu-luc-210.xlsx" and plan.doc_number == "210/QĐ-UBND"
    tools = client.get(f"/plan-imports/plans/{plan.id}").get_data(as_text=True)
    assert "phu-luc-210.xlsx" in tools and "Xuất Excel" in tools
    source = client.get(f"/plan-imports/plans/{plan.id}/source")
    assert source.status_code == 200 and source.data == content


def test_stale_correction_is_a_conflict(client, login_as, world, db):
    login_as("office")
    url = f"/plan-imports/{world['import_id']}"
    form = {"code": "KH-DRAFT", "title": "Tên", "year": "2023", "cell-g:0:title": "Nhóm mới"}
    assert client.post(url, data={**form, "version": world["version"]}).status_code == 302
    response = client.post(url, data={**form, "version": world["version"], "cell-g:0:title": "Khác"})
    assert response.status_code == 409
    assert db.session.get(PlanImport, world["import_id"]).data["groups"][0]["title"] == "Nhóm mới"


def test_bad_preview_input_names_the_field(client, login_as, world):
    login_as("office")
    response = client.post(f"/plan-imports/{world['import_id']}",
                           data={"version": world["version"], "code": "", "title": "T", "year": "hai nghìn",
                                 "doc_date": "31/02/2023"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hãy nhập mã kế hoạch" in page and "Năm kế hoạch phải là số nguyên" in page and "Ngày ban hành" in page


def test_bad_upload_is_refused_and_nothing_saved(client, login_as, db, units, app, tmp_path):
    login_as("office")
    response = _upload(client, b"%PDF-1.4", "ke-hoach.pdf")
    assert response.status_code == 400
    assert "không phải tệp Word (.docx) hoặc Excel (.xlsx)" in response.get_data(as_text=True)
    assert client.post("/plan-imports/", data={}).status_code == 400
    assert db.session.scalar(select(func.count(PlanImport.id))) == 0


def test_too_large_upload_gives_the_limit(client, login_as, db, units, app, monkeypatch):
    login_as("office")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    monkeypatch.setitem(app.config, "PLAN_IMPORT_MAX_MB", 1)
    response = _upload(client, b"PK\x03\x04" + b"\0" * (2 * 1024 * 1024), "to.xlsx")
    assert response.status_code == 413 and "vượt giới hạn 1 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PlanImport.id))) == 0


def test_export_and_clone_pages(client, login_as, world, db):
    login_as("office")
    response = client.get(f"/plan-imports/plans/{world['plan_id']}/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[5]] == ["STT", "Nội dung", "Sản phẩm/Chỉ tiêu", "Chủ trì", "Phối hợp", "Thời hạn"]
    form = client.get(f"/plan-imports/plans/{world['plan_id']}/clone").get_data(as_text=True)
    assert 'value="KH-IMPORTED-2024"' in form
    response = client.post(f"/plan-imports/plans/{world['plan_id']}/clone",
                           data={"code": "KH-IMPORTED", "year": "2024", "title": ""})
    assert response.status_code == 400 and "đã có" in response.get_data(as_text=True)
    response = client.post(f"/plan-imports/plans/{world['plan_id']}/clone",
                           data={"code": "KH-2024", "year": "2024", "title": ""})
    assert response.status_code == 302
    clone = db.session.scalar(select(Plan).where(Plan.code == "KH-2024"))
    assert clone.year == 2024 and clone.title.endswith("năm 2024")


def test_discard_removes_the_draft_file(client, login_as, world, db, app):
    from pathlib import Path

    login_as("office")
    imp = db.session.get(PlanImport, world["import_id"])
    path = Path(app.config["UPLOAD_FOLDER"]) / imp.stored_path
    assert path.exists()
    assert client.post(f"/plan-imports/{imp.id}/discard", data={}).status_code == 302
    db.session.refresh(imp)
    assert imp.state == "discarded" and not path.exists()
    assert client.post(f"/plan-imports/{imp.id}/confirm", data={}).status_code == 400


def test_upload_page_queries_do_not_grow_with_drafts(client, login_as, world, db, app, count_queries):
    login_as("office")
    client.get("/plan-imports/")
    with count_queries() as few:
        assert client.get("/plan-imports/").status_code == 200
    for index in range(6):
        plan_import.create_preview(None, f"f{index}.xlsx", world["content"], upload_root=app.config["UPLOAD_FOLDER"],
                                   max_bytes=20 << 20, overrides={"code": f"KH-{index}"})
    db.session.commit()
    with count_queries() as many:
        page = client.get("/plan-imports/").get_data(as_text=True)
    assert "f5.xlsx" in page
    assert many.count == few.count
