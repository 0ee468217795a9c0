"""Probe tasks: which cards the schema a task runs in can see; a slow task with one effect."""
import time

from config.celery import app


@app.task(name="tests.card_numbers_visible")
def card_numbers_visible() -> dict:
    from django.db import connection

    from loyalty.models import Card

    return {
        "schema": connection.schema_name,
        "numbers": sorted(Card.objects.values_list("number", flat=True)),
    }


@app.task(name="tests.slow_once")
def slow_once(key: str, seconds: float) -> bool:
    """Counts its starts, takes its time (long enough to be killed in the middle), then has its one
    effect once, however often it runs: idempotent, as every task of ours."""
    from django.core.cache import caches

    shared = caches["shared"]
    shared.add(f"starts:{key}", 0, timeout=None)
    shared.incr(f"starts:{key}")
    time.sleep(seconds)
    if shared.add(f"done:{key}", 1, timeout=None):
        shared.add(f"effects:{key}", 0, timeout=None)
        shared.incr(f"effects:{key}")
    return True
