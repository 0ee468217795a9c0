"""The import's checks: which column is what (guessed from German and English names, remembered
from the last import of such a file), every value by its one rule, rows matched to the people
already there, and what a new row books: opening balances that expire like earned points, consents
from the import, all audited."""
import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from loyalty.actors import Actor
from loyalty.errors import AmountNotPositive, ReasonRequired
from loyalty.models import (
    Account,
    AuditLog,
    Booking,
    Card,
    Cardholder,
    CardholderImport,
    Consent,
    CustomField,
    LedgerEntry,
    Lot,
)
from loyalty.services import imports
from loyalty.services.bookings import booking_opening_balance
from loyalty.services.cardholders import card_register
from loyalty.services.cards import cards_create_range
from loyalty.services.ledger import SystemKey
from loyalty.tests.imports.conftest import csv_bytes, upload
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def _upload(rows, actor, name="kunden.csv"):
    return imports.cardholder_import_upload(upload=upload(name, csv_bytes(rows)), actor=actor)


def _import(job, actor):
    imports.cardholder_import_start(job=job, actor=actor)
    return imports.cardholder_import_run(import_id=job.pk)


def _reasons(job: CardholderImport, language="en") -> dict[int, str]:
    return {entry["row"]: entry["reason"][language] for entry in job.errors}


def test_columns_are_guessed_from_german_and_english_names(in_alice, actor):
    points = ProgramFactory(kind="points", name="Treuepunkte")
    prepaid = ProgramFactory(kind="prepaid", name="Kaffeekarte")
    CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot")
    german = ["Vorname", "Nachname", "E-Mail-Adresse", "Telefon", "Geschlecht", "Geburtsdatum", "PLZ",
              "Sprache", "Karten-Nr.", "Lieblingsbrot", "Punkte", "Kaffeekarte", "Newsletter", "Bemerkung"]
    english = ["First name", "Last name", "Email", "Phone", "Gender", "Date of birth", "Zip code",
               "Language", "Card number", "lieblingsbrot", "Points", "Prepaid", "SMS", "Notes"]

    guessed = [_upload([headers, ["x"] * len(headers)], actor).mapping for headers in (german, english)]

    common = {"0": "first_name", "1": "last_name", "2": "email", "3": "phone", "4": "gender",
              "5": "birth_date", "6": "postcode", "7": "language", "8": "card", "9": "custom:lieblingsbrot",
              "10": f"balance:{points.pk}", "11": f"balance:{prepaid.pk}"}
    assert guessed[0] == {**common, "12": "consent:newsletter"}
    assert guessed[1] == {**common, "12": "consent:sms"}


def test_the_mapping_is_remembered_for_the_next_file_with_the_same_columns(in_alice, actor):
    headers = ["Name", "Mail", "Kundennummer"]
    CustomField.objects.create(key="kdnr", label="Alte Kundennummer")
    first = _upload([headers, ["Anna", "a@example.com", "17"]], actor)
    assert first.mapping == {"0": "last_name", "1": "email"}
    chosen = {"0": "first_name", "1": "email", "2": "custom:kdnr"}
    imports.cardholder_import_map(job=first, mapping=chosen, actor=actor)

    second = _upload([headers, ["Ben", "b@example.com", "18"]], actor, name="noch-mehr.csv")
    other = _upload([["Name", "Mail"], ["Ben", "b@example.com"]], actor)

    assert second.mapping == chosen
    assert other.mapping == {"0": "last_name", "1": "email"}


def test_the_mapping_refuses_a_target_twice_balances_without_cards_and_rows_it_cannot_recognise(in_alice, actor):
    points = ProgramFactory(kind="points")
    headers = ["A", "B", "C"]

    with translation.override("en"), pytest.raises(ValidationError) as twice:
        imports.mapping_clean({0: "email", 1: "email", 2: ""}, headers=headers)
    with translation.override("en"), pytest.raises(ValidationError) as no_card:
        imports.mapping_clean({0: "email", 1: f"balance:{points.pk}", 2: ""}, headers=headers)
    with pytest.raises(ValidationError) as unrecognisable:
        imports.mapping_clean({0: "first_name", 1: "last_name", 2: "nonsense"}, headers=headers)

    assert twice.value.message_dict == {1: ["“E-mail address” is already chosen for the column “A”."]}
    assert no_card.value.message_dict[None] == [
        "Opening balances are booked onto cards: please choose the column with the card numbers too."]
    assert set(unrecognisable.value.message_dict) == {None, 2}
    assert imports.mapping_clean({0: "email", 1: f"balance:{points.pk}", 2: "card"}, headers=headers) == {
        "0": "email", "1": f"balance:{points.pk}", "2": "card"}


