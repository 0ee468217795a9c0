"""The operator's nightly work: contract states onto tenant rows, notice-deadline reminders."""
from celery import shared_task
from django.utils import timezone

from hq.services import contract_reminders_send, contracts_sync_all


@shared_task
def contracts_nightly() -> dict:
    today = timezone.localdate()
    return {"synced": contracts_sync_all(today=today), "reminders": contract_reminders_send(today=today)}
