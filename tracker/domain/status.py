"""Assignment workflow (open → submitted → confirmed/returned) and the display status computed from it."""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType

# Workflow states, as stored on an assignment.
OPEN = "open"
SUBMITTED = "submitted"
CONFIRMED = "confirmed"
RETURNED = "returned"
STATES = (OPEN, SUBMITTED, CONFIRMED, RETURNED)

# Actions and the state each may start from → the state it leads to.
_TRANSITIONS: dict[str, dict[str, str]] = {
    "update": {OPEN: OPEN, RETURNED: OPEN},
    "submit": {OPEN: SUBMITTED, RETURNED: SUBMITTED},
    "confirm": {SUBMITTED: CONFIRMED},
    "return": {SUBMITTED: RETURNED},
    "reopen": {CONFIRMED: OPEN},
}

_STATE_NAMES = {OPEN: "đang thực hiện", SUBMITTED: "đã gửi, chờ xác nhận", CONFIRMED: "đã xác nhận hoàn thành",
                RETURNED: "bị trả lại"}
_ACTION_NAMES = {"update": "cập nhật tiến độ", "submit": "gửi báo cáo hoàn thành", "confirm": "xác nhận hoàn thành",
                 "return": "trả lại", "reopen": "mở lại"}


class WorkflowError(ValueError):
    """An action not allowed in the current state, or an unknown state or action (message in Vietnamese)."""


class Status(StrEnum):
    """Display status of an assignment, computed from its state and dates."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    AWAITING = "awaiting"
    RETURNED = "returned"


#: the one place holding the Vietnamese labels (the app wraps them in gettext)
STATUS_LABELS: Mapping[Status, str] = MappingProxyType({
    Status.NOT_STARTED: "Chưa thực hiện",
    Status.IN_PROGRESS: "Đang thực hiện trong hạn",
    Status.OVERDUE: "Quá hạn (chưa hoàn thành)",
    Status.DONE_ON_TIME: "Hoàn thành đúng hạn",
    Status.DONE_LATE: "Hoàn thành quá hạn",
    Status.AWAITING: "Chờ xác nhận",
    Status.RETURNED: "Bị trả lại",
})


def status_label(status: Status | str) -> str:
    """Vietnamese label of a display status (accepts the enum or its code)."""
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        raise ValueError(f"Không có trạng thái hiển thị «{status}»") from None


def _check_state(state: str) -> None:
    if state not in STATES:
        raise WorkflowError(f"Trạng thái «{state}» không hợp lệ (chỉ có: {', '.join(STATES)})")


def compute_status(state: str, due: date, today: date, completed_on: date | None, started: bool) -> Status:
    """Display status; for confirmed work `due` must be the due date in force on the day it was completed."""
    _check_state(state)
    if state == CONFIRMED:
        if completed_on is None:
            raise WorkflowError("Nhiệm vụ đã xác nhận hoàn thành nhưng thiếu ngày hoàn thành")
        return Status.DONE_ON_TIME if completed_on <= due else Status.DONE_LATE
    if state == SUBMITTED:
        return Status.AWAITING
    if state == RETURNED:
        # returned work shows as returned even when overdue
        return Status.RETURNED
    if today > due:
        return Status.OVERDUE
    return Status.IN_PROGRESS if started else Status.NOT_STARTED


def transition(state: str, action: str) -> str:
    """The state after `action`; WorkflowError (Vietnamese) when the workflow does not allow it."""
    _check_state(state)
    moves = _TRANSITIONS.get(action)
    if moves is None:
        raise WorkflowError(f"Thao tác «{action}» không tồn tại")
    if state not in moves:
        raise WorkflowError(
            f"Không thể {_ACTION_NAMES[action]} khi nhiệm vụ đang ở trạng thái «{_STATE_NAMES[state]}»"
        )
    return moves[state]


def _percent(part: int, whole: int) -> float:
    return part * 100 / whole if whole else 0.0


@dataclass(frozen=True)
class Rollup:
    """Counts of display statuses over a set of assignments, with completion and on-time rates."""

    counts: Mapping[Status, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every status present, read-only, so callers can index without .get()
        full = {status: int(self.counts.get(status, 0)) for status in Status}
        object.__setattr__(self, "counts", MappingProxyType(full))

    @property
    def total(self) -> int:
        """Number of assignments counted."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Done on time plus done late."""
        return self.counts[Status.DONE_ON_TIME] + self.counts[Status.DONE_LATE]

    @property
    def done_on_time(self) -> int:
        """Done by the due date in force."""
        return self.counts[Status.DONE_ON_TIME]

    @property
    def done_late(self) -> int:
        """Done after the due date in force ("hoàn thành nhưng chưa đảm bảo tiến độ")."""
        return self.counts[Status.DONE_LATE]

    @property
    def overdue(self) -> int:
        """Open work past its due date."""
        return self.counts[Status.OVERDUE]

    @property
    def completion_rate(self) -> float:
        """Percentage of all assignments that are done (0 when there are none)."""
        return _percent(self.done, self.total)

    @property
    def on_time_rate(self) -> float:
        """Percentage of all assignments done on time (0 when there are none)."""
        return _percent(self.done_on_time, self.total)

    def merge(self, other: "Rollup") -> "Rollup":
        """Sum of two rollups (e.g. units into a task, tasks into a group)."""
        return Rollup({status: self.counts[status] + other.counts[status] for status in Status})


def rollup(statuses: Iterable[Status | str]) -> Rollup:
    """Count display statuses (enum values or their codes)."""
    counts = dict.fromkeys(Status, 0)
    for status in statuses:
        counts[Status(status)] += 1
    return Rollup(counts)