def test_every_value_is_checked_by_its_rule_and_explained_with_its_row_in_both_languages(in_alice, actor):
    points = ProgramFactory(kind="points", name="Punkte")
    prepaid = ProgramFactory(kind="prepaid", name="Guthaben")
    CustomField.objects.create(key="brot", label="Lieblingsbrot", kind="choice", choices=["Roggen", "Dinkel"])
    CustomField.objects.create(key="seit", label="Kunde seit", kind="date")
    cards = cards_create_range(first_serial=100, count=20, actor=actor)
    blocked = cards[10]
    Card.objects.filter(pk=blocked.pk).update(status=Card.Status.BLOCKED)
    headers = ["Vorname", "E-Mail", "Kartennummer", "Geburtstag", "Geschlecht", "Lieblingsbrot", "Kunde seit",
               "Punkte", "Guthaben", "Newsletter", "Sprache", "Telefon"]

    def row(i, **changes):
        values = {"Vorname": f"Kundin {i}", "E-Mail": f"k{i}@example.com", "Kartennummer": cards[i].number,
                  "Geburtstag": "01.02.1980", "Geschlecht": "w", "Lieblingsbrot": "roggen",
                  "Kunde seit": "2019-05-01", "Punkte": "10", "Guthaben": "12,50", "Newsletter": "ja",
                  "Sprache": "Deutsch", "Telefon": "0171 1234567"}
        return [changes.get(header, values[header]) for header in headers]

    rows = [headers, row(0), row(1, Geburtstag="31.02.1980"), row(2, **{"E-Mail": "no-at-sign"}),
            row(3, Lieblingsbrot="Baguette"), row(4, Kartennummer=cards[0].number),
            row(5, Guthaben="-5,00"), row(6, **{"E-Mail": "K0@Example.com"}), row(7, Geschlecht="q"),
            row(8, Punkte="2,5"), row(9, Kartennummer="1234567890123"), row(10, Kartennummer=blocked.number),
            row(11, Guthaben="1,234"), row(12, Newsletter="vielleicht"), row(13, Sprache="Klingonisch"),
            row(14, Telefon="keins"), row(15, Kartennummer="", Guthaben="", Punkte="", **{"E-Mail": ""}),
            row(16, Kartennummer=""), row(17, **{"Kunde seit": "gestern"}), row(18)]

    job = _import(_upload(rows, actor), actor)

    assert (job.status, job.created_count, job.skipped_count) == ("done", 2, 0)
    assert _reasons(job) == {
        3: "“31.02.1980” is not a date.",
        4: "“no-at-sign” is not an e-mail address.",
        5: "“Baguette” is not a choice of “Lieblingsbrot” (Roggen, Dinkel).",
        6: f"The card number {cards[0].number} comes already in row 2.",
        7: "Guthaben: The amount must be more than zero.",
        8: "The e-mail address K0@Example.com comes already in row 2.",
        9: "“q” is not a gender: please write f, m or d.",
        10: "Punkte: “2,5” is not a whole number.",
        11: "“1234567890123” is not a valid card number.",
        12: f"The card {blocked.number} cannot be given to a person: it is blocked.",
        13: "Guthaben: “1,234” is not an amount in euros, such as 12,50.",
        14: "“Newsletter by e-mail” takes yes or no, not “vielleicht”.",
        15: "“Klingonisch” is not a language of the customer portal (de, en).",
        16: "“keins” is not a phone number.",
        17: "The row has neither a card number nor an e-mail address.",
        18: "An opening balance needs the card number it is booked onto.",
        19: "“Kunde seit” takes a date like 31.12.1980, not “gestern”.",
    }
    assert set(job.errors[0]["reason"]) == {"de", "en"}
    first, last = Cardholder.objects.order_by("pk")
    assert (first.first_name, first.gender, first.birth_date, first.language, first.phone) == (
        "Kundin 0", "f", datetime.date(1980, 2, 1), "de", "0171 1234567")
    assert first.custom_data == {"brot": "Roggen", "seit": "2019-05-01"}
    assert last.cards.get() == cards[18]
    assert Account.objects.get(card=cards[0], program=points).balance == 10
    assert Account.objects.get(card=cards[0], program=prepaid).balance == 1_250


