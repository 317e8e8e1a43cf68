"""The office's review queue: filters by unit and plan (paging kept), and each row's evidence."""
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from models import Assignment, Attachment, Plan
from tests.factories import login
from tests.test_assignments_pages import (
    OFFICE_UNIT,
    OWN_UNIT,
    PDF,
    TODAY,
    _clean_evidence,  # noqa: F401  (autouse: evidence files removed after each test)
    make_assignment,
)
from tracker.services import assignments as workflow

OTHER_UNIT = "HG-SVHTTDL"


def _submit(db, make_user, assignment_id: int, *, number: str = "", note: str = "", files=()):
    officer = make_user("unit_officer", db.session.get(Assignment, assignment_id).unit.code)
    stored = [workflow.store_evidence(str(workflow.evidence_folder(current_app.config["UPLOAD_FOLDER"])),
                                      20 * 1024 * 1024, workflow.Evidence(name, data)) for name, data in files]
    workflow.update_progress(officer, db.session.get(Assignment, assignment_id), percent=100, note=note,
                             expected_version=None, evidence_number=number, evidence_date=date(2023, 3, 1),
                             files=stored, submit=True)
    db.session.commit()


def _second_plan(db, units, unit_code: str) -> int:
    """An assignment in another plan (KH-KHAC)."""
    first = make_assignment(db, units, unit_code=unit_code, number="9.9")
    plan = Plan(code="KH-KHAC", title="Kế hoạch cải cách hành chính", year=TODAY.year)
    db.session.add(plan)
    db.session.flush()
    assignment = db.session.get(Assignment, first)
    assignment.plan_id = plan.id
    assignment.activity.plan_id = plan.id
    db.session.commit()
    return first


def test_queue_filters_by_unit_and_plan_and_keeps_them_when_paging(app, db, units, make_user):
    own = [make_assignment(db, units, number=f"1.{i}") for i in range(3)]
    other = [make_assignment(db, units, unit_code=OTHER_UNIT, number=f"2.{i}") for i in range(30)]
    in_other_plan = _second_plan(db, units, OTHER_UNIT)
    for assignment_id in own + other + [in_other_plan]:
        _submit(db, make_user, assignment_id, number="5/BC")
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))

    everything = office.get("/assignments/review").get_data(as_text=True)
    assert "Trang 1/2" in everything  # 34 items, 25 a page
    assert f'<option value="{units[OWN_UNIT].id}" >Sở Tư pháp (3)</option>' in everything

    page = office.get(f"/assignments/review?unit={units[OWN_UNIT].id}").get_data(as_text=True)
    for assignment_id in own:
        assert f"/assignments/{assignment_id}/review" in page
    assert not any(f"/assignments/{a}/review" in page for a in other + [in_other_plan])
    assert "Trang 1/" not in page  # all three on one page

    plan_id = db.session.scalar(select(Plan.id).where(Plan.code == "KH-KHAC"))
    page = office.get(f"/assignments/review?plan={plan_id}").get_data(as_text=True)
    assert f"/assignments/{in_other_plan}/review" in page and page.count('/review?plan=') >= 1
    assert not any(f"/assignments/{a}/review" in page for a in own + other)

    page = office.get(f"/assignments/review?unit={units[OTHER_UNIT].id}").get_data(as_text=True)
    assert "Trang 1/2" in page and f"unit={units[OTHER_UNIT].id}" in page.split("Trang 1/2")[1][:400]
    second = office.get(f"/assignments/review?unit={units[OTHER_UNIT].id}&page=2").get_data(as_text=True)
    assert "Trang 2/2" in second and not any(f"/assignments/{a}/review" in second for a in own)


def test_decision_from_a_filtered_queue_comes_back_to_it(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    _submit(db, make_user, assignment_id, number="5/BC")
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    unit_id = units[OWN_UNIT].id
    page = office.get(f"/assignments/review?unit={unit_id}").get_data(as_text=True)
    assert f'action="/assignments/{assignment_id}/review?unit={unit_id}"' in page
    response = office.post(f"/assignments/{assignment_id}/review?unit={unit_id}",
                           data={"version": str(db.session.get(Assignment, assignment_id).version), "confirm": "x",
                                 "back": "queue"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/assignments/review?unit={unit_id}")


def test_bad_filter_values_are_ignored_with_a_message(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    _submit(db, make_user, assignment_id, number="5/BC")
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    for query in ("unit=abc", "unit=2147483648", "plan=99999999999999999999", "plan=-1"):
        response = office.get(f"/assignments/review?{query}")
        body = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert "không có việc nào chờ xử lý; đang hiện tất cả" in body, query
        assert f"/assignments/{assignment_id}/review" in body, query
    # a NUL byte is refused for the whole app before any view runs (tracker/request_input.py), naming the field
    response = office.get("/assignments/review?unit=%00")
    assert response.status_code == 400 and "«unit»" in response.get_data(as_text=True)


def test_each_row_shows_its_evidence(app, db, units, make_user):
    assignment_id = make_assignment(db, units)
    _submit(db, make_user, assignment_id, number="123/BC-STP", note="Đã ban hành báo cáo rà soát",
            files=[("Báo cáo rà soát.pdf", PDF)])
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    page = office.get("/assignments/review").get_data(as_text=True)
    attachment_id = db.session.scalar(select(Attachment.id))
    assert "123/BC-STP" in page and "01/03/2023" in page
    assert "Đã ban hành báo cáo rà soát" in page
    assert f'href="/assignments/files/{attachment_id}">Báo cáo rà soát.pdf</a>' in page
    assert office.get(f"/assignments/files/{attachment_id}").data == PDF


def test_filtered_queue_query_count_does_not_grow_with_rows(app, db, units, make_user, count_queries):
    def add(start: int, count: int) -> None:
        for index in range(start, start + count):
            assignment_id = make_assignment(db, units, number=f"1.{index}")
            _submit(db, make_user, assignment_id, number="1/BC", files=[("a.pdf", PDF), ("b.pdf", PDF)])
            officer = make_user("unit_officer", OWN_UNIT)
            workflow.request_extension(officer, db.session.get(Assignment, assignment_id),
                                       requested_due=TODAY + timedelta(days=90), reason="Lý do")
            db.session.commit()

    add(1, 2)
    office = login(app.test_client(), make_user("office", OFFICE_UNIT))
    url = f"/assignments/review?unit={units[OWN_UNIT].id}"
    db.session.expire_all()
    with count_queries() as few:
        assert office.get(url).status_code == 200
    add(3, 10)
    db.session.expire_all()
    with count_queries() as many:
        page = office.get(url).get_data(as_text=True)
    assert page.count("/decide") == 12 and page.count("/assignments/files/") == 24
    assert many.count == few.count
