"""Card print orders: how many blank cards a merchant gets, which serials they carry, and where
the order stands."""
import math
import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import BigIntegerRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from loyalty.cardnumbers import card_number_from_serial

MAX_QUANTITY = 100_000
# A print file holds at most this many cards (50 full A4 sheets of 8): one renders in seconds, a
# whole order of 100,000 in one file would take the better part of an hour.
CARDS_PER_PRINT_FILE = 400
DESIGN_MAX_BYTES = 20 * 1024 * 1024
# The first bytes of each accepted design type: the file name alone proves nothing.
DESIGN_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


def validate_design(design) -> None:
    """A print design is a PNG, JPEG or PDF file of at most DESIGN_MAX_BYTES."""
    extension = PurePath(design.name).suffix.lower()
    if extension not in DESIGN_SIGNATURES:
        raise ValidationError(_("Upload the design as a PDF, PNG or JPEG file."), code="design_type")
    if design.size > DESIGN_MAX_BYTES:
        raise ValidationError(
            _("The design file is too large (at most %(megabytes)s MB)."),
            code="design_size", params={"megabytes": DESIGN_MAX_BYTES // (1024 * 1024)},
        )
    design.seek(0)
    head = design.read(16)
    design.seek(0)
    if not head.startswith(DESIGN_SIGNATURES[extension]):
        raise ValidationError(_("The design file is not the type its name says."), code="design_type")


def design_upload_to(order: "PrintOrder", filename: str) -> str:
    # A fresh name: the merchant's file name may be anything, and two uploads must not collide.
    return f"print-orders/{order.merchant.schema_name}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


REACHED_AT = {"ordered": "ordered_at", "in_production": "in_production_at", "shipped": "shipped_at",
              "delivered": "delivered_at"}
REACHED_BY = {"ordered": "ordered_by", "in_production": "in_production_by", "shipped": "shipped_by",
              "delivered": "delivered_by"}
IRREVERSIBLE_STEPS = ("ordered", "delivered")


class PrintOrder(models.Model):
    """An order of printed blank cards; submitting it allocates the card serials for good."""

    class Layout(models.TextChoices):
        STANDARD = "standard", _("standard layout")
        CUSTOM = "custom", _("custom design")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ORDERED = "ordered", _("ordered")
        IN_PRODUCTION = "in_production", _("in print")
        SHIPPED = "shipped", _("shipped")
        DELIVERED = "delivered", _("delivered")

    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.PROTECT, related_name="print_orders",
                                 verbose_name=_("merchant"))
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    layout = models.CharField(_("layout"), max_length=10, choices=Layout, default=Layout.STANDARD)
    design = models.FileField(_("design"), upload_to=design_upload_to, blank=True, validators=[validate_design])
    status = models.CharField(_("status"), max_length=15, choices=Status, default=Status.DRAFT)
    # Card serials [first, last + 1); empty while a draft. Never two orders of a merchant overlap.
    serials = BigIntegerRangeField(_("card serials"), null=True, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"), null=True, blank=True)
    in_production_at = models.DateTimeField(_("in print since"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    # Who moved the order to each step: a member of the operator's staff (None for a job of the system).
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("ordered by"))
    in_production_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="+", verbose_name=_("put in print by"))
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("shipped by"))
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("delivery recorded by"))
    # A reorder the merchant asked for in its back office: the e-mail of the person who asked. Merchant
    # staff live in the merchant's schema, so a foreign key from here could not point at them.
    requested_by = models.CharField(_("requested by"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card print order")
        verbose_name_plural = _("card print orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            ExclusionConstraint(
                name="print_order_serials_never_overlap",
                expressions=[("merchant", RangeOperators.EQUAL), ("serials", RangeOperators.OVERLAPS)],
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY), name="print_order_quantity_range",
            ),
            # A range is allocated exactly when the order leaves the draft, and holds one serial a card.
            models.CheckConstraint(
                condition=(Q(status="draft", serials__isnull=True)
                           | (~Q(status="draft") & Q(serials__startswith__gte=1)
                              & Q(serials__endswith=F("serials__startswith") + F("quantity")))),
                name="print_order_serials_match_quantity",
            ),
            models.CheckConstraint(condition=Q(layout="standard") | ~Q(design=""),
                                   name="print_order_custom_layout_has_design"),
        ]

    def __str__(self):
        return f"{self.merchant} · {self.quantity} ({self.get_status_display()})"

    def clean(self):
        if self.layout == self.Layout.CUSTOM and not self.design:
            raise ValidationError({"design": _("A custom layout needs an uploaded design.")})
        if self.layout == self.Layout.STANDARD and self.design:
            raise ValidationError({"design": _("The standard layout takes no design of its own.")})

    @property
    def next_status(self) -> str | None:
        """The one step the order can move to, None once delivered."""
        steps = list(self.Status)
        index = steps.index(self.status)
        return steps[index + 1] if index + 1 < len(steps) else None

    @property
    def next_step_is_final(self) -> bool:
        """Submitting (serials allocated, blank cards made) and delivery cannot be taken back."""
        return self.next_status in IRREVERSIBLE_STEPS

    @property
    def requested_by_merchant(self) -> bool:
        return bool(self.requested_by)

    def reached_at(self, status: str):
        return getattr(self, REACHED_AT[status]) if status in REACHED_AT else self.created_at

    def reached_by(self, status: str) -> str:
        """Who moved the order to this step, as text (the operator's staff member, or who asked)."""
        if status == self.Status.DRAFT:
            return self.requested_by or (str(self.created_by) if self.created_by_id else "")
        person = getattr(self, REACHED_BY[status])
        return str(person) if person is not None else ""

    @property
    def first_serial(self) -> int | None:
        return self.serials.lower if self.serials else None

    @property
    def last_serial(self) -> int | None:
        return self.serials.upper - 1 if self.serials else None

    @property
    def print_files(self) -> range:
        """The numbers (from 1) of the order's print files; none while a draft."""
        return range(1, math.ceil(self.quantity / CARDS_PER_PRINT_FILE) + 1 if self.serials else 1)

    def print_file_serials(self, file: int) -> tuple[int, int]:
        """The first and last serial of one print file."""
        if file not in self.print_files:
            raise ValueError(f"Print order {self.pk} has no print file {file}.")
        first = self.first_serial + (file - 1) * CARDS_PER_PRINT_FILE
        return first, min(first + CARDS_PER_PRINT_FILE - 1, self.last_serial)

    @property
    def first_card_number(self) -> str | None:
        return card_number_from_serial(self.first_serial) if self.serials else None

    @property
    def last_card_number(self) -> str | None:
        return card_number_from_serial(self.last_serial) if self.serials else None


