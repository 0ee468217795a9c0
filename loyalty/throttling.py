"""The merchant side's use of the one failure throttle (tenants.throttling): who is counted for an
actor, the audit row of a lock-out, and the refusal the till and the REST API answer with."""
from collections.abc import Callable

from loyalty.actors import Actor
from loyalty.errors import TooManyAttempts
from loyalty.services.audit import audit_record
from tenants.throttling import Limit, Throttled


def actor_subjects(actor: Actor) -> list[str]:
    """Who is counted for an actor's attempts: its terminal and its user (or its API key), each
    on its own."""
    subjects = [f"key:{actor.api_key.pk}"] if actor.api_key is not None else []
    if actor.terminal is not None:
        subjects.append(f"terminal:{actor.terminal.pk}")
    if actor.user is not None:
        subjects.append(f"user:{actor.user.pk}")
    return subjects


def lockout_audit(*, limit: Limit, actor: Actor, **data) -> Callable[[], None]:
    """What a lock-out leaves in the merchant's audit log."""
    return lambda: audit_record(actor=actor, action=f"throttled.{limit.name}", failures=limit.failures,
                                window_seconds=limit.window, **data)


def too_many(throttled: Throttled, message=None) -> TooManyAttempts:
    return TooManyAttempts(message, retry_after=throttled.retry_after)
