"""Billing's URLs, on the apex host only (config/urls_public.py)."""
from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("runs/", views.BillingRunsView.as_view(), name="runs"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe-webhook"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("invoices/<int:pk>/xml/", views.InvoiceXmlView.as_view(), name="invoice-xml"),
    path("merchants/<int:pk>/payment-method/", views.PaymentMethodCheckoutView.as_view(),
         name="payment-method-checkout"),
]
