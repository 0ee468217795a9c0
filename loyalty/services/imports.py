"""Importing cardholders from a CSV or XLSX file: reading it, mapping its columns to what a
cardholder has, checking every row by the one rule of each value, and importing the rows in
batches (the task loyalty.tasks.cardholder_import_run).

What a row may hold is decided where it is decided for every other way in: an own field's value
by CustomField.value_clean, a person's fields by the Cardholder model (and Django's e-mail rule,
which the back office's and the till's forms use too), a card number by loyalty.cardnumbers, an
opening balance by the ledger's amount rule. A row is matched to a cardholder already there by its
card number or e-mail address (blind index) and then left as it is, so importing a file again adds
nothing and books nothing; a row with neither is refused, as it could not be recognised again.

A row's card number names a card of the merchant's that is not handed out yet (or is the person's
already); a row without one becomes a cardholder without a card. No blank card is taken for it:
the person holds no such card, and an opening balance on a card nobody holds would be lost, so a
balance needs the card number of the card the person has."""
import codecs
import csv
import datetime
import hashlib
import io
import logging
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Func, JSONField, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.actors import Actor
from loyalty.cardnumbers import CARD_NUMBER_LENGTH, card_number_is_valid
from loyalty.catalog import catalog
from loyalty.errors import LoyaltyError
from loyalty.models import Card, Cardholder, CardholderImport, Consent, CustomField
from loyalty.models.cardholders import date_parse, number_parse
from loyalty.models.transfers import JobStatus
from loyalty.services.audit import audit_record, audit_records
from loyalty.services.bookings import booking_opening_balance
from loyalty.services.cardholders import (
    INDEXES,
    PERSONAL_FIELDS,
    cardholders_create,
    consents_record,
    custom_data_clean,
    custom_fields_active,
)
from loyalty.services.ledger import SystemKey, amount_check
from loyalty.services.lookup import card_number_clean
from tenants.encryption import blind_index, normalise_email, normalise_phone
from tenants.selectors import merchant_current

logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
MAX_COLUMNS = 100
# An XLSX file is a ZIP: what it unpacks to is limited too, so that a small file cannot fill the memory.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
PREVIEW_ROWS = 10
BATCH_SIZE = 250  # rows per transaction of the import
ERRORS_KEPT = 1_000  # rows with errors the result lists; the count covers them all
_LOOKUP_CHUNK = 2_000

PERSON = ("first_name", "last_name", "email", "phone", "gender", "birth_date", "postcode", "language")
CARD = "card"
CUSTOM, BALANCE, CONSENT = "custom:", "balance:", "consent:"
IMPORTED_CONSENTS = (Consent.Purpose.NEWSLETTER, Consent.Purpose.SMS, Consent.Purpose.ANALYSIS)

NOT_READABLE_XLSX = gettext_lazy("This Excel file could not be opened. Please save it again in Excel "
                                 "as “Excel Workbook (.xlsx)” or as “CSV (Comma delimited)”.")


# --- Reading the file ----------------------------------------------------------------------------


@dataclass
class ImportFile:
    """A file's column names (its first row) and its other rows that hold anything, each with its
    number as a spreadsheet shows it (the column names are row 1)."""

    headers: list[str]
    rows: list[tuple[int, list]]


def _refuse(message, code: str):
    raise ValidationError(message, code=code)


def csv_text(content: bytes) -> str:
    """The text of a CSV file as German Excel saves it: UTF-8 with or without a BOM, UTF-16 with a
    BOM ("Unicode text"), else Windows-1252 ("CSV (Trennzeichen-getrennt)")."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            _refuse(_("This file is neither a CSV file nor an Excel workbook (.xlsx)."), "type")
    if b"\x00" in content:
        _refuse(_("This file is neither a CSV file nor an Excel workbook (.xlsx)."), "type")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        # Bytes that Windows-1252 leaves undefined: ISO-8859-1 reads every byte.
        return content.decode("latin-1")


def csv_delimiter(text: str) -> str:
    """The separator of the header line: `;` (German Excel), tab or `,`, whichever it holds most."""
    header = text.split("\n", 1)[0]
    return max((";", "\t", ","), key=header.count)


def _csv_rows(content: bytes):
    text = csv_text(content)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    except csv.Error:
        _refuse(_("This CSV file could not be read: please save it again from Excel as “CSV "
                  "(Comma delimited)”."), "csv")


def _xlsx_rows(content: bytes):
    """Each row's values: formula cells give the value Excel last computed (never evaluated here;
    a formula without one is empty), dates come as datetime."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        _refuse(NOT_READABLE_XLSX, "xlsx")
    if unpacked > MAX_UNPACKED_BYTES:
        _refuse(_("This Excel file is too large once unpacked."), "size")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for what it cannot read
        _refuse(NOT_READABLE_XLSX, "xlsx")
    try:
        if not workbook.worksheets:
            _refuse(NOT_READABLE_XLSX, "xlsx")
        sheet = workbook.worksheets[0]
        # Some programs write a wrong size into the file; read the rows as they are.
        sheet.reset_dimensions()
        try:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        except ValidationError:
            raise
        except Exception:
            _refuse(NOT_READABLE_XLSX, "xlsx")
    finally:
        workbook.close()


