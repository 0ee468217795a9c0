"""The customer portal's forms."""
