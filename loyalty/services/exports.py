"""The merchant's whole data as a ZIP of CSV files: programs, cards, cardholders, bookings and
ledger entries. Available at any time, also after the contract has ended."""
import csv
import io
import zipfile

from django.utils import timezone

from loyalty.actors import Actor
from loyalty.models import Booking, Card, Cardholder, LedgerEntry, Program
from loyalty.services.audit import audit_record

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet shows as text: a leading formula character gets a quote in front."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _csv(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


def _voucher_purpose(booking: Booking) -> str:
    """`single` or `multi` for a booking of a voucher program (it decides when VAT is due, §3
    Abs. 14 and 15 UStG), empty for every other booking."""
    program = booking.program
    return program.voucher_purpose if program is not None and program.kind == "voucher" else ""


def merchant_export(*, actor: Actor) -> bytes:
    """A ZIP of the merchant's data. Personal data is decrypted for the owner who asked."""
    files = {
        "programs.csv": _csv(
            ["id", "kind", "name", "active"],
            Program.objects.order_by("pk").values_list("pk", "kind", "name", "is_active")),
        "cards.csv": _csv(
            ["number", "status", "cardholder_id", "replaced_by", "created_at"],
            ((c.number, c.status, c.cardholder_id, c.replaced_by.number if c.replaced_by else "",
              c.created_at.isoformat()) for c in Card.objects.select_related("replaced_by").order_by("pk"))),
        "cardholders.csv": _csv(
            ["id", "first_name", "last_name", "gender", "birth_date", "postcode", "email", "phone",
             "language", "created_at", "anonymised_at"],
            ((h.pk, h.first_name, h.last_name, h.gender, h.birth_date, h.postcode, h.email, h.phone,
              h.language, h.created_at.isoformat(), h.anonymised_at) for h in Cardholder.objects.order_by("pk"))),
        "bookings.csv": _csv(
            ["id", "time", "kind", "card", "program_id", "purchase_amount_cents", "receipt_number",
             "terminal", "staff_user", "reverses", "returned_sale", "reason", "idempotency_key",
             "voucher_purpose"],
            ((b.pk, b.created_at.isoformat(), b.kind, b.card.number, b.program_id, b.purchase_amount_cents,
              b.receipt_number, b.terminal.name if b.terminal else "", b.staff_user.email if b.staff_user else "",
              b.reverses_id, b.returned_sale_id, b.reason, b.idempotency_key, _voucher_purpose(b))
             for b in Booking.objects.select_related("card", "program", "terminal", "staff_user")
             .order_by("pk").iterator())),
        "ledger_entries.csv": _csv(
            ["id", "booking_id", "card", "program_id", "amount", "balance_after"],
            ((e.pk, e.booking_id, e.account.card.number, e.account.program_id, e.amount, e.balance_after)
             for e in LedgerEntry.objects.select_related("account__card").order_by("pk").iterator())),
    }
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zip_file:
        for name, content in files.items():
            zip_file.writestr(name, content)
    audit_record(actor=actor, action="merchant.export", files=sorted(files),
                 at=timezone.now().isoformat())
    return archive.getvalue()
