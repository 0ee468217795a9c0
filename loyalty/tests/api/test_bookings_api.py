"""The REST API: bookings with idempotency keys, JSON errors in the caller's language, isolation."""
import json
import uuid

import pytest
from django_tenants.utils import schema_context

from loyalty.models import Account, Booking, LedgerEntry

pytestmark = pytest.mark.django_db


def post(client, path, data, key=None, **headers):
    return client.post(path, json.dumps(data) if not isinstance(data, str) else data,
                       content_type="application/json",
                       headers={"Idempotency-Key": key or str(uuid.uuid4()), **headers})


def balance_in(merchant, card, program):
    with schema_context(merchant.schema_name):
        account = Account.objects.filter(card=card, program=program).first()
        return account.balance if account else 0


def test_earn_books_and_answers_with_the_new_balance(alice, shop, terminal_client):
    client = terminal_client(alice)

    response = post(client, "/api/bookings/earn/", {
        "card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 1_250,
        "receipt_number": "B-1"})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["card"], body["purchase_amount_cents"]) == ("earn", shop["card"].number, 1_250)
    assert body["entries"] == [{"program": shop["points"].pk, "program_name": shop["points"].name,
                                "amount": 12, "balance_after": 12, "claim_change": 0}]
    with schema_context("alice"):
        booking = Booking.objects.get()
        assert booking.terminal.name == "Till 1" and booking.staff_user is None


def test_same_request_twice_with_one_key_books_once_and_answers_the_same(alice, shop, terminal_client):
    client = terminal_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 2_000}

    first = post(client, "/api/bookings/top-up/", data, key="till-1-0001")
    second = post(client, "/api/bookings/top-up/", data, key="till-1-0001")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert balance_in(alice, shop["card"], shop["prepaid"]) == 2_000
    with schema_context("alice"):
        assert LedgerEntry.objects.count() == 1


def test_same_key_with_a_different_body_is_refused(alice, shop, terminal_client):
    client = terminal_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 2_000}
    post(client, "/api/bookings/top-up/", data, key="till-1-0002")

    response = post(client, "/api/bookings/top-up/", {**data, "amount_cents": 9_000}, key="till-1-0002",
                    **{"Accept-Language": "en"})

    assert response.status_code == 422
    assert response.json() == {"code": "idempotency_key_reused",
                               "message": "This idempotency key was already used for a different request."}
    assert balance_in(alice, shop["card"], shop["prepaid"]) == 2_000


