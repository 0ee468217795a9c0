"""The audit trail: one row per write, written by the service that makes the write."""
from django.db import models

from loyalty.actors import Actor
from loyalty.models import AuditLog


def audit_record(*, actor: Actor, action: str, target: models.Model | None = None, **data) -> AuditLog:
    return AuditLog.objects.create(
        action=action,
        actor_user=actor.user,
        actor_terminal=actor.terminal,
        actor_label=actor.label,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        data=data,
        address=actor.address or None,
    )
