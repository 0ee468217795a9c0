"""The isolation sweep: every URL pattern of both URL confs, called on another merchant's host (and
on the operator's) with all that alice's people and devices hold (her owner's session, her till's
device cookie and staff session, her terminal's and her owner's API tokens) and alice's object ids.
Nothing of alice's comes back and nothing is written. A pattern the sweep does not know fails it:
a new page or endpoint must say here how it is called."""
import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tenants.utils import schema_context
from PIL import Image
from rest_framework.authtoken.models import Token

from billing.models import Invoice
from hq.models import PrintOrder
from loyalty.actors import Actor
from loyalty.models import (
    AuditLog,
    BonusAction,
    Booking,
    Card,
    CardholderImport,
    CustomField,
    DataExport,
    Terminal,
)
from loyalty.pos.auth import TERMINAL_COOKIE
from loyalty.services.api_keys import api_key_create
from loyalty.services.bookings import booking_earn
from loyalty.services.cardholders import card_register
from loyalty.services.portal_accounts import (
    CONFIRM_EMAIL,
    CONFIRM_NEW_EMAIL,
    DELETION,
    INVITATION,
    SIGN_IN,
    portal_link_token,
)
from loyalty.services.shop import shop_branding, shop_logo_replace
from loyalty.services.terminals import terminal_create
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory
from tests.support.portal import portal_signed_in
from tests.support.routes import PUBLIC_ROUTES, TENANT_ROUTES, routes_of

pytestmark = pytest.mark.django_db


# Pages a visitor without any right may see: their 200 shows nothing of anyone's.
PAGES_FOR_ANYONE = {"/", "/impressum/", "/datenschutz/", "/manage/login/", "/pos/pair/", "/api/schema/",
                    "/api/docs/", "/register/", "/sign-in/"}


def test_the_sweep_knows_every_pattern_of_both_url_confs():
    assert set(routes_of("config.urls_tenant")) == set(TENANT_ROUTES), (
        "a merchant-host pattern the isolation sweep does not call: add it to TENANT_ROUTES")
    assert set(routes_of("config.urls_public")) == set(PUBLIC_ROUTES), (
        "an operator-host pattern the isolation sweep does not call: add it to PUBLIC_ROUTES")


@pytest.fixture
def alices(alice, till_client, host_client):
    """What alice's people and devices hold, and alice's ids."""
    with schema_context("alice"):
        card, points = CardFactory(), ProgramFactory(kind="points")
        reward = RewardFactory(program=points)
        bonus_action = BonusAction.objects.create(program=points, kind="sign_up", name="Welcome", points=5)
        owner = User.objects.get(email=owner_email("alice"))
        terminal, api_token = terminal_create(name="Register", actor=Actor(label="test"))
        booking = booking_earn(card_number=card.number, program=points, purchase_amount_cents=4_200,
                               idempotency_key="alices-sale", actor=Actor(label="test"))
        user_token = Token.objects.create(user=owner).key
        api_key, api_key_token = api_key_create(name="Register API", scope="book", actor=Actor(user=owner))
        shop_logo_replace(upload=SimpleUploadedFile("logo.png", _png()), actor=Actor(user=owner))
        logo = shop_branding().logo_version
        colleague = User.objects.create_user("kollegin@alice.example", PASSWORD, full_name="Kim Kollegin")
        role = Group.objects.create(name="Alice’s own role")
        holder = CardFactory(status=Card.Status.UNISSUED)
        cardholder = card_register(card_number=holder.number, actor=Actor(user=owner), first_name="Alwine",
                                   last_name="Geheimkundin", email="alwine@alice.example").cardholder
        custom_field = CustomField.objects.create(key="lieblingsbrot", label="Alices Lieblingsbrot")
        cardholder_import = CardholderImport.objects.create(
            file_name="alices-kunden.csv", file_format="csv", content=b"Vorname;Nachname\r\nAlwine;Geheimkundin\r\n",
            content_sha256="0" * 64, headers=["Vorname", "Nachname"], created_by=owner)
        data_export = DataExport.objects.create(created_by=owner)
        audit_entry = AuditLog.objects.latest("pk")
        links = {f"{name}_token": portal_link_token(cardholder, kind) for name, kind in (
            ("confirm", CONFIRM_EMAIL), ("invitation", INVITATION), ("sign_in", SIGN_IN),
            ("new_email", CONFIRM_NEW_EMAIL), ("deletion", DELETION))}
    portal = portal_signed_in(alice, cardholder)
    back_office = host_client(alice)
    assert back_office.post("/manage/login/", {"username": owner.email, "password": PASSWORD}).status_code == 302
    till = till_client(alice)
    order = PrintOrder.objects.create(merchant=alice, quantity=1, layout="standard")
    invoice = Invoice.objects.create(merchant=alice, kind="invoice", number="2026-99999", year=2026,
                                     sequence=99999, period="2026-05-01", issued_on="2026-05-31",
                                     net_cents=100, vat_rate_percent=19, vat_cents=19, gross_cents=119)
    return {
        "ids": {"card": card.number, "booking": booking.pk, "terminal": terminal.pk, "program": points.pk,
                "uid": urlsafe_base64_encode(force_bytes(owner.pk)), "merchant": alice.pk,
                "print_order": order.pk, "invoice": invoice.pk, "api_key": api_key.pk,
                "logo": logo, "user": colleague.pk, "role": role.pk, "reward": reward.pk,
                "bonus_action": bonus_action.pk, "cardholder": cardholder.pk, "holder_card": holder.number, "custom_field": custom_field.pk,
                "cardholder_import": cardholder_import.pk, "data_export": data_export.pk,
                "audit_entry": audit_entry.pk, "pass_type": settings.WALLET_PASS_TYPE_ID, **links},
        # alice's staff session and her cardholder's portal session would both be in one cookie.
        "cookies": {name: value for client in (back_office, till) for name, value in client.cookies.items()},
        "portal_session": portal.cookies[settings.SESSION_COOKIE_NAME].value,
        "till_cookie": till.cookies[TERMINAL_COOKIE].value,
        "authorizations": [f"Terminal {api_token}", f"Token {user_token}", f"Key {api_key_token}"],
        # What of alice's must never come back elsewhere (her ids are numbers any page may contain).
        "secrets": [card.number, owner.email, api_token, user_token, api_key_token, "Alice’s Bakery",
                    colleague.email, role.name, holder.number, "Geheimkundin", "alwine@alice.example", custom_field.label,
                    cardholder_import.file_name],
    }


