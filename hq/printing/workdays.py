"""German working days (Monday to Friday, nationwide public holidays off) for delivery estimates."""
import datetime
from functools import lru_cache

ONE_DAY = datetime.timedelta(days=1)


def easter_sunday(year: int) -> datetime.date:
    """Easter Sunday by the anonymous Gregorian computus (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the computus' own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[datetime.date]:
    """The holidays every German state keeps; regional ones (e.g. Epiphany) would need a state."""
    easter = easter_sunday(year)
    return frozenset({
        datetime.date(year, 1, 1),  # Neujahr
        easter - datetime.timedelta(days=2),  # Karfreitag
        easter + datetime.timedelta(days=1),  # Ostermontag
        datetime.date(year, 5, 1),  # Tag der Arbeit
        easter + datetime.timedelta(days=39),  # Christi Himmelfahrt
        easter + datetime.timedelta(days=50),  # Pfingstmontag
        datetime.date(year, 10, 3),  # Tag der Deutschen Einheit
        datetime.date(year, 12, 25),  # 1. Weihnachtstag
        datetime.date(year, 12, 26),  # 2. Weihnachtstag
    })


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (the day of `start` itself does not count)."""
    if n < 0:
        raise ValueError("Working days are only counted forward.")
    day = start
    while n:
        day += ONE_DAY
        if is_working_day(day):
            n -= 1
    return day
