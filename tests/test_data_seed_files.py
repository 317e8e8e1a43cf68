"""Structural checks of the curated seed data files (tracker/data/units, tracker/data/plans).

The expected numbers and names below were read from the source documents in /work/shared/seeds
(000: Hà Giang 766 results 2024; 003: Decision 210/QĐ-UBND of 17/02/2023; 004: Hậu Giang letter
1487/UBND-NC). The tests need neither Flask nor a database.
"""

import datetime
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "tracker" / "data"
UNIT_FILES = ("units/ha-giang.yaml", "units/hau-giang.yaml")
PLAN_FILES = ("plans/ha-giang-2023-ksthc.yaml", "plans/hau-giang-1487-2024.yaml")

# Names exactly as printed in file 000, Phụ lục 02 (18 departments) and Phụ lục 03 (11 districts/city).
PRINTED_DEPARTMENTS = (
    "Sở Tư pháp", "Sở Văn hoá, Thể thao và Du lịch", "Sở Thông tin và Truyền thông", "Sở Nội vụ",
    "Sở Khoa học và Công nghệ", "Sở Giáo dục và Đào tạo", "Sở Kế hoạch và Đầu tư", "Sở Ngoại vụ",
    "Sở Xây dựng", "Sở Y tế", "Sở Tài nguyên và Môi trường", "Sở Công Thương", "Sở Nông nghiệp và PTNT",
    "Sở Lao động- TBXH", "Sở Tài chính", "Ban Quản lý Khu kinh tế", "Ban Dân tộc", "Sở Giao thông vận tải",
)
PRINTED_DISTRICTS = (
    "UBND huyện Vị Xuyên", "UBND huyện Hoàng Su Phì", "UBND huyện Yên Minh", "UBND thành phố Hà Giang",
    "UBND huyện Xín Mần", "UBND huyện Mèo Vạc", "UBND huyện Quang Bình", "UBND huyện Bắc Quang",
    "UBND huyện Đông Văn", "UBND huyện Bắc Mê", "UBND huyện Quản Bạ",
)

# Deadline wordings found in files 003 and 004 (domain.md lists the same families).
DEADLINE_PATTERNS = (
    r"\d{2}/\d{2}/\d{4}",
    r"Trước ngày \d{2}/\d{1,2}/\d{4}",
    r"Trước tháng \d{1,2}/\d{4}",
    r"Tháng \d{1,2}/\d{4}",
    r"Quý [IV]+(, [IV]+)*/\d{4}",
    r"Thường xuyên",
    r"Hàng tháng",
)
LEVEL_KEYS = {"province", "district", "commune"}


@cache
def load(relative_path: str) -> Any:
    """Parse one data file with yaml.safe_load (cached: each file is read once per run)."""
    return yaml.safe_load((DATA_DIR / relative_path).read_text(encoding="utf-8"))


def walk_units(units: list[dict], parent: dict | None = None) -> Iterator[tuple[dict, dict | None]]:
    """Yield (unit, parent) for every unit of a nested unit list, depth first."""
    for unit in units:
        yield unit, parent
        yield from walk_units(unit.get("children") or [], unit)


def activities_of(plan: dict) -> Iterator[tuple[dict, dict, dict]]:
    """Yield (group, task, activity) for every activity present in a plan."""
    for group in plan["groups"]:
        for task in group["tasks"]:
            for activity in task["activities"]:
                yield group, task, activity


def all_strings(node: Any, skip_keys: frozenset[str] = frozenset()) -> Iterator[str]:
    """Yield every string value (not key) in a parsed YAML document, except under the given keys."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in skip_keys:
                yield from all_strings(value, skip_keys)
    elif isinstance(node, list):
        for value in node:
            yield from all_strings(value, skip_keys)


def names_of(unit: dict) -> list[str]:
    """Return a unit's name followed by its aliases."""
    return [unit["name"], *(unit.get("aliases") or [])]


# --------------------------------------------------------------------------- all files


