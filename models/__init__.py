"""All models, re-exported. This package imports nothing from tracker, forms or jobs."""
from .assignment import RESPONSIBILITIES, Assignment, Attachment, ExtensionRequest, ProgressUpdate
from .audit import AuditEntry
from .base import Base, TimestampMixin, db, utcnow
from .indicator import (
                        IMPORT_STATES,
                        PERIOD_KINDS,
                        TOTAL_CODE,
                        ActivityIndicator,
                        Framework,
                        FrameworkNode,
                        Period,
                        Score,
                        ScoreImport,
)
from .notification import DayOverride, DeliveryAttempt, Notification, ReminderPolicy, ReminderScan, UnitFlag
from .plan import PLAN_KINDS, Activity, Plan, Task, TaskGroup
from .plan_import import PLAN_IMPORT_STATES, PlanImport
from .report import REPORT_STATES, Report, ReportFile, ReportVersion
from .unit import Unit, UnitKind
from .user import ROLES, LoginAttempt, User

__all__ = [
    "RESPONSIBILITIES", "PLAN_KINDS", "ROLES", "Activity", "Assignment", "Attachment", "AuditEntry", "Base",
    "ExtensionRequest", "LoginAttempt", "Plan", "ProgressUpdate", "Task", "TaskGroup", "TimestampMixin", "Unit",
    "UnitKind", "User", "db", "utcnow",
    "DayOverride", "DeliveryAttempt", "Notification", "ReminderPolicy", "ReminderScan", "UnitFlag",
    "IMPORT_STATES", "PERIOD_KINDS", "TOTAL_CODE", "ActivityIndicator", "Framework", "FrameworkNode", "Period",
    "Score", "ScoreImport",
    "PLAN_IMPORT_STATES", "PlanImport",
    "REPORT_STATES", "Report", "ReportFile", "ReportVersion",
]
