"""Steps in Chromium that several browser tests take."""
import os
import re
from pathlib import Path

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


def back_office_sign_in(page, url, *, email: str, password: str = PASSWORD, lands_on: str = "/manage/") -> None:
    """Sign in to the back office with e-mail and password alone (in any language), from /manage/login/."""
    page.goto(url("/manage/login/"))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(url(lands_on))


def console_sign_in(page, url) -> None:
    """The operator's two steps in the console, from /login/: e-mail and password, then the
    authenticator's current code; lands on the merchant list. `url(path)` is the apex host's."""
    from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY
    from tests.support.clients import authenticator_code

    page.goto(url("/login/"))
    page.locator("#id_username").fill(OPERATOR_EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r".*/login/code/.*"))
    page.locator("#id_code").fill(authenticator_code(OPERATOR_TOTP_KEY))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(url("/"))


def screenshot(page, name: str, **options) -> None:
    """A screenshot for a person to look at, kept in $SCREENSHOT_DIR when it is set (else not
    taken): tests assert what they check themselves, and leave no files behind."""
    if directory := os.environ.get("SCREENSHOT_DIR"):
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory, f"{name}.png")), **options)


WIDTHS = (1280, 360)  # a desktop and a phone


def shoot(page, name: str) -> None:
    """A screenshot of the whole page at each width (see `screenshot`), named with the page's
    language; nothing may be wider than the screen."""
    language = page.evaluate("document.documentElement.lang")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} at {width} px is {overflow} px wide"
        screenshot(page, f"{name}-{language}-{width}", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
