"""The till in Chromium against gunicorn on loopback: time from the scan's Enter to the card's
balances on screen, median of 20 scans (each a different card), after a warm-up.

Run: `python deploy/local/stack.py run posbench -- .venv/bin/python bench/pos_scan.py`
(or with DATABASE_URL / REDIS_URL set: `python bench/pos_scan.py`). Options: --scans 20 --workers 2"""
import argparse
import os
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bookings import ROOT, free_port, start_server
from django.conf import settings
from django.core.management import call_command
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Program, Reward
from loyalty.pos.services import cashier_group, pairing_code_create
from loyalty.services import bookings
from loyalty.services.cardholders import card_register
from loyalty.services.cards import cards_create_range
from tenants.accounts.models import User
from tenants.services import merchant_provision

PASSWORD = "a long benchmark password"
WARM_UP = 3
ACTOR = Actor.system("bench")

# Notes the scan's Enter on the card field, then the first frame after the scanned card's
# balances are in the page.
OBSERVER = """() => {
  window.__scan = {expect: null, start: null, end: null};
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.id === "card-number") window.__scan.start = performance.now();
  }, true);
  new MutationObserver(() => {
    const scan = window.__scan;
    if (scan.end === null && scan.start !== null && document.getElementById("card").dataset.cardNumber === scan.expect
        && document.querySelector("#programs .till-program-balance")) {
      scan.end = -1;
      requestAnimationFrame(() => { scan.end = performance.now(); });
    }
  }).observe(document.getElementById("card"), {subtree: true, childList: true, attributes: true});
}"""


def prepare(cards: int):
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"posbench-{uuid.uuid4().hex[:8]}"
    merchant = merchant_provision(subdomain=subdomain, name="POS benchmark", owner_email=f"o@{subdomain}.example")
    with schema_context(merchant.schema_name):
        points = Program.objects.create(kind="points", name="Bonuspunkte")
        Reward.objects.create(program=points, name="Kaffee", points=50)
        prepaid = Program.objects.create(kind="prepaid", name="Guthaben")
        Program.objects.create(kind="stamps", name="Stempelkarte", stamps_per_reward=10, stamp_reward="Kaffee")
        numbers = [card.number for card in cards_create_range(first_serial=1, count=cards, actor=ACTOR)]
        for index, number in enumerate(numbers):
            card_register(card_number=number, actor=ACTOR, first_name=f"Kundin {index}", last_name="Muster")
            for n in range(3):  # a few bookings each, as the till lists the last ones
                bookings.booking_earn(card_number=number, program=points, purchase_amount_cents=1_000 + n,
                                      idempotency_key=f"bench-{number}-{n}", actor=ACTOR)
            bookings.booking_top_up(card_number=number, program=prepaid, amount_cents=2_000,
                                    idempotency_key=f"bench-{number}-top-up", actor=ACTOR)
        owner = User.objects.get(email=f"o@{subdomain}.example")
        cashier = User.objects.create_user(f"kasse@{subdomain}.example", PASSWORD)
        cashier.groups.add(cashier_group())
        _, code = pairing_code_create(terminal_name="Bench", actor=Actor(user=owner))
    return merchant, code, cashier.email, numbers


def measure(base_url: str, code: str, email: str, numbers: list[str]) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(locale="de-DE").new_page()
        # gunicorn serves no static files (production puts them elsewhere): the browser takes the
        # script and styles from the checkout while pairing and signing in, then stops asking.
        page.route("**/static/**", lambda route: route.fulfill(
            path=ROOT / "static" / route.request.url.split("/static/", 1)[1]))
        page.goto(f"{base_url}/pos/pair/")
        page.locator("#id_code").fill(code)
        page.locator("#id_code").press("Enter")
        page.wait_for_url(f"{base_url}/pos/login/")
        page.locator("#id_password-email").fill(email)
        page.locator("#id_password-password").fill(PASSWORD)
        page.locator("#id_password-password").press("Enter")
        page.wait_for_url(f"{base_url}/pos/")
        page.unroute("**/static/**")  # no interception while measuring
        page.evaluate(OBSERVER)
        timings = []
        for number in numbers:
            page.focus("#card-number")
            page.evaluate("(number) => { window.__scan = {expect: number, start: null, end: null}; }", number)
            page.keyboard.type(number)  # what a USB scanner does: the digits, then Enter
            page.keyboard.press("Enter")
            page.wait_for_function("window.__scan.end > 0")
            timings.append(page.evaluate("window.__scan.end - window.__scan.start"))
        browser.close()
    return timings[WARM_UP:]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    merchant, code, email, numbers = prepare(args.scans + WARM_UP)
    port = free_port()
    server = start_server(port, args.workers)
    try:
        timings = measure(f"http://{merchant.primary_host}:{port}", code, email, numbers)
    finally:
        server.terminate()
        server.wait(timeout=30)
        merchant.delete(force_drop=True)
    timings.sort()
    print(f"scan to balances on screen, {len(timings)} scans of different cards in Chromium, "
          f"gunicorn with {args.workers} workers on loopback:")
    print(f"  median {statistics.median(timings):.1f} ms, min {timings[0]:.1f} ms, "
          f"p90 {timings[int(len(timings) * 0.9) - 1]:.1f} ms, max {timings[-1]:.1f} ms")
    print(f"database: {settings.DATABASES['default']['HOST']}:{settings.DATABASES['default']['PORT']}")


if __name__ == "__main__":
    main()
