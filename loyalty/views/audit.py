"""The audit log: who did what, when and from where, newest first, with filters; and one entry."""
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.audit_log import FAMILIES, audit_entries, audit_lines
from loyalty.models import AuditLog, Terminal
from loyalty.views.filters import PeriodFilterForm, filter_values

PER_PAGE = 50
PERMISSION = "loyalty.view_auditlog"


class AuditFilterForm(PeriodFilterForm):
    family = forms.ChoiceField(label=gettext_lazy("Area"), required=False)
    person = forms.ModelChoiceField(label=gettext_lazy("Person"), required=False,
                                    empty_label=gettext_lazy("everyone"),
                                    queryset=get_user_model().objects.order_by("full_name", "email"))
    terminal = forms.ModelChoiceField(label=gettext_lazy("Terminal"), required=False,
                                      empty_label=gettext_lazy("all terminals"),
                                      queryset=Terminal.objects.order_by("name", "pk"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = [("", gettext_lazy("everything")),
                                         *((family.key, family.label) for family in FAMILIES)]


class AuditLogView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = PERMISSION

    def get(self, request):
        form = AuditFilterForm(request.GET or None)
        filters = filter_values(form)
        entries = audit_entries(**filters) if filters is not None else AuditLog.objects.none()
        page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "loyalty/manage/audit/list.html", {
            "form": form, "page": page, "lines": audit_lines(page), "query": query.urlencode(),
            "filtered": bool(filters and any(filters.values())),
        })


class AuditEntryView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = PERMISSION

    def get(self, request, pk):
        entry = audit_entries().filter(pk=pk).first()
        if entry is None:
            raise Http404
        return render(request, "loyalty/manage/audit/entry.html", {"line": audit_lines([entry])[0]})


urlpatterns = [
    path("audit/", AuditLogView.as_view(), name="audit-log"),
    path("audit/<int:pk>/", AuditEntryView.as_view(), name="audit-entry"),
]