def print_file_upload_to(print_file: "PrintFile", filename: str) -> str:
    # Not guessable: the files hold every card's activation code; they are served only by the console.
    return f"print-files/{print_file.order.merchant.schema_name}/{uuid.uuid4().hex}.pdf"


class PrintJob(models.Model):
    """The building of an order's print files by a task, file by file; one per order, started
    again from the first missing file after a failure."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being built")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    order = models.OneToOneField(PrintOrder, on_delete=models.CASCADE, related_name="print_job",
                                 verbose_name=_("card print order"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    files_total = models.PositiveIntegerField(_("files"))
    error = models.CharField(_("error"), max_length=300, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("print file job")
        verbose_name_plural = _("print file jobs")

    def __str__(self):
        return f"{self.order_id}: {self.status}"

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class PrintFile(models.Model):
    """One rendered print file of an order (CARDS_PER_PRINT_FILE cards at most), stored under MEDIA_ROOT."""

    order = models.ForeignKey(PrintOrder, on_delete=models.CASCADE, related_name="rendered_files",
                              verbose_name=_("card print order"))
    part = models.PositiveIntegerField(_("part"))
    file = models.FileField(_("file"), upload_to=print_file_upload_to)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("print file")
        verbose_name_plural = _("print files")
        ordering = ["order", "part"]
        constraints = [
            models.UniqueConstraint(fields=["order", "part"], name="print_file_one_per_part"),
            models.CheckConstraint(condition=Q(part__gte=1), name="print_file_part_from_one"),
        ]

    def __str__(self):
        return f"{self.order_id}/{self.part}"
