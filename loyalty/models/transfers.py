"""Data moving in and out in bulk: cardholder imports and exports of everything, each a job that a
Celery task works through while the page shows its progress."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("waiting for the column mapping")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class CardholderImport(models.Model):
    """An uploaded CSV or XLSX file of cardholders, its column mapping and the result. The file
    stays in the merchant's own schema (size-limited at upload) until the import has run."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    file_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=4, choices=Format)
    content = models.BinaryField(editable=False)
    content_sha256 = models.CharField(max_length=64, editable=False)
    # The columns of the file's first row, in order.
    headers = models.JSONField(default=list, blank=True)
    # Column index (as text) → target ("first_name", "custom:<key>", "balance:<program id>", "").
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus, default=JobStatus.UPLOADED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    created_count = models.PositiveIntegerField(_("cardholders added"), default=0)
    skipped_count = models.PositiveIntegerField(_("rows already imported"), default=0)
    # [{"row": 12, "reason": "…"}, …]: the rows that were not imported and why.
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cardholder import")
        verbose_name_plural = _("cardholder imports")
        ordering = ["-id"]

    def __str__(self):
        return self.file_name


class DataExport(models.Model):
    """An export of everything the merchant owns: a ZIP built by a task, downloadable for a day."""

    status = models.CharField(_("status"), max_length=10, choices=JobStatus, default=JobStatus.QUEUED)
    language = models.CharField(_("language"), max_length=5, default="de")
    tables_total = models.PositiveSmallIntegerField(default=0)
    tables_done = models.PositiveSmallIntegerField(default=0)
    # Relative to the export folder (settings.EXPORT_ROOT); empty until built, again after expiry.
    file_path = models.CharField(max_length=200, blank=True, editable=False)
    file_size = models.BigIntegerField(default=0)
    # {"format_version": 1, "tables": {"cardholders": 123, …}}
    manifest = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("downloadable until"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-id"]

    def __str__(self):
        return f"Export #{self.pk}"

    def downloadable(self, *, now) -> bool:
        """Built, and its day is not over: the one rule of the download link."""
        return (self.status == JobStatus.DONE and bool(self.file_path) and self.expires_at is not None
                and now < self.expires_at)

    def state(self, *, now) -> str:
        """What the page shows: queued, running, failed, ready (to download) or expired."""
        if self.status == JobStatus.DONE:
            return "ready" if self.downloadable(now=now) else "expired"
        return self.status
