"""Deletion on request: asked for in the portal, confirmed through the link e-mailed to the
confirmed address (or done in the back office on the person's request), it anonymises the person
and keeps the ledger. Must: afterwards no personal field is readable in the raw rows, every ledger
entry is intact, and the export still balances; the person's sessions and links end; the card
either still books at the till without a name or is refused as blocked."""
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models import Sum
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import CardholderAnonymised, NotPermitted
from loyalty.models import (
    Account,
    AuditLog,
    Booking,
    Card,
    Cardholder,
    Consent,
    CustomField,
    ExpiryReminder,
    LedgerEntry,
    WalletDevice,
    WalletRegistration,
)
from loyalty.services.consent_wordings import consent_wordings_current
from loyalty.services.exports import data_export_build, data_export_request
from loyalty.services.portal_accounts import DELETION, SIGN_IN, portal_link_read, portal_link_token
from loyalty.services.privacy import cardholder_anonymise, cardholder_deletion_request
from loyalty.services.reminders import expiry_reminder_send
from loyalty.tests.cardholders.conftest import signed_in, staff_with
from loyalty.tests.exports.support import Export
from loyalty.wallet.services import wallet_device_register, wallet_pass_issue
from portal.tests.privacy.conftest import PERSON, SYSTEM, holder, link_in, mails_to
from tenants.accounts.models import User
from tenants.encryption import decrypt
from tenants.fields import encrypted_fields
from tests.support.baseline import owner_email

pytestmark = pytest.mark.django_db

ZORA = {"first_name": "Zoraide", "last_name": "Quastenbergerin", "email": "zoraide.quast@example.org",
        "phone": "+49 171 5550987", "birth_date": datetime.date(1979, 11, 23), "postcode": "80333", "gender": "f"}
# Every piece of Zoraide that must be unreadable afterwards, as typed and as the software keeps it.
ZORA_PLAIN = ["Zoraide", "Quastenbergerin", "zoraide.quast", "zoraide.neu", "5550987", "1979-11-23", "Lieblingssorte-Zora"]


def ask_and_confirm(client, choice: str) -> str:
    """The whole deletion in the portal: the choice, the e-mailed link, its button; the link's path."""
    assert client.post("/profile/delete/", {"cards": choice}).status_code == 302
    path = link_in(mail.outbox[-1], "/profile/delete/")
    assert client.post(path).status_code == 200
    return path


# --- The flow ------------------------------------------------------------------------------------

def test_the_page_says_what_is_deleted_and_kept_and_asks_about_the_card_without_a_default(client, hanna):
    page = client.get("/profile/delete/").content.decode()

    assert "What is deleted" in page and "What is kept, without your name" in page
    assert 'type="radio" name="cards" value="keep"' in page and 'value="block"' in page
    assert "checked" not in page.split('id="delete-form"')[1]
    assert hanna.number in page

    refused = client.post("/profile/delete/", {})

    assert refused.status_code == 400 and "Please choose what should happen to your card." in refused.content.decode()
    assert 'aria-describedby="id_cards-error' in refused.content.decode()
    assert mail.outbox == []


def test_nothing_is_deleted_before_the_link_is_followed_and_its_button_pressed(client, hanna):
    response = client.post("/profile/delete/", {"cards": "keep"}, follow=True)

    assert "h•••@example.org" in response.content.decode()
    [message] = mails_to(PERSON["email"])
    path = link_in(message, "/profile/delete/")
    assert "ohne Ihren Namen nutzbar" in message.body  # in Hanna's language
    assert holder(hanna).anonymised_at is None
    confirmation = client.get(path)  # a mail scanner opening the link deletes nothing
    assert confirmation.status_code == 200 and "This cannot be undone." in confirmation.content.decode()
    assert "stays usable without your name" in confirmation.content.decode()
    assert "Bonuspunkte: 23 points · Guthaben: 12.50 €" in confirmation.content.decode()
    assert holder(hanna).anonymised_at is None and holder(hanna).first_name == "Hanna"
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="cardholder.deletion_request")
    assert (entry.actor_label, entry.data) == ("portal", {"keep_card_usable": True})

    done = client.post(path)

    assert done.status_code == 200 and "Your data are deleted" in done.content.decode()
    assert holder(hanna).anonymised_at is not None
    # The link works once; the confirmation went to the address the person had.
    assert client.get(path).status_code == 404 and client.post(path).status_code == 404
    assert any("gelöscht" in message.subject for message in mails_to(PERSON["email"]))