def _cell(value):
    """A cell as the checks take it: text stripped, nothing as "", other values as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return value


def cell_text(value) -> str:
    """A cell as text: whole numbers without ".0", dates without a time of midnight."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value).strip()


def file_parse(content: bytes, file_format: str, *, limit: int | None = None) -> ImportFile:
    """The file's column names and rows (the first `limit` of them, if given); ValidationError in
    plain words when it cannot be read."""
    rows = _xlsx_rows(content) if file_format == CardholderImport.Format.XLSX else _csv_rows(content)
    header_row = next(rows, None)
    headers = [cell_text(value) for value in (header_row or [])][:MAX_COLUMNS]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        _refuse(_("The first row must hold the column names (such as Vorname, Nachname, E-Mail)."),
                "no_headers")
    width = len(headers)
    parsed = []
    for number, row in enumerate(rows, start=2):
        cells = [_cell(value) for value in row[:width]]
        if not any(value != "" for value in cells):
            continue
        if len(parsed) == MAX_ROWS:
            _refuse(_("A file may hold at most %(count)s rows: please split it.")
                    % {"count": formats.number_format(MAX_ROWS, force_grouping=True)}, "rows")
        parsed.append((number, cells + [""] * (width - len(cells))))
        if len(parsed) == limit:
            break
    if not parsed:
        _refuse(_("The file holds no rows below the column names."), "no_rows")
    return ImportFile(headers=headers, rows=parsed)


def _file_format(name: str, content: bytes) -> str:
    extension = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    if extension == "xls":
        _refuse(_("Old Excel files (.xls) cannot be read. Please save the file in Excel as “Excel "
                  "Workbook (.xlsx)” or as “CSV (Comma delimited)”."), "type")
    if extension in ("xlsx", "xlsm") or content.startswith(b"PK\x03\x04"):
        return CardholderImport.Format.XLSX
    if extension in ("csv", "txt", "tsv"):
        return CardholderImport.Format.CSV
    _refuse(_("This file is neither a CSV file nor an Excel workbook (.xlsx)."), "type")


def import_file(job: CardholderImport, *, limit: int | None = None) -> ImportFile:
    return file_parse(bytes(job.content), job.file_format, limit=limit)


def max_megabytes_text() -> str:
    """The largest file accepted (settings.IMPORT_MAX_BYTES), in megabytes as the page writes them."""
    megabytes = settings.IMPORT_MAX_BYTES / (1024 * 1024)
    return formats.number_format(megabytes, 0 if megabytes.is_integer() else 1)


@transaction.atomic
def cardholder_import_upload(*, upload, actor: Actor) -> CardholderImport:
    """Keep an uploaded file (a Django UploadedFile: name, size, read) for its import, once it can
    be read; its size is checked before it is read. The mapping starts as the last import of a file
    with the same columns had it, else as the column names suggest."""
    limit = settings.IMPORT_MAX_BYTES
    # The size said before the file is read; what is read, in case the size said was wrong.
    if upload.size > limit or len(content := upload.read(limit + 1)) > limit:
        _refuse(_("The file is larger than %(size)s MB: please split it into smaller files.")
                % {"size": max_megabytes_text()}, "size")
    name = upload.name or ""
    if not content:
        _refuse(_("The file is empty."), "empty")
    file_format = _file_format(name, content)
    parsed = file_parse(content, file_format)
    job = CardholderImport(
        file_name=name[-200:], file_format=file_format, content=content,
        content_sha256=hashlib.sha256(content).hexdigest(), headers=parsed.headers,
        rows_total=len(parsed.rows), created_by=actor.user)
    job.mapping = mapping_suggested(job)
    job.save()
    audit_record(actor=actor, action="cardholder_import.upload", target=job, file=job.file_name,
                 rows=job.rows_total, sha256=job.content_sha256)
    return job


# --- Mapping columns to targets ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    key: str  # "first_name", "card", "custom:<key>", "balance:<program id>", "consent:<purpose>"
    label: str
    group: str


def _label(text) -> str:
    """A field's name at the start of a line: its first letter capital ("E-Mail-Adresse")."""
    return capfirst(str(text))


def _person_label(name: str) -> str:
    return str(Cardholder._meta.get_field(name).verbose_name)


def import_targets() -> list[Target]:
    """What a column can be imported into, in the order the mapping offers them."""
    person = str(gettext_lazy("Person"))
    targets = [Target(name, _label(_person_label(name)), person) for name in PERSON]
    targets.append(Target(CARD, _label(Card._meta.get_field("number").verbose_name),
                          str(gettext_lazy("Card"))))
    own = str(gettext_lazy("Own fields"))
    targets += [Target(CUSTOM + custom.key, custom.label, own) for custom in custom_fields_active()]
    balances = str(gettext_lazy("Opening balances"))
    for program in sorted(catalog(fresh=True).active_programs(), key=lambda p: (p.name, p.pk)):
        unit = _("in euros") if program.behaviour.counts_money else _("whole numbers")
        targets.append(Target(f"{BALANCE}{program.pk}", f"{program.name} ({unit})", balances))
    consents = str(gettext_lazy("Consents"))
    targets += [Target(CONSENT + purpose, _label(purpose.label), consents)
                for purpose in IMPORTED_CONSENTS]
    return targets


