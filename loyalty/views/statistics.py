"""The back office's statistics: the totals of a period beside the period before it, the series,
the splits by segment, terminal, staff member and program, the top customers and a campaign's
effect. Every figure is read from the rollups (loyalty.statistics.selectors), never from the
ledger; each is shown as a chart drawn on the server with its table beside it."""
import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.charts import Series, bar_chart, line_chart
from loyalty.models import BonusAction, Cardholder, Program, StatisticsState, Terminal
from loyalty.statistics import selectors as stats
from loyalty.statistics.figures import FIGURES, figure_text, number_text, percent_text
from loyalty.units import money_text
from loyalty.views.filters import program_filter_field, staff_filter_field, terminal_filter_field
from tenants.widgets import DateInput

MAX_DAYS = 3 * 366  # the longest period the page shows (three years)
STALE_AFTER = datetime.timedelta(minutes=15)  # the refresh runs every 5 minutes

PERIODS = [("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month")),
           ("year", gettext_lazy("Year")), ("custom", gettext_lazy("From – to"))]
STEPS = [("", gettext_lazy("automatic")), ("day", gettext_lazy("per day")), ("week", gettext_lazy("per week")),
         ("month", gettext_lazy("per month"))]
SEGMENTS = [("gender", gettext_lazy("Gender")), ("age_band", gettext_lazy("Age band")),
            ("postcode_area", gettext_lazy("Postcode area"))]

# The figures of the totals, in the page's order: (key, label, money?)
SERIES_COLUMNS = [figure for figure in FIGURES if figure[0] not in ("active_cards", "registrations")]


def change_of(now: int, before: int) -> float | None:
    return round((now - before) * 100 / before, 1) if before else None


