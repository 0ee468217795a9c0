"""The till's JSON endpoints: look up a card, book, reverse, hand out a card; errors as JSON."""
import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Account, AuditLog, Booking, Card, LedgerEntry, Lot
from loyalty.pos.auth import TERMINAL_COOKIE
from loyalty.services.bookings import (
    booking_earn,
    booking_return,
    booking_stamp,
    booking_top_up,
    booking_voucher_issue,
)
from loyalty.services.cardholders import cardholder_create
from tenants.models import ContractStatus, Merchant
from tenants.routing import merchants_changed

pytestmark = pytest.mark.django_db


def balance(card, program):
    with schema_context("alice"):
        account = Account.objects.filter(card=card, program=program).first()
        return account.balance if account else 0


def test_look_up_shows_first_name_balances_and_what_can_be_done(alice, shop, till_client):
    client = till_client(alice)
    with schema_context("alice"):
        Card.objects.filter(pk=shop["card"].pk).update(cardholder=_holder("Anna"))
        booking_top_up(card_number=shop["card"].number, program=shop["prepaid"], amount_cents=1_050,
                       idempotency_key="top-up-1", actor=Actor(label="test"))

    response = client.card(shop["card"].number, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["first_name"]) == (shop["card"].number, "active", "Anna")
    programs = {program["name"]: program for program in body["programs"]}
    assert programs["Guthaben"]["balance_text"] == "10.50 €"
    assert programs["Bonuspunkte"]["balance_text"] == "0 points"
    assert programs["Stempel"]["balance_text"] == "0 of 3 stamps"
    # Only what can be done now: no reward for 0 points, no payment from an empty voucher.
    assert [a["action"] for a in programs["Bonuspunkte"]["actions"]] == ["earn"]
    assert [a["action"] for a in programs["Guthaben"]["actions"]] == ["top_up", "pay"]
    assert [a["action"] for a in programs["Stempel"]["actions"]] == ["stamp"]
    assert [a["action"] for a in programs["Gutschein"]["actions"]] == ["voucher_issue"]
    assert [a["action"] for a in body["programs"][0]["actions"] if a["primary"]] == ["earn"]
    assert [b["kind"] for b in body["bookings"]] == ["top-up"]


def _holder(first_name):
    return cardholder_create(actor=Actor(label="test"), first_name=first_name)


def test_earn_books_for_the_staff_member_at_this_terminal_and_shows_the_new_balance(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)

    response = client.book("earn", {"card_number": shop["card"].number, "program": shop["points"].pk,
                                    "purchase_amount_cents": 1_250}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["headline"] == "+12 points"
    assert result["balances"] == [{"program": "Bonuspunkte", "balance_text": "12 points"}]
    assert result["reached"] == ["Reward reached: Kaffee"]
    assert result["card_number"] == shop["card"].number
    card = client.card(shop["card"].number, HTTP_ACCEPT_LANGUAGE="en").json()
    assert [a["label"] for a in card["programs"][0]["actions"]] == ["Earn", "Redeem: Kaffee (10)"]
    with schema_context("alice"):
        booking = Booking.objects.get()
        assert (booking.staff_user, booking.terminal) == (cashier, client.terminal)
        # The booking row is its own record of who booked it where; corrections are audited too.
        assert not AuditLog.objects.filter(action__startswith="booking.").exists()


def test_a_retry_with_the_same_key_books_once_and_answers_the_same(alice, shop, till_client):
    client = till_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 990}

    first = client.book("earn", data, key="browser-key-1")
    second = client.book("earn", data, key="browser-key-1")

    assert first.status_code == second.status_code == 201
    assert first.json()["booking"] == second.json()["booking"]
    with schema_context("alice"):
        assert LedgerEntry.objects.count() == 1
    assert balance(shop["card"], shop["points"]) == 9