def _plain(text: str) -> str:
    """A column name as compared: lower case, no accents, umlauts spelled out, letters and digits only."""
    text = unicodedata.normalize("NFC", str(text)).casefold()
    text = text.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return "".join(char for char in text if char.isalnum())


# Column names as German and English files have them (compared after _plain).
_HEADER_NAMES = {
    "first_name": {"vorname", "vornamen", "rufname", "firstname", "givenname", "first"},
    "last_name": {"nachname", "name", "familienname", "zuname", "lastname", "surname", "familyname", "last"},
    "email": {"email", "emailadresse", "mail", "mailadresse", "emailaddress"},
    "phone": {"telefon", "telefonnummer", "tel", "telnr", "handy", "handynummer", "mobil", "mobilnummer",
              "mobiltelefon", "phone", "phonenumber", "telephone", "mobile"},
    "gender": {"geschlecht", "anrede", "gender", "sex", "salutation"},
    "birth_date": {"geburtstag", "geburtsdatum", "gebdatum", "geboren", "geburt", "birthday", "birthdate",
                   "dateofbirth", "dob"},
    "postcode": {"plz", "postleitzahl", "postcode", "zip", "zipcode", "postalcode"},
    "language": {"sprache", "language"},
    CARD: {"kartennummer", "karte", "kartennr", "kundenkarte", "kundenkartennummer", "kundenkartennr",
           "cardnumber", "card", "cardno"},
    CONSENT + "newsletter": {"newsletter", "einwilligungnewsletter", "newslettereinwilligung", "emailwerbung"},
    CONSENT + "sms": {"sms", "einwilligungsms", "smswerbung"},
    CONSENT + "analysis": {"analyse", "einwilligunganalyse", "auswertung", "analysis"},
}
# A balance column names its program, or only its kind where the merchant has one program of it.
_KIND_NAMES = {
    "points": {"punkte", "punktestand", "bonuspunkte", "points"},
    "prepaid": {"guthaben", "prepaid", "prepaidguthaben", "balance", "credit"},
    "stamps": {"stempel", "stamps"},
    "voucher": {"gutschein", "gutscheinwert", "gutscheinguthaben", "voucher", "giftcard"},
}


def _names_by_target() -> dict[str, set[str]]:
    names = {key: set(values) for key, values in _HEADER_NAMES.items()}
    for custom in custom_fields_active():
        names[CUSTOM + custom.key] = {_plain(custom.label), _plain(custom.key)}
    programs = catalog(fresh=True).active_programs()
    for program in programs:
        names[f"{BALANCE}{program.pk}"] = {_plain(program.name)}
        if sum(other.kind == program.kind for other in programs) == 1:
            names[f"{BALANCE}{program.pk}"] |= _KIND_NAMES.get(program.kind, set())
    return names


def mapping_suggested(job: CardholderImport) -> dict[str, str]:
    """The mapping of the last import of a file with the same column names, else a guess from the
    column names; both only with targets that exist now."""
    available = {target.key for target in import_targets()}
    earlier = (CardholderImport.objects.filter(headers=job.headers).exclude(mapping={})
               .exclude(pk=job.pk).order_by("-pk").values_list("mapping", flat=True).first())
    if earlier:
        return {column: target for column, target in earlier.items()
                if target in available and column.isdigit() and int(column) < len(job.headers)}
    names = _names_by_target()
    mapping, taken = {}, set()
    for column, header in enumerate(job.headers):
        plain = _plain(header)
        for target, known in names.items():
            if plain in known and target not in taken and target in available:
                mapping[str(column)] = target
                taken.add(target)
                break
    return mapping


def mapping_clean(raw: dict[int, str], *, headers: list[str]) -> dict[str, str]:
    """The mapping to keep ({column: target}, ignored columns left out). ValidationError with the
    problems: per column (a target chosen twice) under the column's index, the rest under None."""
    available = {target.key: target for target in import_targets()}
    errors: dict = {}
    mapping, used = {}, {}
    for column in sorted(raw):
        target = raw[column]
        if not target:
            continue
        if column >= len(headers) or target not in available:
            errors.setdefault(column, []).append(_("Please choose one of the list."))
            continue
        if target in used:
            errors.setdefault(column, []).append(
                _("“%(target)s” is already chosen for the column “%(column)s”.")
                % {"target": available[target].label, "column": headers[used[target]] or used[target] + 1})
            continue
        used[target] = column
        mapping[str(column)] = target
    targets = set(mapping.values())
    if not targets & {"email", CARD}:
        errors.setdefault(None, []).append(
            _("Please choose the column with the card numbers or the one with the e-mail addresses: by "
              "them a person imported once is recognised when a file is imported again."))
    if any(target.startswith(BALANCE) for target in targets) and CARD not in targets:
        errors.setdefault(None, []).append(
            _("Opening balances are booked onto cards: please choose the column with the card numbers too."))
    if errors:
        raise ValidationError(errors)
    return mapping


