"""Every write on a merchant's cards and ledger. Each service names its actor and audits."""