@pytest.mark.parametrize(("action", "data", "program", "expected"), [
    ("top_up", {"amount_cents": 2_000}, "prepaid", 2_000),
    ("stamp", {}, "stamps", 1),
])
def test_each_action_books_through_the_till(alice, shop, till_client, action, data, program, expected):
    client = till_client(alice)

    response = client.book(action, {"card_number": shop["card"].number, "program": shop[program].pk, **data})

    assert response.status_code == 201, response.json()
    assert balance(shop["card"], shop[program]) == expected


def test_debits_redeem_what_the_balance_covers(alice, shop, till_client):
    client = till_client(alice)
    card = shop["card"].number
    actor = Actor(label="test")
    with schema_context("alice"):
        booking_top_up(card_number=card, program=shop["prepaid"], amount_cents=1_000, idempotency_key="t",
                       actor=actor)
        booking_voucher_issue(card_number=card, program=shop["voucher"], idempotency_key="v", actor=actor)
        booking_earn(card_number=card, program=shop["points"], purchase_amount_cents=1_000, idempotency_key="e",
                     actor=actor)
        booking_stamp(card_number=card, program=shop["stamps"], stamps=3, idempotency_key="s", actor=actor)

    answers = [
        client.book("pay", {"card_number": card, "program": shop["prepaid"].pk, "amount_cents": 400}),
        client.book("voucher_redeem", {"card_number": card, "program": shop["voucher"].pk, "amount_cents": 500}),
        client.book("redeem_reward", {"card_number": card, "reward": shop["reward"].pk}),
        client.book("redeem_stamps", {"card_number": card, "program": shop["stamps"].pk}),
    ]

    assert [answer.status_code for answer in answers] == [201] * 4, [a.json() for a in answers]
    assert [balance(shop["card"], shop[p]) for p in ("prepaid", "voucher", "points", "stamps")] == [600, 2_000, 0, 0]


def test_a_refusal_is_json_with_code_and_message_in_the_users_language(alice, shop, till_client):
    client = till_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 500}

    english = client.book("pay", data, HTTP_ACCEPT_LANGUAGE="en")
    german = client.book("pay", data, HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 409
    assert english.json() == {"code": "insufficient_balance",
                              "message": "The balance is too low: 0.00 € available, 5.00 € requested."}
    assert german.json() == {"code": "insufficient_balance",
                             "message": "Das Guthaben reicht nicht: 0,00 € verfügbar, 5,00 € verlangt."}
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_unknown_actions_and_missing_keys_are_refused(alice, shop, till_client):
    client = till_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 500}

    unknown = client.book("adjust", data)
    keyless = client.post_json("/pos/api/bookings/earn/", data)

    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert keyless.status_code == 400 and "Idempotency-Key" in keyless.json()["fields"]
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_the_endpoints_need_the_terminal_cookie_and_the_staff_session_and_csrf(alice, shop, till_client):
    signed_out = till_client(alice, email=None)
    no_device = till_client(alice)
    del no_device.cookies[TERMINAL_COOKIE]
    no_csrf = till_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 500}

    answers = [signed_out.card(shop["card"].number), no_device.card(shop["card"].number),
               signed_out.book("earn", data), no_device.book("earn", data)]
    forged = no_csrf.post("/pos/api/bookings/earn/", data, content_type="application/json",
                          HTTP_IDEMPOTENCY_KEY="k-1")

    assert [answer.status_code for answer in answers] == [401] * 4
    assert {answer.json()["code"] for answer in answers} == {"not_authenticated"}
    assert forged.status_code == 403 and "CSRF" in forged.json()["message"]
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_after_the_contract_ended_the_till_books_nothing(alice, shop, till_client):
    client = till_client(alice)
    Merchant.objects.filter(pk=alice.pk).update(contract_status=ContractStatus.ENDED)
    merchants_changed()

    page = client.get("/pos/", HTTP_ACCEPT_LANGUAGE="en")
    response = client.book("earn", {"card_number": shop["card"].number, "program": shop["points"].pk,
                                    "purchase_amount_cents": 500}, HTTP_ACCEPT_LANGUAGE="en")

    assert "The contract has ended" in page.content.decode()
    assert response.status_code == 403 and response.json()["code"] == "contract_ended"
    assert response.json()["message"].startswith("The contract has ended: no more bookings can be made.")
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_a_manager_reverses_a_booking_of_the_card_once(alice, shop, till_client):
    client = till_client(alice)
    earned = client.book("earn", {"card_number": shop["card"].number, "program": shop["points"].pk,
                                  "purchase_amount_cents": 2_000}).json()
    assert client.card(shop["card"].number).json()["bookings"][0]["reversible"] is True

    reversed_ = client.book("reversal", {"booking_id": earned["booking"]}, HTTP_ACCEPT_LANGUAGE="en")
    again = client.book("reversal", {"booking_id": earned["booking"]})

    assert reversed_.status_code == 201
    assert reversed_.json()["headline"] == "−20 points"
    bookings = client.card(shop["card"].number, HTTP_ACCEPT_LANGUAGE="en").json()["bookings"]
    assert [(b["kind"], b["reversed"], b["reversible"]) for b in bookings] == [
        ("reversal", False, False), ("purchase", True, False)]
    assert again.status_code == 409 and again.json()["code"] == "already_reversed"
    assert balance(shop["card"], shop["points"]) == 0


