"""With DRIFTSIM_TRACE_REQUIRE_ALL=1 (CI sets it) a skipped test counts as a failure, so a missing
optional dependency or driftsim-replay binary cannot make the run pass without testing anything."""

import os

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("DRIFTSIM_TRACE_REQUIRE_ALL") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped ({reason}), but DRIFTSIM_TRACE_REQUIRE_ALL=1 forbids skips"
