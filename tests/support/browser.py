"""Steps in Chromium that several browser tests take."""
from tests.support.baseline import PASSWORD


def till_pair_and_sign_in(page, url, *, code: str, email: str, password: str = PASSWORD) -> None:
    """What a new till does: /pos/ sends it to pairing, the one-time code pairs it, then the
    staff member signs in with e-mail and password and lands on the till."""
    page.goto(url("/pos/"))
    page.wait_for_url(url("/pos/pair/"))
    page.locator("#id_code").fill(code)
    page.locator("#id_code").press("Enter")
    page.wait_for_url(url("/pos/login/"))
    page.locator("#id_password-email").fill(email)
    page.locator("#id_password-password").fill(password)
    page.locator("#id_password-password").press("Enter")
    page.wait_for_url(url("/pos/"))
