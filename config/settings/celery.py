"""Celery: Redis as broker and result store; a crashed worker loses no job."""
from celery.schedules import crontab

from config.env import env

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="")
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Berlin"
# Acknowledge after the task ran, and requeue it when a pool process dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# When a worker's main process dies, the task it held is handed out again once it has been
# unacknowledged this long: five minutes, well above our longest task (a print file, about ten
# seconds) and short enough that a crash costs minutes, not an hour. A task running longer would be
# started a second time meanwhile, so every task is idempotent (each says how).
# Workers look for such tasks every ten seconds (kombu's default sweep is every 100).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
# The queue tasks go to and workers take from, unless a task names another.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# More task modules for the worker (the tests' probes): a comma-separated list.
CELERY_IMPORTS = env.list("CELERY_IMPORTS", default=[])
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BEAT_SCHEDULE = {
    "nightly-for-all-merchants": {
        "task": "loyalty.tasks.nightly_for_all_merchants",
        "schedule": crontab(hour=2, minute=30),
    },
    # The statistics' rollups of today (and yesterday): the page shows figures at most this old.
    "statistics-refresh": {
        "task": "loyalty.tasks.statistics_refresh_for_all_merchants",
        "schedule": crontab(minute="*/5"),
    },
    # The statistics of the month before, by e-mail to who asked, on the 1st at 06:00 (after the
    # nightly run has refreshed the last day's rollups).
    "statistics-monthly-reports": {
        "task": "loyalty.tasks.monthly_reports_for_all_merchants",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
    # Export files are downloadable for a day; within the hour after it they are deleted.
    "data-exports-expire": {
        "task": "loyalty.tasks.expire_data_exports_everywhere",
        "schedule": crontab(minute=15),
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
