"""The issuing body as data: each province (root unit) prints its own letterhead, place, number and signer;
the admin edits them (audited, version-checked); `report notice|year --province` picks one when there are several."""
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEntry, Report, Unit, UnitKind
from tests.factories import login, make_plan
from tracker.reports.document import to_json
from tracker.reports.generate import build_document
from tracker.services.frameworks import load_shipped_frameworks
from tracker.services.reports import ReportError

#: a second province with one department; its name is made up, so nothing in the code can know it
SECOND = ("TN", "UBND tỉnh Thử Nghiệm")
SECOND_DEPT = ("TN-STP", "Sở Tư pháp tỉnh Thử Nghiệm")


class OneDepartment:
    """Score results of one department (the score provider's two functions)."""

    def __init__(self, unit: Unit) -> None:
        self.results = [{"unit": {"id": unit.id, "code": unit.code, "name": unit.name, "kind_code": "department"},
                         "values": {"1": Decimal("5")}, "total": Decimal("5"), "band": "Tốt", "rank": 1,
                         "peers": 1}]

    def unit_results(self, framework_code, period_label, kind=None):
        return [r for r in self.results if kind is None or r["unit"]["kind_code"] == kind]

    def band_summary(self, framework_code, period_label, kind):
        return [("Tốt", 1, 1, None)] if kind == "department" else []


@pytest.fixture()
def second(db, units):
    """A second province (root) with one department; returns (root, department)."""
    kinds = {kind.code: kind.id for kind in db.session.scalars(select(UnitKind))}
    root = Unit(code=SECOND[0], name=SECOND[1], kind_id=kinds["province"], sort_order=5)
    db.session.add(root)
    db.session.flush()
    dept = Unit(code=SECOND_DEPT[0], name=SECOND_DEPT[1], kind_id=kinds["department"], parent_id=root.id)
    db.session.add(dept)
    load_shipped_frameworks()
    db.session.commit()
    return root, dept


def _text(document) -> str:
    return json.dumps(to_json(document), ensure_ascii=False)


def _notice(dept, **settings):
    return build_document("notice", {"framework": "766-2022", "period": "2024", **settings}, {}, date(2024, 1, 5),
                          OneDepartment(dept))


def test_each_province_prints_its_own_letterhead_and_place(second):
    _root, dept = second
    notice = _notice(dept, province="TN")
    assert notice.header.parent_body == "UBND TỈNH THỬ NGHIỆM"
    assert notice.header.place_date.startswith("Thử Nghiệm, ngày")
    seeded = _notice(dept, province="HG")
    assert seeded.header.parent_body == "UBND TỈNH HÀ GIANG"
    assert seeded.header.place_date.startswith("Hà Giang, ngày")


def test_several_provinces_and_none_named_is_a_clear_error(second):
    _root, dept = second
    with pytest.raises(ReportError, match="2 tỉnh .*HG, TN"):
        _notice(dept)
    with pytest.raises(ReportError, match="«NOPE»"):
        _notice(dept, province="NOPE")
    with pytest.raises(ReportError, match="«TN-STP»"):  # a department is not a province
        _notice(dept, province="TN-STP")


def test_a_year_report_of_the_second_province_takes_its_issuing_body(db, second):
    root, dept = second
    make_plan(code="KH-TN", year=2023, unit_ids=[dept.id], issuer_unit=root.code)
    root.signer_title, root.signer_name, root.number_pattern = "CHỦ TỊCH", "Nguyễn Văn A", "{number}/BC-UBTN"
    db.session.commit()
    settings = {"year": 2023, "plan_codes": ["KH-TN"], "as_of": "2023-12-31"}
    # no province named: the plans' issuer tells it
    document = build_document("year", settings, {}, date(2024, 1, 5))
    assert document.header.issuer == "ỦY BAN NHÂN DÂN\nTỈNH THỬ NGHIỆM"
    assert document.header.place_date.startswith("Thử Nghiệm, ngày")
    assert document.header.number == "Số: …/BC-UBTN"
    assert (document.signature.position, document.signature.name) == ("CHỦ TỊCH", "Nguyễn Văn A")
    unit_report = build_document("year", {**settings, "unit_code": "TN-STP"}, {}, date(2024, 1, 5))
    assert unit_report.header.parent_body == "UBND TỈNH THỬ NGHIỆM"


