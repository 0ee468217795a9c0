"""Billing's pages in a merchant's back office, under /manage/billing/ (config/urls_tenant.py)."""
from django.urls import path

from billing import views_manage

app_name = "billing_manage"

urlpatterns = [
    path("", views_manage.BillingPageView.as_view(), name="home"),
    path("payment-method/", views_manage.CheckoutStartView.as_view(), name="checkout"),
    path("invoices/<int:pk>/pdf/", views_manage.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("invoices/<int:pk>/xml/", views_manage.InvoiceXmlView.as_view(), name="invoice-xml"),
]
