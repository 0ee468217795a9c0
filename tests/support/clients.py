"""A Django test client bound to one host, the way a browser is bound to one origin; a browser at a
till; the operator's sign-in."""
import json
import uuid

from django.test import Client

from tests.support.baseline import PASSWORD


class HostClient(Client):
    def __init__(self, host: str, **defaults):
        super().__init__(HTTP_HOST=host, **defaults)
        self.host = host


def authenticator_code(key_hex: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app with this key shows now (or `steps_ahead` periods later)."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex), step=30, digits=6, drift=steps_ahead):06d}"


def operator_sign_in(client: Client) -> None:
    """Both steps of the operator's sign-in: password, then the authenticator's current code."""
    from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY, PASSWORD

    first = client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})
    assert first.status_code == 302, first.content
    second = client.post("/login/code/", {"code": authenticator_code(OPERATOR_TOTP_KEY)})
    assert second.status_code == 302, second.content


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
