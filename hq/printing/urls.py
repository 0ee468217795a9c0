"""Print order URLs, mounted by hq.urls under print-orders/ on the apex host."""
from django.urls import path

from hq.printing import views

app_name = "printing"

urlpatterns = [
    path("new/<int:merchant>/", views.PrintOrderCreateView.as_view(), name="create"),
    path("<int:pk>/step/", views.PrintOrderStepView.as_view(), name="step"),
    path("<int:pk>/files/", views.PrintFilesStartView.as_view(), name="files-start"),
    path("<int:pk>/files/status/", views.PrintFilesStatusView.as_view(), name="files-status"),
    path("<int:pk>/files/<int:part>.pdf", views.PrintFileDownloadView.as_view(), name="file"),
]
