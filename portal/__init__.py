"""The merchant-branded portal where cardholders see their cards."""