def test_the_link_carries_the_choice_and_cannot_be_changed(client, hanna):
    client.post("/profile/delete/", {"cards": "block"})
    path = link_in(mail.outbox[-1], "/profile/delete/")
    token = path.split("/")[-2]

    assert client.post(f"/profile/delete/{token[:-2]}xy/").status_code == 404
    assert client.post(path).status_code == 200
    with schema_context("alice"):
        assert Card.objects.get(pk=hanna.pk).status == Card.Status.BLOCKED


def test_a_person_without_a_confirmed_address_is_told_to_ask_at_the_counter(alice, holder_of, portal_client,
                                                                            committing):
    card = holder_of(alice, first_name="Ute", email="ute@example.org", confirmed=False)
    client = committing(portal_client(alice, card.cardholder))

    page = client.get("/profile/delete/").content.decode()
    response = client.post("/profile/delete/", {"cards": "keep"})

    assert 'id="no-address"' in page and 'id="delete-form"' not in page
    assert response.status_code == 400 and "ask at the counter" in response.content.decode()
    assert mail.outbox == []
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="cardholder.deletion_request").exists()


# --- The Must ------------------------------------------------------------------------------------

@pytest.fixture
def zora(alice, holder_of, portal_client, committing, till_client):
    """Zoraide, with an own field, bookings at the till, a consent, a profile change and a data
    download in the portal, and a new address waiting for its confirmation."""
    with schema_context("alice"):
        CustomField.objects.create(key="sorte", label="Lieblingssorte", position=1)
    card = holder_of(alice, **ZORA, custom_data={"sorte": "Lieblingssorte-Zora"})
    from loyalty.services import bookings
    from tests.support.factories import ProgramFactory
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Bonuspunkte", points_per_euro=1)
        prepaid = ProgramFactory(kind="prepaid", name="Guthaben", max_balance_cents=50_000)
    till = till_client(alice)
    for cents in (1_250, 4_990):
        assert till.book("earn", {"card_number": card.number, "program": points.pk,
                                  "purchase_amount_cents": cents}).status_code == 201
    assert till.book("top_up", {"card_number": card.number, "program": prepaid.pk,
                                "amount_cents": 3_000}).status_code == 201
    with schema_context("alice"):
        bookings.booking_pay(card_number=card.number, program=prepaid, amount_cents=1_099,
                             idempotency_key="zora-pay", actor=SYSTEM)
    client = committing(portal_client(alice, card.cardholder))
    with schema_context("alice"):
        version = consent_wordings_current()["newsletter"].version
    assert client.post("/profile/consents/", {"purpose": "newsletter", "granted": "yes",
                                              "wording_version": version}).status_code == 302
    assert client.post("/profile/", {"first_name": "Zoraide", "last_name": "Quastenbergerin", "gender": "f",
                                     "birth_date": "23.11.1979", "postcode": "80333", "phone": ZORA["phone"],
                                     "language": "en", "email_new": "zoraide.neu@example.org",
                                     "own__sorte": "Lieblingssorte-Zora"}).status_code == 302
    assert client.get("/profile/data.json").status_code == 200
    card.points, card.prepaid, card.till, card.client = points, prepaid, till, client
    return card


def _ledger() -> tuple:
    """Everything of the ledger: every entry and booking as stored, their count and sums."""
    entries = list(LedgerEntry.objects.order_by("pk").values_list(
        "pk", "booking_id", "account_id", "amount", "balance_after", "claim_change", "lot_id", "created_at"))
    bookings = list(Booking.objects.order_by("pk").values_list(
        "pk", "kind", "card_id", "program_id", "purchase_amount_cents", "idempotency_key", "created_at"))
    sums = LedgerEntry.objects.aggregate(amount=Sum("amount"), claim=Sum("claim_change"))
    balances = list(Account.objects.order_by("pk").values_list("pk", "card_id", "balance", "claim"))
    return len(entries), sums, entries, bookings, balances


