"""Report pages: permissions for every role, the RQ job with a real Redis, versions, downloads, bad settings."""
import hashlib
import uuid
from datetime import date
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from models import Plan, Report, ReportFile, ReportVersion
from tests.factories import login, make_plan
from tracker import jobs_queue
from tracker.services import reports as service
from tracker.services.frameworks import load_shipped_frameworks

#: (method, url template, {role: expected}) — expected is an HTTP status, or "login" for a redirect to /login.
#: {province_report}: a whole-province year report whose version 1 has a stored PDF; {unit_report}: a report of
#: HG-STP (Sở Tư pháp), the unit of unit_officer/unit_head; "…:other" roles belong to HG-SVHTTDL.
#: POST /new/* with an empty body re-renders the form with errors (200) for those allowed.
ROUTE_PERMISSIONS: list[tuple[str, str, dict[str, int | str]]] = [
    ("GET", "/reports/", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 200, "unit_head:other": 200}),
    ("GET", "/reports/new/year", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 200, "unit_head:other": 200}),
    ("POST", "/reports/new/year", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 200, "unit_head:other": 200}),
    ("GET", "/reports/new/notice", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/reports/new/notice", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/reports/{province_report}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/reports/{unit_report}", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/reports/{province_report}/edit", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/reports/{unit_report}/edit", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/reports/{unit_report}/edit", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 403, "unit_officer": 200, "unit_head": 200,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("POST", "/reports/{province_report}/regenerate", {
        "anonymous": "login", "admin": 302, "office": 302, "leader": 403, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/reports/{province_report}/v1/status", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
    ("GET", "/reports/{province_report}/v1/pdf", {
        "anonymous": "login", "admin": 200, "office": 200, "leader": 200, "unit_officer": 403, "unit_head": 403,
        "unit_officer:other": 403, "unit_head:other": 403}),
]

OWN_UNIT, OTHER_UNIT = "HG-STP", "HG-SVHTTDL"


@pytest.fixture(autouse=True)
def _own_report_folder(app, tmp_path, monkeypatch):
    """Each test stores files in its own folder (report ids restart with every emptied database)."""
    monkeypatch.setitem(app.config, "REPORT_FOLDER", str(tmp_path / "reports"))


@pytest.fixture()
def test_queue(monkeypatch):
    """Jobs go to a queue of this test only (the Redis database is shared with other test runs)."""
    name = f"dondoc-test-reports-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(jobs_queue, "QUEUE_NAME", name)
    queue = jobs_queue.queue()
    yield queue
    queue.empty()
    queue.delete(delete_jobs=True)


def _run_worker(queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)


def _report(db, user, unit_id=None, settings=None) -> Report:
    report = service.create_report(user, "year", "Báo cáo tổng kết năm 2023", settings or {"year": 2023},
                                   {"signer_name": "Hoàng Gia Long"}, ["pdf"], unit_id)
    return report


@pytest.fixture()
def report_world(app, db, units, make_user):
    users = {"admin": make_user("admin"), "office": make_user("office"), "leader": make_user("leader", "HG"),
             "unit_officer": make_user("unit_officer", OWN_UNIT), "unit_head": make_user("unit_head", OWN_UNIT),
             "unit_officer:other": make_user("unit_officer", OTHER_UNIT),
             "unit_head:other": make_user("unit_head", OTHER_UNIT)}
    province = _report(db, users["office"])
    version = service.new_version(users["office"], province)
    folder = service.storage_dir(app.config["REPORT_FOLDER"], province.id, 1)
    folder.mkdir(parents=True, exist_ok=True)
    content = b"%PDF-1.7 stand-in of a generated report"
    path = folder / "bao-cao.pdf"
    path.write_bytes(content)
    service.record_file(version, "pdf", path, content)
    version.state = "done"
    unit_report = _report(db, users["unit_officer"], unit_id=units[OWN_UNIT].id)
    service.new_version(users["unit_officer"], unit_report)
    db.session.commit()
    return {"users": users, "ids": {"province_report": province.id, "unit_report": unit_report.id}}


@pytest.mark.parametrize("method,url,expected", ROUTE_PERMISSIONS, ids=[f"{m} {u}" for m, u, _e in ROUTE_PERMISSIONS])
def test_route_permissions(app, report_world, test_queue, method, url, expected):
    concrete = url.format(**report_world["ids"])
    for role, want in expected.items():
        client = app.test_client() if role == "anonymous" else login(app.test_client(), report_world["users"][role])
        response = client.open(concrete, method=method, data={})
        if want == "login":
            assert response.status_code == 302 and "/login" in response.headers["Location"], role
        else:
            assert response.status_code == want, f"{method} {concrete} as {role}: {response.status_code}"


