"""Fixtures of the wallet's tests: a fake of Apple's push service, and the phone's side of the pass
web service (its requests with the pass's token)."""
import io
import json
import zipfile

import pytest
from django.conf import settings

from loyalty.wallet.certificates import signer
from portal.tests.wallet.fake_apns import FakeApns
from tests.support.clients import HostClient


@pytest.fixture
def fake_apns(settings):
    fake = FakeApns().start()
    settings.WALLET_APNS_URL = fake.url
    try:
        yield fake
    finally:
        fake.stop()


class Pkpass:
    """A downloaded .pkpass, opened."""

    def __init__(self, content: bytes):
        self.content = content
        self.zip = zipfile.ZipFile(io.BytesIO(content))

    def read(self, name: str) -> bytes:
        return self.zip.read(name)

    @property
    def names(self) -> list[str]:
        return self.zip.namelist()

    @property
    def pass_json(self) -> dict:
        return json.loads(self.read("pass.json"))

    @property
    def manifest(self) -> dict:
        return json.loads(self.read("manifest.json"))

    def fields(self) -> dict[str, dict]:
        """Every field of the store card by its key."""
        card = self.pass_json["storeCard"]
        return {item["key"]: item for group in ("primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
                for item in card.get(group, [])}

    def strings(self, language: str) -> dict[str, str]:
        """The pass.strings of a language, read as Wallet reads it."""
        text = self.read(f"{language}.lproj/pass.strings").decode("utf-16")
        pairs = {}
        for line in text.splitlines():
            key, _equals, value = line.rstrip(";").partition(" = ")
            pairs[json.loads(key)] = json.loads(value)
        return pairs


class Phone:
    """An iPhone that added a pass of the merchant on `host`: it speaks to the pass web service
    under the pass's webServiceURL with the pass's token, as Wallet does."""

    def __init__(self, host: str, *, device: str, push_token: str, serial: str, token: str):
        self.client = HostClient(host)
        self.device, self.push_token, self.serial, self.token = device, push_token, serial, token
        self.pass_type = settings.WALLET_PASS_TYPE_ID

    def _auth(self, token):
        return {"HTTP_AUTHORIZATION": f"ApplePass {self.token if token is None else token}"}

    def register(self, *, token=None, serial=None, push_token=None):
        return self.client.post(
            f"/wallet/v1/devices/{self.device}/registrations/{self.pass_type}/{serial or self.serial}",
            json.dumps({"pushToken": push_token or self.push_token}), content_type="application/json",
            **self._auth(token))

    def unregister(self, *, token=None):
        return self.client.delete(f"/wallet/v1/devices/{self.device}/registrations/{self.pass_type}/{self.serial}",
                                  **self._auth(token))

    def updated(self, since: str | None = None):
        query = f"?passesUpdatedSince={since}" if since is not None else ""
        return self.client.get(f"/wallet/v1/devices/{self.device}/registrations/{self.pass_type}{query}")

    def latest(self, *, token=None, serial=None, **headers):
        return self.client.get(f"/wallet/v1/passes/{self.pass_type}/{serial or self.serial}",
                               **self._auth(token), **headers)

    def log(self, messages):
        return self.client.post("/wallet/v1/log", json.dumps({"logs": messages}), content_type="application/json")


@pytest.fixture
def phone_of():
    """`phone_of(merchant, pkpass, device=…)`: a phone holding that pass (not registered yet)."""

    def make(merchant, pkpass: Pkpass, *, device: str = "a1b2c3d4e5f6", push_token: str = "0f" * 32) -> Phone:
        data = pkpass.pass_json
        assert data["webServiceURL"] == f"http://{merchant.primary_host}/wallet/"
        return Phone(merchant.primary_host, device=device, push_token=push_token, serial=data["serialNumber"],
                     token=data["authenticationToken"])

    return make


@pytest.fixture
def pass_of(portal_client):
    """`pass_of(merchant, card)`: the card's .pkpass as its holder downloads it in the portal."""

    def download(merchant, card) -> Pkpass:
        response = portal_client(merchant, card.cardholder).get(f"/card/{card.number}/wallet.pkpass")
        assert response.status_code == 200, response.content[:300]
        return Pkpass(response.content)

    return download


@pytest.fixture
def chain_root() -> str:
    """The root certificate of the configured (development) chain, as a file for openssl."""
    return str(signer().root_file)

