"""Read-side queries over a merchant's cards."""
from django.db.models import Count

from loyalty.models import Card


def card_counts_by_status() -> dict[str, int]:
    counts = {status: 0 for status in Card.Status.values}
    for row in Card.objects.values("status").annotate(total=Count("id")):
        counts[row["status"]] = row["total"]
    return counts
