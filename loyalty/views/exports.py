"""The export of everything the merchant owns."""
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views import View

from loyalty.actors import Actor
from loyalty.services.exports import merchant_export


class ExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The merchant's whole data as a download; works after the contract's end, too."""

    permission_required = "loyalty.export_data"

    def get(self, request):
        content = merchant_export(actor=Actor(user=request.user))
        filename = f"{request.tenant.schema_name}-{timezone.localdate():%Y-%m-%d}.zip"
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


urlpatterns = [
    path("export/", ExportView.as_view(), name="export"),
]
