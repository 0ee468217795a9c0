"""The audit trail: one row per write, written by the service that makes the write."""
from django.db import models

from loyalty.actors import Actor
from loyalty.models import AuditLog


def _entry(*, actor: Actor, action: str, target: models.Model | None, data: dict) -> AuditLog:
    return AuditLog(
        action=action,
        actor_user=actor.user,
        actor_terminal=actor.terminal,
        actor_label=actor.label,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        data=data,
        address=actor.address or None,
    )


def audit_record(*, actor: Actor, action: str, target: models.Model | None = None, **data) -> AuditLog:
    entry = _entry(actor=actor, action=action, target=target, data=data)
    entry.save()
    return entry


def audit_records(*, actor: Actor, action: str, entries: list[tuple[models.Model, dict]]) -> list[AuditLog]:
    """The same action on many rows (an import's cardholders), each (target, data): a row each,
    written in one statement."""
    return AuditLog.objects.bulk_create(
        [_entry(actor=actor, action=action, target=target, data=data) for target, data in entries])
