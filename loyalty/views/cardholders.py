"""Cardholders: the list with search and filters, a person's page and its actions, and the merchant's own fields."""

urlpatterns = []
