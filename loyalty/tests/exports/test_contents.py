"""What the export's files hold and how they read: headers in the requesting person's language,
euros beside cents in that language's format, local times with their offset, formulas neutralised
while phone numbers stay readable, no secrets, and every field of every table either exported or
left out on purpose. Built by the task's own function (the task's path: test_task.py)."""
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

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
    LedgerEntry,
    Lot,
    Program,
    Reward,
    ShopSettings,
    Terminal,
)
from loyalty.services import exports
from loyalty.services.exports import (
    TABLES,
    WORD_JOINER,
    data_export_build,
    data_export_request,
    spreadsheet_safe,
)
from loyalty.tests.exports.support import ATTACK, PHONE, Export, shop_with_everything

pytestmark = pytest.mark.django_db

ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


@pytest.fixture
def shop(alice):
    return shop_with_everything("alice", "Alice")


@pytest.fixture
def built(shop):
    """`built(language)`: alice's export as the owner asked for it in that language, opened."""

    def build(language):
        with schema_context("alice"):
            DataExport.objects.update(status="done")  # an earlier one would be returned instead
            export, created = data_export_request(actor=Actor(user=shop["owner"]), language=language)
            assert created and data_export_build(export_id=export.pk)
            export.refresh_from_db()
        return Export((Path(settings.EXPORT_ROOT) / export.file_path).read_bytes())

    return build


def test_headers_and_amounts_are_in_the_language_of_the_person_who_asked(built):
    german, english = built("de"), built("en")

    assert german.csv_rows("cardholders")[0][:5] == ["ID", "Vorname", "Nachname", "Geschlecht", "Geburtsdatum"]
    assert english.csv_rows("cardholders")[0][:5] == ["ID", "First name", "Last name", "Gender", "Birth date"]
    assert english.csv_rows("ledger_entries")[0][6:8] == ["Amount", "Amount (€)"]
    assert german.csv_rows("ledger_entries")[0][6:8] == ["Betrag", "Betrag (€)"]
    payment = {"de": next(row for row in german.csv_dicts("bookings") if row["Idempotenz-Schlüssel"] == "pay"),
               "en": next(row for row in english.csv_dicts("bookings") if row["Idempotency key"] == "pay")}
    assert payment["de"]["Art"] == "Zahlung" and payment["en"]["Kind"] == "payment"
    assert german.manifest["language"] == "de" and english.manifest["language"] == "en"


def test_amounts_of_money_are_euros_beside_the_cents_in_the_users_format(shop, built):
    german, english = built("de"), built("en")
    with schema_context("alice"):
        entries = {entry.pk: entry for entry in LedgerEntry.objects.select_related("account__program")}

    checked = 0
    for zip_file, cents_header, euros_header, mark in ((german, "Betrag", "Betrag (€)", ","),
                                                      (english, "Amount", "Amount (€)", ".")):
        header, *rows = zip_file.sheet_rows("ledger_entries")
        for line, cells in zip(zip_file.csv_dicts("ledger_entries"), rows, strict=True):
            entry = entries[int(line["ID"])]
            sheet = dict(zip(header, cells, strict=True))
            assert int(line[cents_header]) == sheet[cents_header] == entry.amount
            if entry.account.program.kind in ("prepaid", "voucher"):
                whole, fraction = divmod(abs(entry.amount), 100)
                assert line[euros_header] == f"{'-' if entry.amount < 0 else ''}{whole}{mark}{fraction:02d}"
                assert Decimal(line[euros_header].replace(mark, ".")) == Decimal(entry.amount) / 100
                assert Decimal(str(sheet[euros_header])) == Decimal(entry.amount) / 100
                checked += 1
            else:  # points and stamps are no money
                assert line[euros_header] == "" and sheet[euros_header] is None
    assert checked == 2 * 4  # top-up, payment, adjustment, voucher in each language
    purchase = next(row for row in german.csv_dicts("bookings") if row["Idempotenz-Schlüssel"] == "pay")
    assert purchase["Einkaufsbetrag (Cent)"] == "1250" and purchase["Einkaufsbetrag (€)"] == "12,50"
    programs = {row["Name"]: row for row in english.csv_dicts("programs")}
    assert programs["Alice Guthaben"]["Maximum balance (€)"] == "500.00"
    assert programs["Alice Gutschein"]["Voucher values offered (€)"] == "10.00 | 25.00"
    assert programs["Alice Bonuspunkte"]["Points per euro"] == "1.5"
    german_programs = {row["Name"]: row for row in german.csv_dicts("programs")}
    assert german_programs["Alice Bonuspunkte"]["Punkte je Euro"] == "1,5"


