"""After the seed steps (units, the 2023 plan, the indicators step) the app shows the published figures exactly.

Expected figures are read from the curated transcription of file 000 (tracker/data/scores/ha-giang-766-2024.yaml)
and a few are restated from the source document itself; the app's figures come from the database through the
same computations the pages use.
"""
import re
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import ActivityIndicator, Framework, FrameworkNode, Period, Score
from tracker import clock
from tracker.domain.frameworks import load_frameworks
from tracker.domain.score_sheets import SCORES_DIR, load_score_file
from tracker.services import lost_points, plans, score_results, unit_matching
from tracker.services.indicator_seed import seed_indicators

PLAN_FILE = plans.DATA_DIR / "ha-giang-2023-ksthc.yaml"
SHEET_000 = SCORES_DIR / "ha-giang-766-2024.yaml"
KIND_OF_LEVEL = {"province": "province", "department": "department", "district": "district"}


@pytest.fixture()
def seeded(db, units):
    plans.load_plan_file(PLAN_FILE)
    lines = seed_indicators()
    db.session.commit()
    return lines


@pytest.fixture()
def sheet_000():
    return load_score_file(SHEET_000, load_frameworks())


def _published_rows(sheet):
    for table in sheet.tables:
        for row in table.rows:
            yield table, row


def test_seed_loads_the_four_frameworks_and_both_result_files(seeded, db):
    codes = set(db.session.scalars(select(Framework.code)))
    assert codes == {"766-2022", "766-2025", "par-2021", "par-2022"}
    labels = set(db.session.scalars(select(Period.label)))
    assert {"2024", "2022", "2021"} <= labels
    # every PAR 2022 node has its official score, and the survey-scored ones have no self-assessment
    par = db.session.scalar(select(Framework).where(Framework.code == "par-2022"))
    scored = db.session.scalar(select(func.count(Score.id)).where(Score.framework_id == par.id))
    nodes = db.session.scalar(select(func.count(FrameworkNode.id)).where(FrameworkNode.framework_id == par.id))
    assert scored == nodes  # 133 nodes + the total
    survey = db.session.scalar(select(Score).join(FrameworkNode).where(
        FrameworkNode.framework_id == par.id, FrameworkNode.code == "8.1.1"))
    assert survey.self_points is None and survey.official_points == Decimal("1.179")
    assert survey.note == "Điều tra XHH người dân"


def _code_of(name: str) -> str:
    """The unit a printed name stands for (through the units file's aliases, e.g. the typo "Đông Văn")."""
    return unit_matching.UnitMatcher.from_db().find(name).code


def test_unit_results_reproduce_every_published_total_band_and_rank_of_file_000(seeded, sheet_000):
    results = {r.unit.code: r for r in score_results.unit_results("766-2022", "2024")}
    assert len(results) == 1 + 18 + 11
    for table, row in _published_rows(sheet_000):
        result = results[_code_of(row.unit)]
        assert result.unit.kind_code == KIND_OF_LEVEL[table.level]
        assert result.total == row.total, row.unit
        assert result.band == row.band, row.unit
        for code, value in row.scores.items():
            assert result.values[code] == value, (row.unit, code)
        if row.rank is not None:
            assert result.display_rank == row.rank, row.unit
        else:  # departments: the printed order is by total with no ties, so it is the rank
            assert result.rank == row.stt, row.unit


def test_ties_are_kept_as_published_and_the_rounding_tie_is_flagged(seeded):
    districts = {r.unit.code: r for r in score_results.unit_results("766-2022", "2024", kind="district")}
    districts = {name: districts[_code_of(name)] for name in (
        "UBND huyện Mèo Vạc", "UBND huyện Quang Bình", "UBND huyện Bắc Quang", "UBND huyện Bắc Mê",
        "UBND huyện Yên Minh", "UBND thành phố Hà Giang")}
    # file 000, Phụ lục 03: 6, 6, 8, 8 are shared ranks; 91,8 and 91,8 are published as 3 and 4
    assert districts["UBND huyện Mèo Vạc"].display_rank == districts["UBND huyện Quang Bình"].display_rank == 6
    assert districts["UBND huyện Bắc Quang"].display_rank == 8
    assert districts["UBND huyện Bắc Mê"].display_rank == 10
    yen_minh, city = districts["UBND huyện Yên Minh"], districts["UBND thành phố Hà Giang"]
    assert (yen_minh.display_rank, city.display_rank) == (3, 4)
    assert yen_minh.rank == city.rank == 3  # recomputed on the printed totals, which are tied
    assert city.rank_disagrees and city.rank_disagreement_explained
    assert not districts["UBND huyện Mèo Vạc"].rank_disagrees


def test_province_row_keeps_the_national_rank_and_movement(seeded):
    (province,) = score_results.unit_results("766-2022", "2024", kind="province")
    # file 000, Phụ lục 01: 85,60 điểm, Tốt, 10/63, tăng 4 bậc
    assert (province.total, province.band) == (Decimal("85.6"), "Tốt")
    assert (province.display_rank, province.display_rank_of) == (10, 63)
    assert province.rank_change_text == "Tăng 4 bậc"
    assert not province.rank_disagrees  # ranked among 63 provinces, not among our single province


def test_band_counts_match_the_published_bands(seeded, sheet_000):
    for table in sheet_000.tables:
        expected = Counter(row.band for row in table.rows)
        summary = score_results.band_summary("766-2022", "2024", KIND_OF_LEVEL[table.level])
        assert {line.band.name: line.count for line in summary if line.count} == dict(expected)
        assert all(line.total == len(table.rows) for line in summary)
    departments = [line.phrase for line in score_results.band_summary("766-2022", "2024", "department")]
    assert "Có 03/18 cơ quan xếp loại Xuất sắc" in departments
    assert "Không có cơ quan xếp loại Yếu" in departments


