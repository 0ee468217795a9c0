"""A merchant's programs, cards, terminals, ledger and audit trail (all in its own schema)."""
from loyalty.models.api_keys import ApiKey
from loyalty.models.audit import AuditLog
from loyalty.models.cards import Card, Cardholder, Terminal
from loyalty.models.ledger import Account, Booking, LedgerEntry, Lot
from loyalty.models.pos import PairingCode
from loyalty.models.programs import BonusAction, Program, Reward
from loyalty.models.reminders import ExpiryReminder
from loyalty.models.shop import ShopSettings

__all__ = [
    "Account", "ApiKey", "AuditLog", "BonusAction", "Booking", "Card", "Cardholder", "ExpiryReminder", "LedgerEntry", "Lot", "Program",
    "PairingCode", "Reward", "ShopSettings", "Terminal",
]