def test_times_are_local_with_their_offset_and_dates_iso(shop, built):
    with schema_context("alice"):
        summer, winter = Lot.objects.order_by("pk")[:2]
        Lot.objects.filter(pk=summer.pk).update(created_at=datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC))
        Lot.objects.filter(pk=winter.pk).update(created_at=datetime.datetime(2026, 12, 1, 15, 5, tzinfo=datetime.UTC))
        times = {booking.pk: booking.created_at for booking in Booking.objects.all()}

    zip_file = built("en")

    lots = {int(row["ID"]): row for row in zip_file.csv_dicts("lots")}
    assert lots[summer.pk]["Created at"] == "2026-07-01T14:00:00+02:00"
    assert lots[winter.pk]["Created at"] == "2026-12-01T16:05:00+01:00"
    header, *rows = zip_file.sheet_rows("lots")
    sheet = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert sheet[summer.pk]["Created at"] == datetime.datetime(2026, 7, 1, 14, 0)  # Excel has no time zones
    for row in zip_file.csv_dicts("bookings"):
        assert ISO_WITH_OFFSET.fullmatch(row["Time"])
        assert datetime.datetime.fromisoformat(row["Time"]) == times[int(row["ID"])].replace(microsecond=0)
    cardholder = zip_file.csv_dicts("cardholders")[0]
    assert cardholder["Birth date"] == "1980-05-17" and cardholder["Kunde seit"] == "2019-03-01"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", lots[summer.pk]["Expires on"])


def test_own_fields_have_a_column_each_with_typed_values(built):
    zip_file = built("de")

    anna = zip_file.csv_dicts("cardholders")[0]
    assert (anna["Lieblingsbrot"], anna["Kunde seit"], anna["Kinder"], anna["Post erwünscht"]) == (
        "Dinkel", "2019-03-01", "2", "ja")
    header, first, _second = zip_file.sheet_rows("cardholders")
    sheet = dict(zip(header, first, strict=True))
    assert sheet["Kinder"] == 2 and sheet["Post erwünscht"] is True
    assert sheet["Kunde seit"] == datetime.datetime(2019, 3, 1)


def test_a_formula_in_a_name_is_neutralised_and_a_phone_number_stays_readable(built):
    zip_file = built("en")

    by_last_name = {row["Last name"]: row for row in zip_file.csv_dicts("cardholders")}
    assert by_last_name["Alice-Angreifer"]["First name"] == "'" + ATTACK
    phone = by_last_name["Müller"]["Phone"]
    assert phone == WORD_JOINER + PHONE and phone.strip() == phone and not phone.startswith("'")
    settings_row = zip_file.csv_dicts("settings")[0]
    assert settings_row["Phone"] == WORD_JOINER + "+49 30 1234567"
    cells = {row[2].value: row for row in zip_file.sheet_cells("cardholders")}
    attack = cells["Alice-Angreifer"][1]
    assert attack.value == ATTACK and attack.data_type == "s" and attack.quotePrefix
    phone_cell = cells["Müller"][7]
    assert phone_cell.value == PHONE and phone_cell.data_type == "s" and phone_cell.quotePrefix
    sheets = [name for name in zip_file.every_text().split("\n") if "HYPERLINK" in name]
    assert sheets and all("<f>" not in text for text in sheets)  # nowhere a formula


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("+49 171 1234567", WORD_JOINER + "+49 171 1234567"), ("+49 (0)30/123-45.67", WORD_JOINER + "+49 (0)30/123-45.67"),
    ("+49 171 1234567+A1", "'+49 171 1234567+A1"), ("+4917112345678*2", "'+4917112345678*2"), ("+", "'+"),
    ("Anna", "Anna"), (None, ""), (12, 12),
])
def test_spreadsheet_safe_quotes_formulas_and_only_true_phone_numbers_escape_the_quote(value, safe):
    assert spreadsheet_safe(value) == safe


