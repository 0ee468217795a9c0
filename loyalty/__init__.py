"""A merchant's customer cards: programs, cards, cardholders, the ledger, till and back office."""
