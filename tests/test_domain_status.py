"""Workflow transitions, display statuses and rollups."""
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.status import (
    CONFIRMED,
    OPEN,
    RETURNED,
    STATES,
    STATUS_LABELS,
    SUBMITTED,
    Rollup,
    Status,
    WorkflowError,
    compute_status,
    rollup,
    status_label,
    transition,
)

DUE = date(2023, 9, 30)
BEFORE, AFTER = DUE - timedelta(days=1), DUE + timedelta(days=1)


def test_codes_and_labels_are_exactly_the_agreed_ones():
    assert {status.value: status_label(status) for status in Status} == {
        "not_started": "Chưa thực hiện",
        "in_progress": "Đang thực hiện trong hạn",
        "overdue": "Quá hạn (chưa hoàn thành)",
        "done_on_time": "Hoàn thành đúng hạn",
        "done_late": "Hoàn thành quá hạn",
        "awaiting": "Chờ xác nhận",
        "returned": "Bị trả lại",
    }
    assert status_label("overdue") == STATUS_LABELS[Status.OVERDUE]
    assert Status.OVERDUE == "overdue"
    with pytest.raises(ValueError, match="«unknown»"):
        status_label("unknown")


@pytest.mark.parametrize(
    ("state", "today", "completed_on", "started", "expected"),
    [
        (CONFIRMED, AFTER, DUE, True, Status.DONE_ON_TIME),
        (CONFIRMED, AFTER, BEFORE, True, Status.DONE_ON_TIME),
        (CONFIRMED, AFTER, AFTER, True, Status.DONE_LATE),
        (CONFIRMED, BEFORE, BEFORE, False, Status.DONE_ON_TIME),
        (SUBMITTED, AFTER, AFTER, True, Status.AWAITING),
        (SUBMITTED, BEFORE, None, True, Status.AWAITING),
        (RETURNED, AFTER, None, True, Status.RETURNED),
        (RETURNED, BEFORE, None, True, Status.RETURNED),
        (OPEN, AFTER, None, True, Status.OVERDUE),
        (OPEN, AFTER, None, False, Status.OVERDUE),
        (OPEN, DUE, None, True, Status.IN_PROGRESS),
        (OPEN, BEFORE, None, True, Status.IN_PROGRESS),
        (OPEN, DUE, None, False, Status.NOT_STARTED),
    ],
)
def test_compute_status(state, today, completed_on, started, expected):
    assert compute_status(state, DUE, today, completed_on, started) is expected


def test_confirmed_without_completion_date_is_an_error():
    with pytest.raises(WorkflowError, match="thiếu ngày hoàn thành"):
        compute_status(CONFIRMED, DUE, AFTER, None, True)


def test_unknown_state_is_rejected():
    with pytest.raises(WorkflowError, match="«done»"):
        compute_status("done", DUE, AFTER, None, True)


ALLOWED = {
    (OPEN, "update"): OPEN,
    (RETURNED, "update"): OPEN,
    (OPEN, "submit"): SUBMITTED,
    (RETURNED, "submit"): SUBMITTED,
    (SUBMITTED, "confirm"): CONFIRMED,
    (SUBMITTED, "return"): RETURNED,
    (CONFIRMED, "reopen"): OPEN,
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ("update", "submit", "confirm", "return", "reopen"))
def test_transition_table_is_exactly_the_workflow(state, action):
    if (state, action) in ALLOWED:
        assert transition(state, action) == ALLOWED[(state, action)]
    else:
        with pytest.raises(WorkflowError) as error:
            transition(state, action)
        assert str(error.value).startswith("Không thể ")


def test_unknown_action():
    with pytest.raises(WorkflowError, match="«approve»"):
        transition(SUBMITTED, "approve")


def test_rollup_counts_and_rates():
    result = rollup([Status.DONE_ON_TIME, Status.DONE_ON_TIME, Status.DONE_LATE, Status.OVERDUE, "awaiting",
                     Status.NOT_STARTED, Status.IN_PROGRESS, Status.RETURNED])
    assert result.total == 8
    assert result.done == 3
    assert result.done_on_time == 2
    assert result.done_late == 1
    assert result.overdue == 1
    assert result.counts[Status.AWAITING] == 1
    assert result.completion_rate == pytest.approx(37.5)
    assert result.on_time_rate == pytest.approx(25.0)


def test_empty_rollup_has_zero_rates():
    empty = rollup([])
    assert (empty.total, empty.completion_rate, empty.on_time_rate) == (0, 0.0, 0.0)
    assert all(count == 0 for count in empty.counts.values())
    assert set(empty.counts) == set(Status)


def test_rollup_counts_are_read_only():
    with pytest.raises(TypeError):
        rollup([Status.OVERDUE]).counts[Status.OVERDUE] = 5  # type: ignore[index]


statuses = st.lists(st.sampled_from(list(Status)), max_size=40)


@given(statuses, statuses)
def test_merge_equals_rollup_of_the_concatenation(first, second):
    assert rollup(first).merge(rollup(second)) == rollup(first + second)


@given(statuses)
def test_rates_are_percentages_of_the_total(items):
    result = rollup(items)
    assert 0 <= result.on_time_rate <= result.completion_rate <= 100
    assert result.total == len(items)
    if items:
        assert result.completion_rate == pytest.approx(100 * result.done / len(items))
    assert Rollup().merge(result) == result
