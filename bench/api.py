"""The JSON API's latency: GET routes at 20 concurrent clients, alone and under console load.

On the default demo database (``python -m bench refresh`` makes it; made here when
missing), this starts the API as ``make api`` does (uvicorn, a free port on 127.0.0.1),
issues real tokens with ``python -m core.users token`` to console users of each role,
reads the GET routes from the served OpenAPI schema (a route needing a parameter gets
one the bench can supply: an id returned by a POST, a date range; else it is listed as
skipped), and runs ``--clients`` closed-loop clients (threads, HTTP/1.1 keep-alive; no
think time unless ``--think-ms``) for ``--duration`` seconds after a warm-up, plus a
stream of ``POST /api/enterprise/onboarding/initiate`` (one every ``--initiate-every``
seconds, under the default write limit) when the schema has that route.

The headline is that closed loop with no pause (every client sends its next request as
soon as the last one is answered): the hardest reading of "20 concurrent clients", and
its requests per second are the process's saturation throughput. Then, clearly labelled
and never as the headline, the same clients with ``--think-run-ms`` between their
requests (1 s by default, as a Locust user with ``constant(1)``): 20 users of an API
that pause like real integrations do.

Then the same run again while ``--console-workers`` processes render the console's
dashboards with Streamlit's AppTest (bench/pages.py's machinery) in a loop: what the
API process competes with when it runs next to the console on one machine.

Figures: ``get_p95_ms`` (budget: 100 ms) and ``initiate_p95_ms`` (null when the route is
absent), ``requests``, ``errors``, per-route p50/p95 and their ratio to the budget, the
same under console load, and the console's renders meanwhile.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.report import print_table, write_results
from core.clock import today
from core.config import PROJECT_ROOT

BUDGET_MS = 100.0
INITIATE_PATH = "/api/enterprise/onboarding/initiate"
DEFAULT_DB = PROJECT_ROOT / "bench" / "results" / "bench_default.db"
# Console users the bench signs in as (created when missing), one per role it needs.
ROLES = {
    "admin": "bench.api.admin@barberpro.com.ar",
    "executive": "bench.api.executive@barberpro.com.ar",
    "onboarding": "bench.api.onboarding@barberpro.com.ar",
}
_DATE_START = re.compile(r"(^|_)(from|start|since|begin)", re.IGNORECASE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--database",
        default=str(DEFAULT_DB),
        help="SQLite file with the default demo data (generated when it is the default "
        "and missing, as `python -m bench refresh` does)",
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds")
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause between requests")
    parser.add_argument(
        "--think-run-ms",
        type=float,
        default=1000.0,
        help="a second run with this pause between a client's requests, reported apart "
        "from the headline (0: skip it)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--initiate-every", type=float, default=1.5, help="seconds")
    parser.add_argument(
        "--console-workers",
        type=int,
        default=2,
        help="processes rendering dashboards during the second run (0: skip it)",
    )


# --------------------------------------------------------------------------- preparing


def _prepare(url: str) -> None:
    """Migrated, snapshot and detail tables current, two watchdog rounds, bench users."""
    from dataclasses import replace

    from core.config import Settings
    from core.db import create_engine_for, write_unit
    from core.metrics.detail import refresh_detail_frames
    from core.metrics.refresh import refresh_metrics
    from core.migrate import upgrade_database
    from core.ops.watchdog import evaluate_once
    from core.users import add_user, find_user

    upgrade_database(url)
    engine = create_engine_for(url)
    refresh_metrics(engine)
    refresh_detail_frames(engine)
    watch = replace(Settings.from_env(), database_url=url, environment="test")
    for _ in range(2):
        evaluate_once(engine, watch)
    with write_unit(engine) as session:
        for role, email in ROLES.items():
            if find_user(session=session, email=email) is None:
                name = f"API bench {role}"
                add_user(
                    session=session, email=email, name=name, role=role, password=None, actor_id=None
                )
    engine.dispose()


def _issue_token(url: str, email: str) -> str:
    """A token from the command line, as an operator gets one (expires in a day)."""
    issued = subprocess.run(
        [
            *(sys.executable, "-m", "core.users", "token", "--email", email),
            *("--name", "api bench", "--expires-days", "1"),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "BARBERPRO_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return issued.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_api(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    command = [
        *(sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--no-server-header", "--log-level", "warning", "--no-access-log"),
    ]
    env = {
        **os.environ,
        "BARBERPRO_DATABASE_URL": url,
        "BARBERPRO_ENV": "development",
        "BARBERPRO_EMBEDDED_SCHEDULER": "false",
        "BARBERPRO_SIMULATOR": "false",
    }
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            if _request(port, "GET", "/api/health")[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("bench api: the API server did not start")
        time.sleep(0.3)


def _request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request on a fresh connection (discovery only): status and parsed JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        answer = connection.getresponse()
        raw = answer.read()
        try:
            return answer.status, json.loads(raw) if raw else None
        except ValueError:
            return answer.status, None
    finally:
        connection.close()


# --------------------------------------------------------------------------- discovery


@dataclass
class Target:
    route: str  # the schema's path
    url: str  # with its query
    token: str


@dataclass
class Discovery:
    gets: list[Target]
    skipped: dict[str, str]
    initiate: dict[str, Any] | None  # the schema's example body, when the route exists
    known: dict[str, Any] = field(default_factory=dict)


def _example_body(schema: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    """The request body's first example, from the operation or its model's schema."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "example" in content:
        return copy.deepcopy(content["example"])
    body = content.get("schema", {})
    ref = body.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    examples = body.get("examples")
    if isinstance(examples, list) and examples:
        return copy.deepcopy(examples[0])
    return copy.deepcopy(body.get("example")) if "example" in body else None


