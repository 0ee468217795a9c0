"""What can be booked at the till, each through the REST API's own input and service."""
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loyalty.api import views as api
from loyalty.models import Booking

Kind = Booking.Kind
REVERSE_PERMISSIONS = ("loyalty.add_booking", "loyalty.reverse_booking")


@dataclass(frozen=True)
class TillAction:
    kind: str
    label: Promise
    api_view: type[api.BookingView]  # its input serializer and its call of the service
    amount_field: str | None = None  # where the till's one amount field goes, if anywhere
    permissions: tuple[str, ...] = ("loyalty.add_booking",)

    def book(self, data, *, idempotency_key: str, actor) -> Booking:
        payload = self.api_view.input_serializer(data=data)
        payload.is_valid(raise_exception=True)
        return self.api_view().book(payload.validated_data, idempotency_key=idempotency_key,
                                    actor=actor)


TILL_ACTIONS = {action.kind: action for action in (
    TillAction(Kind.EARN, _("Earn"), api.EarnView, amount_field="purchase_amount_cents"),
    TillAction(Kind.REDEEM_REWARD, _("Redeem: %(reward)s (%(points)s)"), api.RedeemRewardView),
    TillAction(Kind.TOP_UP, _("Top up"), api.TopUpView, amount_field="amount_cents"),
    TillAction(Kind.PAY, _("Pay"), api.PayView, amount_field="amount_cents"),
    TillAction(Kind.STAMP, _("Stamp"), api.StampView),
    TillAction(Kind.REDEEM_STAMPS, _("Redeem stamp card"), api.RedeemStampsView),
    TillAction(Kind.VOUCHER_REDEEM, _("Redeem voucher"), api.VoucherRedeemView,
               amount_field="amount_cents"),
    TillAction(Kind.REVERSAL, _("Reverse"), api.ReverseView, permissions=REVERSE_PERMISSIONS),
)}
# Enter in the amount field does this, when the card's programs offer it.
PRIMARY_ACTION = Kind.EARN
