"""A server process the scripts start for a run of their own (make smoke, make fuzz-api): a free
port, waiting until it answers there, and a graceful stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, *, timeout: float, error: type[Exception]) -> float:
    """Seconds until `process` answers on 127.0.0.1:`port`; `error` when it exits first or does not
    answer within `timeout` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise error(f"gunicorn exited {process.returncode} before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.25)
    raise error(f"gunicorn did not answer on 127.0.0.1:{port} within {timeout:.0f} s")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
