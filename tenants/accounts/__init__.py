"""User accounts: operator staff in the public schema, a merchant's own users in its schema."""
