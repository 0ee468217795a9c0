"""The merchant's card reorders in its back office, mounted by config/urls_tenant.py under
manage/cards/ on the merchant's host."""
from django.urls import path

from hq.printing import views_manage

app_name = "cards"

urlpatterns = [
    path("", views_manage.CardOrdersView.as_view(), name="orders"),
    path("<int:pk>/files/<int:part>.pdf", views_manage.CardOrderFileView.as_view(), name="file"),
]
