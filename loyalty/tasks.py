"""Work per merchant in the background: the nightly run (expire lots, queue expiry reminders,
award birthday bonuses, delete expired export files), the export of everything, cardholder
imports and the pushes that make phones fetch a changed wallet pass."""
import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from loyalty.actors import Actor
from loyalty.services import imports
from loyalty.services.bonuses import birthday_bonuses_award
from loyalty.services.bookings import lots_expire
from loyalty.services.exports import data_export_build, data_exports_expire
from loyalty.services.reminders import expiry_reminder_send, expiry_reminders_create
from loyalty.statistics.monthly_report import month_before, monthly_reports_send
from loyalty.statistics.rollups import age_bands_refresh, statistics_refresh
from loyalty.wallet.services import wallet_pushes_send
from tenants.models import Merchant


@shared_task
def nightly_for_all_merchants() -> int:
    """Fan out: one nightly task per merchant, each running in that merchant's schema."""
    merchants = Merchant.objects.exclude(schema_name=get_public_schema_name())
    for merchant in merchants:
        with tenant_context(merchant):
            merchant_nightly.delay()
    return len(merchants)


@shared_task
def merchant_nightly() -> dict:
    today = timezone.localdate()
    actor = Actor.system("nightly")
    expired = lots_expire(today=today, actor=actor)
    bonuses = birthday_bonuses_award(today=today, actor=actor)
    reminder_ids = expiry_reminders_create(today=today)
    for reminder_id in reminder_ids:
        transaction.on_commit(lambda reminder_id=reminder_id: send_expiry_reminder.delay(reminder_id))
    exports = data_exports_expire()
    forgotten = imports.cardholder_imports_forget(now=timezone.now(), actor=actor)
    # People age: today's birthdays may enter a new band; the refresh then moves their bookings.
    aged = age_bands_refresh(today=today)
    statistics = statistics_refresh(today=today)
    return {"expired_lots": expired, "birthday_bonuses": bonuses, "reminders": len(reminder_ids),
            "expired_exports": exports, "forgotten_imports": forgotten, "age_bands_changed": aged,
            "statistics_days": statistics["days"]}


@shared_task
def statistics_refresh_for_all_merchants() -> int:
    """Every few minutes (beat): one statistics refresh per merchant, each in that merchant's schema."""
    merchants = Merchant.objects.exclude(schema_name=get_public_schema_name())
    for merchant in merchants:
        with tenant_context(merchant):
            merchant_statistics_refresh.delay()
    return len(merchants)


@shared_task
def merchant_statistics_refresh() -> dict:
    """Idempotent: recomputes whole days under a lock (loyalty.statistics.rollups); a second delivery
    computes the same rows again."""
    return statistics_refresh()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_expiry_reminder(reminder_id: int) -> bool:
    return expiry_reminder_send(reminder_id=reminder_id)


@shared_task
def build_data_export(export_id: int) -> bool:
    """Idempotent: the export is claimed by a conditional update; a second delivery builds nothing."""
    return data_export_build(export_id=export_id)


@shared_task
def expire_data_exports_everywhere() -> int:
    """Hourly: every merchant's export files whose day is over are deleted (in one task: a query per
    merchant, usually with nothing to do)."""
    expired = 0
    for merchant in Merchant.objects.exclude(schema_name=get_public_schema_name()):
        with tenant_context(merchant):
            expired += data_exports_expire()
    return expired


@shared_task
def cardholder_import_run(import_id: int) -> dict | None:
    """Import a cardholder file (loyalty.services.imports); queued in the merchant's context, so it
    runs in that merchant's schema. Delivered again after a lost worker, it goes on where it stopped."""
    job = imports.cardholder_import_run(import_id=import_id)
    if job is None:
        return None
    return {"status": job.status, "created": job.created_count, "skipped": job.skipped_count}


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def wallet_passes_push(card_ids: list[int]) -> dict:
    """Tell the phones holding a pass of these cards that it changed (queued by a booking, in the
    merchant's context). Apple unreachable: tried again later; a second push only makes a phone ask
    once more what changed."""
    return wallet_pushes_send(card_ids=card_ids)


@shared_task
def monthly_reports_for_all_merchants() -> int:
    """Fan out on the 1st: one task per merchant sends the month before's statistics report."""
    merchants = Merchant.objects.exclude(schema_name=get_public_schema_name())
    month = month_before(timezone.localdate()).isoformat()
    for merchant in merchants:
        with tenant_context(merchant):
            monthly_reports_send_task.delay(month)
    return len(merchants)


@shared_task
def monthly_reports_send_task(month: str) -> int:
    """The statistics report of `month` (ISO date of its first day) to this merchant's subscribers,
    once each, however often the task is delivered; the rollups are brought up to date first."""
    statistics_refresh()
    return monthly_reports_send(month=datetime.date.fromisoformat(month), actor=Actor.system("monthly report"))