def test_reverse_once_through_the_api(alice, shop, terminal_client, owner_client):
    top_up = post(terminal_client(alice), "/api/bookings/top-up/", {
        "card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 500}).json()
    client = owner_client(alice)

    first = post(client, "/api/bookings/reverse/", {"booking_id": top_up["id"]})
    second = post(client, "/api/bookings/reverse/", {"booking_id": top_up["id"]})

    assert first.status_code == 201
    assert first.json()["reverses"] == top_up["id"]
    assert second.status_code == 409 and second.json()["code"] == "already_reversed"
    assert balance_in(alice, shop["card"], shop["prepaid"]) == 0


def test_a_terminal_token_without_a_person_cannot_reverse(alice, shop, terminal_client):
    client = terminal_client(alice)
    top_up = post(client, "/api/bookings/top-up/", {
        "card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 500}).json()

    response = post(client, "/api/bookings/reverse/", {"booking_id": top_up["id"]})

    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    with schema_context("alice"):
        assert not Booking.objects.filter(kind="reversal").exists()
        assert Booking.objects.count() == 1
    assert balance_in(alice, shop["card"], shop["prepaid"]) == 500


@pytest.mark.parametrize(("path", "data", "status", "code"), [
    ("/api/bookings/earn/", {"card_number": "0000000000000", "program": "P", "purchase_amount_cents": 100},
     400, "invalid_input"),
    ("/api/bookings/earn/", {"card_number": "0000000000000", "program": 1, "purchase_amount_cents": 100},
     404, "card_not_found"),
    ("/api/bookings/top-up/", {"card_number": "CARD", "program": "PREPAID", "amount_cents": -5}, 400, "invalid_input"),
    ("/api/bookings/top-up/", {"card_number": "CARD", "program": "PREPAID", "amount_cents": 10**12}, 400,
     "invalid_input"),
    ("/api/bookings/top-up/", {"card_number": "CARD", "program": "POINTS", "amount_cents": 100}, 422, "wrong_program"),
    ("/api/bookings/pay/", {"card_number": "CARD", "program": "PREPAID", "amount_cents": 100}, 409,
     "insufficient_balance"),
    ("/api/bookings/top-up/", {"card_number": "CARD"}, 400, "invalid_input"),
    ("/api/bookings/top-up/", '{"card_number": "CARD", "program": ', 400, "malformed_request"),
    ("/api/bookings/redeem-reward/", {"card_number": "CARD", "reward": 999999}, 404, "reward_not_found"),
    ("/api/bookings/return/", {"sale_id": 999999, "return_amount_cents": 100}, 404, "booking_not_found"),
    ("/api/bookings/return/", {"sale_id": 2**70, "return_amount_cents": 100}, 400, "invalid_input"),
])
def test_invalid_input_gets_a_clear_4xx_and_books_nothing(alice, shop, terminal_client, path, data, status, code):
    replacements = {"CARD": shop["card"].number, "PREPAID": shop["prepaid"].pk, "POINTS": shop["points"].pk}
    if isinstance(data, dict):
        data = {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    else:
        data = data.replace("CARD", shop["card"].number)

    response = post(terminal_client(alice), path, data)

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert response.json()["message"]
    with schema_context("alice"):
        assert not Booking.objects.exists() and not LedgerEntry.objects.exists()


def test_blocked_card_is_refused_in_german_by_default(alice, shop, terminal_client):
    from loyalty.actors import Actor
    from loyalty.services.cards import card_block

    with schema_context("alice"):
        card_block(card_number=shop["card"].number, actor=Actor(label="test"))

    response = post(terminal_client(alice), "/api/bookings/top-up/", {
        "card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 100})

    assert response.status_code == 409
    assert response.json() == {"code": "card_not_active",
                               "message": "Auf diese Karte kann nicht gebucht werden: sie ist gesperrt."}


def test_missing_idempotency_key_is_refused(alice, shop, terminal_client):
    response = terminal_client(alice).post(
        "/api/bookings/top-up/",
        {"card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 100},
        content_type="application/json", headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_requests_without_or_with_a_bad_token_are_refused(alice, shop, host_client):
    anonymous = host_client(alice).get(f"/api/cards/{shop['card'].number}/")
    forged = host_client(alice).get(f"/api/cards/{shop['card'].number}/",
                                    headers={"Authorization": "Terminal not-a-token"})

    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert forged.status_code == 401


def test_card_lookup_shows_balances_and_only_the_first_name(alice, shop, terminal_client):
    client = terminal_client(alice)
    post(client, "/api/bookings/top-up/", {"card_number": shop["card"].number, "program": shop["prepaid"].pk,
                                           "amount_cents": 700})

    body = client.get(f"/api/cards/{shop['card'].number}/").json()

    assert body == {"number": shop["card"].number, "status": "active", "first_name": "",
                    "accounts": [{"program": shop["prepaid"].pk, "program_name": shop["prepaid"].name,
                                  "kind": "prepaid", "balance": 700, "claim": 0}]}


def test_user_token_books_as_that_user_and_only_staff_may_adjust(alice, shop, host_client, terminal_client):
    from rest_framework.authtoken.models import Token

    from tenants.accounts.models import User

    with schema_context("alice"):
        owner = User.objects.get(is_superuser=True)
        token = Token.objects.create(user=owner)
    owner_client = host_client(alice)
    owner_client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "amount": 40, "reason": "Goodwill"}

    by_terminal = post(terminal_client(alice), "/api/bookings/adjust/", data)
    by_owner = post(owner_client, "/api/bookings/adjust/", data)

    assert by_terminal.status_code == 403
    assert by_owner.status_code == 201
    with schema_context("alice"):
        assert Booking.objects.get().staff_user == owner
    assert balance_in(alice, shop["card"], shop["points"]) == 40


def test_bookings_of_alice_are_invisible_through_bobs_token_and_host(alice, bob, shop, terminal_client):
    alice_client = terminal_client(alice)
    booking = post(alice_client, "/api/bookings/top-up/", {
        "card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 900}).json()
    bob_client = terminal_client(bob)
    alice_token = alice_client.defaults["HTTP_AUTHORIZATION"]

    assert bob_client.get(f"/api/cards/{shop['card'].number}/").status_code == 404
    assert bob_client.get(f"/api/bookings/{booking['id']}/").status_code == 404
    assert bob_client.get("/api/programs/").json() == []
    # Alice's terminal token is worthless on bob's host.
    bob_client.defaults["HTTP_AUTHORIZATION"] = alice_token
    assert bob_client.get("/api/programs/").status_code == 401
    refused = post(bob_client, "/api/bookings/top-up/", {
        "card_number": shop["card"].number, "program": shop["prepaid"].pk, "amount_cents": 900})
    assert refused.status_code == 401
    with schema_context("bob"):
        assert not Booking.objects.exists()
    assert alice_client.get(f"/api/bookings/{booking['id']}/").json()["entries"][0]["balance_after"] == 900


def test_openapi_schema_documents_the_bookings(alice, host_client):
    response = host_client(alice).get("/api/schema/", headers={"Accept": "application/json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/bookings/earn/" in schema["paths"]
    parameters = schema["paths"]["/api/bookings/earn/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)
    assert "terminalToken" in schema["components"]["securitySchemes"]
    docs = host_client(alice).get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    # The refusals: every booking's, and the plausibility limit's where an amount is typed.
    answers = {slug: set(schema["paths"][f"/api/bookings/{slug}/"]["post"]["responses"])
               for slug in ("earn", "top-up", "reverse")}
    assert answers["earn"] == answers["top-up"] == {"201", "401", "403", "404", "409", "422"}
    assert answers["reverse"] == {"201", "401", "403", "404", "422"}
    earn_409 = schema["paths"]["/api/bookings/earn/"]["post"]["responses"]["409"]["description"]
    assert "confirmation_required" in earn_409 and "confirmed: true" in earn_409


def test_an_earn_costs_at_most_eight_sql_statements(alice, shop, terminal_client, django_assert_max_num_queries):
    client = terminal_client(alice)
    data = {"card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 1_250}
    assert post(client, "/api/bookings/earn/", data).status_code == 201  # first: account, caches

    with django_assert_max_num_queries(8) as statements:
        response = post(client, "/api/bookings/earn/", data)

    assert response.status_code == 201 and response.json()["entries"][0]["balance_after"] == 24
    # The terminal, the transaction (savepoint), the card with the key, the booking, the credit,
    # the card's wallet pass marked.
    assert len(statements) == 7, [query["sql"][:80] for query in statements.captured_queries]
