"""Gunicorn's settings for the web process (`make run`, the Procfile, the README's production command).

Every value can be changed from the environment. The defaults were measured on a 2-core machine
(`make bench-connections`, README "Measured"): WEB_CONCURRENCY worker processes of GUNICORN_THREADS threads.
Threads are safe because each thread has its own database connection (Django's connections are per thread, kept
CONN_MAX_AGE seconds) or, with DATABASE_POOL, takes one from its process's pool for the length of a request.
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('WEB_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# gthread when there are threads (a thread per request, the process's other threads serve while one waits on the
# database); gunicorn's plain sync worker for one.
worker_class = "gthread" if threads > 1 else "sync"
# X-Forwarded-* is believed from these addresses only (the proxy in front; PROXY_COUNT tells Django how many).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# A request still running after this many seconds has its worker restarted (PDFs render in the worker, not here).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# The app writes one structured line per request itself (accounts/request_log.py): no second access log.
accesslog = None
