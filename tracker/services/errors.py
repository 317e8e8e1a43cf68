"""One family of service errors. Each carries a message for the user, written with lazy gettext so it is
rendered in the reader's language when shown; views turn them into a flash, a 400/403 or a 409 page.

Kept apart from any feature so every service can raise them without importing another feature (the cycle
assignments → notifications → reminders → assignments came from errors living in a feature module).
"""
from flask_babel import lazy_gettext as _l


class WorkflowError(ValueError):
    """The action is not allowed now; the message is for the user."""


class ConflictError(WorkflowError):
    """Someone else changed the record since the form was opened."""


class PermissionDenied(WorkflowError):
    """The user may not do this."""


#: what a stale form gets (409): another user changed the record after the form was opened
CONFLICT_MESSAGE = _l("Phân công này vừa được người khác cập nhật. Dữ liệu của bạn chưa được lưu; "
                      "hãy tải lại trang để xem thay đổi rồi nhập lại.")
