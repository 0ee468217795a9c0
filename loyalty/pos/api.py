"""The till's JSON endpoints under /pos/api/: a paired terminal and a signed-in staff member,
errors as `{"code", "message"}` in the user's language (the REST API's exception handler).
Bookings go through the same registry as the REST API (loyalty.operations)."""
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.actors import Actor
from loyalty.operations import idempotency_key_from
from loyalty.pos.actions import TILL_OPERATIONS
from loyalty.pos.auth import TillAuthentication
from loyalty.pos.serializers import RegisterInput, booking_result, card_data
from loyalty.pos.services import till_card_register
from loyalty.selectors import booking_answer, cards_with_accounts
from loyalty.services.cards import card_look_up


class HasTillPermissions(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perms(view.needs)


class TillAPIView(APIView):
    authentication_classes = [TillAuthentication]
    permission_classes = [HasTillPermissions]
    renderer_classes = [JSONRenderer]
    schema = None  # the till's own endpoints, not part of the documented REST API
    needs: tuple[str, ...] = ()

    def actor(self) -> Actor:
        return Actor(user=self.request.user, terminal=self.request.auth)


class CardView(TillAPIView):
    needs = ("loyalty.view_card",)

    def get(self, request, number):
        actor = self.actor()
        return Response(card_data(card_look_up(number, actor=actor), actor=actor))


class RegisterView(TillAPIView):
    needs = ("loyalty.add_cardholder",)

    def post(self, request, number):
        payload = RegisterInput(data=request.data)
        payload.is_valid(raise_exception=True)
        actor = self.actor()
        card = till_card_register(card_number=number, actor=actor, **payload.validated_data)
        return Response(card_data(cards_with_accounts().get(pk=card.pk), actor=actor),
                        status=status.HTTP_201_CREATED)


class BookingView(TillAPIView):
    """One endpoint per till action; what each needs is its operation's rule. A retry with the
    same Idempotency-Key books nothing new and gets the same answer."""

    def post(self, request, action):
        operation = TILL_OPERATIONS.get(action)
        if operation is None:
            raise NotFound()
        booking = operation.book(request.data, idempotency_key=idempotency_key_from(request),
                                 actor=self.actor())
        return Response(booking_result(booking_answer(booking)), status=status.HTTP_201_CREATED)
