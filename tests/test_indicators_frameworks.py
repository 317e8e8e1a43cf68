"""Framework YAML files: the shipped ones load with the published structure; malformed ones name the line."""
from decimal import Decimal

import pytest

from tracker.domain.frameworks import (
    FRAMEWORKS_DIR,
    FrameworkError,
    load_framework,
    load_framework_file,
    load_frameworks,
    match_key,
)

MINIMAL = """\
code: "t-1"
name: "Thử"
kind: "766"
valid_from: 2024
max_total: 10
band_basis: points
bands:
  - {code: A, name: "Cao", min: 5}
  - {code: B, name: "Thấp", min: 0}
nodes:
  - code: "X"
    name: "Nhóm X"
    max: 6
    children:
      - {code: "X.1", name: "Con 1", max: 4}
      - {code: "X.2", name: "Con 2", max: 2}
  - {code: "Y", name: "Nhóm Y", max: 4}
"""


def test_shipped_frameworks_load_by_code():
    frameworks = load_frameworks()
    assert set(frameworks) == {"766-2022", "766-2025", "par-2021", "par-2022"}
    for framework in frameworks.values():
        assert sum(node.max for node in framework.nodes) == framework.max_total == Decimal(100)


def test_766_2022_groups_in_published_order_with_sub_indicators():
    framework = load_framework_file(FRAMEWORKS_DIR / "766-2022.yaml")
    assert [(node.code, node.max) for node in framework.nodes] == [
        ("CKMB", 18), ("TDGQ", 20), ("MDSH", 22), ("CCDVTT", 22), ("MDHL", 18),
    ]
    online = framework.node("CCDVTT")
    assert [(child.code, child.max, child.parent_code) for child in online.children] == [
        ("CLGQ", 12, "CCDVTT"), ("TTTT", 10, "CCDVTT"),
    ]
    assert [child.max for child in framework.node("MDSH").children] == [6, 4, 2, 2, 4, 2, 2]
    assert [band.name for band in framework.bands] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]
    assert framework.covers_year(2024) and not framework.covers_year(2025)


def test_766_2025_has_the_six_portal_codes():
    framework = load_framework_file(FRAMEWORKS_DIR / "766-2025.yaml")
    assert {node.code: node.max for node in framework.nodes} == {
        "CKMB": 18, "TDGQ": 20, "MDSH": 22, "CLGQ": 12, "TTTT": 10, "MDHL": 18,
    }
    assert framework.valid_to is None and framework.covers_year(2030)


def test_par_2022_tree_has_8_domains_37_criteria_88_sub_criteria():
    framework = load_framework_file(FRAMEWORKS_DIR / "par-2022.yaml")
    nodes = list(framework.walk())
    assert [sum(1 for node in nodes if node.depth == depth) for depth in range(3)] == [8, 37, 88]
    assert [node.max for node in framework.nodes] == [
        Decimal("9.50"), Decimal("10.00"), Decimal("13.00"), Decimal("10.50"),
        Decimal("15.00"), Decimal("12.00"), Decimal("13.50"), Decimal("16.50"),
    ]
    assert framework.node("8.4").max == Decimal("1.50")  # printed 1.00, see the file's note
    assert framework.node("5.1.3").parent_code == "5.1"
    assert framework.node("7").responsible == ("Văn phòng UBND tỉnh", "Sở Thông tin và Truyền thông")
    assert framework.band_basis == "percent" and [band.code for band in framework.bands] == ["A", "B", "C"]


def test_par_2021_domain_maxima():
    framework = load_framework_file(FRAMEWORKS_DIR / "par-2021.yaml")
    assert [node.max for node in framework.nodes] == [
        Decimal("8.50"), Decimal("10.00"), Decimal("13.50"), Decimal("11.50"),
        Decimal("13.50"), Decimal("12.00"), Decimal("15.00"), Decimal("16.00"),
    ]