@transaction.atomic
def cardholder_import_map(*, job: CardholderImport, mapping: dict[str, str], actor: Actor) -> CardholderImport:
    """Keep the columns' mapping (checked by mapping_clean); only before the import started."""
    changed = CardholderImport.objects.filter(pk=job.pk, status=JobStatus.UPLOADED).update(mapping=mapping)
    if not changed:
        raise ValidationError(_("This import has already started: its columns can no longer be changed."),
                              code="started")
    job.mapping = mapping
    audit_record(actor=actor, action="cardholder_import.map", target=job, mapping=mapping)
    return job


# --- Checking rows -------------------------------------------------------------------------------


class RowInvalid(Exception):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__(" ".join(reasons))


@dataclass
class RowPlan:
    """What one row will become: the person's fields for cardholder_create, the card to give them,
    opening balances per program, consents given or withdrawn."""

    number: int
    person: dict = field(default_factory=dict)
    card_number: str = ""
    balances: dict[int, int] = field(default_factory=dict)
    consents: dict[str, bool] = field(default_factory=dict)

    @property
    def email_key(self) -> str:
        return normalise_email(self.person.get("email", ""))

    @cached_property
    def email_index(self) -> str:
        """The e-mail address's blind index, as cardholders are found by it."""
        return _email_index(self.email_key) if self.email_key else ""


_GENDERS = {
    Cardholder.Gender.FEMALE: {"f", "w", "weiblich", "female", "frau", "fr", "woman"},
    Cardholder.Gender.MALE: {"m", "maennlich", "male", "herr", "hr", "mann", "man"},
    Cardholder.Gender.DIVERSE: {"d", "divers", "diverse", "x"},
    Cardholder.Gender.UNKNOWN: {"keineangabe", "unbekannt", "notstated", "unknown"},
}


def _in_every_language(text) -> set[str]:
    names = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.add(_plain(str(text)))
    return names


def _gender_names() -> dict[str, str]:
    """What a gender column may say (as _plain has it) → the gender's code."""
    names = {}
    for code, words in _GENDERS.items():
        for word in words | _in_every_language(Cardholder.Gender(code).label):
            names.setdefault(word, code)
    return names


def _language_names() -> dict[str, str]:
    names = {}
    for code, name in settings.LANGUAGES:
        for word in {_plain(code)} | _in_every_language(name):
            names.setdefault(word, code)
    return names


def card_number_of(value) -> str:
    """The card number a cell holds, as printed: a number Excel kept as a number has lost its
    leading zeros (they do not change the check digit), spaces between groups are left out."""
    text = card_number_clean(cell_text(value)).replace(" ", "")
    if text.isascii() and text.isdigit() and len(text) < CARD_NUMBER_LENGTH:
        text = text.zfill(CARD_NUMBER_LENGTH)
    return text


def _amount(program, value) -> int | None:
    """An opening balance: euros ("12,50", "12.50", "12,50 €") for a program counting money, whole
    points or stamps otherwise; checked by the ledger's rule of an amount. Empty or 0: none."""
    behaviour = program.behaviour
    text = cell_text(value)
    if isinstance(value, bool):
        raise RowInvalid([_("“%(value)s” is not an amount.") % {"value": text}])
    try:
        if isinstance(value, int | float):
            number = Decimal(repr(value))
        else:
            number = number_parse(text.removesuffix("€").removesuffix("EUR").strip())
    except (ValueError, InvalidOperation):
        number = None
    if behaviour.counts_money:
        amount = number * 100 if number is not None else None
        invalid = _("“%(value)s” is not an amount in euros, such as 12,50.")
    else:
        amount = number
        invalid = _("“%(value)s” is not a whole number.")
    if amount is None or amount != amount.to_integral_value():
        raise RowInvalid([f"{program.name}: {invalid % {'value': text}}"])
    if amount == 0:
        return None
    try:
        return amount_check(int(amount), text=behaviour.amount_text)
    except LoyaltyError as error:
        raise RowInvalid([f"{program.name}: {error}"]) from None


