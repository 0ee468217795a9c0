"""The export of everything for a large merchant: wall time and peak memory of the build (what the
Celery task runs, loyalty.services.exports.data_export_build) for a merchant with 1,000,000 ledger
entries, and for one with a tenth of them, to show that memory does not grow with the data.

The merchants are made once, with bulk SQL (bookings, lots and ledger entries from generate_series
in batches; the append-only triggers allow INSERT), and reused by later runs against the same
database. Each build runs in a fresh process of its own, whose peak resident memory (ru_maxrss) is
the figure; the process's memory after Django's start-up is printed beside it.

Run: `make bench-export` (or with DATABASE_URL / REDIS_URL set: `python bench/export.py`).
Options: --entries 1000000 --compare 100000 (0: no comparison) --keep (leave the ZIP, print its path)"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from loyalty.cardnumbers import card_number_from_serial  # noqa: E402
from loyalty.models import Account, Card, Cardholder, DataExport, LedgerEntry, Program  # noqa: E402
from loyalty.services.exports import TABLES, data_export_build  # noqa: E402
from tenants.accounts.models import User  # noqa: E402
from tenants.models import Merchant  # noqa: E402
from tenants.services import merchant_provision, schema_name_for  # noqa: E402

ENTRIES_PER_ACCOUNT = 40  # every fifth a debit: the balance never goes below zero
PREPAID_SHARE = 5  # one account in five is prepaid money (euros in the export), the rest points
ACCOUNTS_PER_BATCH = 2_500  # 100,000 bookings and entries per statement

# One statement per batch of accounts: ENTRIES_PER_ACCOUNT bookings per account, a lot for each
# credit, and one ledger entry per booking with its running balance. Entry i of an account is a
# debit when i % 5 == 4; after it, (i + 1) - 2 * ((i + 1) / 5) units are on the account.
FILL_SQL = """
WITH accounts AS (
    SELECT a.id, a.card_id, a.program_id, p.kind,
           CASE WHEN p.kind = 'prepaid' THEN 1000 ELSE 10 END AS unit
    FROM loyalty_account a JOIN loyalty_program p ON p.id = a.program_id
    WHERE a.id BETWEEN %(first)s AND %(last)s
), planned AS (
    SELECT accounts.*, i, now() - interval '1 minute' * (%(entries)s - i) - interval '1 second' * accounts.id AS at
    FROM accounts CROSS JOIN generate_series(0, %(entries)s - 1) AS i
), bookings AS (
    INSERT INTO loyalty_booking (kind, idempotency_scope, idempotency_key, request_fingerprint, card_id,
                                 program_id, purchase_amount_cents, receipt_number, actor_label, reason, created_at)
    SELECT CASE WHEN kind = 'prepaid' THEN (CASE WHEN i %% 5 = 4 THEN 'pay' ELSE 'top_up' END)
                ELSE (CASE WHEN i %% 5 = 4 THEN 'redeem_reward' ELSE 'earn' END) END,
           'system', 'bench:' || id || ':' || i, md5(id || ':' || i) || md5(i || ':' || id), card_id, program_id,
           CASE WHEN kind = 'points' AND i %% 5 <> 4 THEN 1000 + i END, 'B-' || i, 'system:bench', '', at
    FROM planned
    RETURNING id, idempotency_key
), lots AS (
    INSERT INTO loyalty_lot (account_id, amount, remaining, expires_on, created_at)
    SELECT id, unit, unit, CASE WHEN kind = 'points' THEN (at + interval '1 year')::date END, at
    FROM planned WHERE i %% 5 <> 4
    RETURNING id, account_id, created_at
)
INSERT INTO loyalty_ledgerentry (booking_id, account_id, amount, balance_after, claim_change, lot_id, created_at)
SELECT bookings.id, planned.id, CASE WHEN planned.i %% 5 = 4 THEN -planned.unit ELSE planned.unit END,
       planned.unit * ((planned.i + 1) - 2 * ((planned.i + 1) / 5)), 0, lots.id, planned.at
