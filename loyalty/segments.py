"""The coarse bands a cardholder is counted in by the statistics: an age band from the birth date and
a postcode area from the postcode. Pure functions, so that the write paths, the nightly run and the
migration that filled existing rows compute them by one rule."""
import calendar
import datetime
import re

# (value, lowest age of the band); the last band is open.
AGE_BANDS = (("u25", 0), ("25-34", 25), ("35-44", 35), ("45-54", 45), ("55-64", 55), ("65+", 65))


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Completed years on `day`. Someone born on 29 February completes a year on 28 February in other
    years (as German law counts it)."""
    month, dom = birth_date.month, birth_date.day
    if (month, dom) == (2, 29) and not calendar.isleap(day.year):
        dom = 28
    return day.year - birth_date.year - ((day.month, day.day) < (month, dom))


def age_band_of(birth_date: datetime.date | None, *, on: datetime.date) -> str:
    """The band of the age on `on`; "" (unknown) without a birth date or for one in the future."""
    if birth_date is None or birth_date > on:
        return ""
    age = age_on(birth_date, on)
    band = ""
    for value, lowest in AGE_BANDS:
        if age >= lowest:
            band = value
    return band


def postcode_area_of(postcode: str | None) -> str:
    """The first two digits of a German postcode (five digits); "" for anything else."""
    text = (postcode or "").strip()
    return text[:2] if re.fullmatch(r"\d{5}", text) else ""
