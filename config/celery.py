"""The tenant-aware Celery app: a task queued inside a merchant's context runs in that schema."""
import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("stammkunde")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