def test_par_2022_total_rank_and_change_since_2021(seeded):
    (result,) = score_results.unit_results("par-2022", "2022")
    # file 001: 84,4089 official (84,41%), group B, 40/63, −2,36 percentage points, giảm 12 bậc from 28/63
    assert result.total == Decimal("84.4089")
    assert result.band == "Nhóm B"
    assert (result.display_rank, result.display_rank_of) == (40, 63)
    assert result.previous_total == Decimal("86.77")
    assert result.points_change.quantize(Decimal("0.01")) == Decimal("-2.36")
    assert result.rank_change_text == "Giảm 12 bậc"
    assert result.values["5"] == Decimal("11.7898")  # kept as printed, the total follows the ministry


def test_results_page_shows_the_published_figures(seeded, sheet_000, client, login_as):
    login_as("leader", "HG")
    pages = {}
    for kind in ("province", "department", "district"):
        response = client.get(f"/indicators/results?framework=766-2022&period=2024&kind={kind}")
        assert response.status_code == 200
        pages[kind] = response.get_data(as_text=True)
    for table, row in _published_rows(sheet_000):
        html = pages[KIND_OF_LEVEL[table.level]]
        code = _code_of(row.unit)
        match = re.search(rf'<tr data-unit="{code}">(.*?)</tr>', html, re.S)
        assert match, row.unit
        cells = match.group(1)
        assert Decimal(re.search(r'data-total="([^"]+)"', cells).group(1)) == row.total
        assert re.search(r'data-band="([^"]+)"', cells).group(1) == row.band
        rank = int(re.search(r'data-rank="(\d+)"', cells).group(1))
        assert rank == (row.rank if row.rank is not None else row.stt)
    assert "Có 03/18 cơ quan xếp loại Xuất sắc" in pages["department"]
    assert "Có 10/11 huyện, thành phố xếp loại Xuất sắc" in pages["district"]
    assert "<b>10</b>/63" in pages["province"] and "Tăng 4 bậc" in pages["province"]


def test_links_come_from_the_data_file_and_reach_the_bottlenecks(seeded, db, client, login_as):
    assert not [line for line in seeded if "không có" in line]  # every activity and node in the file exists
    online = db.session.scalar(select(FrameworkNode).join(Framework).where(
        Framework.code == "766-2022", FrameworkNode.code == "CLGQ"))
    labels = {item.label for item in lost_points.linked_activities([online.id], clock.today())[online.id]}
    assert "I.1.1" in labels  # "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến toàn trình"
    assert db.session.scalar(select(func.count(ActivityIndicator.id))) >= 30
    # the group losing most in 2024 collects the links of its sub-indicators
    lost = lost_points.lost_points("766-2022", "2024", kind="department")
    assert lost[0].node.code == "MDSH"
    assert lost[0].lost == sum((Decimal(22) - v for v in (
        Decimal(x) for x in "16.7 16 14.7 16.2 16 16.7 14.5 16.4 14.4 13.4 14.9 8.1 15.8 17.4 9.5 11.3 3 6.5".split())),
        Decimal(0))
    assert {a.label for a in lost[0].activities} >= {"I.2.1", "I.2.11"}
    login_as("leader", "HG")
    html = client.get("/indicators/bottlenecks?framework=766-2022&period=2024&kind=department").get_data(as_text=True)
    assert "MDSH" in html and "Số hóa hồ sơ" in html and "Ban Dân tộc" in html


def test_seed_step_runs_twice_without_duplicates(seeded, db):
    before = db.session.scalar(select(func.count(Score.id)))
    links = db.session.scalar(select(func.count(ActivityIndicator.id)))
    lines = seed_indicators()
    db.session.commit()
    assert db.session.scalar(select(func.count(Score.id))) == before
    assert db.session.scalar(select(func.count(ActivityIndicator.id))) == links
    assert any("không thay đổi" in line for line in lines)


def test_province_scorecard_lists_the_tasks_of_the_units_below_it(seeded, units, client, login_as):
    items = {item.node.code: item for item in lost_points.lost_points("par-2022", "2022", unit_id=units["HG"].id)}
    # 7.3.7 online payment: 1,0712 of 1,50 (file 001); the 2023 plan's I.1.2 is owed by departments and districts
    assert items["7.3.7"].lost == Decimal("1.50") - Decimal("1.0712")
    assert "I.1.2" in {activity.label for activity in items["7.3.7"].activities}
    assert {ref.code for ref in items["7.3.7"].responsible} == {"HG-VPUB", "HG-STTTT"}
    login_as("leader", "HG")
    page = client.get(f"/indicators/units/{units['HG'].id}?framework=par-2022&period=2022").get_data(as_text=True)
    assert "84,41" in page and "40/63" in page and "Giảm 12 bậc" in page


def test_bottlenecks_default_to_the_provinces_own_losses(seeded, client, login_as):
    """Without a kind, the leader sees the province's own points lost (100 − 85,60), not a sum over levels."""
    login_as("leader", "HG")
    html = client.get("/indicators/bottlenecks?framework=766-2022&period=2024").get_data(as_text=True)
    lost = html[html.index('data-kpi="lost"'):][:40]
    assert "14,40" in lost
    every_kind = client.get("/indicators/bottlenecks?framework=766-2022&period=2024&kind=").get_data(as_text=True)
    assert "14,40" not in every_kind[every_kind.index('data-kpi="lost"'):][:40]
