"""At the edge, for every request: answers carry the Content-Security-Policy, a Permissions-Policy
and `Cache-Control: no-store`; the APIs answer a missing address, a body too large, JSON nested too
deep and a server error in JSON; control characters are refused before anything reads them."""
import json

import pytest
from django.test import RequestFactory

from config.errors import server_error
from tests.support.baseline import owner_email
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/manage/login/", "/pos/pair/", "/api/programs/", "/api/nothing/",
                                  "/pos/api/cards/0009000000001/"])
def test_every_answer_carries_the_policies_and_no_store(alice, path):
    response = HostClient(alice.primary_host).get(path)

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_operators_pages_carry_them_too(operator_client):
    response = operator_client.get("/login/")

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/api/nothing/", "/pos/api/nothing/", "/api/cards/%00/"])
def test_the_apis_answer_a_missing_address_or_a_nul_in_json(alice, path):
    response = HostClient(alice.primary_host).get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"code", "message"}


def test_a_page_with_a_nul_in_its_query_gets_a_400_page(operator_client, alice):
    console = operator_client.get("/?q=%00")
    till = HostClient(alice.primary_host).get("/pos/login/?next=%00")

    assert console.status_code == till.status_code == 400
    assert console["Content-Type"].startswith("text/html")


def test_a_body_over_64_kib_is_refused_with_json_413_and_json_nested_too_deep_with_400(alice, terminal_client):
    client = terminal_client(alice)

    huge = client.post("/api/bookings/earn/", json.dumps({"card_number": "1" * 3_000_000}),
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    deep = client.post("/api/bookings/earn/", "[" * 1000 + "]" * 1000, content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY="k")

    assert (huge.status_code, huge.json()["code"]) == (413, "request_too_large")
    assert (deep.status_code, deep.json()["code"]) == (400, "malformed_request")


def test_a_server_error_on_the_apis_is_json_and_elsewhere_a_page():
    factory = RequestFactory()

    on_api = server_error(factory.get("/api/cards/0009000000001/"))
    on_page = server_error(factory.get("/manage/"))

    assert on_api.status_code == on_page.status_code == 500
    assert json.loads(on_api.content)["code"] == "server_error"
    assert on_page["Content-Type"].startswith("text/html") and b"Something went wrong" in on_page.content


def test_a_form_too_large_gets_a_413_page_and_signs_nobody_in(alice):
    client = HostClient(alice.primary_host)

    response = client.post("/manage/login/", {"username": owner_email(alice.schema_name), "password": "x" * 3_000_000})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "_auth_user_id" not in client.session


def test_a_refusal_at_the_edge_speaks_the_visitors_language(alice):
    client = HostClient(alice.primary_host)

    english = client.get("/manage/login/?next=%00", HTTP_ACCEPT_LANGUAGE="en")
    german = client.get("/manage/login/?next=%00", HTTP_ACCEPT_LANGUAGE="de")
    api = client.get("/api/cards/%00/", HTTP_ACCEPT_LANGUAGE="en")

    assert english.status_code == german.status_code == api.status_code == 400
    assert b"characters that are not allowed" in english.content
    assert b"Zeichen, die nicht erlaubt sind" in german.content
    assert api.json()["message"] == "The request contains characters that are not allowed."


def test_an_unknown_host_answers_in_the_visitors_language():
    english = HostClient("nobody.stammkunde.localhost").get("/", HTTP_ACCEPT_LANGUAGE="en")
    german = HostClient("nobody.stammkunde.localhost").get("/", HTTP_ACCEPT_LANGUAGE="de")

    assert english.status_code == german.status_code == 404
    assert b"Page not found" in english.content and b"Seite nicht gefunden" in german.content
