"""Start the console for production: migrate, then the scheduler, the watchdog, the JSON
API and the console.

    BARBERPRO_DATABASE_URL=postgresql+psycopg://... python -m deploy.run_prod [--port 8501]
        [--api-port 8000]

What ``make run-prod`` runs, and what the Procfile and the systemd units in this folder
spell out as separate services (the watchdog, ``python -m core.ops.watchdog``, evaluates
the monitors independently of the scheduler, so a stopped scheduler is reported).
Production mode (``BARBERPRO_ENV=production``) is set
for every child: no demo data, no simulator, and the console's embedded scheduler off,
because ``python scheduler.py`` is the one scheduler. The API (uvicorn with
``BARBERPRO_API_WORKERS`` worker processes, default 1) is bound like the console. If
any process exits, the others are stopped and the exit status says which; SIGTERM or
Ctrl-C stops them all.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.config import ConfigError, get_settings

ROOT = Path(__file__).resolve().parent.parent
# scheduler.py and Streamlit both stop within a few seconds of SIGTERM; past this a
# child is killed so a stop never hangs a deploy.
STOP_GRACE_S = 15.0


PRODUCTION = {
    "BARBERPRO_ENV": "production",
    # Explicit, although production's default is already off: a stray
    # BARBERPRO_EMBEDDED_SCHEDULER=true in the deployer's shell must not start a second one.
    "BARBERPRO_EMBEDDED_SCHEDULER": "false",
    "BARBERPRO_SIMULATOR": "false",
}


def console_command(port: int, address: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "serve.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        # Users never see a traceback; serve.py refuses to start otherwise.
        "--client.showErrorDetails",
        "none",
    ]


def api_command(port: int, address: str, workers: int) -> list[str]:
    """uvicorn serving the JSON API; the write limit is counted in the database, so
    several workers (or replicas) share it."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app",
        "--factory",
        "--host",
        address,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-server-header",
        "--proxy-headers",
        "--forwarded-allow-ips",
        os.environ.get("BARBERPRO_TRUSTED_PROXY", "").strip() or "127.0.0.1",
    ]


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for name, process in processes.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run_prod: {name} did not stop in {STOP_GRACE_S:g} s; killing it", flush=True)
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.run_prod", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8501")))
    parser.add_argument(
        "--address",
        default=os.environ.get("BARBERPRO_HOST", "127.0.0.1"),
        help="interface the console listens on (behind a proxy: 127.0.0.1)",
    )
    parser.add_argument(
        "--api-port",
        type=int,
        default=int(os.environ.get("BARBERPRO_API_PORT", "8000")),
        help="port of the JSON API (same interface as the console)",
    )
    args = parser.parse_args(argv)
    for flag, port in (("--port", args.port), ("--api-port", args.api_port)):
        if not 0 < port < 65536:
            print(f"run_prod: {flag} must be between 1 and 65535, got {port}", file=sys.stderr)
            return 2
    if args.port == args.api_port:
        print("run_prod: --port and --api-port must differ", file=sys.stderr)
        return 2
    workers = os.environ.get("BARBERPRO_API_WORKERS", "1").strip() or "1"
    if not workers.isdigit() or not 1 <= int(workers) <= 64:
        print(f"run_prod: BARBERPRO_API_WORKERS must be 1 to 64, got {workers!r}", file=sys.stderr)
        return 2
    os.environ.update(PRODUCTION)  # this process and every child run in production mode
    env = dict(os.environ)
    # Streamlit signs its own cookies (XSRF, single sign-on) with this: one value shared
    # by every replica, from the environment (never on the command line, where ps shows it).
    if os.environ.get("BARBERPRO_COOKIE_SECRET"):
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = os.environ["BARBERPRO_COOKIE_SECRET"]
    try:
        get_settings()  # refuses SQLite and bad values with one line, before anything starts
    except ConfigError as exc:
        print(f"run_prod: {exc}", file=sys.stderr)
        return 2

    print("run_prod: migrating the database", flush=True)
    migrated = subprocess.run([sys.executable, "-m", "core.migrate"], cwd=ROOT, env=env)
    if migrated.returncode != 0:
        return migrated.returncode

    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    # Each child in its own session: a terminal's Ctrl-C reaches only this supervisor,
    # which then stops the children in order instead of all of them at once.
    processes = {
        "scheduler": subprocess.Popen(
            [sys.executable, str(ROOT / "scheduler.py")], cwd=ROOT, env=env, start_new_session=True
        ),
        "watchdog": subprocess.Popen(
            [sys.executable, "-m", "core.ops.watchdog"], cwd=ROOT, env=env, start_new_session=True
        ),
        "api": subprocess.Popen(
            api_command(args.api_port, args.address, int(workers)),
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
        "console": subprocess.Popen(
            console_command(args.port, args.address), cwd=ROOT, env=env, start_new_session=True
        ),
    }
    print(
        f"run_prod: scheduler, watchdog, API (http://{args.address}:{args.api_port}) and "
        f"console started; http://{args.address}:{args.port}",
        flush=True,
    )
    exited: str | None = None
    while not stop_requested and exited is None:
        exited = next((n for n, p in processes.items() if p.poll() is not None), None)
        time.sleep(0.5)
    if exited is not None:
        code = processes[exited].returncode
        print(f"run_prod: the {exited} exited with status {code}; stopping the rest", flush=True)
    _stop(processes)
    print("run_prod: stopped", flush=True)
    return 1 if exited is not None else 0


if __name__ == "__main__":
    sys.exit(main())