def test_rows_of_people_already_there_are_left_as_they_are(in_alice, actor):
    cards = cards_create_range(first_serial=200, count=4, actor=actor)
    known = card_register(card_number=cards[0].number, actor=actor, first_name="Alt", email="alt@example.com")
    by_mail = card_register(card_number=CardFactory(status="unissued").number, actor=actor,
                            first_name="Mail", email="mail@example.com").cardholder
    card_register(card_number=CardFactory(status="unissued").number, actor=actor, email="other@example.com")
    rows = [["Vorname", "E-Mail", "Kartennummer"],
            ["Neu", "neu@example.com", cards[0].number],  # the card is someone's: already there
            ["Mail", "MAIL@example.com", ""],  # the e-mail address is someone's
            ["Other", "other@example.com", cards[1].number],  # someone's address, another card
            ["Frisch", "frisch@example.com", cards[2].number]]

    job = _import(_upload(rows, actor), actor)

    assert (job.created_count, job.skipped_count) == (1, 2)
    assert _reasons(job) == {4: "A cardholder with the e-mail address other@example.com exists already, "
                                "with another card."}
    assert Cardholder.objects.count() == 4
    assert known.cardholder.first_name == "Alt" and by_mail.first_name == "Mail"
    assert Card.objects.get(pk=cards[1].pk).status == Card.Status.UNISSUED


def test_opening_balances_expire_like_earned_points_and_name_the_file(in_alice, actor):
    points = ProgramFactory(kind="points", name="Punkte", expiry="rolling_months", expiry_months=12)
    voucher = ProgramFactory(kind="voucher", name="Gutschein")
    stamps = ProgramFactory(kind="stamps", name="Stempel", stamps_per_reward=10)
    card = cards_create_range(first_serial=300, count=1, actor=actor)[0]
    rows = [["E-Mail", "Kartennummer", "Punkte", "Gutschein", "Stempel"],
            ["a@example.com", card.number, "1.200", "25", 7]]

    job = _import(_upload(rows, actor, name="alte-kasse.csv"), actor)

    assert job.created_count == 1
    today = timezone.localdate()
    lots = {lot.account.program_id: lot for lot in Lot.objects.select_related("account")}
    assert (lots[points.pk].amount, lots[points.pk].expires_on) == (1_200, today + relativedelta(months=12))
    assert (lots[voucher.pk].amount, lots[voucher.pk].expires_on) == (2_500, datetime.date(today.year + 3, 12, 31))
    assert (lots[stamps.pk].amount, lots[stamps.pk].expires_on) == (7, None)
    bookings = Booking.objects.filter(kind=Booking.Kind.OPENING_BALANCE)
    assert set(bookings.values_list("reason", flat=True)) == {"Import: alte-kasse.csv"}
    assert bookings.count() == 3 and {b.staff_user_id for b in bookings} == {actor.user.pk}
    assert AuditLog.objects.filter(action="booking.opening_balance").count() == 3


def test_consents_are_recorded_as_imported_and_an_empty_cell_records_nothing(in_alice, actor):
    rows = [["E-Mail", "Newsletter", "SMS", "Analyse"],
            ["a@example.com", "ja", "nein", ""],
            ["b@example.com", "", "x", "Nein"]]

    _import(_upload(rows, actor), actor)

    consents = {(c.cardholder.email, c.purpose, c.granted, c.source, c.actor_user_id)
                for c in Consent.objects.select_related("cardholder")}
    user = actor.user.pk
    assert consents == {("a@example.com", "newsletter", True, "import", user),
                        ("a@example.com", "sms", False, "import", user),
                        ("b@example.com", "sms", True, "import", user),
                        ("b@example.com", "analysis", False, "import", user)}


def test_the_import_is_audited_with_who_the_file_and_the_counts(in_alice, actor):
    rows = [["E-Mail"], ["a@example.com"], ["kaputt"], ["b@example.com"]]
    job = _import(_upload(rows, actor), actor)
    again = _import(_upload(rows, actor), actor)

    entries = AuditLog.objects.filter(action__startswith="cardholder_import.").order_by("pk")
    assert [(entry.action, entry.object_id) for entry in entries] == [
        ("cardholder_import.upload", str(job.pk)), ("cardholder_import.start", str(job.pk)),
        ("cardholder_import.finish", str(job.pk)), ("cardholder_import.upload", str(again.pk)),
        ("cardholder_import.start", str(again.pk)), ("cardholder_import.finish", str(again.pk))]
    assert {entry.actor_user_id for entry in entries} == {actor.user.pk}
    finish = entries.filter(object_id=str(job.pk)).last().data
    assert finish == {"file": "kunden.csv", "rows": 3, "created": 2, "skipped": 0, "errors": 1}
    assert entries.last().data | {"file": "kunden.csv"} == {"file": "kunden.csv", "rows": 3, "created": 0,
                                                             "skipped": 2, "errors": 1}
    assert CardholderImport.objects.get(pk=job.pk).content == b""  # the file is not kept once imported


