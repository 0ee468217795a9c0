"""gunicorn for the web process: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Sync workers, one per core, behind a buffering proxy (nginx or the load balancer keeps the clients'
connections; gunicorn answers one request at a time per worker). Chosen by measurement with
`make bench-bookings` on 2 cores: 2 sync workers booked 589/s with p99 38 ms at 16 terminals and
133 ms at 64; 3 sync workers the same rate with a worse hot card (456/s against 523/s); threaded
workers (gthread, 1 or 2 threads) had twice the p99, because a worker's threads share one
interpreter lock and kept-alive connections stay with a busy worker."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
backlog = 2048
timeout = 30
graceful_timeout = 30
# A fresh worker now and then: whatever a long-lived process gathers stays bounded.
max_requests = 20_000
max_requests_jitter = 2_000
# The proxy in front logs every request; set GUNICORN_ACCESS_LOG=- to have gunicorn log them too.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
