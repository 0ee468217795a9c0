"""The monthly statistics report: asking for it by e-mail (or stopping it), and the PDF of any past
month as a download."""
import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views import View

from loyalty.models import StatisticsReportSubscription
from loyalty.services.audit import audit_record
from loyalty.statistics.monthly_report import (
    REPORT_PERMISSION,
    month_before,
    monthly_report_file_name,
    monthly_report_pdf,
    monthly_report_subscription_set,
)
from loyalty.views import request_actor

MONTHS_OFFERED = 12
FIRST_YEAR = 2000


class ReportPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = REPORT_PERMISSION


class MonthlyReportView(ReportPermissionMixin, View):
    def get(self, request):
        months, month = [], month_before(timezone.localdate())
        for _index in range(MONTHS_OFFERED):
            months.append((month, formats.date_format(month, "F Y")))
            month = month_before(month)
        subscription = StatisticsReportSubscription.objects.filter(user=request.user).first()
        return render(request, "loyalty/statistics/report/page.html",
                      {"subscription": subscription, "months": months})

    def post(self, request):
        if request.POST.get("subscribed") not in ("0", "1"):
            return HttpResponseBadRequest(_("Please choose whether you want the report by e-mail."))
        subscribed = request.POST["subscribed"] == "1"
        monthly_report_subscription_set(user=request.user, subscribed=subscribed,
                                        language=translation.get_language() or "de", actor=request_actor(request))
        messages.success(request, _("From next month on you receive the report by e-mail on the 1st.") if subscribed
                         else _("You no longer receive the report by e-mail."))
        return redirect("statistics_report")


class MonthlyReportPdfView(ReportPermissionMixin, View):
    def get(self, request, year, month):
        try:
            first = datetime.date(year, month, 1)
        except ValueError:
            raise Http404 from None
        if not year >= FIRST_YEAR or first > timezone.localdate():
            raise Http404
        audit_record(actor=request_actor(request), action="statistics.report_download", month=first.isoformat())
        response = HttpResponse(monthly_report_pdf(month=first), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{monthly_report_file_name(first)}"'
        return response


urlpatterns = [
    path("statistics/report/", MonthlyReportView.as_view(), name="statistics_report"),
    path("statistics/report/<int:year>-<int:month>.pdf", MonthlyReportPdfView.as_view(), name="statistics_report_pdf"),
]
