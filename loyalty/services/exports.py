"""The export of everything a merchant owns, built by a task (loyalty.tasks.build_data_export) and
downloadable for a day: one ZIP with a CSV file per table as German Excel opens them (UTF-8 with a
byte order mark, `;` between cells, CRLF), one XLSX workbook with a sheet per table, and a manifest
with the count per table. Available at any time, also after the contract has ended. Personal data
is decrypted for it; secrets (password and PIN hashes, authenticator keys, token and key hashes) and
what only the software needs (keyed hashes for search) stay out."""
import csv
import datetime
import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from loyalty.actors import Actor
from loyalty.models import (
    Account,
    ApiKey,
    AuditLog,
    BonusAction,
    Booking,
    Card,
    Cardholder,
    Consent,
    ConsentWording,
    CustomField,
    DataExport,
    ExpiryReminder,
    JobStatus,
    LedgerEntry,
    Lot,
    Program,
    Reward,
    ShopSettings,
    Terminal,
)
from loyalty.programs import BEHAVIOURS
from loyalty.roles import CAPABILITIES, capabilities_from_permissions, role_of
from loyalty.services.audit import audit_record
from tenants.accounts.models import AuthenticatorDevice, User
from tenants.selectors import merchant_current

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
WORKBOOK = "export.xlsx"
MANIFEST = "manifest.json"
LOGO = "logo.png"
DOWNLOADABLE_FOR = datetime.timedelta(hours=24)
# A build that has not finished after this long has stopped (its worker died): it is marked failed,
# and a new export may be requested.
STALE_AFTER = datetime.timedelta(hours=2)
# Rows fetched from the database at a time: memory stays flat however large the merchant.
CHUNK_SIZE = 2000
# Excel's last row, less the header: a larger table goes on in a second sheet.
SHEET_MAX_ROWS = 1_048_575
# The longest text an Excel cell holds.
CELL_MAX_CHARS = 32_767

# --- Cells ---------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A phone number in international form: a plus, then digits and the marks people put between them.
# Even if a spreadsheet ran it as a formula it could only do sums of numbers: no function, no
# reference to a cell or to another program can be written with these characters.
_PHONE = re.compile(r"\+\d[\d ()/.\-]*\d")
# What goes before such a phone number instead of the quote: U+2060 WORD JOINER, a character that
# shows as nothing and is not white space (no program trims it), so Excel takes the cell as text and
# shows "+49 171 1234567" as it was typed, not "'+49 171 1234567" (a leading apostrophe is kept
# as text when Excel opens a CSV file) and not a formula's error.
WORD_JOINER = "\u2060"


def spreadsheet_safe(value):
    """Text a spreadsheet shows as text: a leading formula character gets a quote in front, a phone
    number an invisible word joiner (it stays readable as the number it is)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return (WORD_JOINER if _PHONE.fullmatch(value) else "'") + value
    return "" if value is None else value


# The kinds of values a column holds, and so how a cell shows them.
TEXT, INTEGER, DECIMAL, EUROS, DATE, DATETIME, BOOLEAN, JSON = (
    "text", "integer", "decimal", "euros", "date", "datetime", "boolean", "json")


def euros_text(cents: int, decimal_mark: str) -> str:
    """`12,50` (German) or `12.50` (English): euros with two decimals, no thousands separator."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}{decimal_mark}{rest:02d}"