def _collect_ids(answer: Any, known: dict[str, Any]) -> None:
    """Remember the ``*_id`` fields of a POST's answer (session_id, execution_id...)."""
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key.endswith("_id") and isinstance(value, int | str) and key not in known:
                known[key] = value


def _query_for(operation: dict[str, Any], known: dict[str, Any]) -> tuple[str, str | None]:
    """The query string of a GET, or why the bench cannot supply it."""
    values: dict[str, Any] = {}
    for parameter in operation.get("parameters", []):
        if not parameter.get("required"):
            continue
        name = parameter["name"]
        if parameter.get("in") != "query":
            return "", f"needs the {parameter.get('in')} parameter {name}"
        kind = parameter.get("schema", {})
        if name in known:
            values[name] = known[name]
        elif kind.get("format") == "date":
            start = bool(_DATE_START.search(name))
            values[name] = (today() - timedelta(days=90) if start else today()).isoformat()
        else:
            return "", f"needs {name}, which no route of the bench returned"
    return (f"?{urlencode(values)}" if values else ""), None


def vary(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The schema's example made a new business ``n``: names, e-mail and CUIT unique."""
    from core.workflows.onboarding.samples import make_cuit

    varied = copy.deepcopy(body)
    business = varied.get("business")
    if isinstance(business, dict):
        if "cuit" in business:
            business["cuit"] = make_cuit("30", 70_000_000 + n * 7)
        for key in ("legal_name", "trade_name"):
            if isinstance(business.get(key), str):
                business[key] = f"{business[key]} {n}"
    contact = varied.get("contact")
    if isinstance(contact, dict) and isinstance(contact.get("email"), str):
        local, _, domain = contact["email"].partition("@")
        contact["email"] = f"{local}+bench{n}@{domain}"
    return varied


def _discover(port: int, tokens: dict[str, str], initiate_serial: list[int]) -> Discovery:
    schema = _request(port, "GET", "/openapi.json")[1]
    known: dict[str, Any] = {}
    initiate: dict[str, Any] | None = None
    posts = {p: ops["post"] for p, ops in schema["paths"].items() if "post" in ops}
    if INITIATE_PATH in posts:
        initiate = _example_body(schema, posts[INITIATE_PATH]) or {}
    # One call of each write that returns an id the reads need (a session, an execution).
    for path, operation in sorted(posts.items()):
        body = vary(initiate, _next(initiate_serial)) if path == INITIATE_PATH else None
        body = body if body is not None else _example_body(schema, operation)
        if body is None or path == "/api/production/monitoring":
            continue
        for role in ("onboarding", "admin") if path == INITIATE_PATH else ("admin",):
            status, answer = _request(port, "POST", path, token=tokens[role], body=body)
            if status < 300:
                _collect_ids(answer, known)
                break
    gets: list[Target] = []
    skipped: dict[str, str] = {}
    for path, operations in sorted(schema["paths"].items()):
        operation = operations.get("get")
        if operation is None:
            continue
        if "{" in path:
            skipped[path] = "needs a path parameter"
            continue
        query, problem = _query_for(operation, known)
        if problem:
            skipped[path] = problem
            continue
        for role in ("admin", "executive", "onboarding"):
            status, _answer = _request(port, "GET", path + query, token=tokens[role])
            if status == 200:
                gets.append(Target(path, path + query, tokens[role]))
                break
        else:
            skipped[path] = f"answered {status} to every bench role"
    return Discovery(gets, skipped, initiate, known)


def _next(serial: list[int]) -> int:
    serial[0] += 1
    return serial[0]


# --------------------------------------------------------------------------- load


@dataclass
class Samples:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, route: str, ms: float, status: int) -> None:
        with self.lock:
            self.latencies.setdefault(route, []).append(ms)
            counts = self.statuses.setdefault(route, {})
            counts[status] = counts.get(status, 0) + 1
            if not 200 <= status < 300:
                self.errors[route] = self.errors.get(route, 0) + 1