def test_the_preview_shows_rows_as_they_will_be_imported_in_the_users_language(in_alice, actor):
    prepaid = ProgramFactory(kind="prepaid", name="Guthaben")
    card = cards_create_range(first_serial=400, count=1, actor=actor)[0]
    job = _upload([["Vorname", "E-Mail", "Kartennummer", "Geburtstag", "Guthaben", "Newsletter"],
                   ["Anna", "anna@example.com", card.number, "1980-12-31", "1234,5", "ja"],
                   ["Ben", "ben@example.com", "", "31.02.1980", "", "nein"]], actor)

    with translation.override("de"):
        preview = imports.cardholder_import_preview(job)

    assert (preview.new, preview.existing, preview.error_count) == (1, 0, 1)
    assert preview.shown[0] == {
        "first_name": "Anna", "email": "anna@example.com", "card": card.number, "birth_date": "31.12.1980",
        f"balance:{prepaid.pk}": "1.234,50 €", "consent:newsletter": "ja"}
    assert [(outcome.number, outcome.kind) for outcome in preview.errors] == [(3, "error")]
    assert not Cardholder.objects.exists()  # a preview imports nothing


def test_an_opening_balance_is_positive_has_a_reason_and_books_once_per_key(in_alice, actor):
    points = ProgramFactory(kind="points")
    card = CardFactory()
    book = {"card_number": card.number, "program": points, "reason": "Import: kunden.csv",
            "idempotency_key": SystemKey("import:test"), "actor": Actor(label="test")}

    first = booking_opening_balance(amount=50, **book)
    again = booking_opening_balance(amount=50, **book)
    with pytest.raises(AmountNotPositive):
        booking_opening_balance(**{**book, "amount": -5, "idempotency_key": SystemKey("import:other")})
    with pytest.raises(ReasonRequired):
        booking_opening_balance(**{**book, "amount": 5, "reason": " ", "idempotency_key": SystemKey("import:x")})

    assert again == first and first.kind == Booking.Kind.OPENING_BALANCE
    assert LedgerEntry.objects.get().amount == 50
    assert Account.objects.get(card=card, program=points).balance == 50


def test_a_row_the_ledger_refuses_while_importing_is_undone_whole_and_the_others_stay(in_alice, actor):
    from tenants.models import Merchant

    prepaid = ProgramFactory(kind="prepaid", name="Guthaben")
    cards = cards_create_range(first_serial=500, count=3, actor=actor)
    job = _upload([["E-Mail", "Kartennummer", "Guthaben", "Newsletter"],
                   ["a@example.com", cards[0].number, "10", "ja"],
                   ["b@example.com", cards[1].number, "", "ja"],
                   ["c@example.com", cards[2].number, "5", "ja"]], actor)
    # The contract ends after the check: the ledger books nothing any more.
    Merchant.objects.filter(schema_name="alice").update(contract_status="ended")

    job = _import(job, actor)

    assert (job.created_count, sorted(_reasons(job))) == (1, [2, 4])
    assert _reasons(job)[2].startswith("The contract has ended")
    assert list(Cardholder.objects.values_list("email", flat=True)) == ["b@example.com"]
    assert list(Card.objects.filter(cardholder__isnull=False).values_list("number", flat=True)) == [cards[1].number]
    assert Consent.objects.count() == 1 and not Booking.objects.filter(program=prepaid).exists()


def test_a_file_uploaded_but_never_imported_is_deleted_after_a_week_and_a_started_one_is_not(in_alice, actor):
    stale = _upload([["Vorname", "E-Mail"], ["Anna", "anna@example.org"]], actor, name="alt.csv")
    recent = _upload([["Vorname", "E-Mail"], ["Ben", "ben@example.org"]], actor, name="neu.csv")
    now = timezone.now()
    CardholderImport.objects.filter(pk=stale.pk).update(created_at=now - datetime.timedelta(days=8))
    CardholderImport.objects.filter(pk=recent.pk).update(created_at=now - datetime.timedelta(days=6))

    forgotten = imports.cardholder_imports_forget(now=now, actor=Actor.system("nightly"))
    again = imports.cardholder_imports_forget(now=now, actor=Actor.system("nightly"))

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert (forgotten, again) == (1, 0)
    assert (stale.status, bytes(stale.content)) == ("failed", b"")
    assert recent.status == "uploaded" and b"Ben" in bytes(recent.content)
    assert AuditLog.objects.filter(action="cardholder_import.forget").get().data == {"file": "alt.csv"}
    assert not Cardholder.objects.exists()
