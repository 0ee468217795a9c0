"""The back office's reports for the bookkeeping: the outstanding balances (liability) on a day, as
a page, a CSV file for German Excel and a PDF for the accountant.

Who may see them: those who may read the journal (loyalty.view_booking, owners and managers). The
report is a sum over the same bookings the journal lists, so it needs no permission of its own, and
cashiers, who have no access to the back office at all, get 403."""
import base64
import datetime

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.charts import Chart, Series, bar_chart
from loyalty.models import Program
from loyalty.pdf import html_to_pdf
from loyalty.selectors_reports import Liability, ProgramLiability, liability_on
from loyalty.services.audit import audit_record
from loyalty.services.shop import shop_branding, shop_legal_details
from loyalty.spreadsheets import CSV_CONTENT_TYPE, Euros, csv_stream
from loyalty.units import money_text, points_text
from loyalty.views import request_actor
from tenants.widgets import DateInput

DOWNLOAD_ACTION = "report.liability_download"
PERMISSION = "loyalty.view_booking"


class LiabilityForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("At the end of"), required=False,
                          widget=DateInput())

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(gettext_lazy("This day is still to come: please pick today or a day before."))
        return day


def _day(query) -> tuple[LiabilityForm, datetime.date | None]:
    """The form and the day it picks: today without one, None while it has errors."""
    form = LiabilityForm(query if "day" in query else None)
    if not form.is_bound:
        return form, timezone.localdate()
    if not form.is_valid():
        return form, None
    return form, form.cleaned_data["day"] or timezone.localdate()


def _purpose_text(line: ProgramLiability) -> str:
    return line.program.get_voucher_purpose_display() if line.voucher_purpose else ""


def _sections(liability: Liability) -> list[dict]:
    """The money's groups as the page, the CSV and the PDF list them, each with its subtotal."""
    groups = (
        (_("Prepaid credit"), liability.prepaid),
        (_("Single-purpose vouchers (Einzweckgutscheine)"), liability.single_purpose),
        (_("Multi-purpose vouchers (Mehrzweckgutscheine)"), liability.multi_purpose),
    )
    return [{"title": title, "lines": [{"line": line, "name": line.program.name, "purpose": _purpose_text(line),
                                        "balance": money_text(line.balance), "cards": line.cards} for line in lines],
             "total": money_text(Liability.total(lines)), "cards": sum(line.cards for line in lines)}
            for title, lines in groups if lines]


def _points(liability: Liability) -> list[dict]:
    return [{"name": line.program.name, "balance": points_text(line.balance), "cards": line.cards}
            for line in liability.points]


def _chart(liability: Liability) -> Chart:
    lines = liability.money
    return bar_chart(title=_("Open balances per program"), labels=[line.program.name for line in lines],
                     series=[Series(_("Open balance"), [line.balance for line in lines])],
                     value_text=money_text, label_header=_("Program"))


def _context(liability: Liability) -> dict:
    return {"liability": liability, "day": liability.day, "sections": _sections(liability),
            "money_total": money_text(liability.money_total), "money_cards": liability.money_cards,
            "points": _points(liability), "chart": _chart(liability)}


class LiabilityView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = PERMISSION

    def get(self, request):
        form, day = _day(request.GET)
        context = {"form": form, "query": f"day={day.isoformat()}" if day else ""}
        if day is not None:
            context |= _context(liability_on(day=day))
        return render(request, "loyalty/reports/liability.html", context, status=200 if day else 400)


def _file_name(day: datetime.date, extension: str) -> str:
    stem = slugify(_("outstanding balances"))
    return f"{stem}-{day.isoformat()}.{extension}"


def _csv_rows(liability: Liability):
    """Per program: its kind, the VAT kind of a voucher, the open balance in euros and in cents,
    the cards holding some; then the money's total. Points follow apart, as points."""
    kinds = dict(Program._meta.get_field("kind").flatchoices)
    for line in liability.money:
        yield [liability.day.isoformat(), line.program.name, str(kinds.get(line.program.kind, line.program.kind)),
               _purpose_text(line), Euros(line.balance), line.balance, "", line.cards]
    yield [liability.day.isoformat(), _("Total"), "", "", Euros(liability.money_total), liability.money_total, "",
           liability.money_cards]
    for line in liability.points:
        yield [liability.day.isoformat(), line.program.name, str(kinds.get(line.program.kind, line.program.kind)),
               "", None, None, line.balance, line.cards]


def _csv_header() -> list[str]:
    return [_("Day"), _("Program"), _("Kind"), capfirst(_("kind of voucher for VAT")), _("Open balance (€)"),
            _("Open balance (cents)"), _("Points outstanding"), _("Cards with a balance")]


def _logo() -> str | None:
    branding = shop_branding()
    return f"data:image/png;base64,{base64.b64encode(branding.logo_png).decode()}" if branding.logo_png else None


class LiabilityDownloadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = PERMISSION

    def get(self, request, file_format):
        form, day = _day(request.GET)
        if day is None or set(request.GET) - {"day"}:
            return redirect(reverse("report-liability") + (f"?{request.GET.urlencode()}" if request.GET else ""))
        liability = liability_on(day=day)
        audit_record(actor=request_actor(request), action=DOWNLOAD_ACTION, format=file_format,
                     day=day.isoformat(), total_cents=liability.money_total)
        name = _file_name(day, file_format)
        if file_format == "csv":
            response = StreamingHttpResponse(csv_stream(_csv_header(), _csv_rows(liability)),
                                             content_type=CSV_CONTENT_TYPE)
        else:
            html = render_to_string("loyalty/reports/liability_pdf.html", {
                **_context(liability), "legal": shop_legal_details().settings, "branding": shop_branding(),
                "logo": _logo(), "merchant": request.tenant, "made_at": timezone.localtime(),
                "day_text": formats.date_format(day, "SHORT_DATE_FORMAT"),
            }, request=request)
            response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


urlpatterns = [
    path("reports/liability/", LiabilityView.as_view(), name="report-liability"),
    path("reports/liability/download.csv", LiabilityDownloadView.as_view(), {"file_format": "csv"},
         name="report-liability-csv"),
    path("reports/liability/download.pdf", LiabilityDownloadView.as_view(), {"file_format": "pdf"},
         name="report-liability-pdf"),
]