FROM planned
JOIN bookings ON bookings.idempotency_key = 'bench:' || planned.id || ':' || planned.i
LEFT JOIN lots ON lots.account_id = planned.id AND lots.created_at = planned.at
"""


def merchant_with(entries: int) -> Merchant:
    """The merchant with `entries` ledger entries (made the first time)."""
    subdomain = f"bench-export-{entries}"
    merchant = Merchant.objects.filter(schema_name=schema_name_for(subdomain)).first()
    if merchant is None:
        merchant = merchant_provision(subdomain=subdomain, name=f"Export {entries}",
                                      owner_email=f"owner@{subdomain}.example", owner_password="a long bench password")
    with schema_context(merchant.schema_name):
        if LedgerEntry.objects.count() != entries:
            started = time.perf_counter()
            fill(entries)
            print(f"made {merchant.schema_name}: {LedgerEntry.objects.count():,} ledger entries in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    return merchant


@transaction.atomic
def fill(entries: int) -> None:
    if LedgerEntry.objects.exists():
        raise SystemExit(f"{connection.schema_name} holds another number of entries: drop it and run again")
    accounts = entries // ENTRIES_PER_ACCOUNT
    prepaid_accounts = accounts // PREPAID_SHARE
    people = accounts - prepaid_accounts  # each has a points account; the first ones a prepaid one too
    points = Program.objects.create(kind="points", name="Bonuspunkte", expiry="rolling_months", expiry_months=12)
    prepaid = Program.objects.create(kind="prepaid", name="Guthaben")
    Cardholder.objects.bulk_create(
        [Cardholder(first_name=f"Vorname{n}", last_name=f"Nachname{n}", email=f"kunde{n}@example.com",
                    phone=f"+49 171 {n:07d}", custom_data={}) for n in range(people)], batch_size=5_000)
    holders = list(Cardholder.objects.order_by("pk").values_list("pk", flat=True))
    Card.objects.bulk_create([Card(number=card_number_from_serial(100_000 + n), status=Card.Status.ACTIVE,
                                   cardholder_id=holder) for n, holder in enumerate(holders)], batch_size=5_000)
    cards = list(Card.objects.order_by("pk").values_list("pk", flat=True))
    Account.objects.bulk_create([Account(card_id=card, program=points) for card in cards] +
                                [Account(card_id=card, program=prepaid) for card in cards[:prepaid_accounts]],
                                batch_size=5_000)
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), ACCOUNTS_PER_BATCH):
            batch = ids[start:start + ACCOUNTS_PER_BATCH]
            cursor.execute(FILL_SQL, {"first": batch[0], "last": batch[-1], "entries": ENTRIES_PER_ACCOUNT})
    final = ENTRIES_PER_ACCOUNT - 2 * (ENTRIES_PER_ACCOUNT // 5)
    Account.objects.filter(program=points).update(balance=10 * final)
    Account.objects.filter(program=prepaid).update(balance=1000 * final)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def peak_rss_kib() -> int:
    """The process's peak resident memory: VmHWM, which starts anew with the program (ru_maxrss
    would carry the parent's peak over the fork), else ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def build_in_this_process(schema_name: str, export_id: int) -> None:
    """The child's part: build one export and print what it took."""
    with schema_context(schema_name):
        connection.ensure_connection()
        before = peak_rss_kib()
        started, cpu = time.perf_counter(), time.process_time()
        built = data_export_build(export_id=export_id)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        export = DataExport.objects.get(pk=export_id)
    print(json.dumps({"built": built, "seconds": seconds, "cpu_seconds": cpu, "rss_before_kib": before,
                      "peak_rss_kib": peak_rss_kib(), "error": export.error, "file_size": export.file_size,
                      "tables": export.manifest.get("tables", {}), "file_path": export.file_path}))


def measure(merchant: Merchant, keep: bool) -> dict:
    with schema_context(merchant.schema_name):
        export = DataExport.objects.create(created_by=User.objects.get(email__startswith="owner@"), language="de",
                                           tables_total=len(TABLES) + 1)
    child = subprocess.run([sys.executable, __file__, "--build", merchant.schema_name, str(export.pk)],
                           capture_output=True, text=True, check=False)
    if child.returncode != 0:
        raise SystemExit(child.stderr)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    if not result["built"]:
        raise SystemExit(f"not built: {result['error']}")
    path = Path(settings.EXPORT_ROOT) / result["file_path"]
    if not keep:
        path.unlink()
    result["path"] = str(path)
    return result


def report(entries: int, result: dict, keep: bool) -> None:
    rows = sum(result["tables"].values())
    print(f"{entries:>9,} ledger entries: {rows:,} rows in {len(result['tables'])} tables, "
          f"{result['seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU ({rows / result['seconds']:,.0f} rows/s), "
          f"peak RSS {result['peak_rss_kib'] / 1024:.0f} MiB (after start-up {result['rss_before_kib'] / 1024:.0f} MiB), "
          f"ZIP {result['file_size'] / 1024 / 1024:.0f} MiB" + (f" at {result['path']}" if keep else ""), flush=True)


def main():
    if sys.argv[1:2] == ["--build"]:
        build_in_this_process(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--compare", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    call_command("migrate_schemas", "--noinput", verbosity=0)
    for entries in [size for size in (args.compare, args.entries) if size]:
        report(entries, measure(merchant_with(entries), args.keep), args.keep)


if __name__ == "__main__":
    export_root = None
    if "DJANGO_EXPORT_ROOT" not in os.environ and sys.argv[1:2] != ["--build"]:
        # The ZIPs of a run go to a folder of their own (the child processes inherit it).
        export_root = tempfile.mkdtemp(prefix="stammkunde-bench-export-")
        os.environ["DJANGO_EXPORT_ROOT"] = export_root
        settings.EXPORT_ROOT = Path(export_root)
    try:
        main()
    finally:
        if export_root and "--keep" not in sys.argv:
            shutil.rmtree(export_root, ignore_errors=True)
