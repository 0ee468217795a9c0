"""The import assistant: upload a CSV or XLSX file, map its columns, check the preview, import."""

urlpatterns = []