def _png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "#7a4a21").save(image, format="PNG")
    return image.getvalue()


def _calls(routes: dict, ids: dict):
    for calls in routes.values():
        for method, path in calls:
            yield method, path.format(**ids)


def _body(ids: dict) -> str:
    return json.dumps({"card_number": ids["card"], "program": ids["program"], "booking_id": ids["booking"],
                       "sale_id": ids["booking"], "purchase_amount_cents": 500, "amount_cents": 500,
                       "amount": 5, "reason": "x", "first_name": "Eve", "consent": True})


def _stranger(host: str, alices: dict, authorization: str, *, portal: bool = False) -> HostClient:
    """A client carrying everything alice's people hold: her staff's (or, with `portal`, her
    cardholder's) session, her till's cookie and one of her credentials."""
    client = HostClient(host, HTTP_AUTHORIZATION=authorization)
    for name, cookie in alices["cookies"].items():
        client.cookies[name] = cookie.value
    if portal:
        client.cookies[settings.SESSION_COOKIE_NAME] = alices["portal_session"]
    client.cookies[TERMINAL_COOKIE] = alices["till_cookie"]
    return client


def _writes(schema: str) -> tuple[int, int, int, int]:
    with schema_context(schema):
        return (Booking.objects.count(), AuditLog.objects.exclude(action__startswith="throttled.").count(),
                Terminal.objects.count(), Card.objects.filter(cardholder__isnull=False).count())


@pytest.mark.parametrize("other", ["bob", "charlie"])
@pytest.mark.parametrize("portal", [False, True], ids=["staff-session", "portal-session"])
def test_nothing_of_alices_answers_on_another_merchants_host(alices, other, portal, request):
    merchant = request.getfixturevalue(other)
    before = _writes(other)
    leaks = []
    for authorization in alices["authorizations"]:
        client = _stranger(merchant.primary_host, alices, authorization, portal=portal)
        for method, path in _calls(TENANT_ROUTES, alices["ids"]):
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, _body(alices["ids"]), content_type="application/json",
                                       HTTP_IDEMPOTENCY_KEY="sweep", HTTP_X_CSRFTOKEN=alices["cookies"]["csrftoken"].value)
            body = response.content.decode(errors="replace")
            found = [secret for secret in alices["secrets"] if secret in body]
            if response.status_code >= 500 or found:
                leaks.append((authorization.split()[0], method, path, response.status_code, found))
            elif path.startswith("/manage/invitation/"):
                # A page for anyone with a link: here it must say the link is not valid.
                if response.status_code != 200 or response.context["validlink"]:
                    leaks.append((authorization.split()[0], method, path, response.status_code))
            elif 200 <= response.status_code < 300 and method == "GET" and path not in PAGES_FOR_ANYONE:
                leaks.append((authorization.split()[0], method, path, response.status_code))
    assert leaks == [], '\n'.join(map(str, leaks))
    assert _writes(other) == before


def test_alices_session_and_ids_open_nothing_on_the_operators_host(alices, settings):
    leaks = []
    client = _stranger(settings.BASE_HOST, alices, alices["authorizations"][1])
    for method, path in _calls(PUBLIC_ROUTES, alices["ids"]):
        response = client.get(path) if method == "GET" else client.post(path, {"code": "000000"})
        body = response.content.decode(errors="replace")
        opened = 200 <= response.status_code < 300 and path not in ("/login/",)
        found = [secret for secret in alices["secrets"] if secret in body]
        if response.status_code >= 500 or opened or found:
            leaks.append((method, path, response.status_code, found))
    assert leaks == [], '\n'.join(map(str, leaks))