def _raw_row(cardholder_id: int) -> tuple[dict, tuple]:
    """The person's row read with raw SQL: the encrypted columns decrypted by hand (None for NULL),
    and the plain columns: gender, the blind indexes, the password hash, anonymised_at."""
    fields = [field.column for field in encrypted_fields(Cardholder)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(fields)}, gender, email_index, phone_index, birthday_index, name_index, "
                       f"field_index, password, anonymised_at FROM loyalty_cardholder WHERE id = %s", [cardholder_id])
        row = cursor.fetchone()
    decrypted = {column: None if token is None else decrypt(token, schema_name=connection.schema_name,
                                                             table="loyalty_cardholder", field=column)
                 for column, token in zip(fields, row[:len(fields)], strict=True)}
    return decrypted, row[len(fields):]


def _text_columns() -> list[tuple[str, str, str]]:
    """Every column of the merchant's schema that can hold text (as the schema says, not the models)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "JOIN information_schema.tables USING (table_schema, table_name) "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea', 'USER-DEFINED')",
            [connection.schema_name])
        return cursor.fetchall()


def _every_text_of_the_schema() -> str:
    texts = []
    with connection.cursor() as cursor:
        for table, column, data_type in _text_columns():
            value = f'encode("{column}", \'escape\')' if data_type == "bytea" else f'"{column}"::text'
            cursor.execute(f'SELECT {value} FROM "{connection.schema_name}"."{table}" WHERE "{column}" IS NOT NULL')
            texts += [f"{table}.{column}: {row[0]}" for row in cursor.fetchall()]
    return "\n".join(texts)


def test_after_deletion_nothing_personal_is_readable_the_ledger_is_intact_and_the_export_balances(alice, zora):
    with schema_context("alice"):
        # The test sees the data first: what it then searches for is there before.
        before_text = _every_text_of_the_schema()
        assert "zoraide.neu" not in before_text  # encrypted at rest: not even before
        assert Cardholder.objects.get(pk=zora.cardholder_id).email_new == "zoraide.neu@example.org"
        ledger_before = _ledger()
        decrypted, plain = _raw_row(zora.cardholder_id)  # what the raw row held before
        assert decrypted["first_name"] == "Zoraide" and decrypted["email_new"] == "zoraide.neu@example.org"
        assert plain[1] != "" and plain[4] != []  # an e-mail index and name keys
        consents_before = list(Consent.objects.filter(cardholder_id=zora.cardholder_id).values_list(
            "pk", "purpose", "granted", "source", "wording_version", "created_at"))
        assert ledger_before[0] == 4 and consents_before

    ask_and_confirm(zora.client, "keep")

    with schema_context("alice"):
        # The person's row: every encrypted column decrypts to nothing, every index is empty.
        decrypted, plain = _raw_row(zora.cardholder_id)
        assert decrypted == {"first_name": "", "last_name": "", "birth_date": None, "postcode": "", "email": "",
                             "phone": "", "custom_data": "{}", "email_new": None}
        assert plain[:-1] == ("", "", "", "", [], [], "") and plain[-1] is not None
        # No text of any row of any table of the schema holds her name, e-mail, phone or answers.
        after_text = _every_text_of_the_schema()
        leaks = [line for line in after_text.splitlines() for value in ZORA_PLAIN if value.lower() in line.lower()]
        assert leaks == []
        # The dump reads every table: the card's number and the own field's label are there in clear.
        assert zora.number in after_text and "Lieblingssorte" in after_text
        # The ledger is untouched: every entry and booking, their count and sums, the balances.
        assert _ledger() == ledger_before
        # The consents stay as the proof they are (they hold nothing of the person).
        assert list(Consent.objects.filter(cardholder_id=zora.cardholder_id).values_list(
            "pk", "purpose", "granted", "source", "wording_version", "created_at")) == consents_before
        # The export of everything still balances: each account's balance is the sum of its entries.
        owner = User.objects.get(email=owner_email("alice"))
        export, created = data_export_request(actor=Actor(user=owner), language="en")
        assert created and data_export_build(export_id=export.pk)
        export.refresh_from_db()
        archive = Export((Path(settings.EXPORT_ROOT) / export.file_path).read_bytes())
    accounts = {row["ID"]: int(row["Balance"]) for row in archive.csv_dicts("accounts")}
    sums = {}
    for entry in archive.csv_dicts("ledger_entries"):
        sums[entry["Account (ID)"]] = sums.get(entry["Account (ID)"], 0) + int(entry["Amount"])
    assert accounts and accounts == sums
    assert sum(sums.values()) == ledger_before[1]["amount"]
    assert Decimal(next(row["Balance (€)"] for row in archive.csv_dicts("accounts")
                        if row["Program"] == "Guthaben")) == Decimal("19.01")
    every = archive.every_text().lower()
    assert [value for value in ZORA_PLAIN if value.lower() in every] == []


def test_after_deletion_the_session_ends_and_no_link_of_the_person_works(alice, zora):
    with schema_context("alice"):
        sign_in = portal_link_token(Cardholder.objects.get(pk=zora.cardholder_id), SIGN_IN)
    other_browser = zora.client  # signed in before, elsewhere
    from tests.support.portal import portal_signed_in
    second = portal_signed_in(alice, zora.cardholder)
    assert second.get("/profile/").status_code == 200

    ask_and_confirm(other_browser, "keep")

    for client in (other_browser, second):
        response = client.get("/profile/")
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
        assert client.get("/profile/data.json").status_code == 302
    with schema_context("alice"):
        assert portal_link_read(sign_in, SIGN_IN) is None
        person = Cardholder.objects.get(pk=zora.cardholder_id)
        assert person.portal_generation >= 1 and person.password == ""


def test_a_card_kept_usable_books_at_the_till_without_a_name(zora):
    ask_and_confirm(zora.client, "keep")

    looked_up = zora.till.card(zora.number, HTTP_ACCEPT_LANGUAGE="en")
    booked = zora.till.book("earn", {"card_number": zora.number, "program": zora.points.pk,
                                     "purchase_amount_cents": 1_000})

    assert looked_up.status_code == 200 and "Zoraide" not in looked_up.content.decode()
    assert booked.status_code == 201
    with schema_context("alice"):
        card = Card.objects.get(pk=zora.pk)
        assert (card.status, card.cardholder_id) == (Card.Status.ACTIVE, None)
        assert Account.objects.get(card=card, program=zora.points).balance == 12 + 49 + 10
        assert AuditLog.objects.filter(action="card.anonymise", object_id=str(card.pk)).exists()


def test_a_card_not_kept_is_blocked_and_refused_at_the_till(zora):
    ask_and_confirm(zora.client, "block")
    with schema_context("alice"):
        bookings = Booking.objects.count()

    refused = zora.till.book("earn", {"card_number": zora.number, "program": zora.points.pk,
                                      "purchase_amount_cents": 1_000})

    assert refused.status_code == 409 and refused.json()["code"] == "card_not_active"
    with schema_context("alice"):
        card = Card.objects.get(pk=zora.pk)
        # The blocked card stays linked to the anonymised row, which holds nothing personal.
        assert (card.status, card.cardholder_id) == (Card.Status.BLOCKED, zora.cardholder_id)
        assert Booking.objects.count() == bookings
        block = AuditLog.objects.get(action="card.block", object_id=str(card.pk))
        assert block.data == {"on_deletion": True} and block.actor_label == "portal"


def test_a_reminder_queued_before_the_deletion_is_not_sent(zora):
    with schema_context("alice"):
        account = Account.objects.get(card_id=zora.pk, program=zora.points)
        reminder = ExpiryReminder.objects.create(account=account, expires_on=datetime.date.today(), points=5)
    ask_and_confirm(zora.client, "keep")
    sent = len(mail.outbox)

    with schema_context("alice"):
        assert expiry_reminder_send(reminder_id=reminder.pk) is False
        assert ExpiryReminder.objects.get(pk=reminder.pk).sent_at is None
    assert len(mail.outbox) == sent


def test_the_services_refuse_others_and_a_second_deletion(alice, hanna, holder_of):
    berta = holder_of(alice, first_name="Berta", email="berta@example.org").cardholder
    with schema_context("alice"):
        person = Cardholder.objects.get(pk=hanna.cardholder_id)
        viewer = staff_with("viewer@alice.example", "loyalty.view_cardholder")
        for actor in (Actor.for_cardholder(berta), Actor(user=viewer)):
            with pytest.raises(NotPermitted):
                cardholder_anonymise(cardholder=person, keep_card_usable=True, actor=actor)
        with pytest.raises(NotPermitted):
            cardholder_deletion_request(cardholder=person, keep_card_usable=True, actor=Actor.for_cardholder(berta))
        assert Cardholder.objects.get(pk=person.pk).first_name == "Hanna"
        cardholder_anonymise(cardholder=person, keep_card_usable=True, actor=Actor.for_cardholder(person))
        with pytest.raises(CardholderAnonymised):
            cardholder_anonymise(cardholder=person, keep_card_usable=False, actor=SYSTEM)
        assert Card.objects.get(pk=hanna.pk).status == Card.Status.ACTIVE


def test_the_phones_holding_the_persons_wallet_pass_are_forgotten(alice, hanna, holder_of):
    berta = holder_of(alice, first_name="Berta", email="berta@example.org")
    with schema_context("alice"):
        passes = {}
        for card in (hanna, berta):
            person = Cardholder.objects.get(pk=card.cardholder_id)
            _, passes[card.pk] = wallet_pass_issue(card_number=card.number, actor=Actor.for_cardholder(person))
        wallet_device_register(wallet_pass=passes[hanna.pk], device_library_id="hannas-phone", push_token="a" * 64)
        wallet_device_register(wallet_pass=passes[hanna.pk], device_library_id="shared-tablet", push_token="b" * 64)
        wallet_device_register(wallet_pass=passes[berta.pk], device_library_id="shared-tablet", push_token="b" * 64)

        cardholder_anonymise(cardholder=Cardholder.objects.get(pk=hanna.cardholder_id), keep_card_usable=True,
                             actor=SYSTEM)

        assert not WalletRegistration.objects.filter(wallet_pass=passes[hanna.pk]).exists()
        assert sorted(WalletDevice.objects.values_list("device_library_id", flat=True)) == ["shared-tablet"]
        assert WalletRegistration.objects.get().wallet_pass == passes[berta.pk]


# --- The back office -----------------------------------------------------------------------------

def test_the_back_office_deletes_on_request_after_asking(alice, hanna, django_capture_on_commit_callbacks):
    owner = signed_in(alice, owner_email("alice"))
    base = f"/manage/cardholders/{hanna.cardholder_id}"
    assert f'href="{base}/edit/?anonymise=1"' in owner.get(f"{base}/").content.decode()

    question = owner.get(f"{base}/edit/?anonymise=1")
    unanswered = owner.post(f"{base}/edit/", {"anonymise": "1"})

    assert question.status_code == 200 and "This cannot be undone." in question.content.decode()
    assert hanna.number in question.content.decode()
    assert unanswered.status_code == 400 and holder(hanna).anonymised_at is None
    with django_capture_on_commit_callbacks(execute=True):
        done = owner.post(f"{base}/edit/", {"anonymise": "1", "cards": "block", "asked": "on"})

    assert done.status_code == 302 and done["Location"] == f"{base}/"
    person = holder(hanna)
    assert person.anonymised_at is not None and (person.first_name, person.email) == ("", "")
    with schema_context("alice"):
        assert Card.objects.get(pk=hanna.pk).status == Card.Status.BLOCKED
        entry = AuditLog.objects.get(action="cardholder.anonymise")
        assert entry.actor_user.email == owner_email("alice") and entry.data == {"keep_card_usable": False,
                                                                                 "count": 1}
    page = owner.get(f"{base}/").content.decode()
    assert "anonymised on" in page and "Hanna" not in page and 'id="anonymise-link"' not in page
    assert owner.get(f"{base}/edit/?anonymise=1").status_code == 409
    [goodbye] = mails_to(PERSON["email"])
    assert hanna.number in goodbye.body


def test_staff_who_may_not_change_cardholders_cannot_delete(alice, hanna):
    with schema_context("alice"):
        viewer = staff_with("viewer@alice.example", "loyalty.view_cardholder")
    client = signed_in(alice, viewer.email)
    base = f"/manage/cardholders/{hanna.cardholder_id}"

    assert 'id="anonymise-link"' not in client.get(f"{base}/").content.decode()
    assert client.get(f"{base}/edit/?anonymise=1").status_code == 403
    assert client.post(f"{base}/edit/", {"anonymise": "1", "cards": "keep", "asked": "on"}).status_code == 403
    assert holder(hanna).anonymised_at is None


def test_a_deletion_link_is_refused_once_the_person_is_signed_out_everywhere(alice, client, hanna):
    client.post("/profile/delete/", {"cards": "keep"})
    path = link_in(mail.outbox[-1], "/profile/delete/")
    with schema_context("alice"):
        Cardholder.objects.filter(pk=hanna.cardholder_id).update(portal_generation=5)  # e.g. a new password
        assert portal_link_read(path.split("/")[-2], DELETION) is None

    assert client.post(path).status_code == 404
    assert holder(hanna).anonymised_at is None