def test_a_blank_card_is_handed_out_at_the_till_with_consent(alice, shop, cashier, till_client):
    client = till_client(alice, email=cashier.email)
    number = shop["blank"].number
    assert client.card(number).json()["can_register"] is True

    refused = client.post_json(f"/pos/api/cards/{number}/register/", {"first_name": "Berta"})
    registered = client.post_json(f"/pos/api/cards/{number}/register/",
                                  {"first_name": "Berta", "email": "berta@example.org", "consent": True})

    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    assert registered.status_code == 201, registered.json()
    body = registered.json()
    assert (body["status"], body["first_name"], body["can_register"]) == ("active", "Berta", False)
    with schema_context("alice"):
        card = Card.objects.select_related("cardholder").get(number=number)
        assert card.cardholder.email == "berta@example.org"
        consent = AuditLog.objects.get(action="cardholder.consent")
        assert (consent.actor_user, consent.actor_terminal) == (cashier, client.terminal)
        assert consent.data == {"purpose": "terms_and_privacy", "granted": True, "source": "till"}
        assert card.cardholder.consents.get().source == "till"
        assert Card.objects.filter(cardholder__isnull=False).count() == 1


def test_an_earn_at_the_till_costs_at_most_eight_sql_statements(alice, shop, cashier, till_client,
                                                                 django_assert_max_num_queries):
    client = till_client(alice, email=cashier.email)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 990}
    assert client.book("earn", data).status_code == 201  # first: account, caches

    with django_assert_max_num_queries(8) as statements:
        response = client.book("earn", data)

    assert response.status_code == 201 and response.json()["headline"] == "+9 Punkte"
    # The terminal, the cashier with their permissions (the session is in the cache), the
    # transaction, the card with the key, the booking, the credit, the card's wallet pass marked.
    assert len(statements) == 8, [query["sql"][:80] for query in statements.captured_queries]


def test_after_a_partial_return_the_till_offers_no_reversal_and_the_service_refuses_one(alice, shop, till_client):
    client = till_client(alice)
    sale = client.book("earn", {"card_number": shop["card"].number, "program": shop["points"].pk,
                                "purchase_amount_cents": 3_000}).json()
    with schema_context("alice"):
        booking_return(sale_id=sale["booking"], return_amount_cents=1_000, idempotency_key="r",
                       actor=Actor(label="test"))

    lines = client.card(shop["card"].number).json()["bookings"]
    refused = client.book("reversal", {"booking_id": sale["booking"]}, HTTP_ACCEPT_LANGUAGE="en")

    assert [(line["id"], line["reversible"]) for line in lines] == [
        (lines[0]["id"], False), (sale["booking"], False)]
    assert refused.status_code == 409 and refused.json()["code"] == "not_reversible"
    with schema_context("alice"):
        assert not Booking.objects.filter(kind="reversal").exists()


