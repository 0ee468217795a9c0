"""The operator's background work: contract states onto tenant rows and notice-deadline reminders
(nightly), and the print files of card print orders (on request)."""
from celery import shared_task
from django.utils import timezone

from hq.printing import services as printing
from hq.services import contract_reminders_send, contracts_sync_all


@shared_task
def contracts_nightly() -> dict:
    today = timezone.localdate()
    return {"synced": contracts_sync_all(today=today), "reminders": contract_reminders_send(today=today)}


@shared_task
def render_print_file(order_id: int, part: int) -> bool:
    """One print file of an order, then the next is queued (hq.printing.services.print_file_render).
    About ten seconds each, well within the broker's visibility timeout; idempotent."""
    return printing.print_file_render(order_id=order_id, part=part)