@pytest.mark.parametrize("relative_path", UNIT_FILES + PLAN_FILES)
def test_file_is_utf8_nfc_and_parses(relative_path: str) -> None:
    raw = (DATA_DIR / relative_path).read_text(encoding="utf-8")
    assert unicodedata.normalize("NFC", raw) == raw, f"{relative_path} không ở dạng NFC"
    assert isinstance(load(relative_path), dict)


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize("relative_path", UNIT_FILES)
def test_unit_tree_is_well_formed(relative_path: str) -> None:
    data = load(relative_path)
    kind_codes = {kind["code"] for kind in data["kinds"]}
    assert len(kind_codes) == len(data["kinds"])
    roots = data["units"]
    assert len(roots) == 1 and roots[0]["kind"] == "province"
    for unit, parent in walk_units(roots):
        assert re.fullmatch(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*", unit["code"]), unit["code"]
        assert unit["kind"] in kind_codes, unit["code"]
        assert unit["name"].strip() == unit["name"] and unit["name"], unit["code"]
        assert isinstance(unit.get("aliases", []), list), unit["code"]
        for key in ("valid_from", "valid_to"):
            assert unit.get(key) is None or isinstance(unit[key], datetime.date), (unit["code"], key)
        if parent is not None:
            assert unit["code"].startswith(roots[0]["code"] + "-"), unit["code"]


def test_unit_codes_are_unique_across_all_files() -> None:
    codes = [unit["code"] for path in UNIT_FILES for unit, _ in walk_units(load(path)["units"])]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("relative_path", UNIT_FILES)
def test_names_and_aliases_identify_one_unit(relative_path: str) -> None:
    seen: dict[str, str] = {}
    for unit, _ in walk_units(load(relative_path)["units"]):
        for name in names_of(unit):
            owner = seen.setdefault(name.casefold(), unit["code"])
            assert owner == unit["code"], f"'{name}' trùng giữa {owner} và {unit['code']}"


def test_ha_giang_has_18_departments_and_11_districts_under_the_province() -> None:
    province = load("units/ha-giang.yaml")["units"][0]
    children_by_kind: dict[str, list[dict]] = {}
    for child in province["children"]:
        children_by_kind.setdefault(child["kind"], []).append(child)
    assert province["code"] == "HG"
    assert len(children_by_kind["department"]) == 18
    assert len(children_by_kind["district"]) == 11
    assert len(children_by_kind["office"]) == 1
    all_kinds = [unit["kind"] for unit, _ in walk_units([province])]
    assert all_kinds.count("department") == 18 and all_kinds.count("district") == 11


@pytest.mark.parametrize(("printed", "kind"), [(n, "department") for n in PRINTED_DEPARTMENTS]
                         + [(n, "district") for n in PRINTED_DISTRICTS])
def test_every_unit_printed_in_file_000_is_found_by_its_printed_name(printed: str, kind: str) -> None:
    matches = [unit["code"] for unit, _ in walk_units(load("units/ha-giang.yaml")["units"])
               if printed in names_of(unit)]
    assert len(matches) == 1, printed
    unit = next(u for u, _ in walk_units(load("units/ha-giang.yaml")["units"]) if u["code"] == matches[0])
    assert unit["kind"] == kind


def test_single_units_named_in_plan_cells_exist_in_the_unit_tree() -> None:
    """Every named unit ("Sở …", "Báo …", "Đài …", "Văn phòng …") in a lead/coordinating cell must resolve."""
    known = {name for unit, _ in walk_units(load("units/ha-giang.yaml")["units"]) for name in names_of(unit)}
    longest_first = sorted(known, key=len, reverse=True)
    for _, _, activity in activities_of(load("plans/ha-giang-2023-ksthc.yaml")):
        for cell in (activity.get("lead"), activity.get("coordinating")):
            rest = cell or ""
            for name in longest_first:
                rest = rest.replace(name, "")
            unresolved = re.search(r"(Sở|Báo|Đài|Văn phòng) [A-ZĐ][^,;()]*", rest)
            assert unresolved is None, f"hoạt động {activity['number']}: không tìm thấy đơn vị trong '{cell}'"


# --------------------------------------------------------------------------- plans


def full_number(group: dict, activity_or_task_number: str) -> str:
    """Return the plan-wide number of a task or activity, e.g. "III.2.2"."""
    return f"{group['number']}.{activity_or_task_number}"


@pytest.mark.parametrize("relative_path", PLAN_FILES)
def test_plan_numbering_is_consistent_and_unique(relative_path: str) -> None:
    plan = load(relative_path)
    numbers = [full_number(g, a["number"]) for g, _, a in activities_of(plan)]
    assert len(numbers) == len(set(numbers))
    for group in plan["groups"]:
        task_numbers = [task["number"] for task in group["tasks"]]
        assert len(task_numbers) == len(set(task_numbers)), group["number"]
        for task in group["tasks"]:
            for activity in task["activities"]:
                number = activity["number"]
                assert number == task["number"] or number.startswith(task["number"] + "."), (group["number"], number)


def test_ha_giang_plan_declared_counts() -> None:
    plan = load("plans/ha-giang-2023-ksthc.yaml")
    assert plan["declared"] == {"groups": 4, "tasks": 18, "activities": 57}
    assert [g["number"] for g in plan["groups"]] == ["I", "II", "III", "IV"]
    assert [g["declared"] for g in plan["groups"]] == [
        {"tasks": 2, "activities": 17}, {"tasks": 8, "activities": 25},
        {"tasks": 5, "activities": 12}, {"tasks": 3, "activities": 3},
    ]
    assert sum(g["declared"]["tasks"] for g in plan["groups"]) == plan["declared"]["tasks"]
    assert sum(g["declared"]["activities"] for g in plan["groups"]) == plan["declared"]["activities"]
    assert plan["decision"]["number"] == "210/QĐ-UBND"
    assert plan["decision"]["date"] == datetime.date(2023, 2, 17)


def test_ha_giang_plan_present_activities_plus_known_gaps_equal_declared() -> None:
    plan = load("plans/ha-giang-2023-ksthc.yaml")
    gaps = plan["known_gaps"]
    assert sorted(gap["number"] for gap in gaps) == ["III.2.1", "III.5.1", "IV.1"]
    present = {g["number"]: sum(len(t["activities"]) for t in g["tasks"]) for g in plan["groups"]}
    assert present == {"I": 17, "II": 25, "III": 10, "IV": 2}
    for group in plan["groups"]:
        group_gaps = [gap for gap in gaps if gap["number"].split(".")[0] == group["number"]]
        lost_tasks = [gap for gap in group_gaps if gap["lost"] == "task"]
        assert present[group["number"]] + len(group_gaps) == group["declared"]["activities"], group["number"]
        assert len(group["tasks"]) + len(lost_tasks) == group["declared"]["tasks"], group["number"]
    present_numbers = {full_number(g, a["number"]) for g, _, a in activities_of(plan)}
    present_numbers |= {full_number(g, t["number"]) for g in plan["groups"] for t in g["tasks"]}
    assert not present_numbers & {gap["number"] for gap in gaps}, "hoạt động trong known_gaps lại có mặt"


def test_ha_giang_single_activity_tasks_reuse_the_task_number() -> None:
    plan = load("plans/ha-giang-2023-ksthc.yaml")
    singles = {full_number(g, t["number"]) for g in plan["groups"] for t in g["tasks"]
               if [a["number"] for a in t["activities"]] == [t["number"]]}
    assert singles == {"II.4", "II.7", "III.4", "IV.2", "IV.3"}


@pytest.mark.parametrize("relative_path", PLAN_FILES)
def test_every_activity_has_content_lead_and_deadline_unless_declared_missing(relative_path: str) -> None:
    plan = load(relative_path)
    missing = {(cell["number"], field) for cell in plan.get("missing_cells") or [] for field in cell["fields"]}
    for group, _, activity in activities_of(plan):
        number = full_number(group, activity["number"])
        assert activity.get("content"), f"{number}: thiếu nội dung"
        for field in ("lead", "deadline"):
            if (number, field) in missing:
                assert activity.get(field) is None, f"{number}: '{field}' khai báo là mất nhưng có giá trị"
            else:
                assert activity.get(field), f"{number}: thiếu '{field}'"


@pytest.mark.parametrize("relative_path", PLAN_FILES)
def test_missing_cells_point_at_existing_null_fields(relative_path: str) -> None:
    plan = load(relative_path)
    nodes: dict[tuple[str, str], dict] = {}
    for group in plan["groups"]:
        for task in group["tasks"]:
            nodes[(full_number(group, task["number"]), "task")] = task
            for activity in task["activities"]:
                nodes[(full_number(group, activity["number"]), "activity")] = activity
    for cell in plan.get("missing_cells") or []:
        level = "task" if cell["fields"] == ["title"] else "activity"
        node = nodes.get((cell["number"], level))
        assert node is not None, f"missing_cells trỏ tới {cell['number']} không tồn tại"
        for field in cell["fields"]:
            assert field in node and node[field] is None, (cell["number"], field)


@pytest.mark.parametrize("relative_path", PLAN_FILES)
def test_deadlines_use_known_wordings(relative_path: str) -> None:
    for group, _, activity in activities_of(load(relative_path)):
        deadline = activity.get("deadline")
        if deadline is not None:
            where = (group["number"], activity["number"], deadline)
            assert any(re.fullmatch(p, deadline) for p in DEADLINE_PATTERNS), where


@pytest.mark.parametrize("relative_path", PLAN_FILES)
def test_every_referenced_footnote_exists(relative_path: str) -> None:
    plan = load(relative_path)
    footnotes = plan.get("footnotes") or {}
    for group, _, activity in activities_of(plan):
        for marker in activity.get("footnotes") or []:
            assert marker in footnotes, f"{group['number']}.{activity['number']}: chú thích {marker} không có"


def test_ha_giang_footnotes_are_all_used_and_markers_removed_from_text() -> None:
    plan = load("plans/ha-giang-2023-ksthc.yaml")
    used = {m for _, _, a in activities_of(plan) for m in a.get("footnotes") or []}
    assert used == set(plan["footnotes"]) == {"1", "2", "3", "4", "5", "6"}
    for _, _, activity in activities_of(plan):
        assert not re.search(r"\(\d\)", activity["content"]), activity["number"]
    ratio_notes = [text for text in plan["footnotes"].values() if "b/a" in text]
    assert len(ratio_notes) == 3 and all("a là" in t and "b là" in t for t in ratio_notes)


def test_ha_giang_per_level_targets_match_their_product_text() -> None:
    with_targets = []
    for group, _, activity in activities_of(load("plans/ha-giang-2023-ksthc.yaml")):
        targets = activity.get("targets")
        if targets:
            with_targets.append(full_number(group, activity["number"]))
            assert set(targets) <= LEVEL_KEYS
            assert all(value in activity["product"] for value in targets.values())
    assert with_targets == ["I.1.6", "I.2.1"]


def test_hau_giang_directive_shape() -> None:
    plan = load("plans/hau-giang-1487-2024.yaml")
    assert plan["kind"] == "directive"
    assert plan["decision"]["type"] == "Công văn"
    assert plan["decision"]["number"] == "1487/UBND-NC"
    assert plan["decision"]["date"] == datetime.date(2024, 10, 22)
    assert len(plan["groups"]) == 1 and plan["known_gaps"] == []
    tasks = plan["groups"][0]["tasks"]
    assert [t["number"] for t in tasks] == [str(n) for n in range(1, 13)]
    for task in tasks:
        (activity,) = task["activities"]
        assert activity["number"] == task["number"] and activity["content"] == task["title"]
    deadlines = [t["activities"][0]["deadline"] for t in tasks]
    assert deadlines.count("Trước ngày 10/11/2024") == 6  # tasks 4–8 and 12
    hinted = {t["number"] for t in tasks if t["activities"][0].get("indicator_hints")}
    assert {"3", "5"} <= hinted  # the two items the letter ties to "tỷ lệ hồ sơ đồng bộ"


def test_hau_giang_text_has_no_ocr_leftovers() -> None:
    """OCR output mixes digits into words ("s6", "16p") and uses ligatures; the restored text must not."""
    prose = all_strings(load("plans/hau-giang-1487-2024.yaml"), frozenset({"code", "source_file", "issuer_unit"}))
    for text in prose:
        assert not re.search(r"\b[^\W\d_]+\d+[^\W\d_]*\b", text), text
        assert "ﬁ" not in text and "¢" not in text, text


def test_hau_giang_units_named_in_the_letter_exist() -> None:
    units = [u for u, _ in walk_units(load("units/hau-giang.yaml")["units"])]
    assert all(u["code"] == "HAG" or u["code"].startswith("HAG-") for u in units)
    names = {name for unit in units for name in names_of(unit)}
    assert {"Sở Thông tin và Truyền thông", "Văn phòng Ủy ban nhân dân tỉnh"} <= names
