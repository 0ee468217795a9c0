import json
import uuid

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.pos.auth import TERMINAL_COOKIE
from loyalty.pos.services import cashier_group
from loyalty.services.terminals import terminal_create
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory, UserFactory


class TillClient(HostClient):
    """A browser at a till: CSRF checked as in production, JSON helpers that send the token."""

    def __init__(self, host: str, **defaults):
        super().__init__(host, enforce_csrf_checks=True, **defaults)

    def csrf(self) -> str:
        if "csrftoken" not in self.cookies:
            self.get("/pos/login/", follow=True)  # the sign-in or, unpaired, the pairing form
        return self.cookies["csrftoken"].value

    def form(self, path, data, **extra):
        return self.post(path, {"csrfmiddlewaretoken": self.csrf(), **data}, **extra)

    def sign_in(self, email, password=PASSWORD):
        return self.form("/pos/login/", {"method": "password", "password-email": email,
                                         "password-password": password})

    def book(self, action, data, key=None, **extra):
        return self.post_json(f"/pos/api/bookings/{action}/", data,
                              HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()), **extra)

    def post_json(self, path, data, **extra):
        return self.post(path, json.dumps(data), content_type="application/json",
                         HTTP_X_CSRFTOKEN=self.csrf(), **extra)

    def card(self, number, **extra):
        return self.get(f"/pos/api/cards/{number}/", **extra)


def paired_terminal(merchant, name="Till 1"):
    with schema_context(merchant.schema_name):
        return terminal_create(name=name, actor=Actor(label="test"))


@pytest.fixture
def till_client():
    """`till_client(merchant, email=owner)`: a browser paired as a new terminal of the merchant
    and signed in there (pass email=None to stay signed out)."""

    def make(merchant, email="owner", *, terminal_name="Till 1") -> TillClient:
        terminal, token = paired_terminal(merchant, terminal_name)
        client = TillClient(merchant.primary_host)
        client.cookies[TERMINAL_COOKIE] = token
        client.terminal, client.token = terminal, token
        if email:
            response = client.sign_in(owner_email(merchant.schema_name) if email == "owner" else email)
            assert response.status_code == 302, response.content.decode()
        return client

    return make


@pytest.fixture
def cashier(db, alice):
    """A member of alice's staff in the cashier group."""
    with schema_context(alice.schema_name):
        user = UserFactory(email="kasse@alice.example", full_name="Kai Kasse")
        user.groups.add(cashier_group())
        return user


@pytest.fixture
def shop(db, alice):
    """Alice's four programs with a reward, an active card and a blank one."""
    with schema_context(alice.schema_name):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        return {
            "card": CardFactory(),
            "blank": CardFactory(status="unissued"),
            "points": points,
            "reward": RewardFactory(program=points, name="Kaffee", points=10),
            "prepaid": ProgramFactory(kind="prepaid", name="Guthaben"),
            "stamps": ProgramFactory(kind="stamps", name="Stempel", stamps_per_reward=3, stamp_reward="Ein Brot"),
            "voucher": ProgramFactory(kind="voucher", name="Gutschein", voucher_value_cents=2_500),
        }
