"""The import assistant: upload a CSV or XLSX file, map its columns, check the preview, import."""
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.models import CardholderImport
from loyalty.models.transfers import JobStatus
from loyalty.services import imports
from loyalty.views import request_actor

SAMPLE_ROWS = 3  # example values shown next to each column


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or Excel .xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}))


class MappingForm(forms.Form):
    """A choice per column of the file: what it is imported into, or nothing."""

    def __init__(self, *args, job: CardholderImport, **kwargs):
        super().__init__(*args, **kwargs)
        self.job = job
        groups: dict[str, list] = {}
        for target in imports.import_targets():
            groups.setdefault(target.group, []).append((target.key, target.label))
        choices = [("", _("– do not import –")), *groups.items()]
        for column, header in enumerate(job.headers):
            self.fields[f"column_{column}"] = forms.ChoiceField(
                label=header or _("Column %(number)s") % {"number": column + 1}, choices=choices,
                required=False, initial=job.mapping.get(str(column), ""))

    def clean(self):
        data = super().clean()
        raw = {column: data.get(f"column_{column}") or "" for column in range(len(self.job.headers))}
        try:
            self.mapping = imports.mapping_clean(raw, headers=self.job.headers)
        except ValidationError as error:
            for column, messages in error.error_dict.items():
                for message in messages:
                    self.add_error(None if column is None else f"column_{column}", message)
        return data


class ImportPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "loyalty.add_cardholderimport"


def _job(pk: int) -> CardholderImport:
    return get_object_or_404(CardholderImport.objects.defer("content"), pk=pk)


class ImportUploadView(ImportPermissionMixin, View):
    """Step 1: the file, and the imports so far."""

    def get(self, request, form=None):
        recent = CardholderImport.objects.defer("content").select_related("created_by")[:10]
        return render(request, "loyalty/manage/imports/upload.html", {
            "form": form or UploadForm(), "recent": recent,
            "max_megabytes": imports.max_megabytes_text(), "step": 1})

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = imports.cardholder_import_upload(upload=form.cleaned_data["file"],
                                                       actor=request_actor(request))
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("cardholder-import-mapping", pk=job.pk)
        return self.get(request, form=form)


class ImportMappingView(ImportPermissionMixin, View):
    """Step 2: what each column is."""

    def get(self, request, pk, form=None):
        job = get_object_or_404(CardholderImport, pk=pk)
        if job.status != JobStatus.UPLOADED:
            return redirect("cardholder-import-result", pk=job.pk)
        form = form or MappingForm(job=job)
        samples = imports.import_file(job, limit=SAMPLE_ROWS).rows
        columns = [{"field": form[f"column_{column}"],
                    "samples": [imports.cell_text(cells[column]) for _number, cells in samples
                                if cells[column] != ""]}
                   for column in range(len(job.headers))]
        return render(request, "loyalty/manage/imports/mapping.html",
                      {"job": job, "form": form, "columns": columns, "step": 2})

    def post(self, request, pk):
        job = get_object_or_404(CardholderImport, pk=pk)
        form = MappingForm(request.POST, job=job)
        if not form.is_valid():
            return self.get(request, pk, form=form)
        try:
            imports.cardholder_import_map(job=job, mapping=form.mapping, actor=request_actor(request))
        except ValidationError:
            return redirect("cardholder-import-result", pk=job.pk)
        return redirect("cardholder-import-preview", pk=job.pk)


class ImportPreviewView(ImportPermissionMixin, View):
    """Step 3: the rows as they will be imported and every row with an error; the import button."""

    def get(self, request, pk):
        job = get_object_or_404(CardholderImport, pk=pk)
        if job.status != JobStatus.UPLOADED:
            return redirect("cardholder-import-result", pk=job.pk)
        if not job.mapping:
            return redirect("cardholder-import-mapping", pk=job.pk)
        preview = imports.cardholder_import_preview(job)
        rows = [{"outcome": outcome, "cells": [
            # A row to be imported as it will be; a row with an error as the file has it.
            {"label": target.label, "value": shown.get(target.key, "") if outcome.plan
             else imports.cell_text(outcome.cells[column])}
            for column, target in zip(preview.columns, preview.targets, strict=True)]}
            for outcome, shown in zip(preview.rows, preview.shown, strict=True)]
        return render(request, "loyalty/manage/imports/preview.html",
                      {"job": job, "preview": preview, "rows": rows, "step": 3,
                       "more_errors": preview.error_count - len(preview.errors)})

    def post(self, request, pk):
        job = _job(pk)
        imports.cardholder_import_start(job=job, actor=request_actor(request))
        return redirect("cardholder-import-result", pk=job.pk)


class ImportResultView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Step 4: the progress while it runs, then what was added, left as it was, and the errors."""

    permission_required = "loyalty.view_cardholderimport"

    def get(self, request, pk):
        job = _job(pk)
        if job.status == JobStatus.UPLOADED:
            return redirect("cardholder-import-mapping", pk=job.pk)
        errors = [{"row": entry.get("row"), "reason": imports.import_error_text(entry)} for entry in job.errors]
        error_count = imports.import_error_count(job)
        return render(request, "loyalty/manage/imports/result.html", {
            "job": job, "progress": imports.import_progress(job), "errors": errors, "error_count": error_count,
            "more_errors": error_count - len(errors), "step": 4})


class ImportStatusView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The progress as JSON, for the progress bar."""

    permission_required = "loyalty.view_cardholderimport"

    def get(self, request, pk):
        return JsonResponse(imports.import_progress(_job(pk)))


urlpatterns = [
    path("cardholders/import/", ImportUploadView.as_view(), name="cardholder-import"),
    path("cardholders/import/<int:pk>/", ImportMappingView.as_view(), name="cardholder-import-mapping"),
    path("cardholders/import/<int:pk>/preview/", ImportPreviewView.as_view(), name="cardholder-import-preview"),
    path("cardholders/import/<int:pk>/result/", ImportResultView.as_view(), name="cardholder-import-result"),
    path("cardholders/import/<int:pk>/status/", ImportStatusView.as_view(), name="cardholder-import-status"),
]
