"""Terminals: the tills and cash registers that book with a token of their own."""
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.models import Terminal
from loyalty.services.audit import audit_record


def terminal_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def terminal_create(*, name: str, actor: Actor) -> tuple[Terminal, str]:
    """A new terminal and its token. The token is shown this once; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    terminal = Terminal.objects.create(name=name, token_hash=terminal_token_hash(token))
    audit_record(actor=actor, action="terminal.create", target=terminal, name=name)
    return terminal, token


def terminal_seen(terminal: Terminal) -> None:
    """Note that the terminal is in use: at most one write a minute, not one per request."""
    now = timezone.now()
    if terminal.last_seen_at is None or (now - terminal.last_seen_at).total_seconds() > 60:
        Terminal.objects.filter(pk=terminal.pk).update(last_seen_at=now)
        terminal.last_seen_at = now


@transaction.atomic
def terminal_revoke(*, terminal: Terminal, actor: Actor) -> Terminal:
    Terminal.objects.filter(pk=terminal.pk).update(is_active=False)
    terminal.is_active = False
    audit_record(actor=actor, action="terminal.revoke", target=terminal)
    return terminal
