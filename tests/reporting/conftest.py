import pytest
from freezegun import freeze_time


@pytest.fixture(autouse=True)
def _reporting_day():
    """The reporting tests read the third quarter of 2026 as of late November: the day of the run is fixed a
    little after, so that the quarter stays among the dashboard's choices (the last eight quarters) and the
    as-of dates are never in the future, whatever the machine's date. `tick`: time moves on from there."""
    with freeze_time("2026-12-05 10:00", tick=True):
        yield
