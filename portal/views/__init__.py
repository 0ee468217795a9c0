"""The customer portal's views, one module per area: the public pages (pages), registration and
sign-in (accounts), the card and its balances (card), profile, consents and the person's data
(privacy), and the wallet pass (wallet)."""
