"""A Django test client bound to one host, the way a browser is bound to one origin."""
from django.test import Client


class HostClient(Client):
    def __init__(self, host: str, **defaults):
        super().__init__(HTTP_HOST=host, **defaults)
        self.host = host


def operator_sign_in(client: Client) -> None:
    """Both steps of the operator's sign-in: password, then the authenticator's current code."""
    from tenants.accounts.totp import totp_code, totp_step
    from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_SECRET, PASSWORD

    first = client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})
    assert first.status_code == 302, first.content
    second = client.post("/login/code/", {"code": totp_code(OPERATOR_TOTP_SECRET, totp_step())})
    assert second.status_code == 302, second.content
