"""Periods of the reports: calendar quarters ("2026-Q3") or any span of days, in Europe/Paris."""

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone

QUARTER_PATTERN = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
QUARTER_LABELS = {1: "1er trimestre", 2: "2e trimestre", 3: "3e trimestre", 4: "4e trimestre"}


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # included
    code: str = ""  # "2026-Q3" for a quarter, empty for another span

    @property
    def label(self):
        if self.code:
            year, quarter = self.code.split("-Q")
            return f"{QUARTER_LABELS[int(quarter)]} {year}"
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    @property
    def short_label(self):
        if self.code:
            year, quarter = self.code.split("-Q")
            return f"T{quarter} {year}"
        return f"{self.start:%d/%m/%Y} - {self.end:%d/%m/%Y}"

    def previous(self):
        """The period of the same length just before (the previous quarter for a quarter)."""
        if self.code:
            year, quarter = (int(part) for part in self.code.split("-Q"))
            return quarter_period(year - 1, 4) if quarter == 1 else quarter_period(year, quarter - 1)
        length = self.end - self.start
        end = self.start - datetime.timedelta(days=1)
        return Period(start=end - length, end=end)

    def previous_ones(self, count):
        periods, period = [], self
        for _ in range(count):
            period = period.previous()
            periods.append(period)
        return periods


def quarter_period(year, quarter):
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    next_start = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return Period(start=start, end=next_start - datetime.timedelta(days=1), code=f"{year}-Q{quarter}")


def parse_quarter(text):
    """'2026-Q3' → Period; ValueError with a French message otherwise."""
    match = QUARTER_PATTERN.match((text or "").strip())
    if not match:
        raise ValueError(f"Trimestre invalide : « {text} ». Format attendu : AAAA-QN, par exemple 2026-Q3.")
    year, quarter = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100:
        raise ValueError(f"Année hors limites : {year}.")
    return quarter_period(year, quarter)


def quarter_of(day):
    return quarter_period(day.year, (day.month - 1) // 3 + 1)


def start_of_day(day):
    """The aware datetime at which `day` begins in the current time zone (Europe/Paris)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def end_of_day(day):
    """The aware datetime at which `day` ends (the start of the next day): an exclusive bound."""
    return start_of_day(day + datetime.timedelta(days=1))
