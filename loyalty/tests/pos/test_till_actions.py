"""The till's actions of issue 15, through its JSON endpoints: a cashier reverses their own
booking within the owner's window, amounts above the plausibility limit need a confirmation and
above the hard maximum book nothing, a recent sale is returned from the card's last bookings, a
gift voucher is sold. What the till offers is what the service accepts, case by case."""
import datetime
import uuid

import pytest
from django.db import connection
from django.db.models import F
from django_tenants.utils import schema_context

from loyalty.catalog import catalog_changed
from loyalty.models import Booking, ShopSettings
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db


def booked_minutes_ago(booking_id: int, minutes: int) -> None:
    """Move a booking back in time. Bookings are append-only (a trigger refuses every UPDATE): the
    trigger is set aside for this one statement, inside the test's transaction, as a migration
    of the ledger does."""
    with schema_context("alice"), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE with checks pending
        cursor.execute("ALTER TABLE loyalty_booking DISABLE TRIGGER loyalty_booking_append_only")
        Booking.objects.filter(pk=booking_id).update(
            created_at=F("created_at") - datetime.timedelta(minutes=minutes))
        cursor.execute("ALTER TABLE loyalty_booking ENABLE TRIGGER loyalty_booking_append_only")


def shown(client, card_number, booking_id) -> dict:
    """The booking as the card's last bookings list at the till shows it."""
    bookings = client.card(card_number, HTTP_ACCEPT_LANGUAGE="en").json()["bookings"]
    return next(line for line in bookings if line["id"] == booking_id)


def earn(client, shop, cents=2_000) -> int:
    response = client.book("earn", {"card_number": shop["card"].number, "program": shop["points"].pk,
                                    "purchase_amount_cents": cents})
    assert response.status_code == 201, response.json()
    return response.json()["booking"]


def reversals() -> int:
    with schema_context("alice"):
        return Booking.objects.filter(kind="reversal").count()


# --- Reversals --------------------------------------------------------------------------------