class RowChecker:
    """Checks rows of one import by its mapping; rows are plans or RowInvalid with the reasons."""

    def __init__(self, mapping: dict[str, str]):
        self.targets = {target.key: target for target in import_targets()}
        # A column whose target went away since (a program paused, a field switched off) is left out.
        self.columns = sorted((int(column), target) for column, target in mapping.items() if target in self.targets)
        self.fields = [custom for custom in custom_fields_active() if CUSTOM + custom.key in mapping.values()]
        self.programs = catalog(fresh=True).programs
        self.country = merchant_current().country
        self.genders, self.languages = _gender_names(), _language_names()
        self._yes_no_fields: dict[tuple[str, str], CustomField] = {}

    def check(self, number: int, cells: list) -> RowPlan:
        plan = RowPlan(number=number)
        reasons, custom_raw = [], {}
        for column, target in self.columns:
            value = cells[column]
            try:
                if target.startswith(CUSTOM):
                    custom_raw[target[len(CUSTOM):]] = value
                elif value != "":
                    self._take(plan, target, value)
            except RowInvalid as invalid:
                reasons += invalid.reasons
        if self.fields:
            reasons += self._custom_take(plan, custom_raw)
        if not reasons:
            reasons += self._model_check(plan)
        if not reasons and not (plan.card_number or plan.email_key):
            # Without either, the row would not be recognised when the file is imported again.
            reasons.append(_("The row has neither a card number nor an e-mail address."))
        if plan.balances and not plan.card_number and not reasons:
            reasons.append(_("An opening balance needs the card number it is booked onto."))
        if reasons:
            raise RowInvalid(reasons)
        return plan

    def _take(self, plan: RowPlan, target: str, value) -> None:
        text = cell_text(value)
        if target == CARD:
            number = card_number_of(value)
            if not card_number_is_valid(number):
                raise RowInvalid([_("“%(value)s” is not a valid card number.") % {"value": text}])
            plan.card_number = number
        elif target == "birth_date":
            try:
                day = date_parse(value)
            except ValueError:
                raise RowInvalid([_("“%(value)s” is not a date.") % {"value": text}]) from None
            plan.person[target] = day
        elif target == "email":
            try:
                validate_email(text)
            except ValidationError:
                raise RowInvalid([_("“%(value)s” is not an e-mail address.") % {"value": text}]) from None
            plan.person[target] = text
        elif target == "phone":
            if not normalise_phone(text, country=self.country):
                raise RowInvalid([_("“%(value)s” is not a phone number.") % {"value": text}])
            plan.person[target] = text
        elif target == "gender":
            if _plain(text) not in self.genders:
                raise RowInvalid([_("“%(value)s” is not a gender: please write f, m or d.") % {"value": text}])
            plan.person[target] = self.genders[_plain(text)]
        elif target == "language":
            if _plain(text) not in self.languages:
                raise RowInvalid([_("“%(value)s” is not a language of the customer portal (%(codes)s).")
                                  % {"value": text, "codes": ", ".join(dict(settings.LANGUAGES))}])
            plan.person[target] = self.languages[_plain(text)]
        elif target == "postcode":
            # A German postcode that Excel kept as a number has lost its leading zero (01067 → 1067).
            if isinstance(value, int | float) and len(text) == 4 and self.country == "DE":
                text = text.zfill(5)
            plan.person[target] = text
        elif target in PERSON:
            plan.person[target] = text
        elif target.startswith(BALANCE):
            program = self.programs[int(target[len(BALANCE):])]
            amount = _amount(program, value)
            if amount is not None:
                plan.balances[program.pk] = amount
        elif target.startswith(CONSENT):
            purpose = target[len(CONSENT):]
            # Yes or no as a checkbox field reads it ("ja", "x", "1", "nein", …).
            try:
                granted = self._yes_no(purpose).value_clean(value)
            except ValidationError as error:
                raise RowInvalid(error.messages) from None
            plan.consents[purpose] = granted

    def _yes_no(self, purpose: str) -> CustomField:
        """A checkbox field named as the consent, for its rule of yes and no (in the active language)."""
        key = (purpose, translation.get_language())
        if key not in self._yes_no_fields:
            self._yes_no_fields[key] = CustomField(kind=CustomField.Kind.CHECKBOX,
                                                   label=_label(Consent.Purpose(purpose).label))
        return self._yes_no_fields[key]

    def _custom_take(self, plan: RowPlan, raw: dict) -> list[str]:
        """The own fields' values, each by its field's rule (custom_data_clean)."""
        try:
            clean = custom_data_clean(raw, fields=self.fields, only_given=True)
        except ValidationError as error:
            return [message for messages in error.message_dict.values() for message in messages]
        if clean:
            plan.person["custom_data"] = clean
        return []

    def shown(self, plan: RowPlan) -> dict[str, str]:
        """The row as the preview shows it, by target, in the active language's formats."""
        person, shown = plan.person, {}
        for _column, target in self.columns:
            if target == CARD and plan.card_number:
                shown[target] = plan.card_number
            elif target == "birth_date" and person.get(target):
                shown[target] = formats.date_format(person[target], "SHORT_DATE_FORMAT")
            elif target == "gender" and target in person:
                shown[target] = str(Cardholder.Gender(person[target]).label)
            elif target == "language" and target in person:
                shown[target] = str(dict(settings.LANGUAGES)[person[target]])
            elif target in PERSON and person.get(target):
                shown[target] = person[target]
            elif target.startswith(BALANCE) and (program_id := int(target[len(BALANCE):])) in plan.balances:
                shown[target] = self.programs[program_id].behaviour.amount_text(plan.balances[program_id])
            elif target.startswith(CONSENT) and (purpose := target[len(CONSENT):]) in plan.consents:
                shown[target] = _("yes") if plan.consents[purpose] else _("no")
            elif target.startswith(CUSTOM) and (key := target[len(CUSTOM):]) in person.get("custom_data", {}):
                custom = next(custom for custom in self.fields if custom.key == key)
                shown[target] = custom.value_text(person["custom_data"][key])
        return shown

    def _model_check(self, plan: RowPlan) -> list[str]:
        """The Cardholder model's own rules for the row's fields (what cardholder_create checks)."""
        try:
            Cardholder(**plan.person).full_clean(exclude=INDEXES + [name for name in PERSONAL_FIELDS if name not in plan.person])
        except ValidationError as error:
            return [f"{_label(_person_label(name))}: {message}" if name in PERSON else message
                    for name, messages in error.message_dict.items() for message in messages]
        return []


