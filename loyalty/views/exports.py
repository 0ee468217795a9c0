"""The export of everything the merchant owns: request it, watch it being built, download it for a
day. Open to whoever may export (loyalty.export_data), also after the contract's end."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View

from loyalty.models import DataExport, JobStatus
from loyalty.services.exports import data_export_file, data_export_request
from loyalty.views import request_actor

TEMPLATES = "loyalty/manage/exports/"
RECENT = 10
# While an export is being built the page reloads itself this often (a <meta> refresh: no script).
REFRESH_SECONDS = 2


class ExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "loyalty.export_data"

    def get(self, request):
        return self.page(request)

    def post(self, request):
        if request.POST.get("export") != "everything":  # not the page's button
            return self.page(request, status=400)
        export, created = data_export_request(actor=request_actor(request), language=translation.get_language())
        if created:
            messages.success(request, _("Your export is being built. It takes a moment; this page shows "
                                        "its progress and then the download."))
        else:
            messages.info(request, _("An export is being built already: it is shown below."))
        return redirect("export")

    def page(self, request, status=200):
        now = timezone.now()
        rows = [{"export": export, "state": export.state(now=now)}
                for export in DataExport.objects.select_related("created_by")[:RECENT]]
        busy = any(row["state"] in (JobStatus.QUEUED, JobStatus.RUNNING) for row in rows)
        return render(request, TEMPLATES + "list.html", {
            "rows": rows, "busy": busy, "refresh_seconds": REFRESH_SECONDS,
        }, status=status)


class ExportDownloadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The ZIP, streamed from its file; after its day, a page that says it expired."""

    permission_required = "loyalty.export_data"

    def get(self, request, pk):
        export = get_object_or_404(DataExport, pk=pk)
        if export.status != JobStatus.DONE:
            raise Http404
        file = data_export_file(export=export, actor=request_actor(request))
        if file is None:
            return render(request, TEMPLATES + "expired.html", {"export": export}, status=410)
        day = timezone.localtime(export.finished_at)
        return FileResponse(file, as_attachment=True, content_type="application/zip",
                            filename=f"{request.tenant.schema_name}-export-{day:%Y-%m-%d}.zip")


urlpatterns = [
    path("export/", ExportView.as_view(), name="export"),
    path("export/<int:pk>/download/", ExportDownloadView.as_view(), name="export-download"),
]
