"""Read-side queries of the till and of the back office's terminal pages."""
import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from loyalty.models import AuditLog, Booking, PairingCode, Program, Reward, Terminal

SIGN_IN_ACTION = "pos.sign_in"
# Staff offered for the PIN quick switch: who signed in on this till within this time.
RECENT_STAFF = datetime.timedelta(days=30)


def terminals_active() -> QuerySet[Terminal]:
    return Terminal.objects.filter(is_active=True).order_by("name", "pk")


def pairing_codes_open() -> QuerySet[PairingCode]:
    return (PairingCode.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("expires_at"))


def till_staff_with_pin(terminal: Terminal) -> QuerySet:
    """Colleagues who recently signed in on this till and have a PIN: the quick switch's choices."""
    signed_in_here = AuditLog.objects.filter(
        action=SIGN_IN_ACTION, actor_terminal=terminal,
        created_at__gte=timezone.now() - RECENT_STAFF,
    ).values("actor_user")
    return (get_user_model().objects.filter(pk__in=signed_in_here, is_active=True)
            .exclude(pos_pin="").order_by("full_name", "email"))


def programs_at_till() -> list[Program]:
    """The active programs with their active rewards, cheapest first."""
    return list(
        Program.objects.filter(is_active=True)
        .prefetch_related(Prefetch("rewards",
                                   Reward.objects.filter(is_active=True).order_by("points", "pk")))
        .order_by("pk")
    )


def sales_returned_cents(sale_ids: list[int]) -> dict[int, int]:
    """What earlier returns took back of each of these sales, in cents; a sale without returns
    is not in it."""
    totals = (Booking.objects.filter(returned_sale__in=sale_ids).values("returned_sale")
              .annotate(total=Sum("purchase_amount_cents")).values_list("returned_sale", "total"))
    return dict(totals)