def test_list_page_query_count_does_not_grow_with_reports(app, db, report_world, count_queries):
    client = login(app.test_client(), report_world["users"]["office"])
    client.get("/reports/")
    with count_queries() as few:
        assert client.get("/reports/").status_code == 200
    office = report_world["users"]["office"]
    for _ in range(6):
        report = _report(db, office)
        service.new_version(office, report)
        service.new_version(office, report)
    db.session.commit()
    client.get("/reports/")  # the commit expired the logged-in user; reload it outside the count
    with count_queries() as many:
        page = client.get("/reports/")
    assert page.status_code == 200 and page.get_data(as_text=True).count("Báo cáo tổng kết năm 2023") == 8
    assert many.count == few.count, "\n".join(many.statements) + "\n-----\n" + "\n".join(few.statements)


def test_detail_page_query_count_does_not_grow_with_versions(app, db, report_world, count_queries):
    office, admin = report_world["users"]["office"], report_world["users"]["admin"]
    report = _report(db, office)
    service.new_version(office, report)
    db.session.commit()
    client = login(app.test_client(), office)
    url = f"/reports/{report.id}"
    admin_name = admin.username
    client.get(url)
    db.session.close()  # measure a cold session, as in production, not the test's warm identity map
    with count_queries() as few:
        assert client.get(url).status_code == 200
    for number in range(6):  # versions by two requesters, each with a stored file
        version = service.new_version(admin if number % 2 else office, report)
        db.session.add(ReportFile(version_id=version.id, format="pdf", stored_path=f"v{version.number}.pdf",
                                  size=2048, sha256="0" * 64))
    db.session.commit()
    client.get(url)
    db.session.close()
    with count_queries() as many:
        page = client.get(url)
    assert page.status_code == 200 and page.get_data(as_text=True).count(admin_name) == 3
    assert many.count == few.count, "\n".join(many.statements) + "\n-----\n" + "\n".join(few.statements)


@pytest.fixture()
def plan_2023(db, units):
    plan = make_plan(code="KH-KSTTHC-2023", year=2023, activities=3,
                     unit_ids=[units[OWN_UNIT].id, units[OTHER_UNIT].id], due=date(2023, 6, 30))
    db.session.commit()
    return plan