def test_walk_is_pre_order_and_node_looks_up_by_code():
    framework = load_framework(MINIMAL)
    assert [node.code for node in framework.walk()] == ["X", "X.1", "X.2", "Y"]
    assert framework.node("X.2").depth == 1
    with pytest.raises(KeyError, match="không có chỉ tiêu mã 'Z'"):
        framework.node("Z")


def test_max_is_read_exactly_from_text():
    framework = load_framework(MINIMAL.replace("max: 4}\n      - {code: \"X.2\", name: \"Con 2\", max: 2}",
                                               "max: 3.95}\n      - {code: \"X.2\", name: \"Con 2\", max: 2.05}"))
    assert framework.node("X.1").max == Decimal("3.95")


def _error(text: str) -> str:
    with pytest.raises(FrameworkError) as caught:
        load_framework(text, source="thu.yaml")
    return str(caught.value)


def test_missing_max_names_the_line():
    message = _error(MINIMAL.replace('  - {code: "Y", name: "Nhóm Y", max: 4}', '  - {code: "Y", name: "Nhóm Y"}'))
    assert "thu.yaml, dòng 17: Chỉ tiêu: thiếu 'max'" in message


def test_duplicate_code_names_both_lines():
    message = _error(MINIMAL.replace('code: "X.2"', 'code: "X.1"'))
    assert "dòng 16: mã chỉ tiêu 'X.1' bị lặp (đã dùng ở dòng 15)" in message


def test_children_must_add_up_unless_children_sum_false():
    broken = MINIMAL.replace('name: "Con 2", max: 2}', 'name: "Con 2", max: 1}')
    message = _error(broken)
    assert "dòng 11: chỉ tiêu 'X': tổng điểm tối đa các chỉ tiêu con là 5, khác max 6" in message
    alternatives = broken.replace("    max: 6\n", "    max: 6\n    children_sum: false\n")
    assert load_framework(alternatives).node("X").children_sum is False


def test_top_nodes_must_add_up_to_max_total():
    assert "khác max_total 12" in _error(MINIMAL.replace("max_total: 10", "max_total: 12"))


def test_bands_must_be_ordered_best_first():
    message = _error(MINIMAL.replace("min: 5}", "min: 0}").replace("min: 0}\nnodes", "min: 5}\nnodes"))
    assert "dòng 9: mức 'Thấp' (min 5) phải thấp hơn mức đứng trước (min 0)" in message


def test_unknown_key_is_rejected_with_line():
    message = _error(MINIMAL.replace('  - {code: "Y", name: "Nhóm Y", max: 4}',
                                     '  - {code: "Y", name: "Nhóm Y", max: 4, weight: 2}'))
    assert "dòng 17: Chỉ tiêu: khóa không được hỗ trợ 'weight'" in message


def test_alias_shared_by_two_nodes_is_rejected():
    message = _error(MINIMAL.replace('name: "Nhóm Y", max: 4}', 'name: "Nhóm Y", max: 4, aliases: ["nhom x"]}'))
    assert "'nhom x' của chỉ tiêu 'Y' trùng với chỉ tiêu 'X'" in message


def test_yaml_syntax_error_names_the_line():
    assert "thu.yaml, dòng 3: YAML không hợp lệ" in _error('code: "a"\nname: "b"\nkind: "x": y\n')


def test_every_problem_is_reported_at_once():
    broken = MINIMAL.replace("kind: \"766\"", "kind: \"xyz\"").replace("band_basis: points", "band_basis: stars")
    with pytest.raises(FrameworkError) as caught:
        load_framework(broken)
    assert len(caught.value.problems) == 2


def test_match_key_ignores_accents_case_and_punctuation():
    assert match_key("Tiến độ, kết quả giải quyết") == match_key("TIEN DO KET QUA GIAI QUYET")
    assert match_key("Số hoá hồ sơ") == "so hoa ho so"
