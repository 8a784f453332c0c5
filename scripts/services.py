"""Choose the database and the Celery broker for a command, say which, and run the command.

    .venv/bin/python scripts/services.py test -- python -m pytest -q
    .venv/bin/python scripts/services.py dev --require-broker -- celery -A config worker -B

Modes
  test  database: DATABASE_URL if set, else PostgreSQL if it answers on 127.0.0.1:5432
        (postgres://postgres@127.0.0.1:5432/weiquan, created if missing), else SQLite.
        broker: CELERY_BROKER_URL if set, else Redis if it answers PING on 127.0.0.1:6379
        (redis://127.0.0.1:6379/1), else none (Celery runs tasks eagerly in-process).
  dev   database: DATABASE_URL if set, else the demo database (demo.sqlite3, from `make demo`);
        media files in demo-media/ unless MEDIA_ROOT is set. broker: CELERY_BROKER_URL if set,
        else none (eager); with --require-broker (the worker), else Redis if it answers
        (redis://127.0.0.1:6379/0), else exit 3.

With CI=true or WEIQUAN_REQUIRE_SERVICES=1, test mode insists on PostgreSQL and Redis: a missing
one is an error (exit 3), not a fallback. Settings read .env as well, so this script does too.

Probes (2 s timeout each) can be pointed elsewhere or switched off, e.g. to try the fallback:
  WEIQUAN_PROBE_POSTGRES=host:port | off      (default 127.0.0.1:5432)
  WEIQUAN_PROBE_REDIS=host:port | off         (default 127.0.0.1:6379)

Runs with the project's virtualenv (psycopg, redis and django-environ come from pyproject.toml).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2  # seconds, per probe
AUTO_DB_NAME = "weiquan"


class ServiceError(Exception):
    pass


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def masked(url: str) -> str:
    """The URL with any password replaced by ***, fit to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def probe_address(var: str, default: str) -> tuple[str, int] | None:
    raw = os.environ.get(var, default).strip()
    if raw.lower() in {"off", "none", "no", "0", ""}:
        return None
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit():
        raise ServiceError(f"{var}={raw!r}: expected host:port or 'off'")
    return host, int(port)


# --- probes ---------------------------------------------------------------------------------------


def reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def postgres_answers(**params) -> str | None:
    """None if PostgreSQL accepts the connection, else the reason it did not."""
    import psycopg

    try:
        with psycopg.connect(connect_timeout=TIMEOUT, **params) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        return reason(exc)
    return None


def ensure_postgres_database(name: str, **params) -> None:
    """Create database `name` if missing (connecting to the maintenance database `postgres`)."""
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(dbname="postgres", connect_timeout=TIMEOUT, autocommit=True, **params) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.DuplicateDatabase:
            pass  # created meanwhile by a parallel run


def redis_answers(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001
        return reason(exc)
    return None


def tcp_answers(url: str, default_port: int) -> str | None:
    import socket

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or default_port), TIMEOUT):
            return None
    except OSError as exc:
        return reason(exc)


# --- selection ------------------------------------------------------------------------------------


def choose_database(mode: str, required: bool, notes: list[str], for_tests: bool) -> tuple[dict, str]:
    """Returns (environment changes, description)."""
    import environ

    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = environ.Env.db_url_config(url)
        engine = config["ENGINE"]
        if "postgresql" in engine:
            params = {
                "host": config.get("HOST") or None,
                "port": config.get("PORT") or None,
                "user": config.get("USER") or None,
                "password": config.get("PASSWORD") or None,
            }
            if required:
                why = postgres_answers(dbname="postgres", **params)
                if why:
                    raise ServiceError(f"PostgreSQL at DATABASE_URL={masked(url)} does not answer: {why}")
            if mode == "test":
                # Tests build their own test_<name>; the named database itself only has to exist
                # for `manage.py check`/`makemigrations --check`. Best effort: the role may not
                # be allowed to create it, and then Django's own message says so.
                try:
                    ensure_postgres_database(config["NAME"], **params)
                except Exception:  # noqa: BLE001
                    pass
            extra = f"; tests use test_{config['NAME']}" if for_tests else ""
            return {}, f"PostgreSQL ({masked(url)}, from DATABASE_URL{extra})"
        if "sqlite" in engine:
            if required:
                raise ServiceError(f"DATABASE_URL={url} is SQLite, but this run requires PostgreSQL")
            return {}, f"SQLite ({url}, from DATABASE_URL)"
        if required:
            raise ServiceError(f"DATABASE_URL={masked(url)} is not PostgreSQL, but this run requires PostgreSQL")
        return {}, f"{engine.rsplit('.', 1)[-1]} ({masked(url)}, from DATABASE_URL)"

    if mode == "dev":
        demo = ROOT / "demo.sqlite3"
        if not demo.exists():
            raise ServiceError("no demo database yet: run 'make demo' first (or set DATABASE_URL)")
        return {"DATABASE_URL": f"sqlite:///{demo}"}, f"SQLite ({demo.name}, the demo database)"

    address = probe_address("WEIQUAN_PROBE_POSTGRES", "127.0.0.1:5432")
    if address is None:
        why = "probe switched off by WEIQUAN_PROBE_POSTGRES"
    else:
        host, port = address
        why = postgres_answers(host=host, port=port, user="postgres", dbname="postgres")
        if why is None:
            try:
                ensure_postgres_database(AUTO_DB_NAME, host=host, port=port, user="postgres")
            except Exception as exc:  # noqa: BLE001
                raise ServiceError(f"PostgreSQL answers at {host}:{port} but database {AUTO_DB_NAME!r} "
                                   f"could not be created: {reason(exc)}") from exc
            url = f"postgres://postgres@{host}:{port}/{AUTO_DB_NAME}"
            extra = f"; tests use test_{AUTO_DB_NAME}" if for_tests else ""
            return {"DATABASE_URL": url}, f"PostgreSQL ({url}, auto-detected{extra})"
        why = f"no PostgreSQL at {host}:{port}: {why}"
    if required:
        raise ServiceError(f"this run requires PostgreSQL, but {why}. Start it, or set DATABASE_URL.")
    notes.append(why)
    return {}, "SQLite (fallback)"


