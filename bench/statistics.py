"""The statistics of a large merchant: 1,000,000 ledger entries over two years (purchases earning
points, prepaid top-ups and payments, at three tills by three staff members and the system) and
50,000 cardholders of every segment (gender, age band, postcode area; 70 % with the analysis
consent, the rest refused or never asked) with a card each, and 5,000 anonymous cards. Written with
bulk SQL (as bench/journal.py), the cardholders with bulk_create and each row's indexes and bands
computed by cardholder_indexes_refresh (as bench/cardholder_search.py). Built once and reused
(--rebuild drops it first).

Then: statistics_rebuild, timed; statistics_refresh with nothing new (the job every five minutes:
today, yesterday and every cardholder's segment compared), timed; VACUUM ANALYZE of the rollups (as
autovacuum does soon after); and the statistics page through the whole WSGI stack in-process, for a
month (per day), a year (per month) and the last 365 days with a campaign (per month), 20 loads
each: cold (the first load after the rebuild, then each load after clearing the cache) and warm;
p50 and p95 in milliseconds.

Run: `make bench-statistics` (or with DATABASE_URL / REDIS_URL set: `python bench/statistics.py`).
Options: --entries 1000000 --cardholders 50000 --runs 20 --rebuild --explain (EXPLAIN ANALYZE of the
page's slowest query)"""
import sys
from pathlib import Path

# This file's name is the standard library's `statistics`: its folder must not shadow it.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from loyalty.actors import Actor  # noqa: E402
from loyalty.cardnumbers import card_number_from_serial  # noqa: E402
from loyalty.models import Card, Cardholder, Program, ShopSettings, StatisticsDay  # noqa: E402
from loyalty.services.cardholders import cardholder_indexes_refresh  # noqa: E402
from loyalty.services.cards import activation_code_new  # noqa: E402
from loyalty.services.terminals import terminal_create  # noqa: E402
from loyalty.statistics.rollups import statistics_rebuild, statistics_refresh  # noqa: E402
from tenants.accounts.models import User  # noqa: E402
from tenants.models import Merchant  # noqa: E402
from tenants.services import merchant_provision, schema_name_for  # noqa: E402

SUBDOMAIN = "statistics-bench"
OWNER = f"owner@{SUBDOMAIN}.example"
PASSWORD = "a long benchmark password"
BATCH = 2_000
DAYS = 730  # two years, the newest now
FIRST = ["Anna", "Jürgen", "Sophie", "Lukas", "Marie", "Emil", "Helga", "Karl", "Leonie", "Mehmet"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Koch"]


def _cardholders(count: int) -> None:
    rng = random.Random(18)
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        people = []
        for index in range(first, min(count, first + BATCH)):
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 66))
            people.append(cardholder_indexes_refresh(Cardholder(
                first_name=rng.choice(FIRST), last_name=rng.choice(LAST), email=f"kunde{index}@example.com",
                gender=rng.choice("fmd" + "fm" * 4 + " ").strip(),
                birth_date=birth if rng.random() < 0.9 else None,
                postcode=f"{rng.randrange(1000, 99999):05d}" if rng.random() < 0.9 else "")))
        with transaction.atomic():
            Cardholder.objects.bulk_create(people)
            Card.objects.bulk_create([
                Card(number=card_number_from_serial(100_000 + index), status=Card.Status.ACTIVE,
                     activation_code=activation_code_new(), cardholder=person)
                for index, person in enumerate(people, start=first)])
        print(f"\r  {first + len(people):,} of {count:,} cardholders "
              f"({(first + len(people)) / (time.perf_counter() - started):,.0f} per second)", end="", flush=True)
    print()


