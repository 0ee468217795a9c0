"""Print order writes: create a draft (in the console, or as the merchant's reorder request), submit
it (allocate the serials, make the blank cards in the merchant's schema), move it on towards
delivery, and build its print files in the background."""
import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from hq.audit import operator_audit
from hq.models import PrintFile, PrintJob, PrintOrder
from hq.models.print_orders import REACHED_AT, REACHED_BY
from hq.printing.pdf import print_order_pdf
from hq.printing.selectors import delivery_estimate, next_free_serial
from loyalty.actors import Actor
from loyalty.services.cards import cards_create_range
from tenants.accounts.models import User
from tenants.models import Merchant

logger = logging.getLogger(__name__)

Status = PrintOrder.Status
STEPS = list(Status)
CARDS_ACTOR = Actor.system("print-order")
PRINT_FILES_ACTOR = "print-files"
PRINT_JOB_STALLED_AFTER = datetime.timedelta(minutes=15)


def _person(actor) -> User | None:
    """The member of staff behind an actor; None for the system's own jobs (a text)."""
    return actor if isinstance(actor, User) else None


@transaction.atomic
def print_order_create(*, merchant: Merchant, quantity: int, layout: str, design: File | None = None,
                       actor) -> PrintOrder:
    """A draft order: nothing is allocated or printed until it is submitted."""
    order = PrintOrder(merchant=merchant, quantity=quantity, layout=layout, created_by=_person(actor))
    if design is not None:
        order.design = design
    order.full_clean()
    order.save()
    operator_audit(actor=actor, action="print_order.create", merchant=merchant, target=order,
                   after={"quantity": quantity, "layout": layout, "design": bool(design)})
    return order


@transaction.atomic
def print_order_request(*, merchant: Merchant, quantity: int, layout: str, design: File | None = None,
                        requested_by: str) -> PrintOrder:
    """The merchant's reorder from its back office: a draft marked with who asked (their e-mail),
    for the operator to check and submit; the operator is told by e-mail once it is saved."""
    order = PrintOrder(merchant=merchant, quantity=quantity, layout=layout, requested_by=requested_by)
    if design is not None:
        order.design = design
    order.full_clean()
    order.save()
    operator_audit(actor=requested_by, action="print_order.request", merchant=merchant, target=order,
                   after={"quantity": quantity, "layout": layout, "design": bool(design),
                          "requested_by": requested_by})
    transaction.on_commit(lambda: print_order_request_notify(order=order))
    return order


def print_order_request_notify(*, order: PrintOrder) -> None:
    """The e-mail to the operator about a merchant's reorder, in the operator's language."""
    context = {"order": order, "merchant": order.merchant}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("hq/printing/email/request_subject.txt", context).strip()
        body = render_to_string("hq/printing/email/request.txt", context)
    send_mail(subject, body, None, [settings.OPERATOR_EMAIL])


@transaction.atomic
def print_order_submit(*, order: PrintOrder, actor) -> PrintOrder:
    """Order the cards: allocate the next free serials, estimate the delivery, and create the
    blank cards (each with its activation code) in the merchant's schema."""
    # The merchant row is the lock that puts one merchant's allocations in a row; NO KEY so that
    # inserts referencing the merchant elsewhere need not wait. The exclusion constraint would
    # refuse an overlap anyway, but as an error instead of the next free range.
    merchant = Merchant.objects.select_for_update(no_key=True).get(pk=order.merchant_id)
    order = PrintOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.DRAFT:
        raise ValidationError(_("This print order was submitted already."), code="print_order_submitted")
    first_serial = next_free_serial(merchant=merchant)
    now = timezone.now()
    order.serials = NumericRange(first_serial, first_serial + order.quantity)
    order.status, order.ordered_at, order.ordered_by = Status.ORDERED, now, _person(actor)
    order.estimated_delivery = delivery_estimate(ordered_on=timezone.localdate(now))
    order.save(update_fields=["serials", "status", "ordered_at", "ordered_by", "estimated_delivery"])
    operator_audit(actor=actor, action="print_order.submit", merchant=merchant, target=order,
                   before={"status": Status.DRAFT},
                   after={"status": order.status, "serials": [order.first_serial, order.last_serial],
                          "estimated_delivery": order.estimated_delivery})
    with tenant_context(merchant):
        cards_create_range(first_serial=first_serial, count=order.quantity, actor=CARDS_ACTOR)
    return order


