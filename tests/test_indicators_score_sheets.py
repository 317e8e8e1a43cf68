"""The curated score files: they load, their totals and bands add up, and the known noise is reported."""
from decimal import Decimal

import pytest

from tracker.domain.frameworks import load_frameworks
from tracker.domain.score_sheets import (
    SCORES_DIR,
    ParAssessment,
    ScoreSheetError,
    UnitScoreSheet,
    check_par_assessment,
    check_unit_scores,
    load_score_file,
    load_score_sheet,
)
from tracker.domain.scoring import band_for, check_total, rank

FRAMEWORKS = load_frameworks()


@pytest.fixture(scope="module")
def sheet_766() -> UnitScoreSheet:
    sheet = load_score_file(SCORES_DIR / "ha-giang-766-2024.yaml", FRAMEWORKS)
    assert isinstance(sheet, UnitScoreSheet)
    return sheet


@pytest.fixture(scope="module")
def par() -> ParAssessment:
    assessment = load_score_file(SCORES_DIR / "ha-giang-par-2022.yaml", FRAMEWORKS)
    assert isinstance(assessment, ParAssessment)
    return assessment


def test_766_sheet_has_the_three_appendices(sheet_766):
    assert (sheet_766.framework_code, sheet_766.period) == ("766-2022", "2024")
    assert sheet_766.source == "Quyết định số 01/QĐ-UBND ngày 02/01/2025"
    assert [(table.code, table.level, len(table.rows)) for table in sheet_766.tables] == [
        ("PL01", "province", 1), ("PL02", "department", 18), ("PL03", "district", 11),
    ]
    province = sheet_766.tables[0].rows[0]
    assert (province.unit, province.total, province.band, province.rank, province.rank_of) == (
        "UBND tỉnh Hà Giang", Decimal("85.60"), "Tốt", 10, 63)
    assert province.rank_change == "Tăng 4 bậc"


def test_766_totals_add_up_and_bands_match(sheet_766):
    framework = FRAMEWORKS["766-2022"]
    for table in sheet_766.tables:
        for row in table.rows:
            assert set(row.scores) == {node.code for node in framework.nodes}, row.unit
            assert check_total(row.scores.values(), row.total).ok, row.unit
            assert band_for(row.total, framework).name == row.band, row.unit


def test_766_department_order_is_the_rank_order(sheet_766):
    departments = sheet_766.tables[1].rows
    ranks = rank({row.unit: row.total for row in departments})
    assert [ranks[row.unit] for row in departments] == [row.stt for row in departments]


def test_766_only_finding_is_the_rounded_tie_of_two_districts(sheet_766):
    assert check_unit_scores(sheet_766, FRAMEWORKS["766-2022"]) == [
        "PL03, UBND thành phố Hà Giang: hạng công bố 4, tính lại từ tổng điểm 91,8 là 3 "
        "(đồng điểm khi làm tròn, có thể xếp trên điểm chưa làm tròn)",
    ]


def test_par_assessment_covers_every_node(par):
    framework = FRAMEWORKS["par-2022"]
    assert (par.unit, par.period, par.framework_code) == ("UBND tỉnh Hà Giang", "2022", "par-2022")
    assert set(par.nodes) == {node.code for node in framework.walk()}
    assert (par.total_self, par.total_official) == (Decimal("63.3037"), Decimal("84.4089"))
    # Survey-scored nodes have no self-assessment.
    assert par.nodes["2.4"].self_points is None and par.nodes["8.1.3"].official == Decimal("1.909")
    assert "17 nhiệm vụ hoàn thành muộn" in par.nodes["1.7"].note


def test_par_self_total_adds_up(par):
    framework = FRAMEWORKS["par-2022"]
    domains = [par.nodes[node.code].self_points for node in framework.nodes]
    assert check_total(domains, par.total_self, Decimal("0.00005")).ok


def test_par_findings_are_exactly_the_known_noise(par):
    assert check_par_assessment(par, FRAMEWORKS) == [
        "1: điểm tự đánh giá 9,48 khác tổng các chỉ tiêu con 9,50",
        "1.3: điểm tự đánh giá 2,00 khác tổng các chỉ tiêu con 1,98",
        "1.3: điểm Bộ Nội vụ đánh giá 2,00 khác tổng các chỉ tiêu con 1,98",
        "5: điểm Bộ Nội vụ đánh giá 11,7898 khác tổng các chỉ tiêu con 11,7808",
        "tổng: điểm Bộ Nội vụ đánh giá 84,4089 khác tổng các chỉ tiêu con 84,4179",
        "2022, lĩnh vực 5: Phụ lục 01 in 11,78 điểm, Phụ lục 02 in 11,7898",
    ]


def test_par_domain_results_give_published_percent_band_and_rank(par):
    year_2021, year_2022 = par.years
    assert (year_2021.framework_code, year_2022.framework_code) == ("par-2021", "par-2022")
    assert (year_2022.total.points, year_2022.total.rank, year_2022.total.rank_of) == (Decimal("84.41"), 40, 63)
    assert band_for(year_2022.total.points, FRAMEWORKS["par-2022"]).code == year_2022.total.band == "B"
    assert band_for(year_2021.total.points, FRAMEWORKS["par-2021"]).code == "B"
    assert par.comparison["7"].rank_change == "tăng 19 bậc"


def _broken(text_change: tuple[str, str]) -> str:
    original = (SCORES_DIR / "ha-giang-766-2024.yaml").read_text(encoding="utf-8")
    assert text_change[0] in original
    return original.replace(*text_change, 1)


def test_unknown_node_code_is_rejected_with_its_line():
    text = _broken(("scores: {CKMB: 11.9,", "scores: {CKMX: 11.9,"))
    with pytest.raises(ScoreSheetError, match=r"sheet\.yaml, dòng \d+: scores: khóa không được hỗ trợ 'CKMX'"):
        load_score_sheet(text, FRAMEWORKS, source="sheet.yaml")


def test_text_in_a_number_is_rejected():
    text = _broken(("total: 85.60", "total: tám lăm"))
    with pytest.raises(ScoreSheetError, match="total phải là số, nhận được 'tám lăm'"):
        load_score_sheet(text, FRAMEWORKS)


def test_unknown_framework_is_rejected():
    text = _broken(('framework: "766-2022"', 'framework: "766-1999"'))
    with pytest.raises(ScoreSheetError, match="không có bộ chỉ số '766-1999'"):
        load_score_sheet(text, FRAMEWORKS)


def test_a_changed_total_becomes_a_finding(sheet_766):
    text = _broken(("total: 92.2, band:", "total: 93.2, band:"))
    sheet = load_score_sheet(text, FRAMEWORKS)
    findings = check_unit_scores(sheet, FRAMEWORKS["766-2022"])
    assert "PL02, Sở Tư pháp: tổng điểm 93,2 khác tổng các nhóm 92,2" in findings