def test_points_that_expired_but_are_not_booked_away_are_not_offered_for_redemption(alice, shop, till_client):
    client = till_client(alice)
    card, reward = shop["card"].number, shop["reward"]
    client.book("earn", {"card_number": card, "program": shop["points"].pk, "purchase_amount_cents": 1_500})
    offered_before = _actions(client.card(card).json(), "Bonuspunkte")
    with schema_context("alice"):
        Lot.objects.update(expires_on=timezone.localdate() - datetime.timedelta(days=1))

    offered_after = _actions(client.card(card).json(), "Bonuspunkte")
    refused = client.book("redeem_reward", {"card_number": card, "reward": reward.pk})

    assert offered_before == ["earn", "redeem_reward"]
    assert offered_after == ["earn"]
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_balance"
    assert balance(shop["card"], shop["points"]) == 15


def _actions(card: dict, program_name: str) -> list[str]:
    return [action["action"] for program in card["programs"] if program["name"] == program_name
            for action in program["actions"]]


def test_an_open_claim_is_shown_at_the_till_and_paid_off_by_the_next_purchase(alice, shop, till_client):
    client = till_client(alice)
    card = shop["card"].number
    sale = client.book("earn", {"card_number": card, "program": shop["points"].pk,
                                "purchase_amount_cents": 1_000}).json()
    client.book("redeem_reward", {"card_number": card, "reward": shop["reward"].pk})
    with schema_context("alice"):
        booking_return(sale_id=sale["booking"], return_amount_cents=1_000, idempotency_key="r",
                       actor=Actor(label="test"))

    shown = client.card(card, HTTP_ACCEPT_LANGUAGE="de").json()
    paid_off = client.book("earn", {"card_number": card, "program": shop["points"].pk,
                                    "purchase_amount_cents": 2_500}, HTTP_ACCEPT_LANGUAGE="de").json()

    points = next(program for program in shown["programs"] if program["name"] == "Bonuspunkte")
    assert points["balance_text"] == "0 Punkte"
    assert points["claim_text"] == ("Offene Rückforderung aus einer Rückgabe: 10 Punkte, wird mit den "
                                    "nächsten Einkäufen verrechnet")
    assert paid_off["headline"] == "+25 Punkte (davon 10 Punkte mit der offenen Rückforderung verrechnet)"
    assert paid_off["balances"] == [{"program": "Bonuspunkte", "balance_text": "15 Punkte"}]
    assert balance(shop["card"], shop["points"]) == 15


@pytest.mark.parametrize(("action", "data", "message"), [
    ("earn", {"purchase_amount_cents": 0}, "Der Betrag muss größer als null sein."),
    ("earn", {"purchase_amount_cents": -250}, "Der Betrag muss größer als null sein."),
    ("earn", {"purchase_amount_cents": 10_000_001}, "Der Betrag darf höchstens 100.000,00 € sein."),
    ("earn", {"purchase_amount_cents": "12,50"}, "Das ist kein Betrag: Bitte eine Zahl wie 12,50 eingeben."),
    ("top_up", {"amount_cents": 50_001, "confirmed": True}, "Eine einzelne Aufladung darf 500,00 € nicht übersteigen."),
    ("pay", {"amount_cents": 1_250}, "Das Guthaben reicht nicht: 0,00 € verfügbar, 12,50 € verlangt."),
])
def test_refused_amounts_are_explained_in_money(alice, shop, till_client, action, data, message):
    client = till_client(alice)
    with schema_context("alice"):
        shop["prepaid"].max_top_up_cents = 50_000
        shop["prepaid"].save()
    program = shop["points"] if action == "earn" else shop["prepaid"]

    response = client.book(action, {"card_number": shop["card"].number, "program": program.pk, **data})

    assert response.status_code in (400, 409, 422)
    assert response.json()["message"] == message
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_a_repeated_till_booking_is_answered_from_the_first_in_few_statements(alice, shop, till_client,
                                                                           django_assert_max_num_queries):
    client = till_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 4_000}
    first = client.book("earn", data, key="the-key")

    with django_assert_max_num_queries(8):
        again = client.book("earn", data, key="the-key")

    assert again.status_code == 201 and again.json() == first.json()