def _timed(
    connection: http.client.HTTPConnection,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None = None,
) -> tuple[float, int]:
    started = time.perf_counter()
    connection.request(method, url, body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    return (time.perf_counter() - started) * 1000, answer.status


def _client(
    port: int,
    targets: list[Target],
    samples: Samples,
    window: tuple[float, float],
    n: int,
    think: float,
) -> None:
    measure_from, until = window
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = n  # each client starts at another route
    while time.monotonic() < until:
        target = targets[i % len(targets)]
        i += 1
        headers = {"Authorization": f"Bearer {target.token}"}
        try:
            ms, status = _timed(connection, "GET", target.url, headers)
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            ms, status = 0.0, 0
        if time.monotonic() >= measure_from and time.monotonic() < until:
            samples.add(target.route, ms, status)
        if think:
            time.sleep(think)
    connection.close()


def _initiator(
    port: int,
    body: dict[str, Any],
    token: str,
    serial: list[int],
    every: float,
    samples: Samples,
    measure_from: float,
    until: float,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < until:
        started = time.monotonic()
        n = _next(serial)
        payload = json.dumps(vary(body, n)).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"bench-{os.getpid()}-{n}",
        }
        try:
            ms, status = _timed(connection, "POST", INITIATE_PATH, headers, payload)
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            ms, status = 0.0, 0
        if time.monotonic() >= measure_from:
            samples.add(INITIATE_PATH, ms, status)
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    connection.close()


def _load(
    port: int,
    discovery: Discovery,
    tokens: dict[str, str],
    serial: list[int],
    args: argparse.Namespace,
) -> Samples:
    samples = Samples()
    start = time.monotonic()
    measure_from = start + args.warmup
    until = measure_from + args.duration
    threads = [
        threading.Thread(
            target=_client,
            args=(port, discovery.gets, samples, (measure_from, until), n, args.think_ms / 1000),
        )
        for n in range(args.clients)
    ]
    if discovery.initiate is not None:
        initiate_args = (port, discovery.initiate, tokens["onboarding"], serial)
        threads.append(
            threading.Thread(
                target=_initiator,
                args=(*initiate_args, args.initiate_every, samples, measure_from, until),
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def _figures(samples: Samples, duration: float) -> dict[str, Any]:
    gets = [ms for r, v in samples.latencies.items() if r != INITIATE_PATH for ms in v]
    initiate = samples.latencies.get(INITIATE_PATH, [])
    routes = {}
    for route, values in sorted(samples.latencies.items()):
        p95 = _percentile(values, 0.95)
        routes[route] = {
            "requests": len(values),
            "errors": samples.errors.get(route, 0),
            "statuses": {str(k): v for k, v in sorted(samples.statuses[route].items())},
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(p95, 1),
            "p95_over_budget": round(p95 / BUDGET_MS, 2),
        }
    get_p95 = round(_percentile(gets, 0.95), 1) if gets else None
    return {
        "get_p95_ms": get_p95,
        "get_p50_ms": round(statistics.median(gets), 1) if gets else None,
        "get_p95_over_budget": round(get_p95 / BUDGET_MS, 2) if get_p95 else None,
        "initiate_p95_ms": round(_percentile(initiate, 0.95), 1) if initiate else None,
        "requests": sum(len(v) for v in samples.latencies.values()),
        "errors": sum(samples.errors.values()),
        "get_requests_per_s": round(len(gets) / duration, 1),
        "routes": routes,
    }


# --------------------------------------------------------------------------- console load


def _console_worker(url: str, seconds: float) -> None:
    """Render the dashboards with AppTest in a loop for ``seconds``; print what it did."""
    os.environ.update(
        BARBERPRO_DATABASE_URL=url,
        BARBERPRO_EMBEDDED_SCHEDULER="false",
        BARBERPRO_SIMULATOR="false",
    )
    from streamlit.testing.v1 import AppTest

    from bench.pages import bench_reader
    from core.db import create_engine_for
    from page_registry import PAGES
    from ui.auth import signed_in_as

    engine = create_engine_for(url)
    reader = bench_reader(engine)
    engine.dispose()
    paths = [p.path for p in PAGES if p.section == "Dashboards"]
    renders: list[float] = []
    deadline = time.monotonic() + seconds
    with signed_in_as(reader):
        app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
        app.run()
        i = 0
        while time.monotonic() < deadline:
            app.switch_page(paths[i % len(paths)])
            i += 1
            started = time.perf_counter()
            app.run()
            renders.append((time.perf_counter() - started) * 1000)
    median = round(statistics.median(renders), 1) if renders else None
    print(json.dumps({"renders": len(renders), "render_median_ms": median}), flush=True)


def _start_console_load(url: str, workers: int, seconds: float) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bench.api", "--console-worker", url, str(seconds)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(workers)
    ]


def _console_results(processes: list[subprocess.Popen[str]]) -> dict[str, Any]:
    results = []
    for process in processes:
        out, _err = process.communicate(timeout=600)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if lines:
            results.append(json.loads(lines[-1]))
    renders = sum(r["renders"] for r in results)
    medians = [r["render_median_ms"] for r in results if r["render_median_ms"] is not None]
    return {
        "workers": len(processes),
        "renders": renders,
        "render_median_ms": round(statistics.median(medians), 1) if medians else None,
    }


# --------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> int:
    database = Path(args.database)
    if not database.exists():
        if database != DEFAULT_DB:
            print(f"bench api: {database} does not exist")
            return 2
        from bench.refresh import _generate

        database.parent.mkdir(parents=True, exist_ok=True)
        _generate(database, 250, 18, 7, False)
    url = f"sqlite:///{database}"
    print("bench api: preparing the database (snapshot, detail tables, monitors)", flush=True)
    _prepare(url)
    tokens = {role: _issue_token(url, email) for role, email in ROLES.items()}
    port = _free_port()
    load_before = round(os.getloadavg()[0], 2)
    server = _start_api(url, port, args.workers)
    serial = [int(time.time()) % 100_000 * 100]  # new CUITs on every run of the bench
    try:
        discovery = _discover(port, tokens, serial)
        if not discovery.gets:
            print("bench api: no GET route answered 200")
            return 1
        print(f"bench api: {len(discovery.gets)} GET routes, {args.clients} clients", flush=True)
        alone = _figures(_load(port, discovery, tokens, serial, args), args.duration)
        paused: dict[str, Any] | None = None
        if args.think_run_ms > 0 and args.think_ms == 0:
            print(f"bench api: again, {args.think_run_ms:g} ms between requests", flush=True)
            think_args = argparse.Namespace(**{**vars(args), "think_ms": args.think_run_ms})
            paused = _figures(_load(port, discovery, tokens, serial, think_args), args.duration)
        loaded: dict[str, Any] | None = None
        console: dict[str, Any] | None = None
        if args.console_workers > 0:
            print("bench api: again, while the console renders dashboards", flush=True)
            seconds = args.warmup + args.duration + 30  # the console's start-up included
            workers = _start_console_load(url, args.console_workers, seconds)
            time.sleep(25)  # until the workers import Streamlit and render for real
            loaded = _figures(_load(port, discovery, tokens, serial, args), args.duration)
            console = _console_results(workers)
    finally:
        server.terminate()
        server.wait(timeout=30)

    figures = {
        **{k: alone[k] for k in ("get_p95_ms", "initiate_p95_ms", "requests", "errors")},
        "budget_ms": BUDGET_MS,
        "get_p95_over_budget": alone["get_p95_over_budget"],
        "get_p50_ms": alone["get_p50_ms"],
        "get_requests_per_s": alone["get_requests_per_s"],
        "routes": alone["routes"],
        "skipped_routes": discovery.skipped,
        "settings": {
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "think_ms": args.think_ms,
            "uvicorn_workers": args.workers,
            "initiate_every_s": args.initiate_every if discovery.initiate is not None else None,
        },
        # Not the headline: each client pauses between requests (a Locust constant(1) user).
        "with_think_time": {"think_ms": args.think_run_ms, **paused} if paused else None,
        "under_console_load": {**(loaded or {}), "console": console} if loaded else None,
        # The machine may be shared (CI, other benches): read the figures against it.
        "load_average_1m": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
    }
    rows: list[tuple[str, object]] = [
        (f"{route} p50 / p95 ms (x budget)", _row(values))
        for route, values in alone["routes"].items()
    ]
    rows += [
        ("requests / errors", f"{alone['requests']} / {alone['errors']}"),
        ("saturation: GET requests per second (no pause)", alone["get_requests_per_s"]),
        ("get_p95_ms, no pause (target <= 100)", alone["get_p95_ms"]),
        ("initiate_p95_ms", alone["initiate_p95_ms"]),
        ("load average (1 min) before / after", f"{load_before} / {os.getloadavg()[0]:.2f}"),
    ]
    if paused:
        think = f"{args.think_run_ms:g} ms think time"
        rows += [
            (
                f"with {think}: get_p50 / get_p95 ms",
                f"{paused['get_p50_ms']} / {paused['get_p95_ms']}",
            ),
            (f"with {think}: GET requests per second", paused["get_requests_per_s"]),
            (f"with {think}: requests / errors", f"{paused['requests']} / {paused['errors']}"),
        ]
    if loaded and console:
        rows += [
            ("under console load: get_p95_ms", loaded["get_p95_ms"]),
            ("under console load: initiate_p95_ms", loaded["initiate_p95_ms"]),
            ("under console load: requests / errors", f"{loaded['requests']} / {loaded['errors']}"),
            (
                "console renders meanwhile (median ms)",
                f"{console['renders']} ({console['render_median_ms']})",
            ),
        ]
    for route, reason in discovery.skipped.items():
        rows.append((f"skipped {route}", reason))
    print_table(
        f"API latency, {args.clients} clients, {args.duration:g} s (budget: GET p95 <= 100 ms)",
        rows,
    )
    write_results(args.json, figures)
    return 0


def _row(values: dict[str, Any]) -> str:
    return f"{values['p50_ms']:.0f} / {values['p95_ms']:.0f} ({values['p95_over_budget']:.2f})"


if __name__ == "__main__" and sys.argv[1:2] == ["--console-worker"]:
    _console_worker(sys.argv[2], float(sys.argv[3]))
