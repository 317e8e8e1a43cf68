"""Reports take their frameworks from the database: a framework loaded on the admin page is offered and printed,
and a stored framework is printed as it was loaded even when the YAML files of the seed folder say otherwise."""
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from tests.factories import login, make_plan
from tracker.reports.document import to_json
from tracker.reports.generate import build_document
from tracker.services.frameworks import FRAMEWORKS_DIR, by_code, load_framework_text

#: a 766 framework that is not in tracker/data/frameworks (its code, name and groups are nowhere in the seed folder)
UPLOADED = """\
code: "766-thu"
name: "Bộ chỉ số thử nạp trên trang quản trị"
kind: "766"
source: "Quyết định thử 99/QĐ-UBND"
valid_from: 2023
valid_to: 2023
max_total: 10
band_basis: points
bands:
  - {code: A, name: "Mức cao", min: 7}
  - {code: B, name: "Mức thấp", min: 0}
nodes:
  - code: "X"
    name: "Nhóm X chỉ có ở bản nạp"
    max: 6
    children:
      - {code: "X.1", name: "Con 1", max: 4}
      - {code: "X.2", name: "Con 2", max: 2}
  - {code: "Y", name: "Nhóm Y chỉ có ở bản nạp", max: 4}
"""
UNITS = (("HG-STP", "Sở Tư pháp"), ("HG-SVHTTDL", "Sở Văn hoá, Thể thao và Du lịch"))


class StandInScores:
    """The score provider's two functions over two departments' results; remembers which framework was asked."""

    def __init__(self, units: dict, groups: dict[str, Decimal], band: str) -> None:
        self.asked: set[str] = set()
        self.results = [{"unit": {"id": units[code].id, "code": code, "name": name, "kind_code": "department"},
                         "values": groups, "total": sum(groups.values()), "band": band, "rank": rank, "peers": 2}
                        for rank, (code, name) in enumerate(UNITS, start=1)]
        self.band = band

    def unit_results(self, framework_code, period_label, kind=None):
        self.asked.add(framework_code)
        return [r for r in self.results if kind is None or r["unit"]["kind_code"] == kind]

    def band_summary(self, framework_code, period_label, kind):
        self.asked.add(framework_code)
        return [(self.band, 2, 2, None)] if kind == "department" else []


@pytest.fixture()
def plan(db, units):
    plan = make_plan(code="KH-2023", year=2023, activities=2, unit_ids=[units[code].id for code, _ in UNITS],
                     due=date(2023, 6, 30))
    db.session.commit()
    return plan


def _text(document) -> str:
    return json.dumps(to_json(document), ensure_ascii=False)


def test_a_framework_loaded_on_the_admin_page_is_offered_and_printed(app, db, units, plan, make_user):
    admin, office = make_user("admin"), make_user("office")
    admin_client = login(app.test_client(), admin)
    response = admin_client.post("/indicators/frameworks/load", content_type="multipart/form-data",
                                 data={"file": (io.BytesIO(UPLOADED.encode()), "tu-may-nguoi-dung.yaml")})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    office_client = login(app.test_client(), office)
    for url in ("/reports/new/year", "/reports/new/notice"):
        page = office_client.get(url).get_data(as_text=True)
        assert 'value="766-thu"' in page, url
        assert 'value="766-2022"' not in page, url  # a seed file nobody loaded is not a framework of the app

    provider = StandInScores(units, {"X": Decimal("5"), "Y": Decimal("3")}, "Mức cao")
    settings = {"year": 2023, "plan_codes": ["KH-2023"], "framework": "766-thu", "period": "2023",
                "as_of": "2023-12-31"}
    year_text = _text(build_document("year", settings, {}, date(2024, 1, 5), provider))
    assert provider.asked == {"766-thu"}
    assert "Kết quả Bộ chỉ số thử nạp trên trang quản trị năm 2023" in year_text
    assert "Nhóm X chỉ có ở bản nạp" in year_text and "Nhóm Y chỉ có ở bản nạp" in year_text
    # with no framework named, the 766 framework covering the year is the uploaded one
    chosen = _text(build_document("year", {**settings, "framework": None}, {}, date(2024, 1, 5), provider))
    assert "Kết quả Bộ chỉ số thử nạp trên trang quản trị năm 2023" in chosen
    notice = _text(build_document("notice", {"framework": "766-thu", "period": "2023"}, {}, date(2024, 1, 5),
                                  provider))
    assert "Bộ chỉ số thử nạp trên trang quản trị" in notice and "Quyết định thử 99/QĐ-UBND" in notice


def test_the_report_prints_the_stored_framework_not_the_seed_file(app, db, units, plan, make_user):
    shipped = (FRAMEWORKS_DIR / "766-2022.yaml").read_text(encoding="utf-8")
    shipped_name = "Bộ chỉ số 766 (5 nhóm, 2022–2024)"
    assert f'name: "{shipped_name}"' in shipped
    # what was loaded then; the file in the seed folder has changed since (or the database came from elsewhere)
    stored = shipped.replace(shipped_name, "Bộ chỉ số 766 (bản đã nạp trước khi sửa tệp)").replace(
        "valid_from: 2022", "valid_from: 2021")
    load_framework_text(stored, "766-2022.yaml", user=None)
    db.session.commit()
    groups = {node.code: node.max_points - 1 for node in by_code("766-2022").nodes if node.depth == 0}
    provider = StandInScores(units, groups, "Tốt")
    settings = {"year": 2023, "plan_codes": ["KH-2023"], "framework": None, "period": "2021",
                "as_of": "2023-12-31"}
    text = _text(build_document("year", settings, {}, date(2024, 1, 5), provider))
    assert provider.asked == {"766-2022"}  # the stored version covers 2021; the seed file starts in 2022
    assert "Kết quả Bộ chỉ số 766 (bản đã nạp trước khi sửa tệp) năm 2021" in text
    assert shipped_name not in text