def local_time_iso(moment) -> str:
    """`2026-12-01T16:05:00+01:00`: the merchant's local time with its offset from UTC."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


class Cells:
    """How the values of each kind read in the export's language, in a CSV file and in the
    workbook. Made inside translation.override of that language."""

    def __init__(self):
        self.decimal_mark = formats.get_format("DECIMAL_SEPARATOR")
        self.booleans = {True: gettext("yes"), False: gettext("no")}
        self.bold = Font(bold=True)

    def csv(self, kind: str, value):
        """Times in the merchant's time zone with their offset (2026-12-01T16:05:00+01:00), dates
        in ISO form, numbers with the language's decimal mark."""
        if value is None:
            return ""
        if kind == INTEGER:
            return value
        if kind == TEXT:
            return spreadsheet_safe(value if isinstance(value, str) else str(value))
        if kind == EUROS:
            return euros_text(value, self.decimal_mark)
        if kind == DATETIME:
            return local_time_iso(value)
        if kind == DATE:
            return value.isoformat()
        if kind == BOOLEAN:
            return self.booleans[bool(value)]
        if kind == DECIMAL:
            return format(value.normalize(), "f").replace(".", self.decimal_mark)
        return spreadsheet_safe(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))

    def xlsx(self, sheet, kind: str, value):
        """Numbers as numbers (cents as whole numbers, euros shown with two decimals), dates as
        dates, and times as the merchant's local date and time: Excel has no time zones, so the
        offset is left out here (the CSV file carries it)."""
        if value is None:
            return None
        if kind in (INTEGER, BOOLEAN, DATE):
            return value
        if kind == TEXT:
            return self.xlsx_text(sheet, value if isinstance(value, str) else str(value))
        if kind == EUROS:
            cell = WriteOnlyCell(sheet, value=Decimal(value) / 100)
            cell.number_format = "0.00"
            return cell
        if kind == DATETIME:
            return timezone.localtime(value).replace(microsecond=0, tzinfo=None)
        if kind == DECIMAL:
            return value
        return self.xlsx_text(sheet, json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))

    def xlsx_text(self, sheet, text: str, *, bold: bool = False):
        """A text cell, never a formula: openpyxl would write a text starting with "=" as one, and
        one like "#N/A" as an error value. Such a text is written as text with Excel's own quote
        prefix (as when "'=1+1" is typed into a cell): Excel shows it as it is and keeps it text
        when the cell is edited. Characters XML cannot hold become U+FFFD."""
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:CELL_MAX_CHARS]
        if not bold and not text.startswith((*_FORMULA_STARTS, "#")):
            return text
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        if text.startswith((*_FORMULA_STARTS, "#")):
            cell.quotePrefix = True
        if bold:
            cell.font = self.bold
        return cell


# --- Tables --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    kind: str
    # What the column reads of each row (lookups of the table's queryset, as values_list takes them).
    lookups: tuple[str, ...] = ()
    # The cell's value from what was looked up; None: the one value as it is.
    value: Callable | None = None


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's and the sheet's name
    columns: tuple[Column, ...]
    queryset: QuerySet  # the rows, in their order
    # The rows' values, for a table whose values are more than lookups; None: from the lookups.
    rows: Callable[[], Iterator[list]] | None = None


def table_rows(table: Table) -> Iterator[list]:
    """Each row's values, fetched in chunks (a server-side cursor): memory does not grow with the table."""
    if table.rows is not None:
        yield from table.rows()
        return
    lookups = list(dict.fromkeys(lookup for column in table.columns for lookup in column.lookups))
    position = {lookup: index for index, lookup in enumerate(lookups)}
    getters = [(column.value, [position[lookup] for lookup in column.lookups]) for column in table.columns]
    for values in table.queryset.values_list(*lookups).iterator(chunk_size=CHUNK_SIZE):
        yield [values[indexes[0]] if value is None else value(*[values[index] for index in indexes])
               for value, indexes in getters]


# The kind of a column by its model field's class (the first that fits: a DateTimeField is a DateField).
_FIELD_KINDS = ((models.DateTimeField, DATETIME), (models.DateField, DATE), (models.BooleanField, BOOLEAN),
                (models.DecimalField, DECIMAL), (models.IntegerField, INTEGER), (models.JSONField, JSON))


def _kind(field: models.Field) -> str:
    return next((kind for field_class, kind in _FIELD_KINDS if isinstance(field, field_class)), TEXT)


def _joined(values) -> str:
    return " | ".join(str(value) for value in values or ())


def _field(model, name: str, *, header=None) -> Column:
    """A column of one of the model's fields, headed by its name for people; a choice reads as its
    label in the export's language."""
    field = model._meta.get_field(name)
    header = capfirst(str(header or field.verbose_name))
    if field.choices:
        labels = {code: str(label) for code, label in field.flatchoices}
        return Column(header, TEXT, (name,), lambda code: labels.get(code, code))
    if isinstance(field, ArrayField):
        return Column(header, TEXT, (name,), _joined)
    return Column(header, _kind(field), (name,))


def _fields(model, *names: str) -> list[Column]:
    return [_field(model, name) for name in names]


def _id(lookup: str = "pk", header=None) -> Column:
    return Column(f"{capfirst(str(header))} (ID)" if header else "ID", INTEGER, (lookup,))


