"""API keys: made by the owner with a scope, shown once, kept as a hash, revocable; a key books in
its own name and idempotency scope, a read key cannot book, and a key opens nothing elsewhere."""
import hashlib
import json
import uuid

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import ApiKey, AuditLog, Booking
from loyalty.services.api_keys import api_key_create
from loyalty.tests.manage_shop.conftest import signed_in
from tests.support.clients import HostClient
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(alice):
    with schema_context("alice"):
        return {"card": CardFactory(), "points": ProgramFactory(kind="points")}


def new_key(merchant, owner, scope="book", name="Kasse Filiale 2"):
    with schema_context(merchant.schema_name):
        return api_key_create(name=name, scope=scope, actor=Actor(user=owner))


def api(merchant, token) -> HostClient:
    return HostClient(merchant.primary_host, HTTP_AUTHORIZATION=f"Key {token}", HTTP_ACCEPT_LANGUAGE="en")


def earn(client, shop, key=None):
    return client.post("/api/bookings/earn/", json.dumps({
        "card_number": shop["card"].number, "program": shop["points"].pk, "purchase_amount_cents": 1_250}),
        content_type="application/json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def test_the_owner_creates_a_key_that_is_shown_once_and_kept_only_as_a_hash(alice, owner_client):
    created = owner_client.form("/manage/api-keys/", {"name": "Kasse Filiale 2", "scope": "read"},
                                HTTP_ACCEPT_LANGUAGE="en")
    listed = owner_client.get("/manage/api-keys/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert created.status_code == 200
    token = created.context["token"]
    assert token.startswith("sk_") and len(token) > 40 and token in created.content.decode()
    assert "shown only this once" in created.content.decode()
    assert token not in listed and "Kasse Filiale 2" in listed
    with schema_context("alice"):
        api_key = ApiKey.objects.get()
        assert api_key.key_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(value) for value in ApiKey.objects.values().get().values()]
        assert not any(token in value for value in stored)
        assert api_key.prefix in listed and token.startswith(api_key.prefix)
        assert (api_key.scope, api_key.created_by.email) == ("read", "owner@alice.example")
        assert AuditLog.objects.get(action="api_key.create").data["after"]["scope"] == "read"


def test_a_nameless_key_is_refused_and_the_form_keeps_the_scope(alice, owner_client):
    refused = owner_client.form("/manage/api-keys/", {"name": " ", "scope": "read"}, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert 'value="read" required id="id_scope_0" checked' in refused.content.decode()
    with schema_context("alice"):
        assert not ApiKey.objects.exists() and not AuditLog.objects.filter(action="api_key.create").exists()


def test_a_book_key_books_in_its_own_name_and_scope_and_its_use_is_shown(alice, alice_owner, shop, owner_client):
    api_key, token = new_key(alice, alice_owner)

    response = earn(api(alice, token), shop, key="register-0001")

    assert response.status_code == 201, response.content
    with schema_context("alice"):
        booking = Booking.objects.get()
        assert booking.actor_label == "API: Kasse Filiale 2"
        assert booking.idempotency_scope == f"key:{api_key.pk}"
        assert booking.staff_user is None and booking.terminal is None
        assert ApiKey.objects.get().last_used_at is not None
    assert "just now" in owner_client.get("/manage/api-keys/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The same Idempotency-Key again is a repeat of this key's booking, not a new one.
    assert earn(api(alice, token), shop, key="register-0001").json()["id"] == booking.pk
    with schema_context("alice"):
        assert Booking.objects.count() == 1


def test_a_read_key_reads_but_cannot_book(alice, alice_owner, shop):
    _, token = new_key(alice, alice_owner, scope="read")
    client = api(alice, token)

    looked_up = client.get(f"/api/cards/{shop['card'].number}/")
    refused = earn(client, shop)

    assert looked_up.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "may only read" in refused.json()["message"]
    with schema_context("alice"):
        assert not Booking.objects.exists()


def test_a_key_cannot_reverse_which_needs_a_person(alice, alice_owner, shop):
    _, token = new_key(alice, alice_owner)
    client = api(alice, token)
    booking_id = earn(client, shop).json()["id"]

    refused = client.post("/api/bookings/reverse/", json.dumps({"booking_id": booking_id}),
                          content_type="application/json", HTTP_IDEMPOTENCY_KEY="reverse-1")

    assert refused.status_code == 403
    with schema_context("alice"):
        assert Booking.objects.count() == 1


def test_revoking_asks_first_then_the_key_gets_401(alice, alice_owner, shop, owner_client):
    api_key, token = new_key(alice, alice_owner)

    question = owner_client.get(f"/manage/api-keys/{api_key.pk}/revoke/", HTTP_ACCEPT_LANGUAGE="en")
    still_works = api(alice, token).get(f"/api/cards/{shop['card'].number}/")
    revoked = owner_client.form(f"/manage/api-keys/{api_key.pk}/revoke/", {})
    refused = earn(api(alice, token), shop)

    assert question.status_code == 200 and "Revoke the API key “Kasse Filiale 2”?" in question.content.decode()
    assert still_works.status_code == 200
    assert revoked.status_code == 302
    assert refused.status_code == 401
    assert refused.json() == {"code": "not_authenticated", "message": "This API key is not valid (any more)."}
    with schema_context("alice"):
        assert not Booking.objects.exists()
        assert ApiKey.objects.get().revoked_at is not None
        assert AuditLog.objects.filter(action="api_key.revoke").count() == 1


def test_an_unknown_key_gets_401(alice, shop):
    assert api(alice, "sk_not-a-key").get(f"/api/cards/{shop['card'].number}/").status_code == 401


def test_a_key_does_not_open_the_tills_api(alice, alice_owner, shop):
    _, token = new_key(alice, alice_owner)

    response = api(alice, token).get(f"/pos/api/cards/{shop['card'].number}/")

    assert response.status_code in (401, 403)


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_key_gives_401_on_other_hosts_and_her_keys_are_not_listed_there(alice, alice_owner, shop, other, request):
    merchant = request.getfixturevalue(other)
    api_key, token = new_key(alice, alice_owner, name="Alices Kassen-API")
    with schema_context(other):
        card, points = CardFactory(), ProgramFactory(kind="points")

    looked_up = api(merchant, token).get(f"/api/cards/{card.number}/")
    booked = earn(api(merchant, token), {"card": card, "points": points})
    back_office = signed_in(merchant)
    page = back_office.get("/manage/api-keys/").content.decode()
    revoke = back_office.form(f"/manage/api-keys/{api_key.pk}/revoke/", {})

    assert (looked_up.status_code, booked.status_code) == (401, 401)
    assert "Alices Kassen-API" not in page and api_key.prefix not in page
    assert revoke.status_code == 404
    with schema_context(other):
        assert not Booking.objects.exists() and not ApiKey.objects.exists()
    with schema_context("alice"):
        assert ApiKey.objects.get().revoked_at is None


def test_the_schema_documents_the_key_and_its_error_responses(alice):
    schema = HostClient(alice.primary_host).get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["components"]["securitySchemes"]["apiKey"]["in"] == "header"
    earn_responses = schema["paths"]["/api/bookings/earn/"]["post"]["responses"]
    assert {"201", "401", "403"} <= set(earn_responses)
    assert "revoked" in earn_responses["401"]["description"]
    assert "scope `read`" in earn_responses["403"]["description"]
    assert {"apiKey": []} in schema["paths"]["/api/bookings/earn/"]["post"]["security"]
    assert "401" in schema["paths"]["/api/cards/{number}/"]["get"]["responses"]
