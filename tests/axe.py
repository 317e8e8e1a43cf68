"""axe-core (from npm, tests/journeys/package.json) run inside a Playwright page: WCAG 2.1 AA checks.

The script is evaluated through the browser's debugging protocol, so the product's Content Security
Policy does not stop it, and nothing is downloaded at test time.
"""
from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent / "journeys" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: impacts a page must have none of
BLOCKING = ("serious", "critical")


def axe_violations(page, impacts=BLOCKING) -> list[dict]:
    """Violations of WCAG 2.1 A/AA on the page as it is now, limited to the given impacts."""
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"axe-core missing at {AXE_SCRIPT}: run `make test` (npm ci in tests/journeys)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [v for v in result["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict]) -> str:
    """One line per violation and up to three offending elements, for an assertion message."""
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                            for node in v["nodes"][:3])
        lines.append(f"{v['impact']}: {v['id']} ({len(v['nodes'])}×) {v['help']} — {targets}")
    return "\n".join(lines)


def assert_accessible(page, where: str) -> None:
    """Fail with a readable list when the page has a serious or critical WCAG 2.1 AA violation."""
    violations = axe_violations(page)
    assert not violations, f"{where}: {len(violations)} serious/critical axe violations\n{describe(violations)}"
