"""The till's JSON endpoints under /pos/api/: a paired terminal and a signed-in staff member,
errors as `{"code", "message"}` in the user's language (the REST API's exception handler)."""
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from loyalty.actors import Actor
from loyalty.api.views import idempotency_key_from
from loyalty.pos.actions import TILL_ACTIONS
from loyalty.pos.auth import TillAuthentication
from loyalty.pos.serializers import RegisterInput, booking_result, card_data
from loyalty.pos.services import till_card_lookup, till_card_register
from loyalty.selectors import booking_answer, card_by_number


class HasTillPermissions(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perms(view.permissions_needed())


class TillAPIView(APIView):
    authentication_classes = [TillAuthentication]
    permission_classes = [HasTillPermissions]
    renderer_classes = [JSONRenderer]
    schema = None  # the till's own endpoints, not part of the documented REST API
    needs: tuple[str, ...] = ()

    def permissions_needed(self) -> tuple[str, ...]:
        return self.needs

    def actor(self) -> Actor:
        return Actor(user=self.request.user, terminal=self.request.auth)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response


class CardView(TillAPIView):
    needs = ("loyalty.view_card",)

    def get(self, request, number):
        card = till_card_lookup(number=number, actor=self.actor())
        return Response(card_data(card, user=request.user))


class RegisterView(TillAPIView):
    needs = ("loyalty.add_cardholder",)

    def post(self, request, number):
        payload = RegisterInput(data=request.data)
        payload.is_valid(raise_exception=True)
        card = till_card_register(card_number=number, actor=self.actor(), **payload.validated_data)
        return Response(card_data(card_by_number(card.number), user=request.user),
                        status=status.HTTP_201_CREATED)


class BookingView(TillAPIView):
    """One endpoint per till action; a retry with the same Idempotency-Key books nothing new and
    gets the same answer."""

    def permissions_needed(self) -> tuple[str, ...]:
        action = TILL_ACTIONS.get(self.kwargs["action"])
        if action is None:
            raise NotFound()
        return action.permissions

    def post(self, request, action):
        key = idempotency_key_from(request)
        booking = TILL_ACTIONS[action].book(request.data, idempotency_key=key, actor=self.actor())
        return Response(booking_result(booking_answer(booking), user=request.user),
                        status=status.HTTP_201_CREATED)
