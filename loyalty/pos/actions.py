"""What the till offers: which operations of the registry (loyalty.operations), under which label,
and which one Enter in the amount field books. Whether an operation is offered on a card is the
program behaviours' and the operations' rule, the one the services apply."""
from django.utils.translation import gettext_lazy as _

from loyalty.models import Booking
from loyalty.operations import OPERATIONS

Kind = Booking.Kind

TILL_LABELS = {
    Kind.EARN: _("Earn"),
    Kind.REDEEM_REWARD: _("Redeem: %(reward)s (%(points)s)"),
    Kind.TOP_UP: _("Top up"),
    Kind.PAY: _("Pay"),
    Kind.STAMP: _("Stamp"),
    Kind.REDEEM_STAMPS: _("Redeem stamp card"),
    Kind.VOUCHER_ISSUE: _("Sell voucher"),
    Kind.VOUCHER_REDEEM: _("Redeem voucher"),
    Kind.RETURN: _("Return"),
    Kind.REVERSAL: _("Reverse"),
}
TILL_OPERATIONS = {kind: OPERATIONS[kind] for kind in TILL_LABELS}
# Enter in the amount field does this, when the card's programs offer it.
PRIMARY_ACTION = Kind.EARN
