"""The bad-input corpus against every pattern of both URL confs, signed in as their own users: NUL
and control characters in paths, queries and headers, JSON nested a thousand deep, bodies of several
megabytes, wrong types and odd unicode. Every answer is a 4xx (or a refusal the page shows), JSON on
the APIs, never a 500, and nothing is written."""
import json

import pytest
from django_tenants.utils import schema_context

from hq.models import OperatorAuditLog, PrintOrder
from loyalty.actors import Actor
from loyalty.models import AuditLog, Booking, Card, Cardholder, Terminal
from loyalty.services.api_keys import api_key_create
from loyalty.services.bookings import booking_earn
from loyalty.services.terminals import terminal_create
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient, operator_sign_in
from tests.support.factories import CardFactory, ProgramFactory
from tests.support.routes import PUBLIC_ROUTES, TENANT_ROUTES

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
ODD_TEXT = ["\u202eevil", "\ud83d\ude00" * 500, "x" * 10_000, "²³", "\u0000", "e\u0301", "\ufeff"]
WRONG_TYPES = [None, [], {}, True, -1, 2**70, 1.5, "NaN", ["0009000000001"], {"$ne": 1}]
FIELDS = ["card_number", "program", "reward", "purchase_amount_cents", "amount_cents", "stamps",
          "sale_id", "return_amount_cents", "booking_id", "amount", "reason", "receipt_number",
          "first_name", "email", "consent", "username", "password", "code", "pin", "pin_again",
          "terminal_name", "count", "effective_on", "given_on", "name", "subdomain", "language"]


def _bodies(ids: dict):
    """(content type, body) pairs: the corpus."""
    yield "application/json", DEEP
    yield "application/json", '{"card_number": "' + "1" * 3_000_000 + '"}'
    yield "application/json", '{"card_number": "0009000000001", '  # cut off
    yield "application/json", json.dumps({"card_number": ids.get("card", "0009000000001"), "program": "NaN"}).replace('"NaN"', "NaN")
    for value in WRONG_TYPES + ODD_TEXT:
        try:
            yield "application/json", json.dumps(dict.fromkeys(FIELDS, value))
        except ValueError:
            continue
    yield "application/x-www-form-urlencoded", "&".join(f"{field}=%00%01" for field in FIELDS)
    yield "application/x-www-form-urlencoded", "username=" + "a" * 3_000_000
    yield "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\0\r\n--x--"


def _writes(schema: str) -> tuple:
    with schema_context(schema):
        return (Booking.objects.count(), Terminal.objects.count(), Cardholder.objects.count(),
                Card.objects.exclude(status="active").count(),
                AuditLog.objects.exclude(action__startswith="throttled.").exclude(action="pos.sign_in").count())


def _public_writes() -> tuple:
    return (PrintOrder.objects.count(),
            OperatorAuditLog.objects.exclude(action__in=["sign_in.paused", "two_factor.paused"]).count())


def _problems(client, method: str, path: str, ids: dict, json_paths=("/api/", "/pos/api/")) -> list:
    problems = []

    def check(response, what):
        if response.status_code >= 500:
            problems.append((method, path, what, response.status_code))
        if path.startswith(json_paths) and response.status_code >= 400 and not response["Content-Type"].startswith(
                "application/json"):
            problems.append((method, path, what, "not JSON", response["Content-Type"]))

    for bad_path in (path + "%00/", path.rstrip("/") + "%00", path + "?q=%00", path + "?q=%0a%0d", path + "?%ff=%fe"):
        check(client.generic(method, bad_path), f"path {bad_path}")
    for header in ("HTTP_IDEMPOTENCY_KEY", "HTTP_AUTHORIZATION", "HTTP_ACCEPT_LANGUAGE", "HTTP_X_CSRFTOKEN"):
        response = client.generic(method, path, **{header: "a\x00b"})
        check(response, f"NUL in {header}")
        if response.status_code != 400:
            problems.append((method, path, f"NUL in {header} not refused", response.status_code))
    if method == "POST":
        for content_type, body in _bodies(ids):
            check(client.generic("POST", path, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="bad-input"),
                  f"{content_type} body of {len(body)}")
    return problems


@pytest.fixture
def alices_shop(alice, till_client):
    with schema_context("alice"):
        card, points = CardFactory(), ProgramFactory(kind="points")
        terminal, api_token = terminal_create(name="Register", actor=Actor(label="test"))
        owner_user = User.objects.get(email=owner_email("alice"))
        api_key, _token = api_key_create(name="Register API", scope="book", actor=Actor(user=owner_user))
        booking = booking_earn(card_number=card.number, program=points, purchase_amount_cents=1_000,
                               idempotency_key="before", actor=Actor(label="test"))
    owner = HostClient(alice.primary_host)
    assert owner.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}).status_code == 302
    till = till_client(alice)
    ids = {"card": card.number, "booking": booking.pk, "terminal": terminal.pk, "program": points.pk,
           "uid": "MQ", "merchant": alice.pk, "print_order": 1, "invoice": 1, "api_key": api_key.pk,
           "logo": "0" * 12, "user": 1, "role": 1, "reward": 1, "bonus_action": 1, "cardholder": 1,
           "holder_card": card.number,
           "custom_field": 1, "cardholder_import": 1, "data_export": 1, "audit_entry": 1,
           "pass_type": "pass.example", **{f"{name}_token": "not-a-token" for name in (
               "confirm", "invitation", "sign_in", "new_email", "deletion")}}
    return ids, {"owner": owner, "till": till,
                 "api": HostClient(alice.primary_host, HTTP_AUTHORIZATION=f"Terminal {api_token}")}


def test_the_corpus_against_every_merchant_page_and_endpoint_gets_4xx_and_writes_nothing(alice, alices_shop):
    ids, clients = alices_shop
    before = _writes("alice")
    problems = []
    for calls in TENANT_ROUTES.values():
        for method, path in calls:
            path = path.format(**ids)
            client = (clients["till"] if path.startswith("/pos/") else
                      clients["api"] if path.startswith("/api/") else clients["owner"])
            problems += _problems(client, method, path, ids)

    assert problems == [], "\n".join(map(str, problems))
    assert _writes("alice") == before


def test_the_corpus_against_every_operator_page_gets_4xx_and_writes_nothing(alice, operator_client):
    operator_sign_in(operator_client)
    ids = {"merchant": alice.pk, "print_order": 1, "invoice": 1}
    before = _public_writes()
    problems = []
    for calls in PUBLIC_ROUTES.values():
        for method, path in calls:
            problems += _problems(operator_client, method, path.format(**ids), ids, json_paths=())

    assert problems == [], "\n".join(map(str, problems))
    assert _public_writes() == before
