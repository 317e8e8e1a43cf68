"""Names that mean one thing (docs/architecture.md, "Names"): a user's role is not an assignment's
responsibility, a report is a document, a notification is not a reminder, an extension request is not Flask's
request."""
import ast
import io
import tokenize
from datetime import UTC, date, datetime
from pathlib import Path

from models import Assignment, AuditEntry
from tracker import messages
from tracker.permissions import CAPABILITIES
from tracker.services import audit

ROOT = Path(__file__).resolve().parent.parent


def _python(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def test_an_assignments_lead_or_coordinating_is_its_responsibility_in_the_role_column():
    attributes = Assignment.__mapper__.attrs
    assert "role" not in attributes.keys()
    # the database keeps its column: no migration for a name in the code
    assert [column.name for column in attributes["responsibility"].columns] == ["role"]


def test_a_responsibility_reads_the_same_in_old_and_new_audit_entries(app, db):
    entries = [AuditEntry(action="update", entity_type="Assignment", entity_id=1, message="audit.assignment.sync",
                          args={"activity": "1.1", "unit": "Sở Tư pháp"}, summary="", changes={field: pair},
                          at=datetime(2024, 1, 2, tzinfo=UTC))
               for field, pair in (("role", ["lead", "coordinating"]),  # written before the rename
                                   ("responsibility", ["lead", "coordinating"]))]
    with app.test_request_context():
        old, new = ([change for row in audit.describe([entry]) for change in row["changes"]] for entry in entries)
        assert old == new == [("Vai trò", "chủ trì", "phối hợp")]
        assert messages.render("responsibility.lead") == "chủ trì"


def test_services_name_an_extension_request_extension_never_request():
    # services never read Flask's request (test_layers), so a `request` there would be an extension request
    found = [f"{path.relative_to(ROOT)}:{token.start[0]}" for path in _python("tracker/services")
             for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
             if token.type == tokenize.NAME and token.string == "request"]
    assert found == []


def test_what_an_operation_returns_is_a_summary_and_only_documents_are_reports():
    classes = [f"{path.relative_to(ROOT)}: {node.name}" for path in _python("tracker", "jobs", "forms")
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.ClassDef) and node.name.endswith("Report")]
    assert classes == []


def test_a_units_ratio_figures_are_not_called_a_report(app):
    assert "enter_ratio_figures" in CAPABILITIES and "report_scores" not in CAPABILITIES
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert "indicators.ratio_figures" in endpoints
    assert [e for e in endpoints if "report" in e and not e.startswith("reports.")] == []


def test_the_reminder_policy_pages_are_named_for_reminders(app):
    by_path = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert by_path["/reminders/policy"] == "notifications.reminder_policy"
    assert by_path["/reminders/run"] == "notifications.run_reminder_scan"


def test_a_new_assignment_takes_its_responsibility_from_the_activity_text(db, units):
    from tracker.services.plans import desired_assignments, plan_unit_infos

    rows, _warnings = desired_assignments(
        {"number": "1.1", "deadline_text": "31/12/2023", "lead_text": "Sở Tư pháp",
         "coordinating_text": "Văn phòng UBND tỉnh"}, 2023, plan_unit_infos(None, 2023))
    assert sorted((row["responsibility"], row["due_date"]) for row in rows) == [
        ("coordinating", date(2023, 12, 31)), ("lead", date(2023, 12, 31))]
