"""Terminal-count billing, invoices and payments (public schema)."""
