"""Shared pieces of the per-area permission tests: who belongs where, the cases, the assertion."""

#: the unit each role's test user belongs to (unit users in Sở Tư pháp)
UNIT_OF_ROLE = {"admin": "HG-VPUB", "office": "HG-VPUB", "leader": "HG", "unit_officer": "HG-STP",
                "unit_head": "HG-STP"}


def role_cases(table) -> list[tuple]:
    """(method, url template, role, expected) for every role of every row of a ROUTE_PERMISSIONS table."""
    return [(method, template, role, expected)
            for method, template, expectations in table for role, expected in expectations.items()]


def assert_permission(response, expected, detail: str = "") -> None:
    """`expected` is a status code, or "login" for a redirect to the login page."""
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == expected, detail
