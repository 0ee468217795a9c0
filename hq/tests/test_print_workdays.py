"""German working days: Easter by the computus, the nationwide holidays, counting forward."""
import datetime

import pytest

from hq.printing.workdays import add_working_days, easter_sunday, is_working_day, public_holidays

D = datetime.date


@pytest.mark.parametrize(("year", "easter"), [
    (1818, D(1818, 3, 22)),  # the earliest possible date
    (1943, D(1943, 4, 25)),  # the latest possible date
    (2024, D(2024, 3, 31)),
    (2025, D(2025, 4, 20)),
    (2026, D(2026, 4, 5)),
    (2027, D(2027, 3, 28)),
    (2038, D(2038, 4, 25)),
])
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_the_nationwide_holidays_of_2027():
    assert sorted(public_holidays(2027)) == [
        D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29), D(2027, 5, 1), D(2027, 5, 6),
        D(2027, 5, 17), D(2027, 10, 3), D(2027, 12, 25), D(2027, 12, 26),
    ]


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 12, 24), True),  # Christmas Eve is not a public holiday
    (D(2026, 12, 25), False),
    (D(2027, 1, 6), True),  # Epiphany is a holiday in three states only
    (D(2027, 1, 9), False),  # Saturday
    (D(2027, 5, 6), False),  # Ascension Day
])
def test_is_working_day(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(("start", "days", "end"), [
    (D(2026, 12, 18), 18, D(2027, 1, 15)),  # over Christmas and New Year (without them: 13 January)
    (D(2027, 3, 25), 1, D(2027, 3, 30)),  # Maundy Thursday: Good Friday to Easter Monday are off
    (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Friday to Monday
    (D(2026, 11, 28), 1, D(2026, 11, 30)),  # an order on a Saturday
    (D(2026, 11, 25), 0, D(2026, 11, 25)),
])
def test_add_working_days(start, days, end):
    assert add_working_days(start, days) == end


def test_working_days_only_count_forward():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 11, 25), -1)
