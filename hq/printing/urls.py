"""Print order URLs, mounted by hq.urls under print-orders/ on the apex host."""
from django.urls import path

from hq.printing import views

app_name = "printing"

urlpatterns = [
    path("<int:pk>/cards-<int:file>.pdf", views.PrintOrderPdfView.as_view(), name="pdf"),
]
