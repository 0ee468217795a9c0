"""The operator's records about each merchant (public schema)."""
from hq.models.audit import OperatorAuditLog
from hq.models.contracts import CompanyProfile, Contract, ContractReminder, TerminalLicense
from hq.models.print_orders import PrintFile, PrintJob, PrintOrder

__all__ = ["CompanyProfile", "Contract", "ContractReminder", "OperatorAuditLog", "PrintFile", "PrintJob", "PrintOrder",
           "TerminalLicense"]
