"""Shared pieces of the per-area permission tests: who belongs where, the cases, the assertion."""
from sqlalchemy import func, select

from models import AuditEntry

#: the unit each role's test user belongs to (unit users in Sở Tư pháp)
UNIT_OF_ROLE = {"admin": "HG-VPUB", "office": "HG-VPUB", "leader": "HG", "unit_officer": "HG-STP",
                "unit_head": "HG-STP"}


def role_cases(table) -> list[tuple]:
    """(method, url template, role, expected) for every role of every row of a ROUTE_PERMISSIONS table."""
    return [(method, template, role, expected)
            for method, template, expectations in table for role, expected in expectations.items()]


def open_as(client, login_as, role: str, method: str, url: str):
    """The response to one request by a fresh user of the role (in UNIT_OF_ROLE's unit), or by nobody."""
    if role != "anonymous":
        login_as(role, UNIT_OF_ROLE[role])
    return client.open(url, method=method)


def assert_permission(response, expected, detail: str = "") -> None:
    """`expected` is a status code, or "login" for a redirect to the login page."""
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == expected, detail


def audit_count(db) -> int:
    """How many audit entries there are (a refused request must not add one)."""
    return db.session.scalar(select(func.count(AuditEntry.id)))