class StatisticsForm(forms.Form):
    PERIOD_FIELDS = ("period", "date", "date_from", "date_to", "step", "program", "terminal", "staff")
    CAMPAIGN_FIELDS = ("campaign", "campaign_from", "campaign_to", "segment")

    period = forms.ChoiceField(label=gettext_lazy("Period"), required=False, choices=PERIODS)
    date = forms.DateField(label=gettext_lazy("Day in the period"), required=False,
                           widget=DateInput())
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=DateInput())
    step = forms.ChoiceField(label=gettext_lazy("Series"), required=False, choices=STEPS)
    program = program_filter_field()
    terminal = terminal_filter_field()
    staff = staff_filter_field()
    campaign = forms.ModelChoiceField(label=gettext_lazy("Bonus action"), required=False,
                                      empty_label=gettext_lazy("none (or the period below)"),
                                      queryset=BonusAction.objects.filter(starts_on__isnull=False)
                                      .order_by("-starts_on", "pk"))
    campaign_from = forms.DateField(label=gettext_lazy("Campaign from"), required=False,
                                    widget=DateInput())
    campaign_to = forms.DateField(label=gettext_lazy("Campaign to"), required=False,
                                  widget=DateInput())
    segment = forms.ChoiceField(label=gettext_lazy("Compare by"), required=False, choices=SEGMENTS)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        period = data.get("period") or "month"
        data["period"] = period
        if period == "custom":
            if not data.get("date_from") or not data.get("date_to"):
                self.add_error("date_to", _("Please pick the first and the last day of the period."))
                return data
            start, end = data["date_from"], data["date_to"]
        else:
            start, end = stats.period_of(period, data.get("date") or timezone.localdate())
        self._check_range(start, end, "date_to")
        data["start"], data["end"] = start, end
        data["step"] = data.get("step") or default_step(period, start, end)
        # The campaign: a bonus action's validity, or a period of its own.
        campaign = data.get("campaign")
        if campaign is not None:
            data["campaign_start"] = campaign.starts_on
            data["campaign_end"] = campaign.ends_on or max(campaign.starts_on, timezone.localdate())
        elif data.get("campaign_from") or data.get("campaign_to"):
            if not data.get("campaign_from") or not data.get("campaign_to"):
                self.add_error("campaign_to", _("Please pick the first and the last day of the campaign."))
                return data
            data["campaign_start"], data["campaign_end"] = data["campaign_from"], data["campaign_to"]
        if data.get("campaign_start"):
            self._check_range(data["campaign_start"], data["campaign_end"], "campaign_to")
        data["segment"] = data.get("segment") or "gender"
        return data

    def _check_range(self, start: datetime.date, end: datetime.date, field: str) -> None:
        if end < start:
            self.add_error(field, _("The end is before the start: please pick a later day."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error(field, _("The statistics show at most three years at once: please pick a shorter period."))


def default_step(period: str, start: datetime.date, end: datetime.date) -> str:
    length = (end - start).days + 1
    if period == "year" or length > 366:
        return "month"
    if period == "custom" and length > 62:
        return "week"
    return "day"


def _shifted(period: str, data: dict, direction: int) -> dict:
    """The query of the period before (-1) or after (+1)."""
    start, end = data["start"], data["end"]
    if period == "custom":
        days = datetime.timedelta(days=(end - start).days + 1) * direction
        return {"period": "custom", "date_from": start + days, "date_to": end + days}
    if period == "month":
        anchor = (start - datetime.timedelta(days=1)) if direction < 0 else (end + datetime.timedelta(days=1))
        return {"period": period, "date": anchor.replace(day=1)}
    if period == "year":
        return {"period": period, "date": datetime.date(start.year + direction, 1, 1)}
    days = 1 if period == "day" else 7
    return {"period": period, "date": start + datetime.timedelta(days=days * direction)}


def _query(form: StatisticsForm, **changes) -> str:
    query = form.data.copy()
    for name in list(query):
        if name not in StatisticsForm.base_fields or not query.get(name):
            query.pop(name)
    for name in ("date", "date_from", "date_to"):
        query.pop(name, None)
    for name, value in changes.items():
        query[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return query.urlencode()


# --- Labels ----------------------------------------------------------------------------------------


def _period_starts(start: datetime.date, end: datetime.date, step: str) -> list[datetime.date]:
    if step == "day":
        return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    if step == "week":
        day = start - datetime.timedelta(days=start.weekday())
        starts = []
        while day <= end:
            starts.append(day)
            day += datetime.timedelta(days=7)
        return starts
    day, starts = start.replace(day=1), []
    while day <= end:
        starts.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return starts


def _period_label(day: datetime.date, step: str) -> str:
    if step == "month":
        return formats.date_format(day, "F Y")
    if step == "week":
        return _("week of %(day)s") % {"day": formats.date_format(day, "SHORT_DATE_FORMAT")}
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def range_text(start: datetime.date, end: datetime.date) -> str:
    if start == end:
        return formats.date_format(start, "SHORT_DATE_FORMAT")
    return f"{formats.date_format(start, 'SHORT_DATE_FORMAT')} – {formats.date_format(end, 'SHORT_DATE_FORMAT')}"


def period_title(period: str, start: datetime.date, end: datetime.date) -> str:
    if period == "month":
        return formats.date_format(start, "F Y")
    if period == "year":
        return str(start.year)
    return range_text(start, end)


class _Labels:
    """The words for the keys of the splits: segments, terminals, staff members, programs."""

    def __init__(self):
        self.terminals = {terminal.pk: terminal.name for terminal in Terminal.objects.all()}
        self.programs = {program.pk: program.name for program in Program.objects.all()}
        self.staff = {user.pk: user.full_name or user.email for user in get_user_model().objects.all()}
        self.genders = {value: str(label) for value, label in Cardholder.Gender.choices}
        self.age_bands = {value: str(label) for value, label in Cardholder.AgeBand.choices}

    def __call__(self, by: str, key) -> str:
        if key in ("", None):
            return {"terminal_id": _("no terminal"), "staff_user_id": _("no staff member (system)"),
                    "program_id": _("no program")}.get(by, _("unknown"))
        if by == "gender":
            return self.genders.get(key, key)
        if by == "age_band":
            return self.age_bands.get(key, key)
        if by == "postcode_area":
            return f"{key}xxx"
        if by == "terminal_id":
            return self.terminals.get(key, f"#{key}")
        if by == "staff_user_id":
            return self.staff.get(key, f"#{key}")
        return self.programs.get(key, f"#{key}")


# --- The page --------------------------------------------------------------------------------------

SPLIT_TITLES = [("gender", gettext_lazy("By gender")), ("age_band", gettext_lazy("By age band")),
                ("postcode_area", gettext_lazy("By postcode area")), ("terminal_id", gettext_lazy("By terminal")),
                ("staff_user_id", gettext_lazy("By staff member")), ("program_id", gettext_lazy("By program"))]
SEGMENT_KEYS = ("gender", "age_band", "postcode_area")


def _totals(filters: stats.Filters, previous: stats.Filters, cards: stats.CardFigures) -> list[dict]:
    rows = {row["figure"]: row for row in stats.statistics_totals_compared(filters=filters, previous=previous,
                                                                           cards=cards)}
    return [{"key": key, "label": label, "value": figure_text(rows[key]["value"], money),
             "previous": figure_text(rows[key]["previous"], money), "change": percent_text(rows[key]["change"]),
             "raw": rows[key]["value"], "raw_previous": rows[key]["previous"]} for key, label, money in FIGURES]


def _series(filters: stats.Filters, previous: stats.Filters, step: str) -> list[dict]:
    now = {_as_date(row["period"]): row for row in stats.statistics_series(filters=filters, step=step)}
    before = {_as_date(row["period"]): row for row in stats.statistics_series(filters=previous, step=step)}
    starts, starts_before = _period_starts(filters.start, filters.end, step), _period_starts(previous.start,
                                                                                               previous.end, step)
    rows = []
    for index, start in enumerate(starts):
        sums = now.get(start, {})
        earlier = before.get(starts_before[index], {}) if index < len(starts_before) else {}
        rows.append({"label": _period_label(start, step),
                     "cells": [figure_text(sums.get(key, 0), money) for key, _label, money in SERIES_COLUMNS],
                     "raw": {key: sums.get(key, 0) for key, _label, _money in SERIES_COLUMNS},
                     "raw_before": {key: earlier.get(key, 0) for key, _label, _money in SERIES_COLUMNS}})
    return rows


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _splits(filters: stats.Filters, labels: _Labels) -> list[dict]:
    splits = []
    for by, title in SPLIT_TITLES:
        rows = stats.statistics_split(filters=filters, by=by)
        registrations = ({row["key"]: row["registrations"]
                          for row in stats.statistics_registrations(filters=filters, by=by)}
                         if by in SEGMENT_KEYS else {})
        total = sum(row["revenue_cents"] for row in rows)
        keys = [row["key"] for row in rows] + [key for key in registrations if key not in {r["key"] for r in rows}]
        by_key = {row["key"]: row for row in rows}
        lines = []
        for key in keys:
            row = by_key.get(key, {})
            revenue = row.get("revenue_cents", 0)
            lines.append({"label": labels(by, key), "unknown": key in ("", None),
                          "bookings": number_text(row.get("bookings", 0)), "revenue": money_text(revenue),
                          "share": percent_text(revenue * 100 / total if total else None, signed=False),
                          "registrations": number_text(registrations.get(key, 0)),
                          "raw_revenue": revenue, "raw_bookings": row.get("bookings", 0)})
        splits.append({"by": by, "title": title, "segment": by in SEGMENT_KEYS, "lines": lines})
    return splits


def _top(cards: stats.CardFigures, may_open: bool) -> list[dict]:
    return [{"rank": rank, "number": row["number"], "name": row["name"],
             "cardholder_id": row["cardholder_id"] if may_open else None,
             "revenue": money_text(row["revenue_cents"]), "visits": number_text(row["bookings"])}
            for rank, row in enumerate(cards.top, start=1)]


CAMPAIGN_COLUMNS = (("revenue_cents", True), ("bookings", False), ("new_cards", False))


def _campaign(data: dict, labels: _Labels) -> dict | None:
    if not data.get("campaign_start"):
        return None
    by = data["segment"]
    result = stats.statistics_campaign(start=data["campaign_start"], end=data["campaign_end"], by=by)

    def line(label: str, row: dict, unknown: bool = False) -> dict:
        cells = []
        for key, money in CAMPAIGN_COLUMNS:
            now, before = row.get(key, 0), row.get(f"{key}_before", 0)
            cells += [figure_text(now, money), figure_text(before, money), percent_text(change_of(now, before))]
        return {"label": label, "cells": cells, "unknown": unknown, "raw": row}

    return {"during": range_text(result["during"].start, result["during"].end),
            "before": range_text(result["before"].start, result["before"].end),
            "bonus_action": data.get("campaign"), "by": dict(SEGMENTS)[by],
            "total": line(_("All customers"), result["total"]),
            "lines": [line(labels(by, row["key"]), row, row["key"] in ("", None)) for row in result["rows"]]}


def _freshness() -> dict:
    state = StatisticsState.objects.first()
    refreshed = state.refreshed_at if state else None
    return {"refreshed_at": refreshed, "stale": refreshed is None or timezone.now() - refreshed > STALE_AFTER}


def _charts(series: list[dict], period_label: str, previous_label: str, splits: list[dict],
            campaign: dict | None) -> list:
    """The charts of the page, drawn on the server (loyalty.charts): the series' revenue and visits
    beside the period before, and a chart on each split and on the campaign (set on them as
    `chart`). The page's tables beside them are their accessible tables."""
    labels = [row["label"] for row in series]
    series_charts = [
        line_chart(title=title, labels=labels, value_text=text,
                   series=[Series(period_label, [row["raw"][key] for row in series]),
                           Series(previous_label, [row["raw_before"][key] for row in series])])
        for key, title, text in (("revenue_cents", _("Revenue"), money_text),
                                 ("bookings", _("Visits"), formats.number_format))]
    for split in splits:
        split["chart"] = bar_chart(title=split["title"], labels=[line["label"] for line in split["lines"]],
                                   series=[Series(_("Revenue"), [line["raw_revenue"] for line in split["lines"]])],
                                   value_text=money_text)
    if campaign:
        campaign["chart"] = bar_chart(
            title=_("Campaign effect"), labels=[line["label"] for line in campaign["lines"]], value_text=money_text,
            series=[Series(str(campaign["during"]), [line["raw"]["revenue_cents"] for line in campaign["lines"]]),
                    Series(str(campaign["before"]), [line["raw"]["revenue_cents_before"] for line in campaign["lines"]])])
    return series_charts


def _field_groups(form: "StatisticsForm") -> dict:
    return {"period_fields": [form[name] for name in form.PERIOD_FIELDS],
            "campaign_fields": [form[name] for name in form.CAMPAIGN_FIELDS]}


class StatisticsView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "loyalty.view_statistics"

    def get(self, request):
        form = StatisticsForm(request.GET)
        context = {"form": form, "freshness": _freshness(), **_field_groups(form)}
        if not form.is_valid():
            return render(request, "loyalty/statistics/page.html", context, status=400)
        data = form.cleaned_data
        filters = stats.Filters(
            data["start"], data["end"],
            program_id=data["program"].pk if data.get("program") else None,
            terminal_id=data["terminal"].pk if data.get("terminal") else None,
            staff_user_id=data["staff"].pk if data.get("staff") else None,
        )
        previous = filters.previous(data["period"])
        labels = _Labels()
        series = _series(filters, previous, data["step"])
        cards = stats.statistics_cards(filters=filters, top=10)
        title = period_title(data["period"], data["start"], data["end"])
        previous_text = range_text(previous.start, previous.end)
        splits = _splits(filters, labels)
        campaign = _campaign(data, labels)
        context.update({
            "title": title, "range": range_text(data["start"], data["end"]), "previous_range": previous_text,
            "period": data["period"], "step": data["step"],
            "earlier": _query(form, **_shifted(data["period"], data, -1)),
            "later": _query(form, **_shifted(data["period"], data, +1)),
            "filtered": bool(filters.program_id or filters.terminal_id or filters.staff_user_id),
            "totals": _totals(filters, previous, cards),
            "series_columns": [label for _key, label, _money in SERIES_COLUMNS], "series": series,
            "splits": splits, "top": _top(cards, request.user.has_perm("loyalty.view_cardholder")),
            "campaign": campaign,
            "series_charts": _charts(series, title, _("previous period"), splits, campaign),
        })
        return render(request, "loyalty/statistics/page.html", context)


urlpatterns = [
    path("statistics/", StatisticsView.as_view(), name="statistics"),
]
