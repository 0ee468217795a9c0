"""What the API answers with. The bookings' inputs are the registry's (loyalty.operations)."""
from rest_framework import serializers

from loyalty.models import Booking, Card, Program, Reward


class EntrySerializer(serializers.Serializer):
    program = serializers.IntegerField(source="account.program_id")
    program_name = serializers.CharField(source="account.program.name")
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    claim_change = serializers.IntegerField(
        help_text="How the booking changed the account's open claim (see the card's accounts).")


# Plain serializers with their fields spelled out: every booking's answer goes through this one, and
# a ModelSerializer would work its fields out from the model anew for each answer.
class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Booking.Kind.choices)
    card = serializers.CharField(source="card.number")
    program = serializers.IntegerField(source="program_id", allow_null=True)
    purchase_amount_cents = serializers.IntegerField(allow_null=True)
    receipt_number = serializers.CharField()
    reward = serializers.IntegerField(source="reward_id", allow_null=True)
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    returned_sale = serializers.IntegerField(source="returned_sale_id", allow_null=True)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    entries = EntrySerializer(many=True)


class AccountSerializer(serializers.Serializer):
    program = serializers.IntegerField(source="program_id")
    program_name = serializers.CharField(source="program.name")
    kind = serializers.CharField(source="program.kind")
    balance = serializers.IntegerField()
    claim = serializers.IntegerField(help_text="Taken back by a return after it was spent: paid off "
                                               "by the account's next credits.")


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