def test_a_cashier_reverses_their_own_booking_inside_the_window(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    booking = earn(client, shop)
    booked_minutes_ago(booking, 14)

    assert shown(client, shop["card"].number, booking)["reversible"] is True
    response = client.book("reversal", {"booking_id": booking}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 201, response.json()
    assert response.json()["headline"] == "−20 points"
    with schema_context("alice"):
        reversal = Booking.objects.get(kind="reversal")
        assert (reversal.reverses_id, reversal.staff_user) == (booking, cashier)


def test_a_cashier_cannot_reverse_their_own_booking_after_the_window(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    booking = earn(client, shop)
    booked_minutes_ago(booking, 16)

    assert shown(client, shop["card"].number, booking)["reversible"] is False
    response = client.book("reversal", {"booking_id": booking}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json() == {
        "code": "reversal_not_permitted",
        "message": "You can only reverse your own bookings of the last 15 minutes."}
    assert reversals() == 0


def test_the_window_is_the_owners_setting(alice, shop, cashier, till_client):
    with schema_context("alice"):
        settings = ShopSettings.current()
        settings.reversal_window_minutes = 30
        settings.save()
        catalog_changed()
    client = till_client(alice, email=cashier.email)
    booking = earn(client, shop)
    booked_minutes_ago(booking, 25)

    assert shown(client, shop["card"].number, booking)["reversible"] is True
    assert client.book("reversal", {"booking_id": booking}).status_code == 201
    assert reversals() == 1


def test_a_cashier_never_reverses_another_persons_booking(alice, shop, cashier, till_client):
    with schema_context("alice"):
        colleague = UserFactory(email="kollege@alice.example")
        colleague.groups.add(*cashier.groups.all())
    booking = earn(till_client(alice, email=colleague.email), shop)
    client = till_client(alice, email=cashier.email, terminal_name="Till 2")

    assert shown(client, shop["card"].number, booking)["reversible"] is False
    response = client.book("reversal", {"booking_id": booking})

    assert response.status_code == 403 and response.json()["code"] == "reversal_not_permitted"
    assert reversals() == 0


def test_the_owner_reverses_anyones_booking_after_the_window(alice, shop, cashier, till_client):
    booking = earn(till_client(alice, email=cashier.email), shop)
    booked_minutes_ago(booking, 600)
    client = till_client(alice, terminal_name="Till 2")

    assert shown(client, shop["card"].number, booking)["reversible"] is True
    assert client.book("reversal", {"booking_id": booking}).status_code == 201
    assert reversals() == 1


def test_a_terminal_alone_never_reverses(alice, shop, terminal_client, till_client):
    booking = earn(till_client(alice), shop)
    client = terminal_client(alice)

    response = client.post("/api/bookings/reverse/", {"booking_id": booking}, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))

    assert response.status_code == 403
    assert reversals() == 0


# --- Plausibility limit and hard maximum ------------------------------------------------------


def test_above_the_hard_maximum_nothing_is_booked_even_confirmed(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk,
            "purchase_amount_cents": 100_001, "confirmed": True}

    response = client.book("earn", data)

    assert response.status_code == 422
    assert response.json() == {"code": "amount_too_large",
                               "message": "Der Betrag darf höchstens 1.000,00 € sein."}
    with schema_context("alice"):
        assert not Booking.objects.exists()


@pytest.mark.parametrize(("action", "program", "field"), [
    ("earn", "points", "purchase_amount_cents"),
    ("top_up", "prepaid", "amount_cents"),
    ("voucher_issue", "voucher", "amount_cents"),
])
def test_above_the_limit_it_books_only_after_the_confirmation(alice, shop, cashier, till_client,
                                                              action, program, field):
    client = till_client(alice, email=cashier.email)
    data = {"card_number": shop["card"].number, "program": shop[program].pk, field: 99_900}
    key = str(uuid.uuid4())

    asked = client.book(action, data, key=key, HTTP_ACCEPT_LANGUAGE="en")
    with schema_context("alice"):
        assert not Booking.objects.exists()
    confirmed = client.book(action, {**data, "confirmed": True}, key=key)
    again = client.book(action, {**data, "confirmed": True}, key=key)

    assert asked.status_code == 409
    assert asked.json() == {"code": "confirmation_required", "message": "999.00 € – is the amount right?"}
    assert confirmed.status_code == 201, confirmed.json()
    assert again.json()["booking"] == confirmed.json()["booking"]
    with schema_context("alice"):
        assert Booking.objects.get().kind == action


def test_the_rest_api_asks_for_the_confirmation_too(alice, shop, terminal_client):
    client = terminal_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 25_000}

    def post(body, key):
        return client.post("/api/bookings/earn/", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=key, HTTP_ACCEPT_LANGUAGE="en")

    asked = post(data, "k1")
    too_much = post({**data, "purchase_amount_cents": 100_001, "confirmed": True}, "k2")
    with schema_context("alice"):
        assert not Booking.objects.exists()
    confirmed = post({**data, "confirmed": True}, "k1")

    assert asked.status_code == 409 and asked.json()["code"] == "confirmation_required"
    assert asked.json()["message"] == "250.00 € – is the amount right?"
    assert too_much.status_code == 422 and too_much.json()["code"] == "amount_too_large"
    assert confirmed.status_code == 201
    with schema_context("alice"):
        assert Booking.objects.get().purchase_amount_cents == 25_000
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "confirmation_required" in schema


# --- Returns ----------------------------------------------------------------------------------


def test_a_recent_sale_is_returned_from_the_last_bookings(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    sale = earn(client, shop, cents=2_000)
    line = shown(client, shop["card"].number, sale)
    assert (line["returnable"], line["return_left"]) == (True, "20.00")

    part = client.book("return", {"sale_id": sale, "return_amount_cents": 500}, HTTP_ACCEPT_LANGUAGE="en")
    too_much = client.book("return", {"sale_id": sale, "return_amount_cents": 1_501})
    line = shown(client, shop["card"].number, sale)
    rest = client.book("return", {"sale_id": sale, "return_amount_cents": 1_500})

    assert part.status_code == 201 and part.json()["headline"] == "−5 points"
    assert line["return_left"] == "15.00"
    assert too_much.status_code == 422 and too_much.json()["code"] == "return_exceeds_sale"
    assert rest.status_code == 201
    assert shown(client, shop["card"].number, sale)["returnable"] is False
    with schema_context("alice"):
        assert list(Booking.objects.filter(kind="return").values_list("purchase_amount_cents", flat=True)
                    .order_by("pk")) == [500, 1_500]


def test_only_sales_that_are_not_reversed_can_be_returned(alice, shop, till_client):
    client = till_client(alice)
    sale = earn(client, shop)
    client.book("stamp", {"card_number": shop["card"].number, "program": shop["stamps"].pk})
    assert client.book("reversal", {"booking_id": sale}).status_code == 201

    lines = client.card(shop["card"].number).json()["bookings"]
    refused = client.book("return", {"sale_id": sale, "return_amount_cents": 100})

    assert [line["returnable"] for line in lines] == [False, False, False]
    assert refused.status_code == 409 and refused.json()["code"] == "already_reversed"
    with schema_context("alice"):
        assert not Booking.objects.filter(kind="return").exists()


# --- Selling a voucher ------------------------------------------------------------------------


def test_a_voucher_is_sold_with_its_presets_validity_and_purpose(alice, shop, cashier, till_client):
    with schema_context("alice"):
        shop["voucher"].voucher_presets = [2_500, 5_000]
        shop["voucher"].voucher_purpose = "single"
        shop["voucher"].save()
        catalog_changed()
    client = till_client(alice, email=cashier.email)
    programs = {p["name"]: p for p in client.card(shop["card"].number, HTTP_ACCEPT_LANGUAGE="en").json()["programs"]}
    sale = next(a for a in programs["Gutschein"]["actions"] if a["action"] == "voucher_issue")
    year = datetime.date.today().year + 3

    response = client.book("voucher_issue", {**sale["payload"], "card_number": shop["card"].number,
                                             "amount_cents": 5_000}, HTTP_ACCEPT_LANGUAGE="en")

    assert sale["label"] == "Sell voucher"
    assert sale["voucher"]["presets"] == [{"cents": 2_500, "text": "25.00 €"}, {"cents": 5_000, "text": "50.00 €"}]
    assert sale["voucher"]["valid_until"] == f"31/12/{year}"
    assert "Einzweckgutschein" in sale["voucher"]["purpose"]
    assert response.status_code == 201, response.json()
    assert response.json()["headline"] == "+50.00 €"
    [note] = response.json()["notes"]
    assert "Einzweckgutschein" in note and note.endswith(f", valid until 31/12/{year}")
