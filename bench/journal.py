"""The booking journal and the audit log of a large merchant: a million purchases over a year (one
ledger entry each) and a hundred thousand audit rows, written straight into a new merchant's
schema; then the pages (with their totals), the totals alone, and the CSV and XLSX downloads of a
month, each through the whole WSGI stack, with wall time and the peak of Python's memory while the
download streams.

Run: `make bench-journal` (or with DATABASE_URL / REDIS_URL set: `python bench/journal.py`).
Options: --bookings 1000000 --audit 100000 --cards 20000 --everything (also the CSV of all bookings)
--skip-downloads (the pages only)"""
import argparse
import datetime
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from loyalty.actors import Actor  # noqa: E402
from loyalty.models import Program  # noqa: E402
from loyalty.selectors import journal_totals  # noqa: E402
from loyalty.services.staff import two_factor_requirement_set  # noqa: E402
from loyalty.services.terminals import terminal_create  # noqa: E402
from tenants.accounts.models import User  # noqa: E402
from tenants.services import merchant_provision  # noqa: E402

PASSWORD = "a long benchmark password"


def prepare(bookings: int, audit_rows: int, cards: int):
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"journal-{uuid.uuid4().hex[:8]}"
    owner_email = f"o@{subdomain}.example"
    merchant = merchant_provision(subdomain=subdomain, name="Journal", owner_email=owner_email,
                                  owner_password=PASSWORD)
    try:
        program = _fill(merchant, bookings=bookings, audit_rows=audit_rows, cards=cards)
    except BaseException:
        connection.set_schema_to_public()
        merchant.delete(force_drop=True)
        raise
    return merchant, program, owner_email


def _fill(merchant, *, bookings: int, audit_rows: int, cards: int) -> Program:
    with schema_context(merchant.schema_name):
        program = Program.objects.create(kind="points", name="Punkte")
        # A new merchant asks for the authenticator's code at sign-in; the benchmark signs in without.
        two_factor_requirement_set(required=False, actor=Actor(user=User.objects.get()))
        terminal, _token = terminal_create(name="Kasse", actor=Actor.system("bench"))
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO loyalty_card (number, status, created_at, activation_code)
                SELECT lpad(i::text, 13, '0'), 'active', now(), '' FROM generate_series(1, %s) i""", [cards])
            cursor.execute("""
                INSERT INTO loyalty_account (card_id, program_id, balance, claim, created_at)
                SELECT id, %s, 0, 0, now() FROM loyalty_card""", [program.pk])
            # A year of purchases, the newest now; every third at the till.
            cursor.execute("""
                INSERT INTO loyalty_booking (kind, idempotency_scope, idempotency_key, request_fingerprint,
                    card_id, program_id, purchase_amount_cents, receipt_number, terminal_id, actor_label,
                    reason, created_at)
                SELECT 'earn', 'system', 'bench-' || i, '', c.id, %s, 100 + (i::bigint * 7919) %% 9900, '',
                       CASE WHEN i %% 3 = 0 THEN %s END, 'system:bench', '',
                       now() - interval '1 second' * (i::float8 * 31536000 / %s)
                FROM generate_series(1, %s) i
                JOIN loyalty_card c ON c.id = (SELECT min(id) FROM loyalty_card) + (i %% %s)""",
                           [program.pk, terminal.pk, bookings, bookings, cards])
            cursor.execute("""
                INSERT INTO loyalty_ledgerentry (booking_id, account_id, amount, balance_after, claim_change,
                    created_at)
                SELECT b.id, a.id, b.purchase_amount_cents / 100 + 1, b.purchase_amount_cents / 100 + 1, 0,
                       b.created_at
                FROM loyalty_booking b JOIN loyalty_account a ON a.card_id = b.card_id""")
            cursor.execute("""
                INSERT INTO loyalty_auditlog (action, actor_label, object_type, object_id, data, created_at)
                SELECT CASE WHEN i %% 10 = 0 THEN 'booking.reversal' ELSE 'card.block' END, 'system:bench',
                       '', '', jsonb_build_object('reason', 'bench ' || i),
                       now() - interval '1 second' * (i::float8 * 31536000 / %s)
                FROM generate_series(1, %s) i""", [audit_rows, audit_rows])
            cursor.execute("ANALYZE")
        print(f"filled in {time.perf_counter() - started:.1f} s: {bookings:,} bookings and ledger entries, "
              f"{audit_rows:,} audit rows, {cards:,} cards")
    return program


def signed_in(merchant, owner_email: str) -> Client:
    client = Client(HTTP_HOST=merchant.primary_host, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post("/manage/login/", {"username": owner_email, "password": PASSWORD})
    if response.status_code != 302 or response["Location"] != "/manage/":
        raise SystemExit(f"sign-in: {response.status_code} {response.get('Location')}")
    return client


def page(client, name: str, path: str, runs: int = 5) -> None:
    times = []
    for _run in range(runs + 1):  # the first one warms up
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.get('Location', '')}")
    print(f"{name:<44} median {statistics.median(times[1:]):7.0f} ms  (max {max(times[1:]):.0f} ms)")


def download(client, name: str, path: str, *, memory: bool = True) -> None:
    """The time to stream the whole file; then, once more under tracemalloc (which slows Python
    down), the peak of Python's memory while it streams."""
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in client.get(path).streaming_content)
    elapsed = time.perf_counter() - started
    peak = ""
    if memory:
        tracemalloc.start()
        sum(len(chunk) for chunk in client.get(path).streaming_content)
        peak = f"; peak Python memory {tracemalloc.get_traced_memory()[1] / 1e6:.1f} MB"
        tracemalloc.stop()
    print(f"{name:<44} {elapsed:7.1f} s for {size / 1e6:.1f} MB{peak}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--audit", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--everything", action="store_true")
    parser.add_argument("--skip-downloads", action="store_true")
    args = parser.parse_args()
    merchant, program, owner_email = prepare(args.bookings, args.audit, args.cards)
    try:
        client = signed_in(merchant, owner_email)
        today = timezone.localdate()
        month = f"date_from={(today - datetime.timedelta(days=30)).isoformat()}&date_to={today.isoformat()}"
        day = f"date_from={today.isoformat()}&date_to={today.isoformat()}"
        page(client, "journal, all bookings (with totals)", "/manage/journal/")
        page(client, "journal, today", f"/manage/journal/?{day}")
        page(client, "journal, last 30 days of the program", f"/manage/journal/?{month}&program={program.pk}")
        page(client, "journal, one card", "/manage/journal/?card_number=0000000000017")
        page(client, "journal, page 100 of all", "/manage/journal/?page=100")
        with schema_context(merchant.schema_name):
            started = time.perf_counter()
            journal_totals()
            print(f"{'totals of all bookings alone':<44} {(time.perf_counter() - started) * 1000:7.0f} ms")
        page(client, "audit log", "/manage/audit/")
        page(client, "audit log, reversals", "/manage/audit/?family=reversals")
        page(client, "audit log, last 30 days", f"/manage/audit/?{month}")
        if args.skip_downloads:
            return
        download(client, "CSV, last 30 days", f"/manage/journal/download.csv?{month}")
        download(client, "XLSX, last 30 days", f"/manage/journal/download.xlsx?{month}")
        if args.everything:
            download(client, "CSV, all bookings", "/manage/journal/download.csv", memory=False)
    finally:
        connection.set_schema_to_public()
        merchant.delete(force_drop=True)


if __name__ == "__main__":
    main()
