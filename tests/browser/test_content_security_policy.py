"""In Chromium: every page there is (till, back office, cardholder portal, operator console, the API's
documentation and the error pages) carries the Content-Security-Policy and runs without breaking it
once, its scripts included."""
import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.actors import Actor
from loyalty.pos.services import pairing_code_create
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL, OPERATOR_TOTP_KEY, PASSWORD, owner_email
from tests.support.clients import authenticator_code
from tests.support.factories import CardFactory, ProgramFactory, RewardFactory


@pytest.fixture
def watched(page):
    """The page, with every CSP violation its documents report collected."""
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.add_init_script("""document.addEventListener("securitypolicyviolation", (event) => {
        console.error(`Content Security Policy: ${event.violatedDirective} ${event.blockedURI}`);
    });""")
    page.violations = violations
    return page


def visit(page, url: str):
    response = page.goto(url)
    directives = dict(part.strip().split(" ", 1)
                      for part in response.headers.get("content-security-policy", "").split(";"))
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'", (url, directives)
    # Only the API's documentation (Swagger UI, no one's data) may set styles from its script.
    if not url.endswith("/api/docs/"):
        assert "'unsafe-inline'" not in directives["style-src"], (url, directives)
    return response


def test_the_merchants_pages_keep_to_the_policy(committed, live_site, watched, alice):
    page, host = watched, alice.primary_host
    url = lambda path: live_site.url(host, path)  # noqa: E731
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        RewardFactory(program=points, name="Kaffee", points=5)
        card = CardFactory()
        owner = User.objects.get(email=owner_email("alice"))
        _, code = pairing_code_create(terminal_name="Theke", actor=Actor(user=owner))

    for path in ("/", "/manage/login/", "/api/docs/", "/gibt-es-nicht/"):
        visit(page, url(path))
    expect(page.locator("h1")).to_be_visible()
    visit(page, url("/api/docs/"))
    expect(page.locator(".swagger-ui")).to_be_visible()  # the documentation's script ran

    visit(page, url("/manage/login/"))
    page.get_by_label("E-Mail-Adresse").fill(owner_email("alice"))
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(url("/manage/"))
    for path in ("/manage/", "/manage/terminals/", "/manage/export/"):
        visit(page, url(path))

    visit(page, url("/pos/pair/"))
    page.locator("#id_code").fill(code)
    page.locator("#id_code").press("Enter")
    page.wait_for_url(url("/pos/login/"))
    page.locator("#id_password-email").fill(owner_email("alice"))
    page.locator("#id_password-password").fill(PASSWORD)
    page.locator("#id_password-password").press("Enter")
    page.wait_for_url(url("/pos/"))
    page.keyboard.type(card.number)
    page.keyboard.press("Enter")
    expect(page.locator("#amount")).to_be_focused()  # the card is on screen
    page.keyboard.type("7,50")
    page.locator("#programs button[data-action=earn]").click()
    expect(page.locator("#result .till-headline")).to_have_text("+7 Punkte")  # the till's script ran
    visit(page, url("/pos/pin/"))

    assert page.violations == []


def test_the_operators_console_keeps_to_the_policy(committed, live_site, watched, alice, settings):
    page = watched
    url = lambda path: live_site.url(settings.BASE_HOST, path)  # noqa: E731

    visit(page, url("/login/"))
    page.get_by_label("E-Mail-Adresse").fill(OPERATOR_EMAIL)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/login/code/.*"))
    page.locator("#id_code").fill(authenticator_code(OPERATOR_TOTP_KEY))
    page.locator("#id_code").press("Enter")
    page.wait_for_url(url("/"))
    for path in ("/", f"/merchants/{alice.pk}/", "/merchants/new/", "/nirgends/"):
        visit(page, url(path))

    # A new member of staff sees the QR code to set the authenticator up: an SVG in the page.
    User.objects.create_user("neu@stammkunde.localhost", PASSWORD, is_staff=True)
    enrolment = page.context.browser.new_context(locale="de-DE").new_page()
    enrolment.on("console", lambda message: page.violations.append(f"{enrolment.url}: {message.text}")
                 if "Content Security Policy" in message.text else None)
    visit(enrolment, url("/login/"))
    enrolment.get_by_label("E-Mail-Adresse").fill("neu@stammkunde.localhost")
    enrolment.get_by_label("Passwort").fill(PASSWORD)
    enrolment.get_by_role("button", name="Anmelden").click()
    enrolment.wait_for_url(re.compile(r".*/login/code/.*"))
    expect(enrolment.locator(".qr-code svg")).to_be_visible()
    enrolment.context.close()

    assert page.violations == []
