"""Pure helpers of the plan pages: gap wording, LIKE escaping, per-level targets order, due windows.

No app and no database: Plan objects here are transient.
"""
from datetime import date

from models import Plan
from tracker.services.plan_tree import TreeFilters, due_window, gap_summary, like_pattern, targets_display


def _plan(**values) -> Plan:
    return Plan(code="KH", title="Kế hoạch", year=2023, **values)


def test_gap_summary_names_declared_present_and_lost_activities():
    plan = _plan(declared_activities=57, declared_tasks=18,
                 known_gaps=[{"number": "III.2.1"}, {"number": "III.5.1"}, "IV.1"])
    assert gap_summary(plan, present=54, present_tasks=17) == [
        "Văn bản công bố 57 hoạt động; dữ liệu có 54; thiếu III.2.1, III.5.1, IV.1",
        "Văn bản công bố 18 nhiệm vụ; dữ liệu có 17",
    ]


def test_gap_summary_is_silent_when_the_data_matches_the_document():
    assert gap_summary(_plan(declared_activities=5, declared_tasks=2, known_gaps=[]), 5, 2) == []
    assert gap_summary(_plan(known_gaps=[]), 3, 1) == []


def test_gap_summary_without_declared_counts_still_lists_gaps():
    assert gap_summary(_plan(known_gaps=["II.1"]), 3, 1) == ["Thiếu so với văn bản: II.1"]


def test_like_pattern_folds_accents_and_takes_wildcards_literally():
    assert like_pattern("Sở  Tư PHÁP") == "%so tu phap%"
    assert like_pattern("100%_x") == "%100\\%\\_x%"
    assert like_pattern("a\\b") == "%a\\\\b%"


def test_targets_display_orders_levels_and_keeps_unknown_keys():
    targets = {"commune": "30%", "province": "100%", "district": "60%", "other": "5"}
    assert targets_display(targets) == [("province", "100%"), ("district", "60%"), ("commune", "30%"),
                                        ("other", "5")]
    assert targets_display({}) == [] and targets_display(None) == []


def test_due_window_and_filter_flags():
    assert due_window(7, date(2023, 12, 28)) == (date(2023, 12, 28), date(2024, 1, 4))
    assert not TreeFilters().active
    assert TreeFilters(query="so tu phap").active and not TreeFilters(query="x").narrows_assignments
    assert TreeFilters(status="overdue").narrows_assignments
