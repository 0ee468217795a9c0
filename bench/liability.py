"""The outstanding balances (liability) report of a large merchant: a million ledger entries over
two years on 50,000 cards in four programs (prepaid, a single- and a multi-purpose voucher, points),
written straight into a new merchant's schema; then the report for the last day of last year
through the whole WSGI stack (20 loads: the first one cold, the 95th percentile of all), the PDF
and the CSV, the report's statement alone and its plan.

Target: under 1 s for a past day.
Run: `make bench-liability` (or with DATABASE_URL / REDIS_URL set: `python bench/liability.py`).
Options: --entries 1000000 --cards 50000 --loads 20"""
import argparse
import datetime
import os
import statistics
import sys
import time
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
from loyalty.selectors_reports import liability_on  # noqa: E402
from loyalty.services.staff import two_factor_requirement_set  # noqa: E402
from tenants.accounts.models import User  # noqa: E402
from tenants.services import merchant_provision  # noqa: E402

PASSWORD = "a long benchmark password"
TWO_YEARS = 2 * 365 * 86_400


def prepare(entries: int, cards: int):
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"liability-{uuid.uuid4().hex[:8]}"
    owner_email = f"o@{subdomain}.example"
    merchant = merchant_provision(subdomain=subdomain, name="Liability", owner_email=owner_email,
                                  owner_password=PASSWORD)
    try:
        _fill(merchant, entries=entries, cards=cards)
    except BaseException:
        connection.set_schema_to_public()
        merchant.delete(force_drop=True)
        raise
    return merchant, owner_email


def _fill(merchant, *, entries: int, cards: int) -> None:
    with schema_context(merchant.schema_name):
        programs = [Program.objects.create(kind="prepaid", name="Guthaben"),
                    Program.objects.create(kind="voucher", name="Brotgutschein", voucher_purpose="single"),
                    Program.objects.create(kind="voucher", name="Geschenkgutschein", voucher_purpose="multi"),
                    Program.objects.create(kind="points", name="Punkte")]
        two_factor_requirement_set(required=False, actor=Actor(user=User.objects.get()))
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO loyalty_card (number, status, created_at, activation_code)
                SELECT lpad(i::text, 13, '0'), 'active', now(), '' FROM generate_series(1, %s) i""", [cards])
            for program in programs:
                cursor.execute("""
                    INSERT INTO loyalty_account (card_id, program_id, balance, claim, created_at)
                    SELECT id, %s, 0, 0, now() FROM loyalty_card""", [program.pk])
            # Two years of bookings, the newest now, one entry each, in turn on every account: three
            # credits of 1..50 € for every debit of a third of that.
            cursor.execute("""
                INSERT INTO loyalty_booking (kind, idempotency_scope, idempotency_key, request_fingerprint,
                    card_id, program_id, receipt_number, actor_label, reason, created_at)
                SELECT CASE WHEN i %% 4 = 0 THEN 'pay' ELSE 'top_up' END, 'system', 'bench-' || i, '',
                       a.card_id, a.program_id, '', 'system:bench', '',
                       now() - interval '1 second' * (i::float8 * %s / %s)
                FROM generate_series(1, %s) i
                JOIN loyalty_account a ON a.id = (SELECT min(id) FROM loyalty_account)
                                                 + (i %% (SELECT count(*) FROM loyalty_account))""",
                           [TWO_YEARS, entries, entries])
            cursor.execute("""
                INSERT INTO loyalty_ledgerentry (booking_id, account_id, amount, balance_after, claim_change,
                    created_at)
                SELECT b.id, a.id,
                       CASE WHEN b.kind = 'pay' THEN -(100 + b.id % 4900) / 3 ELSE 100 + b.id % 4900 END,
                       0, 0, b.created_at
                FROM loyalty_booking b JOIN loyalty_account a ON a.card_id = b.card_id AND a.program_id = b.program_id""")
            cursor.execute("ANALYZE")
        print(f"filled in {time.perf_counter() - started:.1f} s: {entries:,} bookings and ledger entries "
              f"on {cards:,} cards in {len(programs)} programs")


def signed_in(merchant, owner_email: str) -> Client:
    client = Client(HTTP_HOST=merchant.primary_host, HTTP_ACCEPT_LANGUAGE="de")
    response = client.post("/manage/login/", {"username": owner_email, "password": PASSWORD})
    if response.status_code != 302 or response["Location"] != "/manage/":
        raise SystemExit(f"sign-in: {response.status_code} {response.get('Location')}")
    return client


def timed(client, name: str, path: str, loads: int) -> None:
    times = []
    for _load in range(loads):
        started = time.perf_counter()
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.get('Location', '')}")
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    print(f"{name:<40} cold {times[0]:6.0f} ms  median {statistics.median(times):6.0f} ms  p95 {p95:6.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--cards", type=int, default=50_000)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    merchant, owner_email = prepare(args.entries, args.cards)
    try:
        client = signed_in(merchant, owner_email)
        day = datetime.date(timezone.localdate().year - 1, 12, 31)
        query = f"day={day.isoformat()}"
        timed(client, f"report for {day.isoformat()}", f"/manage/reports/liability/?{query}", args.loads)
        timed(client, "report for today", "/manage/reports/liability/", args.loads)
        timed(client, "CSV", f"/manage/reports/liability/download.csv?{query}", 5)
        timed(client, "PDF", f"/manage/reports/liability/download.pdf?{query}", 5)
        with schema_context(merchant.schema_name):
            started = time.perf_counter()
            liability = liability_on(day=day)
            print(f"{'the statement alone':<40} {(time.perf_counter() - started) * 1000:6.0f} ms "
                  f"({liability.money_total / 100:,.2f} € open)")
            from loyalty.selectors_reports import _replayed_balances

            statements = []
            with connection.execute_wrapper(lambda execute, sql, params, many, context: statements.append(
                    (sql, params)) or execute(sql, params, many, context)):
                _replayed_balances(day, ("prepaid", "voucher", "points"))
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statements[0][0], statements[0][1])
                print("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        connection.set_schema_to_public()
        merchant.delete(force_drop=True)


if __name__ == "__main__":
    main()
