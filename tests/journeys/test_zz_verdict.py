"""Verdicts on every page the journeys visited (this file runs after them: same xdist group, collected last).

Run alone, nothing was visited and the verdicts skip.
"""
import re

import pytest

from tests.axe import describe


def _visited(visits):
    if not visits.pages:
        pytest.skip("no journey ran in this process")
    return visits.pages


def test_no_page_scrolls_sideways_on_a_phone(visits):
    wide = [f"{v.name} ({v.url}): {v.overflow_px}px" for v in _visited(visits) if v.overflow_px > 2]
    assert not wide, "pages wider than a 375px phone:\n" + "\n".join(wide)


def test_no_page_is_endless_on_a_phone(visits):
    # the plan tree at 375 px was 47,000 px tall; a page a person can scroll through stays well below
    endless = [f"{v.name} ({v.url}): {v.phone_height_px}px" for v in _visited(visits)
               if v.phone_height_px > 20_000]
    assert not endless, "pages taller than 20,000px on a phone:\n" + "\n".join(endless)


def test_no_serious_or_critical_axe_violation(visits):
    failing = [f"{v.name} ({v.url}):\n{describe(v.violations)}" for v in _visited(visits) if v.violations]
    assert not failing, f"{len(failing)} of {len(visits.pages)} pages:\n" + "\n\n".join(failing)


def test_no_process_of_the_product_crashed(product, visits):
    # a request's server error is its journey's business; here: the worker or cron failing, a process ending
    _visited(visits)
    log = product.log_text()
    crashes = [line for line in log.splitlines()
               if re.match(r"\S+ (worker|cron)\.\d+ +\| .*(Traceback|Error)", line) or "exited with code" in line]
    assert not crashes, "\n".join(crashes) + "\n" + log[-4000:]


def test_first_run_sums_up_the_demo_warnings_in_one_line(product):
    warnings = [line for line in product.log_text().splitlines() if "Cảnh báo" in line]
    assert len(warnings) <= 1, f"{len(warnings)} warning lines:\n" + "\n".join(warnings[:5])
