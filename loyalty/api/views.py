"""API views: parse the input, call one service, answer with what it booked."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.actors import Actor
from loyalty.api import serializers as io
from loyalty.errors import BookingNotFound
from loyalty.models import Booking, Program, Terminal
from loyalty.selectors import booking_answer, booking_with_entries, card_by_number, card_recent_bookings
from loyalty.services import bookings

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="A key the client makes for each booking (e.g. a UUID) and sends again on a retry: "
                "the booking happens once and every retry gets the same answer.",
)


def request_actor(request) -> Actor:
    terminal = request.auth if isinstance(request.auth, Terminal) else None
    user = request.user if terminal is None else None
    return Actor(user=user, terminal=terminal)


class ApiAccess(permissions.BasePermission):
    """A terminal's token may book; a person needs the back-office permission (a cashier works at
    the till, not through the API), and reversing needs its own permission."""

    def has_permission(self, request, view):
        if isinstance(request.auth, Terminal):
            return True
        user = request.user
        if not (user.is_authenticated and user.has_perm("loyalty.use_back_office")):
            return False
        return not getattr(view, "needs_reverse_permission", False) or user.has_perm("loyalty.reverse_booking")


class CanAdjust(permissions.BasePermission):
    """Corrections are for the merchant's staff with the right, never for a terminal alone."""

    def has_permission(self, request, view):
        return request.user.has_perm("loyalty.change_account")


def idempotency_key_from(request) -> str:
    """The client's key for this booking, from the Idempotency-Key header; refused when missing."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        raise ValidationError({"Idempotency-Key": [_("Send a unique key of 1 to 100 characters "
                                                     "in the Idempotency-Key header.")]})
    return key


class BookingView(APIView):
    """A POST that books: the input serializer, then one service with the Idempotency-Key."""

    input_serializer: type[serializers.Serializer]
    permission_classes = [permissions.IsAuthenticated, ApiAccess]

    def book(self, data: dict, **common):
        raise NotImplementedError

    def post(self, request):
        key = idempotency_key_from(request)
        payload = self.input_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        booking = self.book(payload.validated_data, idempotency_key=key, actor=request_actor(request))
        return Response(io.BookingSerializer(booking_answer(booking)).data,
                        status=status.HTTP_201_CREATED)


def booking_view(name: str, input_serializer, book, summary: str, extra_permission=None):
    """One documented booking endpoint for one service."""
    attributes = {"input_serializer": input_serializer, "book": lambda self, data, **common: book(data, **common)}
    if extra_permission:
        attributes["permission_classes"] = [permissions.IsAuthenticated, ApiAccess, extra_permission]
    view = type(name, (BookingView,), attributes)
    view.post = extend_schema(request=input_serializer, responses={201: io.BookingSerializer},
                              parameters=[IDEMPOTENCY_KEY], summary=summary)(view.post)
    return view


EarnView = booking_view("EarnView", io.EarnInput, lambda d, **c: bookings.booking_earn(
    card_number=d["card"], program=d["program"], purchase_amount_cents=d["purchase_amount_cents"],
    receipt_number=d["receipt_number"], **c), "Earn points for a purchase")
RedeemRewardView = booking_view("RedeemRewardView", io.RedeemRewardInput, lambda d, **c: bookings.booking_redeem_reward(
    card_number=d["card"], reward=d["reward"], **c), "Redeem a reward for points")
TopUpView = booking_view("TopUpView", io.AmountInput, lambda d, **c: bookings.booking_top_up(
    card_number=d["card"], program=d["program"], amount_cents=d["amount_cents"],
    receipt_number=d["receipt_number"], **c), "Top up prepaid money")
PayView = booking_view("PayView", io.AmountInput, lambda d, **c: bookings.booking_pay(
    card_number=d["card"], program=d["program"], amount_cents=d["amount_cents"],
    receipt_number=d["receipt_number"], **c), "Pay with prepaid money")
StampView = booking_view("StampView", io.StampInput, lambda d, **c: bookings.booking_stamp(
    card_number=d["card"], program=d["program"], stamps=d["stamps"],
    receipt_number=d["receipt_number"], **c), "Add stamps")
RedeemStampsView = booking_view("RedeemStampsView", io.ProgramInput, lambda d, **c: bookings.booking_redeem_stamps(
    card_number=d["card"], program=d["program"], **c), "Redeem a full stamp card")
VoucherIssueView = booking_view("VoucherIssueView", io.VoucherIssueInput, lambda d, **c: bookings.booking_voucher_issue(
    card_number=d["card"], program=d["program"], amount_cents=d.get("amount_cents"),
    receipt_number=d["receipt_number"], **c), "Issue a voucher onto a card")
VoucherRedeemView = booking_view("VoucherRedeemView", io.AmountInput, lambda d, **c: bookings.booking_voucher_redeem(
    card_number=d["card"], program=d["program"], amount_cents=d["amount_cents"],
    receipt_number=d["receipt_number"], **c), "Redeem (part of) a voucher")
ReturnView = booking_view("ReturnView", io.ReturnInput, lambda d, **c: bookings.booking_return(
    sale_id=d["sale"], return_amount_cents=d["return_amount_cents"], receipt_number=d["receipt_number"], **c),
    "Return (part of) a purchase")
ReverseView = booking_view("ReverseView", io.ReverseInput, lambda d, **c: bookings.booking_reverse(
    booking_id=d["booking"], reason=d["reason"], **c), "Reverse a booking (once)")
ReverseView.needs_reverse_permission = True
AdjustView = booking_view("AdjustView", io.AdjustInput, lambda d, **c: bookings.booking_adjust(
    card_number=d["card"], program=d["program"], amount=d["amount"], reason=d["reason"], **c),
    "Correct a balance, with a reason", extra_permission=CanAdjust)


class CardView(APIView):
    permission_classes = [permissions.IsAuthenticated, ApiAccess]

    @extend_schema(responses=io.CardSerializer, summary="Look up a card: status, balances, first name")
    def get(self, request, number):
        return Response(io.CardSerializer(card_by_number(number)).data)


class CardBookingsView(APIView):
    permission_classes = [permissions.IsAuthenticated, ApiAccess]

    @extend_schema(responses=io.BookingSerializer(many=True), summary="The card's last bookings")
    def get(self, request, number):
        card = card_by_number(number)
        return Response(io.BookingSerializer(card_recent_bookings(card), many=True).data)


class BookingDetailView(RetrieveAPIView):
    serializer_class = io.BookingSerializer
    permission_classes = [permissions.IsAuthenticated, ApiAccess]

    def get_object(self):
        try:
            return booking_with_entries(self.kwargs["pk"])
        except Booking.DoesNotExist:
            raise BookingNotFound() from None


class ProgramListView(ListAPIView):
    serializer_class = io.ProgramSerializer
    permission_classes = [permissions.IsAuthenticated, ApiAccess]
    pagination_class = None

    def get_queryset(self):
        return Program.objects.filter(is_active=True).prefetch_related("rewards")