# --- What the database holds already --------------------------------------------------------------


NEW, EXISTING, ERROR = "new", "existing", "error"


@dataclass
class RowOutcome:
    number: int
    kind: str  # NEW, EXISTING or ERROR
    plan: RowPlan | None = None
    reasons: list[str] = field(default_factory=list)
    cells: list = field(default_factory=list)  # the row as the file has it


@dataclass
class _Known:
    """What the rows' checks need to know of the database, read in few queries."""

    cards: dict[str, tuple[str, int | None]]  # number → (status, cardholder id)
    emails: dict[str, int]  # blind index → cardholder id


def _email_index(email_key: str) -> str:
    return blind_index(email_key, schema_name=connection.schema_name, field="email")


@dataclass
class FirstRows:
    """The row each card number and e-mail address of a file comes in first: a later row with the
    same one is an error, whatever else it holds."""

    card_column: int | None
    email_column: int | None
    cards: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)

    def keys(self, cells: list) -> tuple[str, str]:
        card = card_number_of(cells[self.card_column]) if self.card_column is not None else ""
        email = normalise_email(cell_text(cells[self.email_column])) if self.email_column is not None else ""
        return card, email

    def reasons(self, number: int, cells: list) -> list[str]:
        card, email = self.keys(cells)
        reasons = []
        if card and self.cards.get(card, number) < number:
            reasons.append(_("The card number %(number)s comes already in row %(row)s.")
                           % {"number": card, "row": self.cards[card]})
        if email and self.emails.get(email, number) < number:
            reasons.append(_("The e-mail address %(email)s comes already in row %(row)s.")
                           % {"email": cell_text(cells[self.email_column]), "row": self.emails[email]})
        return reasons


def _first_rows(parsed: ImportFile, mapping: dict[str, str]) -> FirstRows:
    first = FirstRows(card_column=next((int(c) for c, target in mapping.items() if target == CARD), None),
                      email_column=next((int(c) for c, target in mapping.items() if target == "email"), None))
    for number, cells in parsed.rows:
        card, email = first.keys(cells)
        if card:
            first.cards.setdefault(card, number)
        if email:
            first.emails.setdefault(email, number)
    return first


def _known(plans: list[RowPlan]) -> _Known:
    numbers = sorted({plan.card_number for plan in plans if plan.card_number})
    indexes = sorted({plan.email_index for plan in plans if plan.email_index})
    cards, emails = {}, {}
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        cards.update((number, (status, holder)) for number, status, holder in Card.objects.filter(
            number__in=numbers[start:start + _LOOKUP_CHUNK]).values_list("number", "status", "cardholder_id"))
    for start in range(0, len(indexes), _LOOKUP_CHUNK):
        emails.update(Cardholder.objects.filter(email_index__in=indexes[start:start + _LOOKUP_CHUNK],
                                                anonymised_at__isnull=True).values_list("email_index", "pk"))
    return _Known(cards=cards, emails=emails)


def _resolve(plan: RowPlan, known: _Known) -> RowOutcome:
    """New, already there (matched by card number or e-mail address), or why it cannot be imported."""
    number = plan.card_number
    holder_by_email = known.emails.get(plan.email_index) if plan.email_index else None
    if number:
        if number not in known.cards:
            return RowOutcome(plan.number, ERROR, reasons=[
                _("There is no card with the number %(number)s.") % {"number": number}])
        status, holder = known.cards[number]
        if holder is not None:
            return RowOutcome(plan.number, EXISTING, plan)
        if status != Card.Status.UNISSUED:
            return RowOutcome(plan.number, ERROR, reasons=[
                _("The card %(number)s cannot be given to a person: it is %(status)s.")
                % {"number": number, "status": Card.Status(status).label}])
        if holder_by_email is not None:
            return RowOutcome(plan.number, ERROR, reasons=[
                _("A cardholder with the e-mail address %(email)s exists already, with another card.")
                % {"email": plan.person["email"]}])
        return RowOutcome(plan.number, NEW, plan)
    if holder_by_email is not None:
        return RowOutcome(plan.number, EXISTING, plan)
    return RowOutcome(plan.number, NEW, plan)


def _outcomes(checker: RowChecker, rows: list[tuple[int, list]], first_rows: FirstRows) -> list[RowOutcome]:
    """Each row checked by its values, then against the rows before it and what the database holds."""
    checked = []
    for number, cells in rows:
        duplicates = first_rows.reasons(number, cells)
        try:
            plan = checker.check(number, cells)
        except RowInvalid as invalid:
            checked.append(RowOutcome(number, ERROR, reasons=invalid.reasons + duplicates))
            continue
        checked.append(RowOutcome(number, ERROR, reasons=duplicates) if duplicates else plan)
    known = _known([plan for plan in checked if isinstance(plan, RowPlan)])
    outcomes = [_resolve(item, known) if isinstance(item, RowPlan) else item for item in checked]
    for outcome, (_number, cells) in zip(outcomes, rows, strict=True):
        outcome.cells = cells
    return outcomes