def choose_broker(mode: str, required: bool, notes: list[str]) -> tuple[dict, str]:
    url = os.environ.get("CELERY_BROKER_URL", "").strip()
    if url:
        scheme = urlsplit(url).scheme
        is_redis = scheme in {"redis", "rediss"}
        if required:
            why = redis_answers(url) if is_redis else tcp_answers(url, 5672)
            if why:
                raise ServiceError(f"broker at CELERY_BROKER_URL={masked(url)} does not answer: {why}")
        return {}, f"{'Redis' if is_redis else scheme} ({masked(url)}, from CELERY_BROKER_URL)"

    if mode == "dev" and not required:
        # The web server renders in-process unless told of a broker: a Redis that merely happens
        # to be running would otherwise swallow tasks that no worker picks up.
        return {"CELERY_BROKER_URL": ""}, "none (Celery eager; set CELERY_BROKER_URL to use a worker)"
    address = probe_address("WEIQUAN_PROBE_REDIS", "127.0.0.1:6379")
    if address is None:
        why = "probe switched off by WEIQUAN_PROBE_REDIS"
    else:
        host, port = address
        # Tests get their own Redis database so that a development worker (on /0) never picks
        # up a task a test queued, and a test's purge never eats a developer's tasks.
        url = f"redis://{host}:{port}/{1 if mode == 'test' else 0}"
        why = redis_answers(url)
        if why is None:
            return {"CELERY_BROKER_URL": url}, f"Redis ({url}, auto-detected)"
        why = f"no Redis at {host}:{port}: {why}"
    if required:
        raise ServiceError(f"this run requires Redis, but {why}. Start it, or set CELERY_BROKER_URL.")
    notes.append(why)
    # An empty value (rather than none) so that a CELERY_BROKER_URL in .env does not come back.
    return {"CELERY_BROKER_URL": ""}, "none (Celery eager)"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["test", "dev"])
    parser.add_argument("--label", help="what to call this run in the report line")
    parser.add_argument("--require-broker", action="store_true", help="fail when there is no broker")
    parser.usage = "%(prog)s {test,dev} [--label TEXT] [--require-broker] -- COMMAND [ARG ...]"
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        parser.error("no command given (put it after --)")

    # Settings read .env (real environment variables win); so must the choice made here.
    import environ

    if (ROOT / ".env").is_file():
        environ.Env.read_env(ROOT / ".env")

    required = args.mode == "test" and (truthy(os.environ.get("CI")) or truthy(os.environ.get("WEIQUAN_REQUIRE_SERVICES")))
    label = args.label or ("Test run" if args.mode == "test" else "Using")
    notes: list[str] = []
    try:
        db_env, db_text = choose_database(args.mode, required, notes, for_tests=label == "Test run")
        broker_env, broker_text = choose_broker(args.mode, required or args.require_broker, notes)
    except ServiceError as exc:
        why = " (CI=true)" if truthy(os.environ.get("CI")) else ""
        print(f"services: ERROR{why}: {exc}", file=sys.stderr, flush=True)
        return 3

    env = dict(os.environ, **db_env, **broker_env)
    if args.mode == "dev" and "DATABASE_URL" in db_env:  # the demo database has its own media
        env.setdefault("MEDIA_ROOT", str(ROOT / "demo-media"))
    for note in notes:
        print(f"services: {note}", flush=True)
    print(f"{label}: database={db_text} broker={broker_text}", flush=True)

    # Run commands from the virtualenv first (python, celery, pytest) whatever PATH says.
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    executable = shutil.which(command[0], path=env["PATH"])
    if executable is None:
        print(f"services: ERROR: command not found: {command[0]}", file=sys.stderr)
        return 127
    if args.mode == "dev":
        os.execve(executable, command, env)  # servers and workers get signals directly

    try:
        result = subprocess.run([executable, *command[1:]], env=env, cwd=ROOT)
    except KeyboardInterrupt:
        return 130
    if result.returncode == 5 and "pytest" in " ".join(command[:3]):
        print("services: pytest collected no tests (exit 5): counted as a failure", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