def _money(label, lookup: str) -> list[Column]:
    """An amount of money twice: in cents, as stored, and in euros with two decimals."""
    return [Column(gettext("%(name)s (cents)") % {"name": capfirst(str(label))}, INTEGER, (lookup,)),
            Column(f"{capfirst(str(label))} (€)", EUROS, (lookup,))]


def _amounts(label, lookup: str, program_lookup: str) -> list[Column]:
    """An amount in its program's unit (points, stamps, cents) and, for programs of money (prepaid,
    vouchers), in euros beside it."""
    money = {pk: BEHAVIOURS[kind].counts_money for pk, kind in Program.objects.values_list("pk", "kind")}
    return [Column(capfirst(str(label)), INTEGER, (lookup,)),
            Column(f"{capfirst(str(label))} (€)", EUROS, (lookup, program_lookup),
                   lambda amount, program: amount if money.get(program) else None)]


def _card(lookup: str = "card__number") -> Column:
    return Column(capfirst(gettext("card number")), TEXT, (lookup,))


def _program(prefix: str = "") -> list[Column]:
    return [_id(f"{prefix}program_id", _("program")),
            Column(capfirst(gettext("program")), TEXT, (f"{prefix}program__name",))]


def _programs() -> Table:
    return Table("programs", (
        _id(), *_fields(Program, "kind", "name", "is_active", "points_per_euro", "rounding", "expiry",
                        "expiry_months", "expiry_years", "reminder_days"),
        *_money(_("maximum balance"), "max_balance_cents"),
        *_money(_("maximum top-up"), "max_top_up_cents"),
        *_fields(Program, "stamps_per_reward", "stamp_reward"),
        *_money(_("voucher value"), "voucher_value_cents"),
        *_fields(Program, "partial_redemption"),
        *_money_lists(Program._meta.get_field("voucher_presets").verbose_name, "voucher_presets"),
        *_fields(Program, "voucher_purpose", "voucher_validity_years", "points_on_top_ups",
                 "points_on_voucher_sales", "points_on_prepaid_payments", "created_at"),
    ), Program.objects.order_by("pk"))


def _money_lists(label, lookup: str) -> list[Column]:
    """A list of amounts of money (a voucher's values offered), in cents and in euros."""
    mark = formats.get_format("DECIMAL_SEPARATOR")
    return [Column(gettext("%(name)s (cents)") % {"name": capfirst(str(label))}, TEXT, (lookup,), _joined),
            Column(f"{capfirst(str(label))} (€)", TEXT, (lookup,),
                   lambda amounts: _joined(euros_text(cents, mark) for cents in amounts or ()))]


def _rewards() -> Table:
    return Table("rewards", (_id(), *_program(), *_fields(Reward, "name", "points", "is_active")),
                 Reward.objects.order_by("pk"))


def _bonus_actions() -> Table:
    return Table("bonus_actions", (
        _id(), *_program(), *_fields(BonusAction, "kind", "name", "multiplier", "points", "starts_on", "ends_on",
                                     "is_active"),
    ), BonusAction.objects.order_by("pk"))


def _custom_fields() -> Table:
    return Table("custom_fields", (
        _id(), *_fields(CustomField, "key", "label", "kind", "choices", "required", "at_registration", "position",
                        "is_active"),
        _field(CustomField, "created_at", header=_("created at")),
    ), CustomField.objects.order_by("position", "pk"))


_CUSTOM_KINDS = {CustomField.Kind.NUMBER: DECIMAL, CustomField.Kind.DATE: DATE, CustomField.Kind.CHECKBOX: BOOLEAN}


