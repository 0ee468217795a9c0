"""What the API reads and writes. Input serializers check shapes; the services check the rules."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from loyalty.models import Booking, Card, LedgerEntry, Program, Reward
from loyalty.services.ledger import MAX_AMOUNT


def _cents(help_text, required=True):
    return serializers.IntegerField(min_value=1, max_value=MAX_AMOUNT, required=required, help_text=help_text)


class CardField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=32, help_text=_("The card number as printed or scanned."), **kwargs)


class EarnInput(serializers.Serializer):
    card = CardField()
    program = serializers.IntegerField(min_value=1)
    purchase_amount_cents = _cents(_("The purchase amount in cents."))
    receipt_number = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class RedeemRewardInput(serializers.Serializer):
    card = CardField()
    reward = serializers.IntegerField(min_value=1)


class AmountInput(serializers.Serializer):
    card = CardField()
    program = serializers.IntegerField(min_value=1)
    amount_cents = _cents(_("The amount in cents."))
    receipt_number = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class VoucherIssueInput(AmountInput):
    amount_cents = _cents(_("The voucher's value in cents; empty: the program's usual value."), required=False)


class StampInput(serializers.Serializer):
    card = CardField()
    program = serializers.IntegerField(min_value=1)
    stamps = serializers.IntegerField(min_value=1, max_value=100, default=1)
    receipt_number = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class ProgramInput(serializers.Serializer):
    card = CardField()
    program = serializers.IntegerField(min_value=1)


class ReturnInput(serializers.Serializer):
    sale = serializers.IntegerField(min_value=1, help_text=_("The purchase booking being returned."))
    return_amount_cents = _cents(_("The returned part of the purchase, in cents."))
    receipt_number = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class ReverseInput(serializers.Serializer):
    booking = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class AdjustInput(serializers.Serializer):
    card = CardField()
    program = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT,
                                      help_text=_("Positive to add, negative to take away."))
    reason = serializers.CharField(max_length=300)


class EntrySerializer(serializers.ModelSerializer):
    program = serializers.IntegerField(source="account.program_id")
    program_name = serializers.CharField(source="account.program.name")

    class Meta:
        model = LedgerEntry
        fields = ["program", "program_name", "amount", "balance_after"]


class BookingSerializer(serializers.ModelSerializer):
    card = serializers.CharField(source="card.number")
    entries = EntrySerializer(many=True)

    class Meta:
        model = Booking
        fields = ["id", "kind", "card", "program", "purchase_amount_cents", "receipt_number", "reward",
                  "reverses", "returned_sale", "reason", "created_at", "entries"]


class AccountSerializer(serializers.Serializer):
    program = serializers.IntegerField(source="program_id")
    program_name = serializers.CharField(source="program.name")
    kind = serializers.CharField(source="program.kind")
    balance = serializers.IntegerField()


class CardSerializer(serializers.ModelSerializer):
    """What a till may know of a card: its state, its balances and the holder's first name."""

    first_name = serializers.SerializerMethodField()
    accounts = AccountSerializer(many=True)

    class Meta:
        model = Card
        fields = ["number", "status", "first_name", "accounts"]

    def get_first_name(self, card) -> str:
        return card.cardholder.first_name if card.cardholder_id else ""


class RewardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reward
        fields = ["id", "name", "points"]


class ProgramSerializer(serializers.ModelSerializer):
    rewards = RewardSerializer(many=True)

    class Meta:
        model = Program
        fields = ["id", "kind", "name", "stamps_per_reward", "stamp_reward", "voucher_value_cents",
                  "partial_redemption", "max_balance_cents", "rewards"]
