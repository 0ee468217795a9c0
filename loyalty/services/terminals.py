"""Terminals: the tills and cash registers that book with a token of their own, and the seats of
the merchant's licence they take."""
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from loyalty.actors import Actor
from loyalty.errors import TerminalLimitReached
from loyalty.models import PairingCode, Terminal
from loyalty.services.audit import audit_record
from tenants.models import Merchant
from tenants.selectors import merchant_current


def terminal_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Seats:
    """The licence's seats: taken by active terminals and by pairing codes not used yet (each code
    holds the seat of the till it will pair), so that two codes are never handed out for one seat."""

    limit: int
    terminals: int
    codes_open: int

    @property
    def free(self) -> int:
        return max(0, self.limit - self.terminals - self.codes_open)


def terminal_seats(*, limit: int) -> Seats:
    return Seats(limit=limit, terminals=Terminal.objects.filter(is_active=True).count(),
                 codes_open=PairingCode.objects.filter(used_at__isnull=True,
                                                       expires_at__gt=timezone.now()).count())


def terminal_limit_locked() -> int:
    """Inside the caller's transaction: the licensed number of terminals, with the merchant's row
    locked. Every claim of a seat (a pairing code made, a till paired) queues on it, so two cannot
    both take the last seat; under the lock the licence is as the operator last wrote it."""
    return (Merchant.objects.select_for_update(no_key=True).filter(pk=merchant_current().pk)
            .values_list("terminal_limit", flat=True).get())


def terminal_seat_claim() -> Seats:
    """Inside the caller's transaction: refuse a new pairing code unless a seat is free."""
    limit = terminal_limit_locked()
    seats = terminal_seats(limit=limit)
    if seats.free < 1:
        raise TerminalLimitReached(limit=limit)
    return seats


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
def terminal_rename(*, terminal: Terminal, name: str, actor: Actor) -> Terminal:
    name = name.strip()
    before = terminal.name
    if name == before:
        return terminal
    Terminal.objects.filter(pk=terminal.pk).update(name=name)
    terminal.name = name
    audit_record(actor=actor, action="terminal.rename", target=terminal,
                 before={"name": before}, after={"name": name})
    return terminal


@transaction.atomic
def terminal_revoke(*, terminal: Terminal, actor: Actor) -> Terminal:
    Terminal.objects.filter(pk=terminal.pk).update(is_active=False)
    terminal.is_active = False
    audit_record(actor=actor, action="terminal.revoke", target=terminal,
                 before={"is_active": True}, after={"is_active": False})
    return terminal
