"""Every fault, at the first, a middle and the last page, sync and async, over a socket.

The listing completes with exactly the expected runs, or raises the documented error with
a resume cursor at the failed page; resuming from it completes the listing exactly.
"""

from __future__ import annotations

import pytest

from extend_runs.testing import FakeExtend

from .matrix import Scenario, run, scenarios

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda scenario: scenario.id)
def test_no_run_is_lost_or_repeated(scenario: Scenario, fake: FakeExtend, base_url: str) -> None:
    outcome = run(scenario, fake, base_url)
    assert outcome.problems() == []
    if scenario.raises:
        assert type(outcome.error) is scenario.case.error
    else:
        assert outcome.error is None
    assert outcome.runs == outcome.expected
