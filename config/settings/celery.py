"""Celery: Redis as broker and result store; a crashed worker loses no job."""
from celery.schedules import crontab

from config.env import env

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Berlin"
# Acknowledge after the task ran, and requeue it when the worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BEAT_SCHEDULE = {
    "nightly-for-all-merchants": {
        "task": "loyalty.tasks.nightly_for_all_merchants",
        "schedule": crontab(hour=2, minute=30),
    },
    "contracts-nightly": {
        "task": "hq.tasks.contracts_nightly",
        "schedule": crontab(hour=0, minute=5),
    },
    # The previous month's invoices, on the 1st at 03:00.
    "billing-monthly": {
        "task": "billing.tasks.billing_monthly",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    # Failed payments whose retry is due, and invoices whose delivery never ran.
    "billing-daily": {
        "task": "billing.tasks.billing_daily",
        "schedule": crontab(hour=4, minute=0),
    },
}
