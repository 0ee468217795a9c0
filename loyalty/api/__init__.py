"""The REST API for tills and cash registers: card look-ups and bookings (Django REST framework)."""
