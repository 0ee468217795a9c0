"""A probe task: reports which cards the schema it runs in can see."""
from config.celery import app


@app.task(name="tests.card_numbers_visible")
def card_numbers_visible() -> dict:
    from django.db import connection

    from loyalty.models import Card

    return {
        "schema": connection.schema_name,
        "numbers": sorted(Card.objects.values_list("number", flat=True)),
    }
