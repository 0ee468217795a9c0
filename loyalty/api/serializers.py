"""What the API answers with. The bookings' inputs are the registry's (loyalty.operations)."""
from rest_framework import serializers

from loyalty.models import Booking, Card, LedgerEntry, Program, Reward


class EntrySerializer(serializers.ModelSerializer):
    program = serializers.IntegerField(source="account.program_id")
    program_name = serializers.CharField(source="account.program.name")

    class Meta:
        model = LedgerEntry
        fields = ["program", "program_name", "amount", "balance_after", "claim_change"]


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