def test_no_secret_is_in_the_export(shop, built):
    everything = built("en").every_text()

    assert [secret for secret in shop["secrets"] if secret in everything] == []
    assert "token_hash" not in everything and "key_hash" not in everything and "pos_pin" not in everything
    staff = {row["E-mail address"]: row for row in built("en").csv_dicts("staff")}
    assert staff["manager@alice.example"]["Two-factor sign-in set up"] == "yes"
    assert staff["owner@alice.example"]["Two-factor sign-in set up"] == "no"
    assert staff["kasse@alice.example"]["Role"] == "Cashier"
    assert staff["aushilfe@alice.example"]["Role"] == "Alice Aushilfe"


def test_the_logo_is_a_file_of_its_own_and_the_settings_name_it(shop, built):
    zip_file = built("en")

    with schema_context("alice"):
        assert zip_file.raw("logo.png") == bytes(ShopSettings.objects.get().logo_png)
    assert zip_file.csv_dicts("settings")[0]["Logo"] == "logo.png"


def test_roles_say_what_they_may_do_in_words_and_permissions(built):
    groups = {row["Name"]: row for row in built("en").csv_dicts("groups")}

    assert groups["Alice Aushilfe"]["What the role may do"] == "Use the back office | See the journal of all bookings"
    assert groups["Alice Aushilfe"]["Permissions"] == "loyalty.use_back_office | loyalty.view_booking"


def test_an_open_claim_and_its_account_are_exported(shop, built):
    claims = built("en").csv_dicts("open_claims")

    with schema_context("alice"):
        account = Account.objects.get(claim__gt=0)
    assert [(row["Account (ID)"], row["Card number"], row["Open claim"]) for row in claims] == [
        (str(account.pk), shop["card"].number, str(account.claim))]


def test_a_table_longer_than_a_sheet_goes_on_in_a_second_sheet(built, monkeypatch):
    monkeypatch.setattr(exports, "SHEET_MAX_ROWS", 4)

    zip_file = built("en")

    assert zip_file.manifest["sheets"]["ledger_entries"] == ["ledger_entries", "ledger_entries_2",
                                                             "ledger_entries_3"]
    assert zip_file.workbook["ledger_entries_2"]["A1"].value == "ID"
    assert len(zip_file.sheet_rows("ledger_entries")) - 1 == zip_file.manifest["tables"]["ledger_entries"] == 10


# Fields of the exported models that the export leaves out, and why. A field added to one of these
# models fails the test below until it is exported or named here.
NOT_EXPORTED = {
    # Keyed hashes for finding people without decrypting; the values themselves are exported.
    Cardholder: {"email_index", "phone_index", "birthday_index", "name_index", "field_index",
                 # The portal's password hash and session counter; a new address not confirmed yet.
                 "password", "portal_generation", "email_new",
                 # Coarse bands for the statistics, derived from the birth date and postcode exported.
                 "age_band", "postcode_area"},
    # Printed on the card: whoever holds it may register the card online.
    Card: {"activation_code"},
    # Which client's key it is, and a hash of the request's parameters: the software's, not the shop's.
    Booking: {"idempotency_scope", "request_fingerprint"},
    Terminal: {"token_hash"},
    ApiKey: {"key_hash", "prefix"},
}
EXPORTED_MODELS = {Program, Reward, BonusAction, CustomField, Cardholder, Consent, ConsentWording, Card, Account, Lot, Booking,
                   LedgerEntry, ExpiryReminder, Terminal, ApiKey, ShopSettings, AuditLog}


