"""In Chromium: a merchant's branded portal, the language switch, and the back-office sign-in."""
from tests.support.baseline import PASSWORD, owner_email


def test_owner_switches_language_and_signs_in_to_the_back_office(committed, live_site, page, alice):
    host = alice.primary_host

    page.goto(live_site.url(host, "/"))
    assert page.locator("h1").inner_text() == "Die Kundenkarte von Alice’s Bakery"

    page.get_by_role("button", name="EN").click()
    assert page.locator("h1").inner_text() == "The customer card of Alice’s Bakery"

    page.goto(live_site.url(host, "/manage/"))
    page.get_by_label("E-mail address").fill(owner_email("alice"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(live_site.url(host, "/manage/"))
    assert page.locator("h1").inner_text() == "Overview"
    assert page.locator("main").get_by_text("active cards").is_visible()


def test_a_session_from_alices_host_is_not_sent_to_bobs(committed, live_site, page, alice, bob):
    page.goto(live_site.url(alice.primary_host, "/manage/"))
    page.get_by_label("E-Mail-Adresse").fill(owner_email("alice"))
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(live_site.url(alice.primary_host, "/manage/"))

    page.goto(live_site.url(bob.primary_host, "/manage/"))

    assert page.url.startswith(live_site.url(bob.primary_host, "/manage/login/"))
    cookie_hosts = {cookie["domain"] for cookie in page.context.cookies() if cookie["name"] == "sessionid"}
    assert cookie_hosts == {alice.primary_host}
