"""Fixtures of the registration and sign-in tests: blank cards with their activation codes, a
visitor's browser on a merchant's host, the links in the mails sent."""
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from loyalty.models import Card
from tests.support.clients import HostClient
from tests.support.factories import CardFactory

CODE = "K7M2P9QX"
DETAILS = {"first_name": "Hanna", "last_name": "Huber", "email": "hanna@example.de",
           "terms_and_privacy": "on", "version__terms_and_privacy": "1", "version__newsletter": "1",
           "version__sms": "1", "version__analysis": "1"}
_LINK = re.compile(r"https?://\S+")


@pytest.fixture
def blank_card():
    """`blank_card(merchant, status=…, code=…)`: a card of that merchant with its activation code."""

    def make(merchant, *, status: str = Card.Status.UNISSUED, code: str = CODE) -> Card:
        with schema_context(merchant.schema_name):
            return CardFactory(status=status, activation_code=code)

    return make


@pytest.fixture
def visitor():
    """`visitor(merchant, language="en")`: a browser on the merchant's host, nobody signed in."""

    def make(merchant, *, language: str = "en", **extra) -> HostClient:
        return HostClient(merchant.primary_host, HTTP_ACCEPT_LANGUAGE=language, **extra)

    return make


def input_tag(page: str, name: str) -> str:
    """The <input> (or <select>) tag of the field `name` in a page."""
    [tag] = re.findall(rf'<(?:input|select)[^>]*name="{re.escape(name)}"[^>]*>', page)
    return tag


def is_ticked(page: str, name: str) -> bool:
    return re.search(r"\schecked[\s>]", input_tag(page, name)) is not None


def links_in(message) -> list[str]:
    return _LINK.findall(message.body)


def link_path(message, fragment: str) -> str:
    """The path of the one link in the mail that contains `fragment` ("/confirm/")."""
    [link] = [link for link in links_in(message) if fragment in link]
    return urlsplit(link).path


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def register(client, number: str, code: str = CODE, **details):
    """Both steps of the registration form, as a person sends them; the second step's answer."""
    first = client.post("/register/", {"card_number": number, "activation_code": code})
    assert first.status_code == 302, first.content.decode()
    return client.post("/register/details/", {**DETAILS, **details})