@dataclass
class Preview:
    columns: list[int]  # the mapped columns, in the file's order
    targets: list[Target]  # what each of them is imported into
    rows: list[RowOutcome]  # the first rows
    shown: list[dict[str, str]]  # how each of them reads (empty for a row with an error)
    errors: list[RowOutcome]  # every row with an error (at most ERRORS_KEPT)
    new: int
    existing: int
    error_count: int
    # An earlier import of the very same file, if any: importing it again adds nobody it added.
    earlier: CardholderImport | None = None


def cardholder_import_preview(job: CardholderImport) -> Preview:
    """Every row checked as the import will check it, against what the database holds now."""
    parsed = import_file(job)
    checker = RowChecker(job.mapping)
    outcomes = _outcomes(checker, parsed.rows, _first_rows(parsed, job.mapping))
    errors = [outcome for outcome in outcomes if outcome.kind == ERROR]
    return Preview(
        columns=[column for column, _target in checker.columns],
        targets=[checker.targets[target] for _column, target in checker.columns],
        rows=outcomes[:PREVIEW_ROWS], errors=errors[:ERRORS_KEPT],
        shown=[checker.shown(outcome.plan) if outcome.plan else {} for outcome in outcomes[:PREVIEW_ROWS]],
        new=sum(outcome.kind == NEW for outcome in outcomes),
        existing=sum(outcome.kind == EXISTING for outcome in outcomes), error_count=len(errors),
        earlier=CardholderImport.objects.filter(content_sha256=job.content_sha256, status=JobStatus.DONE)
        .exclude(pk=job.pk).order_by("-pk").first())


# --- Importing -----------------------------------------------------------------------------------


@transaction.atomic
def cardholder_import_start(*, job: CardholderImport, actor: Actor) -> bool:
    """Queue the import (once: a second click changes nothing); the task starts after the commit,
    in this merchant's schema."""
    from loyalty.tasks import cardholder_import_run

    if not CardholderImport.objects.filter(pk=job.pk, status=JobStatus.UPLOADED).exclude(mapping={}).update(
            status=JobStatus.QUEUED):
        return False
    audit_record(actor=actor, action="cardholder_import.start", target=job, file=job.file_name,
                 rows=job.rows_total, mapping=job.mapping)
    transaction.on_commit(lambda: cardholder_import_run.delay(job.pk))
    return True


def _reasons_everywhere(compute) -> dict[str, str]:
    """A row's reasons in every language of the back office, for whoever reads the result."""
    reasons = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            reasons[language] = " ".join(compute())
    return reasons


def _cards_give(cards: list[Card]) -> None:
    """Write the new holders of these locked cards (active now) in one statement; Django's
    bulk_update builds a CASE per card, which costs a millisecond a card."""
    if not cards:
        return
    values = ", ".join(["(%s, %s)"] * len(cards))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Card._meta.db_table} AS card SET cardholder_id = given.holder, status = %s "
            f"FROM (VALUES {values}) AS given (id, holder) WHERE card.id = given.id",
            [Card.Status.ACTIVE, *(value for card in cards for value in (card.pk, card.cardholder_id))])


def _rows_write(plans: list[RowPlan], *, job: CardholderImport, actor: Actor) -> None:
    """New cardholders with their cards, opening balances and consents: the people, the cards and
    the consents each written in one statement, the balances booked one by one by the ledger."""
    cardholders = cardholders_create(people=[plan.person for plan in plans], actor=actor)
    numbers = [plan.card_number for plan in plans if plan.card_number]
    cards = {card.number: card for card in Card.objects.select_for_update().filter(number__in=numbers).order_by("pk")}
    given = []
    for plan, cardholder in zip(plans, cardholders, strict=True):
        if not plan.card_number:
            continue
        card = cards.get(plan.card_number)
        if card is None or card.status != Card.Status.UNISSUED or card.cardholder_id is not None:
            raise LoyaltyError(gettext_lazy("The card %(number)s was given out meanwhile."), number=plan.card_number)
        card.cardholder, card.status = cardholder, Card.Status.ACTIVE
        given.append(card)
    _cards_give(given)
    audit_records(actor=actor, action="card.register",
                  entries=[(card, {"via": "import", "cardholder_import": job.pk}) for card in given])
    for plan in plans:
        for program_id, amount in plan.balances.items():
            booking_opening_balance(
                card_number=plan.card_number, program=program_id, amount=amount,
                reason=f"Import: {job.file_name}"[:300], actor=actor,
                idempotency_key=SystemKey(f"import:{job.content_sha256[:32]}:{plan.card_number}:{program_id}"))
    consents_record(consents=[(cardholder, purpose, granted)
                              for plan, cardholder in zip(plans, cardholders, strict=True)
                              for purpose, granted in plan.consents.items()],
                    source=Consent.Source.IMPORT, actor=actor)


def _error_messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(message) for message in error.messages]
    return [str(error)]


