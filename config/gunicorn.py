"""gunicorn's configuration for the production run: `gunicorn -c config/gunicorn.py` (`make serve`).

Everything here can be changed from the environment (README.md, "Running in production"):

  GUNICORN_BIND              where to listen (comma-separated)    127.0.0.1:8000
  GUNICORN_WORKERS           worker processes                     2 × cores + 1, at most 9
  GUNICORN_THREADS           threads per worker                   1
  GUNICORN_TIMEOUT           seconds a request may take           60 (a PDF rendered inline, an import)
  GUNICORN_MAX_REQUESTS      requests before a worker is renewed  1000 (± 100, so they renew apart)
  FORWARDED_ALLOW_IPS        proxies whose X-Forwarded-* to trust 127.0.0.1,::1
  GUNICORN_ACCESS_LOG        "-" (stdout), a file, or empty for none  -
  GUNICORN_CONTROL_SOCKET    a path for gunicornc (gunicorn ≥ 24)  none

Logs go to stdout/stderr (the access log in gunicorn's common format with the request time), for
the process supervisor (systemd, a container runtime) to keep.
"""

import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "config.wsgi:application"
# Only the proxy may reach gunicorn (Django believes the X-Forwarded-Proto it is sent): loopback
# unless told otherwise, e.g. GUNICORN_BIND=10.0.0.11:8000 for a proxy on another machine.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Synchronous workers: the work is database-bound and short; PDFs are rendered by Celery workers.
# 2 × cores + 1 is gunicorn's rule of thumb (5 on a 2-core machine); capped so a large host with
# several nodes on one PostgreSQL does not open more connections than it allows.
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The proxy in front (nginx, a load balancer) terminates TLS and sets X-Forwarded-Proto, which
# Django trusts (SECURE_PROXY_SSL_HEADER); gunicorn honours X-Forwarded-* only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# gunicorn ≥ 24's control socket (`gunicornc`) only when asked for: by default every gunicorn on a
# host would share one path (~/.gunicorn/gunicorn.ctl), and several nodes may run on one host.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Worker heartbeat files in memory, not on a disk that may stall (gunicorn's advice for containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "weiquan"
