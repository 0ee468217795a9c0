"""API views: parse the input, call one service, answer with what it booked."""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from loyalty.actors import Actor
from loyalty.api import serializers as io
from loyalty.api.authentication import ApiKeyAuthentication
from loyalty.errors import BookingNotFound
from loyalty.models import ApiKey, Booking, Program, Terminal
from loyalty.operations import MAX_ID, BookingOperation, idempotency_key_from
from loyalty.selectors import booking_answer, booking_with_entries, card_recent_bookings
from loyalty.services.cards import card_look_up

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="A key the client makes for each booking (e.g. a UUID) and sends again on a retry: "
                "the booking happens once and every retry gets the same answer. Keys are the "
                "sending terminal's (or person's) own: the same key from another terminal is "
                "another booking.",
)


# API keys open this REST API only, not the till's endpoints under /pos/api/.
AUTHENTICATION = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, ApiKeyAuthentication]


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `not_authenticated`, `permission_denied`.")
    message = serializers.CharField(help_text="In the language of the Accept-Language header.")


NOT_AUTHENTICATED = OpenApiResponse(
    ErrorSerializer, description="No credentials, or a terminal token or API key that is unknown "
                                 "or revoked (`not_authenticated`).")
NOT_PERMITTED = OpenApiResponse(
    ErrorSerializer, description="The credentials may not do this (`permission_denied`): e.g. an API "
                                 "key of scope `read` booking, or a booking that needs a person.")

REFUSED = OpenApiResponse(
    ErrorSerializer, description="The booking rules refuse it and nothing is booked, e.g. "
                                 "`insufficient_balance`, `amount_too_large` (above the merchant's "
                                 "hard maximum), `wrong_program`, a card that is blocked.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such card, program, reward or booking.")
CONFIRMATION_REQUIRED = OpenApiResponse(
    ErrorSerializer, description="`confirmation_required`: the amount is above the merchant's "
                                 "plausibility limit. Nothing is booked; once the amount is checked, "
                                 "send the same request with `confirmed: true` and the same "
                                 "Idempotency-Key.")


def request_actor(request) -> Actor:
    if isinstance(request.auth, ApiKey):
        return Actor.for_api_key(request.auth)
    terminal = request.auth if isinstance(request.auth, Terminal) else None
    user = request.user if terminal is None else None
    return Actor(user=user, terminal=terminal)


class ApiAccess(permissions.BasePermission):
    """A terminal's token or an API key may use the API; a person needs the back-office
    permission (a cashier works at the till, not through the API). What each booking needs
    (an API key's scope among it) is the operation's rule."""

    def has_permission(self, request, view):
        if isinstance(request.auth, (Terminal, ApiKey)):
            return True
        user = request.user
        return user.is_authenticated and user.has_perm("loyalty.use_back_office")


class ApiView(APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated, ApiAccess]


class BookingSchema(AutoSchema):
    """Documents each booking endpoint with its operation's input and summary."""

    def get_request_serializer(self):
        return self.view.operation.input

    def get_response_serializers(self):
        responses = {201: io.BookingSerializer, 401: NOT_AUTHENTICATED, 403: NOT_PERMITTED,
                     404: NOT_FOUND, 422: REFUSED}
        if "confirmed" in self.view.operation.input().fields:
            responses[409] = CONFIRMATION_REQUIRED
        return responses

    def get_override_parameters(self):
        return [IDEMPOTENCY_KEY]

    def get_summary(self):
        return self.view.operation.summary


class BookingView(ApiView):
    """POST /api/bookings/<slug>/: one operation of the registry (loyalty.operations), given to
    each URL by `as_view(operation=…)`."""

    operation: BookingOperation | None = None
    schema = BookingSchema()

    def post(self, request):
        booking = self.operation.book(request.data, idempotency_key=idempotency_key_from(request),
                                      actor=request_actor(request))
        return Response(io.BookingSerializer(booking_answer(booking)).data,
                        status=status.HTTP_201_CREATED)


class CardView(ApiView):
    @extend_schema(responses={200: io.CardSerializer, 401: NOT_AUTHENTICATED, 403: NOT_PERMITTED}, summary="Look up a card: status, balances, first name")
    def get(self, request, number):
        return Response(io.CardSerializer(card_look_up(number, actor=request_actor(request))).data)


class CardBookingsView(ApiView):
    @extend_schema(responses={200: io.BookingSerializer(many=True), 401: NOT_AUTHENTICATED,
                              403: NOT_PERMITTED}, summary="The card's last bookings")
    def get(self, request, number):
        card = card_look_up(number, actor=request_actor(request))
        return Response(io.BookingSerializer(card_recent_bookings(card), many=True).data)


@extend_schema(responses={200: io.BookingSerializer, 401: NOT_AUTHENTICATED, 403: NOT_PERMITTED})
class BookingDetailView(RetrieveAPIView):
    serializer_class = io.BookingSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated, ApiAccess]

    def get_object(self):
        if self.kwargs["pk"] > MAX_ID:
            raise BookingNotFound()
        try:
            return booking_with_entries(self.kwargs["pk"])
        except Booking.DoesNotExist:
            raise BookingNotFound() from None


@extend_schema(responses={200: io.ProgramSerializer(many=True), 401: NOT_AUTHENTICATED,
                          403: NOT_PERMITTED})
class ProgramListView(ListAPIView):
    serializer_class = io.ProgramSerializer
    authentication_classes = AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated, ApiAccess]
    pagination_class = None

    def get_queryset(self):
        return Program.objects.filter(is_active=True).prefetch_related("rewards")