def test_every_field_of_every_exported_table_is_exported_or_left_out_on_purpose(shop):
    read = {}
    with schema_context("alice"):
        for table_of in TABLES:
            table = table_of()
            model = table.queryset.model
            names = {field.attname: field.name for field in model._meta.concrete_fields}
            read.setdefault(model, set()).update(names.get(lookup.split("__")[0], lookup.split("__")[0])
                                                 for column in table.columns for lookup in column.lookups)

    assert set(read) >= EXPORTED_MODELS
    for model in EXPORTED_MODELS:
        fields = {field.name for field in model._meta.concrete_fields} - {"id"}
        missing = fields - read[model] - NOT_EXPORTED.get(model, set())
        assert missing == set(), f"{model.__name__}: decide whether the export holds {sorted(missing)}"


def test_an_anonymised_cardholder_is_exported_with_the_date_and_without_personal_data(shop, built):
    with schema_context("alice"):
        Cardholder.objects.filter(pk=shop["attacker"].cardholder_id).update(
            first_name="", last_name="", anonymised_at=timezone.now())

    rows = {int(row["ID"]): row for row in built("en").csv_dicts("cardholders")}

    gone = rows[shop["attacker"].cardholder_id]
    assert gone["First name"] == gone["Last name"] == "" and ISO_WITH_OFFSET.fullmatch(gone["Anonymised at"])


def test_a_build_that_fails_is_marked_failed_and_leaves_no_file(shop, settings, tmp_path):
    not_a_folder = tmp_path / "exports"
    not_a_folder.write_text("a file where the export folder should be")
    settings.EXPORT_ROOT = not_a_folder
    with schema_context("alice"):
        export, _ = data_export_request(actor=Actor(user=shop["owner"]), language="en")

        assert data_export_build(export_id=export.pk) is False
        export.refresh_from_db()
    assert export.status == "failed" and export.error.startswith(("FileExistsError", "NotADirectoryError"))
    assert export.file_path == "" and export.finished_at is not None
    assert not_a_folder.read_text() == "a file where the export folder should be"


def test_a_second_delivery_of_the_task_builds_nothing(shop):
    with schema_context("alice"):
        export, _ = data_export_request(actor=Actor(user=shop["owner"]), language="en")
        assert data_export_build(export_id=export.pk) is True
        export.refresh_from_db()

        assert data_export_build(export_id=export.pk) is False
        assert DataExport.objects.get(pk=export.pk).file_path == export.file_path
    assert len(list((Path(settings.EXPORT_ROOT) / "alice").iterdir())) == 1


def test_the_audit_log_table_holds_what_the_shop_did(built):
    rows = built("en").csv_dicts("audit_log")

    with schema_context("alice"):
        actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))
    assert [row["Action"] for row in rows] == actions
    assert "booking.reversal" in actions and "booking.adjustment" in actions and "export.request" in actions


def test_consents_keep_their_history(shop, built):
    rows = built("en").csv_dicts("consents")

    with schema_context("alice"):
        assert len(rows) == Consent.objects.count() == 3
    assert [(row["Purpose"], row["Granted"]) for row in rows][1:] == [
        ("newsletter by e-mail", "yes"), ("newsletter by e-mail", "no")]


def test_the_bookings_name_each_vouchers_purpose_for_vat(built):
    rows = built("en").csv_dicts("bookings")

    purposes = {row["Idempotency key"]: row["Kind of voucher for VAT"] for row in rows}
    assert purposes["voucher"] == "single-purpose voucher (Einzweckgutschein)"
    assert {purpose for key, purpose in purposes.items() if key != "voucher"} == {""}