def _batch_import(job: CardholderImport, checker: RowChecker, rows, first_rows, actor: Actor,
                  room: int) -> dict:
    """Import these rows; the errors come back with their reasons (for the first `room` of them).
    The new rows are written together; should the ledger refuse one of them (the contract ended
    meanwhile, a card was given out at the till), they are written again one by one, each in a
    savepoint of its own, so that a refusal undoes its whole row and no other."""
    outcomes = _outcomes(checker, rows, first_rows)
    new = [outcome for outcome in outcomes if outcome.kind == NEW]
    failed: dict[int, Exception] = {}
    try:
        with transaction.atomic():
            _rows_write([outcome.plan for outcome in new], job=job, actor=actor)
    except (ValidationError, LoyaltyError):
        for outcome in new:
            try:
                with transaction.atomic():
                    _rows_write([outcome.plan], job=job, actor=actor)
            except (ValidationError, LoyaltyError) as error:
                failed[outcome.number] = error
    errors = []
    for outcome, (number, cells) in zip(outcomes, rows, strict=True):
        if outcome.kind == ERROR or number in failed:
            if len(errors) == room:
                break
            if number in failed:
                def reasons(error=failed[number]):
                    return _error_messages(error)
            else:
                def reasons(cells=cells, number=number):
                    return _outcomes(checker, [(number, cells)], first_rows)[0].reasons
            errors.append({"row": number, "reason": _reasons_everywhere(reasons)})
    return {"created": len(new) - len(failed), "skipped": sum(outcome.kind == EXISTING for outcome in outcomes),
            "errors": errors}


def cardholder_import_run(*, import_id: int) -> CardholderImport | None:
    """Work through a queued import in batches, each in a transaction with the progress it makes:
    after a lost worker, the task (delivered again) goes on after the last batch that committed.
    Two runs at once take turns batch by batch on the import's row lock."""
    claimed = CardholderImport.objects.filter(
        pk=import_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.RUNNING, started_at=Coalesce(F("started_at"), Value(timezone.now())))
    if not claimed:
        return None
    job = CardholderImport.objects.select_related("created_by").get(pk=import_id)
    actor = Actor(user=job.created_by)
    try:
        parsed = import_file(job)
        checker = RowChecker(job.mapping)
        first_rows = _first_rows(parsed, job.mapping)
        while True:
            with transaction.atomic():
                job = CardholderImport.objects.select_for_update().get(pk=import_id)
                if job.status != JobStatus.RUNNING:
                    return job
                batch = parsed.rows[job.rows_done:job.rows_done + BATCH_SIZE]
                if not batch:
                    return _finish(job, actor)
                result = _batch_import(job, checker, batch, first_rows, actor,
                                       room=max(0, ERRORS_KEPT - len(job.errors)))
                CardholderImport.objects.filter(pk=job.pk).update(
                    rows_done=F("rows_done") + len(batch), created_count=F("created_count") + result["created"],
                    skipped_count=F("skipped_count") + result["skipped"],
                    errors=Func(F("errors"), Value(result["errors"], JSONField()), function="",
                                arg_joiner=" || "))
    except Exception:
        logger.exception("Cardholder import %s failed", import_id)
        CardholderImport.objects.filter(pk=import_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, finished_at=timezone.now())
        raise


def _finish(job: CardholderImport, actor: Actor) -> CardholderImport:
    """Done: the counts go to the audit log, and the file is no longer kept."""
    job.status, job.finished_at, job.content = JobStatus.DONE, timezone.now(), b""
    job.save(update_fields=["status", "finished_at", "content"])
    audit_record(actor=actor, action="cardholder_import.finish", target=job, file=job.file_name,
                 rows=job.rows_done, created=job.created_count, skipped=job.skipped_count,
                 errors=import_error_count(job))
    return job


# Personal data in a file that was uploaded but never imported is not kept longer than this.
UNSTARTED_KEPT = datetime.timedelta(days=7)


def cardholder_imports_forget(*, now: datetime.datetime, actor: Actor) -> int:
    """Nightly: the files of imports uploaded but never started for a week are deleted (the row
    stays, marked failed, so that the list says what happened)."""
    stale = list(CardholderImport.objects.filter(status=JobStatus.UPLOADED, created_at__lt=now - UNSTARTED_KEPT)
                 .only("pk", "file_name"))
    if stale:
        CardholderImport.objects.filter(pk__in=[job.pk for job in stale]).update(
            status=JobStatus.FAILED, finished_at=now, content=b"")
        audit_records(actor=actor, action="cardholder_import.forget",
                      entries=[(job, {"file": job.file_name}) for job in stale])
    return len(stale)


# --- The result ----------------------------------------------------------------------------------


def import_error_count(job: CardholderImport) -> int:
    """Rows not imported because of an error (also those beyond the listed ones)."""
    return max(0, job.rows_done - job.created_count - job.skipped_count)


def import_error_text(entry: dict) -> str:
    """A listed error's reason in the active language."""
    reason = entry.get("reason", "")
    if isinstance(reason, dict):
        return reason.get(translation.get_language() or "", "") or next(iter(reason.values()), "")
    return str(reason)


def import_progress(job: CardholderImport) -> dict:
    """The import's state for the progress bar."""
    total = job.rows_total or 0
    return {
        "status": job.status, "status_text": job.get_status_display(), "rows_done": job.rows_done,
        "rows_total": total, "percent": int(100 * job.rows_done / total) if total else 100,
        "finished": job.status in (JobStatus.DONE, JobStatus.FAILED),
    }