def _custom_value(field: CustomField, data):
    """An own field's stored value (CustomField.value_clean) as a number, date or yes/no; a value
    stored before the field changed its type stays as the text it is."""
    value = (data or {}).get(field.key)
    if value is None or value == "":
        return None
    try:
        if field.kind == CustomField.Kind.NUMBER:
            return Decimal(str(value))
        if field.kind == CustomField.Kind.DATE:
            return datetime.date.fromisoformat(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if field.kind == CustomField.Kind.CHECKBOX:
        return value if isinstance(value, bool) else str(value)
    return value if isinstance(value, str) else str(value)


def _custom_field_columns(taken: set[str]) -> list[Column]:
    """One column per own field, headed by its label (and its key where the label is taken)."""
    columns = []
    for field in CustomField.objects.order_by("position", "pk"):
        header = field.label if field.label not in taken else f"{field.label} ({field.key})"
        taken.add(header)
        kind = _CUSTOM_KINDS.get(field.kind, TEXT)
        # A value that is not of the field's type any more (see _custom_value) is written as text.
        columns.append(Column(header, kind, ("custom_data",), partial(_custom_value, field)))
    return columns


def _cardholders() -> Table:
    columns = [_id(), *_fields(Cardholder, "first_name", "last_name", "gender", "birth_date", "postcode", "email",
                               "phone", "language", "created_at", "anonymised_at", "email_confirmed_at",
                               "portal_sign_in_at")]
    columns += _custom_field_columns({column.header for column in columns})
    return Table("cardholders", tuple(columns), Cardholder.objects.order_by("pk"))


def _consents() -> Table:
    return Table("consents", (
        _id(), _id("cardholder_id", _("cardholder")),
        *_fields(Consent, "purpose", "granted", "source", "wording_version"),
        Column(capfirst(gettext("Staff member")), TEXT, ("actor_user__email",)),
        Column(capfirst(gettext("terminal")), TEXT, ("actor_terminal__name",)),
        _field(Consent, "created_at"),
    ), Consent.objects.order_by("pk"))


def _consent_wordings() -> Table:
    return Table("consent_wordings", (
        _id(), *_fields(ConsentWording, "purpose", "version", "text_de", "text_en"),
        Column(capfirst(gettext("Staff member")), TEXT, ("created_by__email",)),
        _field(ConsentWording, "created_at"),
    ), ConsentWording.objects.order_by("pk"))


def _cards() -> Table:
    return Table("cards", (
        _field(Card, "number"), _field(Card, "status"), _id("cardholder_id", _("cardholder")),
        Column(capfirst(str(Card._meta.get_field("replaced_by").verbose_name)), TEXT, ("replaced_by__number",)),
        _field(Card, "created_at"),
    ), Card.objects.order_by("pk"))


def _accounts() -> Table:
    return Table("accounts", (
        _id(), _card(), *_program(),
        *_amounts(_("balance"), "balance", "program_id"), *_amounts(_("open claim"), "claim", "program_id"),
        _field(Account, "created_at", header=_("created at")),
    ), Account.objects.order_by("pk"))


def _open_claims() -> Table:
    """What returns or reversals could not take back because it had been spent (Account.claim)."""
    return Table("open_claims", (
        _id("pk", _("account")), _card(), *_program(), *_amounts(_("open claim"), "claim", "program_id"),
    ), Account.objects.filter(claim__gt=0).order_by("pk"))


def _lots() -> Table:
    return Table("lots", (
        _id(), _id("account_id", _("account")), _card("account__card__number"), *_program("account__"),
        *_amounts(_("amount"), "amount", "account__program_id"),
        *_amounts(_("remaining"), "remaining", "account__program_id"),
        _field(Lot, "expires_on", header=_("expires on")), _field(Lot, "created_at", header=_("created at")),
    ), Lot.objects.order_by("pk"))


def _voucher_purpose_labels() -> dict:
    return {code: str(label) for code, label in Program.VoucherPurpose.choices}


def _bookings() -> Table:
    purposes = _voucher_purpose_labels()
    return Table("bookings", (
        _id(), _field(Booking, "created_at"), _field(Booking, "kind"), _card(), *_program(),
        *_money(_("purchase amount"), "purchase_amount_cents"), _field(Booking, "receipt_number"),
        _id("terminal_id", _("terminal")), Column(capfirst(gettext("terminal")), TEXT, ("terminal__name",)),
        Column(capfirst(gettext("Staff member")), TEXT, ("staff_user__email",)),
        *_fields(Booking, "actor_label", "reason"),
        Column(capfirst(gettext("reward")), TEXT, ("reward__name",)),
        _id("returned_sale_id", _("return of booking")), _id("reverses_id", _("reversal of booking")),
        _field(Booking, "idempotency_key"),
        # Single- or multi-purpose decides when VAT is due on a voucher (§3 Abs. 14 and 15 UStG).
        Column(capfirst(str(Program._meta.get_field("voucher_purpose").verbose_name)), TEXT,
               ("program__kind", "program__voucher_purpose"),
               lambda kind, purpose: purposes.get(purpose, purpose) if kind == Program.Kind.VOUCHER else None),
    ), Booking.objects.order_by("pk"))


def _ledger_entries() -> Table:
    return Table("ledger_entries", (
        _id(), _id("booking_id", _("booking")), _field(LedgerEntry, "created_at", header=_("time")),
        _id("account_id", _("account")), _card("account__card__number"), _id("account__program_id", _("program")),
        *_amounts(_("amount"), "amount", "account__program_id"),
        *_amounts(_("balance after"), "balance_after", "account__program_id"),
        *_amounts(_("change of the open claim"), "claim_change", "account__program_id"),
        _id("lot_id", _("lot")),
    ), LedgerEntry.objects.order_by("pk"))


def _expiry_reminders() -> Table:
    return Table("expiry_reminders", (
        _id(), _id("account_id", _("account")), _card("account__card__number"),
        _field(ExpiryReminder, "expires_on", header=_("expires on")),
        _field(ExpiryReminder, "points", header=_("points")),
        _field(ExpiryReminder, "created_at", header=_("created at")),
        _field(ExpiryReminder, "sent_at", header=_("sent at")),
    ), ExpiryReminder.objects.order_by("pk"))


def _terminals() -> Table:
    return Table("terminals", (_id(), *_fields(Terminal, "name", "is_active", "created_at", "last_seen_at")),
                 Terminal.objects.order_by("pk"))


def _staff() -> Table:
    """The merchant's people: never a password hash, a till PIN or an authenticator's key; whether
    they have set up two-factor sign-in, yes."""
    users = User.objects.annotate(two_factor=Exists(
        AuthenticatorDevice.objects.filter(user=OuterRef("pk"), confirmed=True))).prefetch_related("groups")

    def rows():
        for user in users.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
            role = role_of(user)
            yield [user.pk, user.full_name, user.email, str(role.name) if role else None, user.is_active,
                   user.last_login, user.date_joined, user.two_factor]

    header = partial(_field, User)
    return Table("staff", (
        _id(), header("full_name"), header("email"), Column(gettext("Role"), TEXT),
        header("is_active"), header("last_login"), header("date_joined"),
        Column(gettext("Two-factor sign-in set up"), BOOLEAN),
    ), users, rows)


def _groups() -> Table:
    """The roles (Django groups) with what they may do, in words and as Django's permissions."""
    groups = Group.objects.prefetch_related("permissions__content_type")

    def rows():
        for group in groups.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
            codes = sorted(f"{permission.content_type.app_label}.{permission.codename}"
                           for permission in group.permissions.all())
            capabilities = capabilities_from_permissions(set(codes))
            yield [group.pk, group.name,
                   _joined(capability.label for capability in CAPABILITIES if capability.key in capabilities),
                   _joined(codes)]

    return Table("groups", (
        _id(), _field(Group, "name"), Column(gettext("What the role may do"), TEXT),
        _field(Group, "permissions"),
    ), groups, rows)


def _api_keys() -> Table:
    return Table("api_keys", (
        _id(), *_fields(ApiKey, "name", "scope"),
        Column(capfirst(str(ApiKey._meta.get_field("created_by").verbose_name)), TEXT, ("created_by__email",)),
        *_fields(ApiKey, "created_at", "last_used_at", "revoked_at"),
    ), ApiKey.objects.order_by("pk"))


def _settings() -> Table:
    return Table("settings", (
        _field(ShopSettings, "reversal_window_minutes"),
        *_money(_("ask for a confirmation above"), "plausibility_limit_cents"),
        *_money(_("never book more than"), "hard_maximum_cents"),
        *_fields(ShopSettings, "two_factor_required", "legal_name", "represented_by", "street", "postal_code",
                 "city", "contact_email", "contact_phone", "vat_id", "register_entry", "privacy_contact"),
        # The logo is a file of its own in the ZIP.
        Column(capfirst(str(ShopSettings._meta.get_field("logo_png").verbose_name)), TEXT, ("logo_png",),
               lambda png: LOGO if png else None),
        *_fields(ShopSettings, "primary_colour", "background_colour", "welcome_text", "updated_at"),
    ), ShopSettings.objects.order_by("pk"))


def _audit_log() -> Table:
    return Table("audit_log", (
        _id(), _field(AuditLog, "created_at"), _field(AuditLog, "action"),
        Column(capfirst(gettext("Staff member")), TEXT, ("actor_user__email",)),
        Column(capfirst(gettext("terminal")), TEXT, ("actor_terminal__name",)),
        _field(AuditLog, "actor_label"), _field(AuditLog, "address"),
        _field(AuditLog, "object_type", header=_("object type")), _field(AuditLog, "object_id", header=_("object")),
        _field(AuditLog, "data", header=_("details")),
    ), AuditLog.objects.order_by("pk"))


# Every table of the export, in the order of the files and sheets. Each is made in the export's
# language (its headers and labels) inside the snapshot of the database the export reads.
TABLES = (_programs, _rewards, _bonus_actions, _custom_fields, _cardholders, _consents, _consent_wordings,
          _cards, _accounts,
          _open_claims, _lots, _bookings, _ledger_entries, _expiry_reminders, _terminals, _staff, _groups,
          _api_keys, _settings, _audit_log)


# --- Building the ZIP ----------------------------------------------------------------------------

@contextmanager
def _snapshot():
    """All tables are read at one moment of the database (a read-only, repeatable-read
    transaction): a booking made meanwhile is in every table or in none. Inside a transaction
    already (a test's), that one's moment is used."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


@contextmanager
def _progress_reporter(export_id: int):
    """Writes how many tables are done on a database connection of its own: the page asking for
    the progress would not see an update made inside the build's long read transaction."""
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    own.set_schema(connection.schema_name)
    table = connection.ops.quote_name(DataExport._meta.db_table)

    def report(done: int) -> None:
        with own.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET tables_done = %s WHERE id = %s", [done, export_id])

    try:
        yield report
    finally:
        own.close()


def _sheet(workbook, title: str, header: list[str], cells: Cells):
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append([cells.xlsx_text(sheet, text, bold=True) for text in header])
    return sheet


def _table_write(archive: zipfile.ZipFile, workbook, table: Table, cells: Cells) -> tuple[int, list[str]]:
    """The table as a CSV file in the archive and as a sheet (or more, beyond Excel's last row) of
    the workbook, in one pass over its rows; returns the count of rows and the sheets' names."""
    header = [column.header for column in table.columns]
    kinds = [column.kind for column in table.columns]
    sheets = [table.name]
    sheet, sheet_rows, count = _sheet(workbook, table.name, header, cells), 0, 0
    with archive.open(f"{table.name}.csv", "w", force_zip64=True) as member, \
            io.TextIOWrapper(member, encoding="utf-8-sig", newline="") as text:
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow([spreadsheet_safe(title) for title in header])
        for row in table_rows(table):
            writer.writerow([cells.csv(kind, value) for kind, value in zip(kinds, row, strict=True)])
            if sheet_rows == SHEET_MAX_ROWS:
                sheets.append(f"{table.name}_{len(sheets) + 1}")
                sheet, sheet_rows = _sheet(workbook, sheets[-1], header, cells), 0
            sheet.append([cells.xlsx(sheet, kind, value) for kind, value in zip(kinds, row, strict=True)])
            sheet_rows += 1
            count += 1
    return count, sheets


def _archive_write(path: Path, export: DataExport, report: Callable[[int], None]) -> dict:
    """The ZIP at `path`, in the active language; returns the manifest."""
    cells = Cells()
    counts, sheets = {}, {}
    workbook = Workbook(write_only=True)
    workbook_path = path.with_name(path.name + ".xlsx")
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            with _snapshot():
                merchant = merchant_current()
                for done, table_of in enumerate(TABLES, start=1):
                    table = table_of()
                    counts[table.name], sheets[table.name] = _table_write(archive, workbook, table, cells)
                    report(done)
                logo = ShopSettings.objects.filter(pk=1).values_list("logo_png", flat=True).first()
            if logo:
                archive.writestr(LOGO, bytes(logo))
            workbook.save(workbook_path)
            # The workbook is a ZIP itself: compressing it again would gain nothing.
            archive.write(workbook_path, WORKBOOK, compress_type=zipfile.ZIP_STORED)
            files = [f"{name}.csv" for name in counts] + [WORKBOOK] + ([LOGO] if logo else []) + [MANIFEST]
            manifest = {
                "format_version": FORMAT_VERSION,
                "merchant": {"schema": connection.schema_name, "name": merchant.name},
                "created_at": timezone.localtime().isoformat(timespec="seconds"),
                "language": export.language,
                "time_zone": settings.TIME_ZONE,
                "tables": counts,
                "sheets": sheets,
                "files": files,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    finally:
        workbook_path.unlink(missing_ok=True)
    return manifest


def _folder() -> Path:
    return Path(settings.EXPORT_ROOT) / connection.schema_name


def data_export_build(*, export_id: int) -> bool:
    """Build a queued export's ZIP in the merchant's folder (the task's work). Claimed with a
    conditional update, so a second delivery of the task builds nothing; True when built."""
    if not DataExport.objects.filter(pk=export_id, status=JobStatus.QUEUED).update(status=JobStatus.RUNNING):
        return False
    export = DataExport.objects.get(pk=export_id)
    folder = _folder()
    name = f"{secrets.token_urlsafe(18)}.zip"
    part = folder / f"{name}.part"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with translation.override(export.language), _progress_reporter(export_id) as report:
            manifest = _archive_write(part, export, report)
        part.rename(folder / name)
    except Exception as error:
        with suppress(OSError):
            part.unlink(missing_ok=True)
        logger.exception("The export %s of %s could not be built", export_id, connection.schema_name)
        DataExport.objects.filter(pk=export_id).update(
            status=JobStatus.FAILED, error=f"{type(error).__name__}: {error}"[:300], finished_at=timezone.now())
        return False
    finished = timezone.now()
    DataExport.objects.filter(pk=export_id).update(
        status=JobStatus.DONE, file_path=f"{connection.schema_name}/{name}",
        file_size=(folder / name).stat().st_size, manifest=manifest, tables_done=export.tables_total,
        finished_at=finished, expires_at=finished + DOWNLOADABLE_FOR)
    return True


# --- Requests, downloads, expiry -----------------------------------------------------------------

def data_export_in_progress(*, now: datetime.datetime) -> DataExport | None:
    return DataExport.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
                                     created_at__gt=now - STALE_AFTER).first()


@transaction.atomic
def data_export_request(*, actor: Actor, language: str) -> tuple[DataExport, bool]:
    """Queue an export of everything, built by a task once this is committed. One at a time: while
    one is being built, that one is returned (and False)."""
    from loyalty.tasks import build_data_export

    if (running := data_export_in_progress(now=timezone.now())) is not None:
        return running, False
    languages = [code for code, _name in settings.LANGUAGES]
    export = DataExport.objects.create(created_by=actor.user, language=language if language in languages else
                                       settings.LANGUAGE_CODE, tables_total=len(TABLES) + 1)
    audit_record(actor=actor, action="export.request", target=export, language=export.language)
    transaction.on_commit(lambda: build_data_export.delay(export.pk))
    return export, True


def _path(file_path: str) -> Path | None:
    """The file of an export of the current merchant: never one outside the merchant's folder."""
    folder = _folder().resolve()
    path = (Path(settings.EXPORT_ROOT) / file_path).resolve()
    return path if file_path and path.parent == folder else None


def data_export_file(*, export: DataExport, actor: Actor):
    """The export's ZIP opened for reading while it can be downloaded (its day), else None. The
    download is audited."""
    path = _path(export.file_path) if export.downloadable(now=timezone.now()) else None
    try:
        file = path.open("rb") if path is not None else None
    except FileNotFoundError:
        file = None
    if file is not None:
        audit_record(actor=actor, action="export.download", target=export)
    return file


def data_exports_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files whose day is over (their rows stay, as a record that says "expired"), mark
    builds that stopped as failed, and remove files no export names (left by a crash). Returns how
    many exports expired."""
    now = now or timezone.now()
    actor = Actor.system("exports")
    expired = 0
    for export in DataExport.objects.filter(status=JobStatus.DONE, expires_at__lte=now).exclude(file_path=""):
        if (path := _path(export.file_path)) is not None:
            path.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk).update(file_path="")
        audit_record(actor=actor, action="export.expire", target=export)
        expired += 1
    DataExport.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
                              created_at__lte=now - STALE_AFTER).update(
        status=JobStatus.FAILED, error="The build stopped before it was done.", finished_at=now)
    folder = _folder()
    if folder.is_dir():
        named = {Path(path).name
                 for path in DataExport.objects.exclude(file_path="").values_list("file_path", flat=True)}
        for path in folder.iterdir():
            modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
            if path.is_file() and path.name not in named and modified < now - DOWNLOADABLE_FOR:
                path.unlink(missing_ok=True)
    return expired