def build(merchant: Merchant, *, entries: int, cardholders: int) -> None:
    with tenant_context(merchant):
        owner = User.objects.get(email=OWNER)
        staff = [owner.pk] + [User.objects.create_user(f"staff{n}@{SUBDOMAIN}.example", PASSWORD,
                                                       full_name=f"Mitarbeiter {n}").pk for n in (1, 2)]
        terminals = [terminal_create(name=f"Filiale {n}", actor=Actor.system("bench"))[0].pk for n in (1, 2, 3)]
        points = Program.objects.create(kind="points", name="Bonuspunkte")
        prepaid = Program.objects.create(kind="prepaid", name="Guthaben")
        _cardholders(cardholders)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO loyalty_card (number, status, created_at, activation_code)
                SELECT lpad(i::text, 13, '0'), 'active', now(), '' FROM generate_series(1, 5000) i""")
            # Registrations over the two years; consents: 70 % granted, 15 % refused, 15 % never asked.
            cursor.execute("UPDATE loyalty_cardholder SET created_at = now() - interval '1 day' * (id %% %s)",
                           [DAYS])
            cursor.execute("""
                INSERT INTO loyalty_consent (cardholder_id, purpose, granted, source, wording_version, created_at)
                SELECT id, 'analysis', id % 20 < 14, 'back_office', '', created_at
                FROM loyalty_cardholder WHERE id % 20 < 17""")
            cursor.execute("""
                INSERT INTO loyalty_account (card_id, program_id, balance, claim, created_at)
                SELECT c.id, p.id, 0, 0, now() FROM loyalty_card c CROSS JOIN (VALUES (%s), (%s)) p(id)""",
                           [points.pk, prepaid.pk])
            # One entry per booking: 80 % purchases earning points, 10 % top-ups, 10 % payments.
            cursor.execute("""
                INSERT INTO loyalty_booking (kind, idempotency_scope, idempotency_key, request_fingerprint,
                    card_id, program_id, purchase_amount_cents, receipt_number, terminal_id, staff_user_id,
                    actor_label, reason, created_at)
                SELECT CASE i %% 10 WHEN 0 THEN 'top_up' WHEN 1 THEN 'pay' ELSE 'earn' END,
                       'system', 'bench-' || i, '', c.id,
                       CASE WHEN i %% 10 < 2 THEN %(prepaid)s ELSE %(points)s END,
                       CASE WHEN i %% 10 = 0 THEN NULL ELSE 100 + (i::bigint * 7919) %% 4900 END, '',
                       (%(terminals)s::bigint[])[1 + i %% 4], (%(staff)s::bigint[])[1 + i %% 4],
                       'bench', '',
                       now() - interval '1 second' * (i::float8 * %(seconds)s / %(entries)s)
                FROM generate_series(1, %(entries)s) i
                JOIN loyalty_card c ON c.id = (SELECT min(id) FROM loyalty_card)
                                             + ((i::bigint * 2654435761) %% (SELECT count(*) FROM loyalty_card))""",
                           {"prepaid": prepaid.pk, "points": points.pk, "terminals": terminals + [None],
                            "staff": staff + [None], "seconds": DAYS * 86400, "entries": entries})
            cursor.execute("""
                INSERT INTO loyalty_ledgerentry (booking_id, account_id, amount, balance_after, claim_change,
                    created_at)
                SELECT b.id, a.id, CASE b.kind WHEN 'top_up' THEN 2000 WHEN 'pay' THEN -b.purchase_amount_cents
                                               ELSE b.purchase_amount_cents / 100 + 1 END, 0, 0, b.created_at
                FROM loyalty_booking b JOIN loyalty_account a ON a.card_id = b.card_id AND a.program_id = b.program_id""")
            cursor.execute("ANALYZE")
        print(f"bookings and ledger entries written in {time.perf_counter() - started:.1f} s")


def merchant_ready(*, entries: int, cardholders: int, rebuild: bool) -> Merchant:
    call_command("migrate_schemas", "--noinput", verbosity=0)
    merchant = Merchant.objects.filter(schema_name=schema_name_for(SUBDOMAIN)).first()
    if merchant is not None and rebuild:
        merchant.delete(force_drop=True)
        merchant = None
    if merchant is None:
        merchant = merchant_provision(subdomain=SUBDOMAIN, name="Statistik", owner_email=OWNER,
                                      owner_password=PASSWORD)
        with tenant_context(merchant):
            settings = ShopSettings.current()
            settings.two_factor_required = False  # the page timing signs in with the password alone
            settings.save()
        print(f"Building {entries:,} ledger entries and {cardholders:,} cardholders (once; later runs reuse them) …")
        try:
            build(merchant, entries=entries, cardholders=cardholders)
        except BaseException:
            connection.set_schema_to_public()
            merchant.delete(force_drop=True)
            raise
    return merchant


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def load(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    return elapsed


def explain_slowest(merchant, client, path: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    print(f"\nslowest query of {path} ({float(slowest['time']) * 1000:.0f} ms):\n{slowest['sql'][:600]}")
    with tenant_context(merchant), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest['sql']}")
        print("\n".join(row[0] for row in cursor.fetchall()))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--cardholders", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    merchant = merchant_ready(entries=args.entries, cardholders=args.cardholders, rebuild=args.rebuild)
    with tenant_context(merchant):
        started = time.perf_counter()
        result = statistics_rebuild()
        rebuilt = time.perf_counter() - started
        refreshes = []
        for _run in range(3):  # the job every few minutes: today, yesterday and every segment compared
            started = time.perf_counter()
            statistics_refresh()
            refreshes.append(time.perf_counter() - started)
        with connection.cursor() as cursor:
            # As autovacuum does soon after: the rebuild left every earlier row dead.
            cursor.execute("VACUUM ANALYZE loyalty_statisticsday, loyalty_statisticscardday, "
                           "loyalty_statisticscardperiod, loyalty_statisticscard, loyalty_statisticscardholder")
            cursor.execute("SELECT count(*) FROM loyalty_ledgerentry")
            ledger = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM loyalty_statisticscardday")
            card_days = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM loyalty_statisticscardperiod")
            card_periods = cursor.fetchone()[0]
        people = Cardholder.objects.count()
        day_rows = StatisticsDay.objects.count()
    print(f"\n{ledger:,} ledger entries, {people:,} cardholders")
    print(f"statistics_rebuild: {rebuilt:.1f} s ({result['rows']:,} day rows, {card_days:,} card-day rows, "
          f"{card_periods:,} card-month and card-year rows; "
          f"{day_rows:,} counted)")
    print(f"statistics_refresh with no new bookings: {statistics.median(refreshes) * 1000:.0f} ms (median of 3)")
    client = Client(HTTP_HOST=merchant.primary_host, HTTP_ACCEPT_LANGUAGE="de")
    signed_in = client.post("/manage/login/", {"username": OWNER, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    pages = [("month, per day", f"/manage/statistics/?period=month&date={last_month}"),
             ("year, per month", f"/manage/statistics/?period=year&date={today.replace(month=1, day=1)}"),
             ("last 12 months, per month, a campaign",
              f"/manage/statistics/?period=custom&date_from={today - datetime.timedelta(days=364)}&date_to={today}"
              f"&campaign_from={last_month}&campaign_to={today.replace(day=1) - datetime.timedelta(days=1)}")]
    print(f"\nthe statistics page, {args.runs} loads each, milliseconds\n")
    print(f"{'page':<40} {'first':>7} {'cold p50':>9} {'p95':>7} {'warm p50':>9} {'p95':>7}")
    for label, path in pages:
        cache.clear()
        first = load(client, path)
        cold = []
        for _run in range(args.runs):
            cache.clear()
            cold.append(load(client, path))
        warm = [load(client, path) for _run in range(args.runs)]
        reset_queries()
        print(f"{label:<40} {first:>7.0f} {percentiles(cold)[0]:>9.0f} {percentiles(cold)[1]:>7.0f} "
              f"{percentiles(warm)[0]:>9.0f} {percentiles(warm)[1]:>7.0f}")
    print("\nfirst: the first load after the rebuild; cold: each load after clearing the cache; "
          "warm: loads one after another.")
    if args.explain:
        explain_slowest(merchant, client, pages[1][1])


if __name__ == "__main__":
    main()
