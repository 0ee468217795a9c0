"""Writing the operator's audit log: every operator write calls `operator_audit` in its own
transaction, naming who (a member of staff, or the system's job), what, for which merchant, and
the state before and after."""
import datetime
from decimal import Decimal

from django.db import models

from hq.models import OperatorAuditLog


def _plain(value):
    """A value as JSON keeps it: dates as ISO text, models by their id, decimals as text."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def operator_audit(*, actor, action: str, merchant=None, target: models.Model | None = None,
                   before: dict | None = None, after: dict | None = None) -> OperatorAuditLog:
    """`actor`: the member of staff (a User), or a text for the system's own jobs."""
    is_person = actor is not None and not isinstance(actor, str)
    return OperatorAuditLog.objects.create(
        action=action,
        actor=actor if is_person else None,
        actor_label="" if is_person else (actor or "system"),
        merchant=merchant,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        before=_plain(before or {}),
        after=_plain(after or {}),
    )


def fields_of(instance: models.Model, *names: str) -> dict:
    return {name: getattr(instance, name) for name in names}


def operator_audit_for_merchant(*, merchant, limit: int = 50) -> list[OperatorAuditLog]:
    """The newest entries about one merchant, for its page in the console."""
    return list(OperatorAuditLog.objects.filter(merchant=merchant).select_related("actor")
                .order_by("-id")[:limit])
