"""A merchant's programs, cards, terminals, ledger and audit trail (all in its own schema)."""
from loyalty.models.api_keys import ApiKey
from loyalty.models.audit import AuditLog
from loyalty.models.cardholders import Consent, ConsentWording, CustomField
from loyalty.models.cards import Card, Cardholder, Terminal
from loyalty.models.ledger import Account, Booking, LedgerEntry, Lot
from loyalty.models.pos import PairingCode
from loyalty.models.programs import BonusAction, Program, Reward
from loyalty.models.reminders import ExpiryReminder
from loyalty.models.reports import StatisticsReportSubscription
from loyalty.models.shop import ShopSettings
from loyalty.models.statistics import (
    StatisticsCard,
    StatisticsCardDay,
    StatisticsCardholder,
    StatisticsCardPeriod,
    StatisticsDay,
    StatisticsState,
)
from loyalty.models.transfers import CardholderImport, DataExport, JobStatus
from loyalty.models.wallet import WalletDevice, WalletPass, WalletRegistration

__all__ = [
    "Account", "ApiKey", "AuditLog", "BonusAction", "Booking", "Card", "Cardholder", "CardholderImport",
    "Consent", "ConsentWording", "CustomField", "DataExport", "ExpiryReminder", "JobStatus", "LedgerEntry", "Lot", "PairingCode",
    "Program", "Reward", "ShopSettings", "StatisticsReportSubscription", "StatisticsCard", "StatisticsCardDay",
    "StatisticsCardholder", "StatisticsCardPeriod", "StatisticsDay", "StatisticsState", "Terminal", "WalletDevice", "WalletPass", "WalletRegistration",
]
