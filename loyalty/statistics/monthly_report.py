"""The statistics of a month as a PDF, e-mailed on the first of the next month to the owners and
managers who asked for it (StatisticsReportSubscription), in the language they asked in. The PDF
holds figures only (no customer's name: an e-mail is forwarded and kept); it reads the rollups like
the page does."""
import datetime
from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from loyalty.actors import Actor
from loyalty.charts import Chart, Series, line_chart
from loyalty.errors import NotPermitted
from loyalty.models import StatisticsReportSubscription
from loyalty.pdf import html_to_pdf
from loyalty.services.audit import audit_record
from loyalty.services.shop import shop_branding, shop_legal_details
from loyalty.statistics.figures import FIGURES, figure_text, number_text, percent_text
from loyalty.statistics.selectors import (
    Filters,
    period_of,
    statistics_series,
    statistics_totals_compared,
)
from loyalty.units import money_text

REPORT_PERMISSION = "loyalty.view_statistics"

def month_first(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_before(day: datetime.date) -> datetime.date:
    return month_first(month_first(day) - datetime.timedelta(days=1))


@dataclass(frozen=True)
class FigureRow:
    label: str
    value: str
    previous: str
    change: str


def monthly_report_context(*, month: datetime.date) -> dict:
    """What the report of `month` (any day of it) shows, in the active language."""
    filters = Filters(*period_of("month", month))
    before = filters.previous("month")
    compared = {row["figure"]: row for row in statistics_totals_compared(filters=filters, previous=before)}
    rows = [FigureRow(str(label), figure_text(compared[key]["value"], money),
                      figure_text(compared[key]["previous"], money), percent_text(compared[key]["change"]))
            for key, label, money in FIGURES]
    series = statistics_series(filters=filters)
    days = [(formats.date_format(row["period"], "SHORT_DATE_FORMAT"), money_text(row["revenue_cents"]),
             number_text(row["bookings"])) for row in series]
    return {"branding": shop_branding(), "legal": shop_legal_details(), "filters": filters,
            "month_name": formats.date_format(filters.start, "F Y"), "rows": rows, "days": days,
            "revenue_chart": _revenue_chart(filters, before, series), "made_on": timezone.localdate()}


def _revenue_chart(filters: Filters, before: Filters, series: list[dict]) -> Chart:
    """Revenue of each day of the month beside the same day of the month before."""
    by_day = {row["period"]: row["revenue_cents"] for row in series}
    by_day_before = {row["period"]: row["revenue_cents"] for row in statistics_series(filters=before)}
    offsets = range(filters.length)
    return line_chart(
        title=_("Revenue per day"), labels=[str(offset + 1) for offset in offsets],
        series=[Series(formats.date_format(filters.start, "F Y"),
                       [by_day.get(filters.start + datetime.timedelta(days=offset), 0) for offset in offsets]),
                Series(formats.date_format(before.start, "F Y"),
                       [by_day_before.get(before.start + datetime.timedelta(days=offset), 0) for offset in offsets])],
        value_text=money_text, label_header=_("Day"))


def monthly_report_pdf(*, month: datetime.date) -> bytes:
    """The PDF of a month's statistics, in the active language."""
    return html_to_pdf(render_to_string("loyalty/statistics/report/monthly.html",
                                        monthly_report_context(month=month)))


def monthly_report_file_name(month: datetime.date) -> str:
    """`statistik-2026-11.pdf`, or `statistics-2026-11.pdf` in English."""
    name = "statistik" if (translation.get_language() or "de").startswith("de") else "statistics"
    return f"{name}-{month:%Y-%m}.pdf"


@transaction.atomic
def monthly_report_subscription_set(*, user, subscribed: bool, language: str, actor: Actor) -> bool:
    """Ask for the monthly report by e-mail for oneself, or stop it; only who may see the
    statistics. Whether anything changed (asking twice changes nothing and is not audited)."""
    NotPermitted.unless(actor, REPORT_PERMISSION)
    if actor.user is None or actor.user.pk != user.pk:
        raise NotPermitted()
    current = StatisticsReportSubscription.objects.select_for_update().filter(user=user).first()
    if subscribed and current is None:
        StatisticsReportSubscription.objects.create(user=user, language=language)
    elif subscribed and current.language != language:
        current.language = language
        current.save(update_fields=["language"])
    elif not subscribed and current is not None:
        current.delete()
    else:
        return False
    audit_record(actor=actor, action="statistics.report_subscription", target=user, subscribed=subscribed,
                 language=language)
    return True


def monthly_reports_send(*, month: datetime.date, actor: Actor) -> int:
    """Send the report of `month` to every subscriber who may still see the statistics, once each:
    a subscriber's month is claimed before the mail (a second run, or a task delivered twice,
    sends nothing). Returns how many were sent."""
    month = month_first(month)
    sent = 0
    for subscription in StatisticsReportSubscription.objects.select_related("user").filter(
            Q(last_sent_month__isnull=True) | Q(last_sent_month__lt=month), user__is_active=True).order_by("pk"):
        user = subscription.user
        if not user.has_perm(REPORT_PERMISSION):
            continue
        with transaction.atomic():
            claimed = StatisticsReportSubscription.objects.filter(
                Q(last_sent_month__isnull=True) | Q(last_sent_month__lt=month), pk=subscription.pk,
            ).update(last_sent_month=month)
            if not claimed:
                continue
            with translation.override(subscription.language):
                message = _monthly_report_message(month=month, to=user.email)
            audit_record(actor=actor, action="statistics.report_sent", target=user, month=month.isoformat())
            transaction.on_commit(message.send)
        sent += 1
    return sent


def _monthly_report_message(*, month: datetime.date, to: str) -> EmailMessage:
    branding = shop_branding()
    context = {"branding": branding, "month_name": formats.date_format(month, "F Y")}
    subject = _("Statistics of %(month)s – %(shop)s") % {"month": context["month_name"], "shop": branding.name}
    body = render_to_string("loyalty/statistics/report/monthly_email.txt", context)
    message = EmailMessage(subject, body, to=[to])
    message.attach(monthly_report_file_name(month), monthly_report_pdf(month=month), "application/pdf")
    return message
