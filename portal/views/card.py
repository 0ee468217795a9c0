"""The signed-in cardholder's cards: balances, rewards within reach, points expiring soon, vouchers, the history, and blocking a lost card."""
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from loyalty.actors import SYSTEM_PREFIX
from loyalty.barcode import code128_svg
from loyalty.catalog import catalog
from loyalty.errors import LoyaltyError
from loyalty.models import Booking, Card
from loyalty.pos.serializers import entry_text
from loyalty.selectors import EntryChange
from loyalty.selectors_portal import (
    portal_bookings,
    portal_card_find,
    portal_cards,
    portal_cards_of,
)
from loyalty.services.cards import card_block, card_block_refusal
from loyalty.units import money_text
from portal.rendering import portal_render
from portal.session import cardholder_required, portal_actor, portal_cardholder

Kind = Booking.Kind
RECENT_BOOKINGS = 5
PER_PAGE = 25


@dataclass(frozen=True)
class HistoryLine:
    """A booking as the cardholder reads it: when, what, the change per program, and where (the
    till's name; never a member of staff)."""

    booking: Booking
    what: str
    detail: str
    changes: list[str]
    place: str


def card_number_grouped(number: str) -> str:
    """`1234 5678 9012 3`: easier to read out or type at the till."""
    return " ".join(number[start:start + 4] for start in range(0, len(number), 4))


def _place(booking: Booking) -> str:
    if booking.terminal_id is not None:
        return booking.terminal.name
    if booking.actor_label.startswith(SYSTEM_PREFIX):
        return _("automatically")
    return _("by the shop")


def _detail(booking: Booking, entries) -> str:
    kind = booking.kind
    if kind == Kind.REDEEM_REWARD and booking.reward is not None:
        return booking.reward.name
    if kind == Kind.BONUS:
        return booking.reason
    if kind == Kind.EARN and booking.purchase_amount_cents:
        return _("purchase of %(amount)s") % {"amount": money_text(booking.purchase_amount_cents)}
    if kind == Kind.RETURN and booking.purchase_amount_cents:
        return _("goods returned worth %(amount)s") % {"amount": money_text(booking.purchase_amount_cents)}
    if kind == Kind.REVERSAL and booking.reverses is not None:
        return _("takes back: %(kind)s of %(time)s") % {
            "kind": booking.reverses.get_kind_display(),
            "time": date_format(timezone.localtime(booking.reverses.created_at), "SHORT_DATETIME_FORMAT")}
    if kind == Kind.CARD_REPLACEMENT and booking.card.replaced_by is not None:
        return _("balance moved to card %(number)s") % {"number": booking.card.replaced_by.number}
    if kind == Kind.VOUCHER_ISSUE:
        ends = [entry.lot.expires_on for entry in entries if entry.lot is not None and entry.lot.expires_on]
        if ends:
            return _("valid until %(date)s") % {"date": date_format(max(ends), "SHORT_DATE_FORMAT")}
    return ""


def _changes(booking: Booking, entries, programs) -> list[str]:
    """What the booking did to each program, one line per program (a debit may take from several
    lots, a replacement moves each lot on its own)."""
    if booking.kind == Kind.CARD_REPLACEMENT:
        # Taken off the old card and put on the new one: what arrived says it once.
        entries = [entry for entry in entries if entry.account.card_id != booking.card_id]
    per_program: dict[int, EntryChange] = {}
    for entry in entries:
        program_id = entry.account.program_id
        before = per_program.get(program_id, EntryChange(program_id, 0, 0))
        per_program[program_id] = EntryChange(program_id, before.amount + entry.amount,
                                              before.claim_change + entry.claim_change)
    return [f"{programs[change.program_id].name}: {entry_text(programs[change.program_id], change)}"
            for change in per_program.values() if change.amount or change.claim_change]


def history_lines(bookings) -> list[HistoryLine]:
    programs = catalog().programs
    lines = []
    for booking in bookings:
        entries = list(booking.entries.all())
        lines.append(HistoryLine(booking=booking, what=booking.get_kind_display(), detail=_detail(booking, entries),
                                 changes=_changes(booking, entries, programs), place=_place(booking)))
    return lines


@cardholder_required
def card_view(request):
    cardholder = portal_cardholder(request)
    cards = portal_cards(cardholder, actor=portal_actor(request))
    return portal_render(request, "portal/card/card.html", {
        "cards": [{"item": item, "grouped": card_number_grouped(item.card.number),
                   "barcode": mark_safe(code128_svg(item.card.number))  # digits only, made by us
                   if item.card.status == Card.Status.ACTIVE else ""} for item in cards],
        "recent": history_lines(portal_bookings(cardholder)[:RECENT_BOOKINGS]),
    })


@cardholder_required
def history_view(request):
    cardholder = portal_cardholder(request)
    cards = list(portal_cards_of(cardholder))
    card = None
    if number := request.GET.get("card", ""):
        card = next((card for card in cards if card.number == number), None)
        if card is None:  # someone else's card, or none: the same answer
            raise Http404
    page = Paginator(portal_bookings(cardholder, card=card), PER_PAGE).get_page(request.GET.get("page"))
    return portal_render(request, "portal/card/history.html", {
        "page": page, "lines": history_lines(page), "cards": cards, "card": card, "several": len(cards) > 1,
        "query": f"card={card.number}&" if card is not None else "",
    })


@method_decorator(cardholder_required, name="dispatch")
class CardBlockView(View):
    """Block a lost card: a confirmation first (the balance stays and moves to the replacement
    card the till hands out), then the block."""

    template_name = "portal/card/block.html"

    def _card(self, request, number) -> Card:
        card = portal_card_find(portal_cardholder(request), number)
        if card is None:
            raise Http404
        return card

    def _page(self, request, card: Card, refusal: LoyaltyError | None, *, status: int = 200):
        return portal_render(request, self.template_name, {
            "card": card, "grouped": card_number_grouped(card.number), "refusal": refusal}, status=status)

    def get(self, request, number):
        card = self._card(request, number)
        return self._page(request, card, card_block_refusal(card, actor=portal_actor(request)))

    def post(self, request, number):
        card = self._card(request, number)
        try:
            card_block(card_number=card.number, actor=portal_actor(request))
        except LoyaltyError as refusal:
            return self._page(request, card, refusal, status=refusal.status)
        messages.success(request, _("Card %(number)s is blocked. Ask for a replacement card at the till: your "
                                    "balance moves over to it.") % {"number": card_number_grouped(card.number)})
        return redirect("portal:card")


urlpatterns = [
    path("card/", card_view, name="card"),
    path("card/history/", history_view, name="history"),
    path("card/<str:number>/block/", CardBlockView.as_view(), name="card_block"),
]