def test_editing_the_letterhead_shows_in_the_next_notice_and_is_audited(app, db, second, make_user):
    root, dept = second
    client = login(app.test_client(), make_user("admin"))
    assert f"/admin/units/{root.id}/issuing-body" in client.get(f"/admin/units/{root.id}/edit").get_data(as_text=True)
    assert "/issuing-body" not in client.get(f"/admin/units/{dept.id}/edit").get_data(as_text=True)
    page = client.get(f"/admin/units/{root.id}/issuing-body").get_data(as_text=True)
    assert 'value="UBND TỈNH THỬ NGHIỆM"' in page and 'value="Thử Nghiệm"' in page
    form = {"letterhead_parent": "UBND TỈNH THỬ NGHIỆM MỚI", "letterhead_issuer": "ỦY BAN NHÂN DÂN\nTỈNH THỬ NGHIỆM",
            "place_name": "Phố Thử", "number_pattern": "{number}/BC-UBND", "signer_title": "", "signer_name": "",
            "version": str(root.version)}
    response = client.post(f"/admin/units/{root.id}/issuing-body", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    notice = _notice(dept, province="TN")
    assert notice.header.parent_body == "UBND TỈNH THỬ NGHIỆM MỚI"
    assert notice.header.place_date.startswith("Phố Thử, ngày")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.message == "audit.unit.issuing_body")).one()
    assert entry.changes["place_name"] == [None, "Phố Thử"]
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "đã sửa tiêu đề văn bản (cơ quan ban hành) của TN" in audit_page and "Địa danh" in audit_page
    # a form opened before that save is refused, and changes nothing
    stale = client.post(f"/admin/units/{root.id}/issuing-body", data={**form, "place_name": "Cũ"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(Unit, root.id).place_name == "Phố Thử"


def test_only_the_admin_edits_the_issuing_body(app, db, second, make_user):
    root, _dept = second
    url = f"/admin/units/{root.id}/issuing-body"
    office = login(app.test_client(), make_user("office"))
    assert office.get(url).status_code == 403
    assert office.post(url, data={"place_name": "Khác", "version": str(root.version)}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Unit, root.id).place_name is None
    admin = login(app.test_client(), make_user("admin"))
    assert admin.get(f"/admin/units/{_dept.id}/issuing-body").status_code == 404  # not a province


def test_an_empty_place_is_refused_with_the_field_named(app, db, second, make_user):
    root, _dept = second
    client = login(app.test_client(), make_user("admin"))
    response = client.post(f"/admin/units/{root.id}/issuing-body",
                           data={"letterhead_parent": "UBND TỈNH X", "place_name": "  ", "version": str(root.version)})
    assert response.status_code == 400
    assert "Địa danh: không được để trống" in response.get_data(as_text=True)
    bad_pattern = client.post(f"/admin/units/{root.id}/issuing-body",
                              data={"place_name": "X", "number_pattern": "123/BC", "version": str(root.version)})
    assert bad_pattern.status_code == 400
    assert "Mẫu số, ký hiệu văn bản: phải có «{number}»" in bad_pattern.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, root.id).place_name is None


def test_cli_takes_the_province_and_refuses_to_guess(app, db, second, tmp_path):
    root, dept = second
    make_plan(code="KH-TN", year=2023, unit_ids=[dept.id])  # issued by no one: the plans cannot tell
    runner = app.test_cli_runner()
    output = tmp_path / "tb.xlsx"
    result = runner.invoke(args=["report", "notice", "--framework", "766-2022", "--period", "2024",
                                 "-o", str(output)])
    assert result.exit_code != 0 and "hãy chọn tỉnh" in result.output and not output.exists()
    result = runner.invoke(args=["report", "year", "--year", "2023", "-o", str(output)])
    assert result.exit_code != 0 and "hãy chọn tỉnh" in result.output and not output.exists()
    result = runner.invoke(args=["report", "year", "--year", "2023", "--province", "NOPE", "-o", str(output)])
    assert result.exit_code != 0 and "«NOPE»" in result.output
    result = runner.invoke(args=["report", "year", "--year", "2023", "--province", "TN", "--as-of", "2023-12-31",
                                 "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "Thử Nghiệm, ngày" in _xlsx_text(output)


def _xlsx_text(path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path)
    return " ".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row if cell.value)


def test_a_notice_made_on_the_web_is_issued_by_the_office_of_the_users_province(app, db, second, make_user,
                                                                                 monkeypatch):
    root, dept = second
    office = make_user("office", "TN-STP")  # an office user of the second province
    client = login(app.test_client(), office)
    from tracker.services import reports as service

    monkeypatch.setattr(service, "default_score_provider", lambda: OneDepartment(dept))
    response = client.post("/reports/new/notice", data={"framework": "766-2022", "period": "2024",
                                                        "formats": ["pdf"]})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:1500]
    report = db.session.scalars(select(Report).where(Report.kind == "notice")).one()
    assert report.settings["province"] == "TN"


def test_mail_is_signed_with_the_letterhead_of_the_recipients_province(db, second, make_user):
    from models import Notification
    from tracker.services.mail import build_message

    root, _dept = second
    officer = make_user("unit_officer", "TN-STP")
    notification = Notification(user_id=officer.id, day=date(2024, 1, 5), kind="completion_confirmed", ref="x",
                                subject="Tiêu đề", body="Nội dung")
    db.session.add(notification)
    db.session.commit()
    message = build_message(notification)
    assert "UBND TỈNH THỬ NGHIỆM" in message.get_body(("plain",)).get_content()
    root.letterhead_parent = "UBND TỈNH THỬ NGHIỆM MỚI"
    db.session.commit()
    message = build_message(notification)
    assert "UBND TỈNH THỬ NGHIỆM MỚI" in message.get_body(("plain",)).get_content()
    assert "UBND TỈNH THỬ NGHIỆM MỚI" in message.get_body(("html",)).get_content()


@pytest.mark.parametrize(("name", "parent", "issuer", "place"), [
    ("UBND tỉnh X", "UBND TỈNH X", "ỦY BAN NHÂN DÂN\nTỈNH X", "X"),
    ("Ủy ban nhân dân thành phố Y", "UBND THÀNH PHỐ Y", "ỦY BAN NHÂN DÂN\nTHÀNH PHỐ Y", "Y"),
    ("Tỉnh Z", "UBND TỈNH Z", "ỦY BAN NHÂN DÂN\nTỈNH Z", "Z"),
])
def test_an_unset_issuing_body_is_derived_from_the_name(name, parent, issuer, place):
    from tracker.services.issuing_body import issuing_body

    body = issuing_body(Unit(code="P", name=name))
    assert (body.parent_line, body.issuer, body.place, body.number()) == (parent, issuer, place, "…/BC-UBND")
    assert body.number("159") == "159/BC-UBND"
