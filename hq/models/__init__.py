"""The operator's records about each merchant (public schema)."""
from hq.models.contracts import CompanyProfile, Contract, ContractReminder, TerminalLicense
from hq.models.print_orders import PrintOrder  # noqa: F401

__all__ = ["CompanyProfile", "Contract", "ContractReminder", "TerminalLicense"]
