"""What the back office's overview shows: the first steps a new merchant has still to take, and
the day's figures."""
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.catalog import catalog
from loyalty.models import Booking, Terminal
from loyalty.selectors import card_counts_by_status
from tenants.accounts.models import User


@dataclass(frozen=True)
class Step:
    """A step of setting up the shop: done or not, and the page that does it."""

    title: str
    hint: str
    url_name: str
    permission: str
    done: bool


def setup_steps() -> list[Step]:
    """From the first sign-in to the first booking: a program, a colleague, a till."""
    return [
        Step(_("Create your first program"),
             _("Pick a starter template such as “10 stamps = 1 coffee”; you can change it later."),
             "programs", "loyalty.add_program", bool(catalog().active_programs())),
        Step(_("Invite your staff"),
             _("Each colleague gets an e-mail with a link to set a password."),
             "staff", "accounts.add_user", User.objects.filter(is_active=True, is_superuser=False).exists()),
        Step(_("Pair a till"),
             _("Create a one-time code here and type it in the till's browser."),
             "terminals", "loyalty.add_terminal", Terminal.objects.filter(is_active=True).exists()),
    ]


def todays_figures() -> dict:
    """Bookings since midnight: how many, on how many cards, and the purchases they came with."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return Booking.objects.filter(created_at__gte=start).aggregate(
        bookings=Count("id"), cards=Count("card", distinct=True),
        purchases_cents=Sum("purchase_amount_cents", filter=Q(kind__in=[Booking.Kind.EARN, Booking.Kind.PAY]),
                            default=0),
    )


def shop_overview(user) -> dict:
    steps = [step for step in setup_steps() if user.has_perm(step.permission)]
    return {
        "steps": steps,
        "steps_open": [step for step in steps if not step.done],
        "card_counts": card_counts_by_status(),
        "today": todays_figures(),
        "programs": catalog().active_programs(),
    }