def test_office_report_is_made_by_the_worker_and_kept_per_version(app, db, units, plan_2023, make_user, test_queue,
                                                                  report_fonts):
    client = login(app.test_client(), make_user("office"))
    response = client.post("/reports/new/year", data={
        "year": "2023", "plans": ["KH-KSTTHC-2023"], "unit": "", "framework": "", "formats": ["pdf", "docx", "xlsx"],
        "as_of": "31/12/2023", "causes": "Nguyên nhân: một số đơn vị chưa cập nhật kịp thời.",
        "signer_name": "Hoàng Gia Long"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    report = db.session.scalar(select(Report))
    version = report.versions[0]
    assert version.state == "queued" and version.job_id
    _run_worker(test_queue)
    db.session.expire_all()
    version = db.session.get(ReportVersion, version.id)
    assert version.state == "done", version.error
    assert sorted(f.format for f in version.files) == ["docx", "pdf", "xlsx"]
    job = test_queue.fetch_job(version.job_id)
    assert job.meta["progress"] == 100
    status = client.get(f"/reports/{report.id}/v1/status").get_json()
    assert status["state"] == "done" and len(status["files"]) == 3
    pdf = client.get(f"/reports/{report.id}/v1/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == version.file("pdf").sha256
    assert version.content["body"] and version.settings["plan_codes"] == ["KH-KSTTHC-2023"]
    first_hash = version.file("pdf").sha256
    # the office edits the text: a new version; the first stays downloadable, unchanged
    response = client.post(f"/reports/{report.id}/edit", data={
        "year": "2023", "plans": ["KH-KSTTHC-2023"], "unit": "", "framework": "", "formats": ["pdf"],
        "as_of": "31/12/2023", "causes": "Nguyên nhân đã sửa.", "signer_name": "Hoàng Gia Long"})
    assert response.status_code == 302
    _run_worker(test_queue)
    db.session.expire_all()
    versions = db.session.scalars(select(ReportVersion).order_by(ReportVersion.number)).all()
    assert [v.number for v in versions] == [1, 2] and versions[1].state == "done"
    assert versions[1].narrative["causes"] == "Nguyên nhân đã sửa."
    assert hashlib.sha256(client.get(f"/reports/{report.id}/v1/pdf").data).hexdigest() == first_hash
    assert client.get(f"/reports/{report.id}/v2/docx").status_code == 404  # only a PDF was asked for
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "v2" in page and "v1" in page


def test_bad_settings_give_a_clear_message_and_no_report(app, db, units, plan_2023, make_user, test_queue):
    client = login(app.test_client(), make_user("office"))
    response = client.post("/reports/new/year", data={"year": "2031", "unit": "", "framework": "",
                                                      "formats": ["pdf"]})
    assert response.status_code == 200
    assert "Năm 2031: chưa có kế hoạch hay văn bản chỉ đạo nào" in response.get_data(as_text=True)
    db.session.add(Plan(code="KH-RONG", title="Kế hoạch chưa có hoạt động", year=2023))
    db.session.commit()
    response = client.post("/reports/new/year", data={"year": "2023", "plans": ["KH-RONG"], "unit": "",
                                                      "framework": "", "formats": ["pdf"]})
    assert "Kế hoạch «KH-RONG» chưa có hoạt động nào" in response.get_data(as_text=True)
    response = client.post("/reports/new/year", data={"year": "2023", "plans": ["KH-KSTTHC-2023"],
                                                      "unit": "HG-SNV", "framework": "", "formats": ["pdf"]})
    assert "chưa có phân công nào của đơn vị Sở Nội vụ" in response.get_data(as_text=True)
    load_shipped_frameworks()  # the notice names a framework in the database that has no results for the period
    db.session.commit()
    response = client.post("/reports/new/notice", data={"framework": "766-2022", "period": "Q2/2024",
                                                        "formats": ["pdf"]})
    assert "Kỳ quý II/2024: chưa có kết quả Bộ chỉ số «766-2022»" in response.get_data(as_text=True)
    response = client.post("/reports/new/year", data={"year": "hai nghìn", "unit": "", "framework": "",
                                                      "formats": []})
    text = response.get_data(as_text=True)
    assert "Năm báo cáo phải là số năm" in text and "Chọn ít nhất một định dạng tệp" in text
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_unit_user_makes_only_its_own_unit_report(app, db, units, plan_2023, make_user, test_queue):
    client = login(app.test_client(), make_user("unit_officer", OWN_UNIT))
    response = client.post("/reports/new/year", data={"year": "2023", "unit": OTHER_UNIT, "framework": "",
                                                      "formats": ["xlsx"]})
    assert response.status_code == 200 and db.session.scalar(select(func.count(Report.id))) == 0
    assert f"«{OTHER_UNIT}» không có trong danh sách" in response.get_data(as_text=True)
    response = client.post("/reports/new/year", data={"year": "2023", "unit": OWN_UNIT, "framework": "",
                                                      "formats": ["xlsx"]})
    assert response.status_code == 302
    report = db.session.scalar(select(Report))
    assert report.unit_id == units[OWN_UNIT].id
    _run_worker(test_queue)
    db.session.expire_all()
    assert db.session.get(Report, report.id).versions[0].state == "done"
    other = login(app.test_client(), make_user("unit_officer", OTHER_UNIT))
    assert other.get(f"/reports/{report.id}").status_code == 403
    assert other.get(f"/reports/{report.id}/v1/xlsx").status_code == 403


def test_a_failing_job_leaves_no_file_and_says_why(app, db, units, plan_2023, make_user, test_queue, monkeypatch,
                                                   report_fonts):
    office = make_user("office")
    report = service.create_report(office, "year", "Báo cáo hỏng", {"year": 2023, "plan_codes": ["KH-DA-XOA"]}, {},
                                   ["pdf"], None)
    version = service.new_version(office, report)
    db.session.commit()
    test_queue.enqueue("jobs.reports.generate_report", version.id)
    _run_worker(test_queue)
    db.session.expire_all()
    failed = db.session.get(ReportVersion, version.id)
    assert failed.state == "failed" and failed.error == "Kế hoạch: không có kế hoạch mã «KH-DA-XOA»"
    folder = service.storage_dir(app.config["REPORT_FOLDER"], report.id, 1)
    assert not folder.exists() or list(folder.iterdir()) == []

    # an unexpected error after the PDF was already rendered: nothing is kept, RQ records the failure too
    import jobs.reports as job_module

    real_render = job_module.render

    def render_then_break(document, fmt):
        if fmt == "docx":
            raise RuntimeError("ổ đĩa đầy")
        return real_render(document, fmt)

    monkeypatch.setattr(job_module, "render", render_then_break)
    report = service.create_report(office, "year", "Báo cáo 2023", {"year": 2023}, {}, ["pdf", "docx"], None)
    version = service.new_version(office, report)
    db.session.commit()
    job = test_queue.enqueue("jobs.reports.generate_report", version.id)
    _run_worker(test_queue)
    db.session.expire_all()
    failed = db.session.get(ReportVersion, version.id)
    assert failed.state == "failed" and "RuntimeError" in failed.error and "ổ đĩa đầy" in failed.error
    assert db.session.scalar(select(func.count(ReportFile.id)).where(ReportFile.version_id == version.id)) == 0
    folder = service.storage_dir(app.config["REPORT_FOLDER"], report.id, 1)
    assert [p.name for p in Path(folder).iterdir()] == [] if folder.exists() else True
    assert job.get_status(refresh=True) == "failed"


def test_tampered_file_is_not_served(app, db, report_world):
    client = login(app.test_client(), report_world["users"]["office"])
    report_id = report_world["ids"]["province_report"]
    stored = db.session.scalar(select(ReportFile))
    Path(stored.stored_path).write_bytes(b"%PDF changed after generation")
    assert client.get(f"/reports/{report_id}/v1/pdf").status_code == 409