@transaction.atomic
def print_order_advance(*, order: PrintOrder, to_status: str, actor) -> PrintOrder:
    """Move a submitted order one step on (in print, shipped, delivered) and note when and by whom."""
    order = PrintOrder.objects.select_for_update().get(pk=order.pk)
    if order.status == Status.DRAFT:
        raise ValidationError(_("Submit the print order first: that allocates its card numbers."),
                              code="print_order_draft")
    if to_status != order.next_status:
        raise ValidationError(
            _("A print order moves one step forward at a time, from “%(status)s” only to the next."),
            code="print_order_step", params={"status": order.get_status_display()},
        )
    before = order.status
    order.status = to_status
    setattr(order, REACHED_AT[to_status], timezone.now())
    setattr(order, REACHED_BY[to_status], _person(actor))
    order.save(update_fields=["status", REACHED_AT[to_status], REACHED_BY[to_status]])
    operator_audit(actor=actor, action="print_order.advance", merchant=order.merchant, target=order,
                   before={"status": before}, after={"status": to_status})
    return order


def print_order_step(*, order: PrintOrder, to_status: str, actor) -> PrintOrder:
    """The console's one button: the next step, whichever it is (submitting a draft, else advancing)."""
    if order.status == Status.DRAFT and to_status == Status.ORDERED:
        return print_order_submit(order=order, actor=actor)
    return print_order_advance(order=order, to_status=to_status, actor=actor)


# --- Print files ------------------------------------------------------------------------------------


@transaction.atomic
def print_files_start(*, order: PrintOrder, actor) -> tuple[PrintJob, bool]:
    """Have a task build the order's print files, one after the other. While they are being built,
    or once all are there, the job as it is (and False); after a failure, or when the build has
    stalled, it goes on from the first file missing."""
    from hq import tasks

    order = PrintOrder.objects.select_for_update().get(pk=order.pk)
    if order.serials is None:
        raise ValidationError(_("A draft has no print files yet: submit it first."), code="print_order_draft")
    job = PrintJob.objects.filter(order=order).first()
    if job is not None and (job.status == PrintJob.Status.DONE or (job.busy and not _stalled(job))):
        return job, False
    before = {"status": job.status, "error": job.error} if job is not None else {}
    job = job or PrintJob(order=order)
    job.status, job.error, job.finished_at = PrintJob.Status.QUEUED, "", None
    job.files_total, job.started_by, job.started_at = len(order.print_files), _person(actor), timezone.now()
    job.save()
    operator_audit(actor=actor, action="print_order.files_start", merchant=order.merchant, target=order,
                   before=before, after={"status": job.status, "files": job.files_total})
    first_missing = _missing_parts(order)[0]
    transaction.on_commit(lambda: tasks.render_print_file.delay(order.pk, first_missing))
    return job, True


def _stalled(job: PrintJob) -> bool:
    """A build that has stored no file for PRINT_JOB_STALLED_AFTER (its task was lost, e.g. with
    the broker's data): it may be started again. A file takes seconds, so this never cuts one short."""
    last = PrintFile.objects.filter(order_id=job.order_id).aggregate(last=Max("created_at"))["last"]
    return max(filter(None, [job.started_at, last])) < timezone.now() - PRINT_JOB_STALLED_AFTER


def _missing_parts(order: PrintOrder) -> list[int]:
    done = set(PrintFile.objects.filter(order=order).values_list("part", flat=True))
    return [part for part in order.print_files if part not in done]


def print_file_render(*, order_id: int, part: int) -> bool:
    """The task's work: render one print file, store it, and queue the next missing one (or mark the
    job done). Idempotent: a part already stored is not stored again, and a second delivery only
    queues the next part once more. True when this call stored the file."""
    from hq import tasks

    job = PrintJob.objects.filter(order_id=order_id).select_related("order__merchant").first()
    if job is None or not job.busy:
        return False
    PrintJob.objects.filter(pk=job.pk, status=PrintJob.Status.QUEUED).update(status=PrintJob.Status.RUNNING)
    order = job.order
    stored = False
    if not PrintFile.objects.filter(order=order, part=part).exists():
        try:
            pdf = print_order_pdf(order=order, file=part)
        except Exception as error:
            logger.exception("Print file %s of print order %s could not be rendered", part, order_id)
            PrintJob.objects.filter(pk=job.pk).update(
                status=PrintJob.Status.FAILED, error=f"{type(error).__name__}: {error}"[:300],
                finished_at=timezone.now())
            return False
        with transaction.atomic():
            PrintJob.objects.select_for_update().get(pk=job.pk)  # one delivery stores a part
            if not PrintFile.objects.filter(order=order, part=part).exists():
                print_file = PrintFile(order=order, part=part, size=len(pdf))
                print_file.file.save(f"{part}.pdf", ContentFile(pdf), save=False)
                print_file.save()
                stored = True
    missing = _missing_parts(order)
    if missing:
        tasks.render_print_file.delay(order_id, missing[0])
    elif PrintJob.objects.filter(pk=job.pk, status__in=[PrintJob.Status.QUEUED, PrintJob.Status.RUNNING]).update(
            status=PrintJob.Status.DONE, finished_at=timezone.now()):
        operator_audit(actor=PRINT_FILES_ACTOR, action="print_order.files_done", merchant=order.merchant,
                       target=order, after={"files": len(order.print_files)})
    return stored
