"""The operator's records about each merchant (public schema)."""
from hq.models.contracts import CompanyProfile, Contract, ContractReminder, TerminalLicense

__all__ = ["CompanyProfile", "Contract", "ContractReminder", "TerminalLicense"]
