"""Schemathesis against the live API: every operation of the API's OpenAPI schema,
fuzzed over HTTP against a real uvicorn server (``tests.api.live_server``, as ``make api``
runs it) with an administrator's token, over a scratch database with generated demo data
(so the read routes compute real figures and ids exist).

The schema is the app's own, read when the module is collected (one test per
operation; a route added to the app is fuzzed without touching this file), and a test
checks it is the one the live server publishes. Each operation gets a bounded,
derandomized number of examples (positive data, then invalid data for the operations
that take input). Run it alone with::

    .venv/bin/python -m pytest -q -p no:cacheprovider tests/api/test_schemathesis.py
    BARBERPRO_FUZZ_DEEP=1 .venv/bin/python -m pytest ...   # minutes: 300 examples + coverage

Routes left out of fuzzing, with the reason, are in ``NOT_FUZZED`` (none today: the
writes run against the scratch database).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from api.problems import PROBLEM_MEDIA_TYPE
from core.auth.api_tokens import issue_api_token
from core.clock import now
from core.config import Settings
from core.db import create_engine_for, read_session, write_unit
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.ops.watchdog import evaluate_once
from core.schema import ConsoleUser
from data.generate import generate_demo_data
from tests import db_templates
from tests.api.live_server import served_api

# Small enough to generate in a few seconds, large enough for every read route's figures.
TENANTS, MONTHS, SEED = 20, 4, 5
# BARBERPRO_FUZZ_DEEP=1 (a nightly job, or by hand after changing a route): many more
# examples and schemathesis' coverage phase (boundary values of every field), minutes.
DEEP = os.environ.get("BARBERPRO_FUZZ_DEEP") == "1"
EXAMPLES_PER_OPERATION = 300 if DEEP else 25
# Negative cases are cheaper to reject; fewer still find a route that trusts its input.
NEGATIVE_EXAMPLES_PER_OPERATION = 300 if DEEP else 15
# "METHOD /path" -> why it is not fuzzed. Prefer fuzzing a write against the scratch
# database to listing it here.
NOT_FUZZED: dict[str, str] = {}
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_METHODS = WRITE_METHODS | {"get", "head", "options"}

POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    # The same request without the token must be refused (401): auth is never ignored.
    ignored_auth,
    # Coverage phase only (BARBERPRO_FUZZ_DEEP=1): an undeclared method is a 405 with
    # `Allow`; a request missing a required header is refused.
    unsupported_method,
    missing_required_header,
]
NEGATIVE_CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True)
class LiveApi:
    base_url: str
    database_url: str
    _tokens: dict[str, str] = field(default_factory=dict)

    def headers_for(self, case: schemathesis.Case, test: str) -> dict[str, str]:
        """The administrator's bearer header, with one token per test and operation: the
        per-token write rate limit (429) then holds back no operation's examples."""
        key = f"{test} {case.operation.label}"
        if key not in self._tokens:
            self._tokens[key] = _admin_token(self.database_url)
        return {"Authorization": f"Bearer {self._tokens[key]}"}


def _fill(url: str, data_dir: Path) -> None:
    """Generated demo data, a full metrics refresh recorded as a job run, one watchdog
    round: every read route answers with real figures, incidents and runs."""
    generate_demo_data(url, tenants=TENANTS, months=MONTHS, seed=SEED, today=now().date())
    engine = create_engine_for(url)
    settings = Settings(database_url=url, environment="test", data_dir=data_dir)
    try:
        refresh = next(spec for spec in JOBS if spec.job_id == "metrics_refresh")
        run = run_recorded(engine, refresh, "fuzz", settings)
        assert run is not None and run.status == "success", run and run.error
        evaluate_once(engine, settings, at=now())
    finally:
        engine.dispose()


def _admin_token(url: str) -> str:
    engine = create_engine_for(url)
    try:
        with read_session(engine) as session:
            admin = session.query(ConsoleUser).filter_by(role="admin", active=True).first()
            assert admin is not None, "the demo data has no administrator"
            admin_id = admin.id
        with write_unit(engine) as session:
            issued = issue_api_token(
                session=session,
                user_id=admin_id,
                name="schemathesis",
                expires_days=1,
                actor_id=None,
                comment="fuzzing",
            )
    finally:
        engine.dispose()
    return issued.token


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    directory = tmp_path_factory.mktemp("fuzz")
    url = db_templates.migrated_sqlite(f"sqlite:///{directory / 'fuzz.db'}")
    with served_api(
        url,
        # Filled while the server starts: it reads nothing before a request.
        while_starting=lambda: _fill(url, directory),
        BARBERPRO_DATA_DIR=str(directory),
    ) as base_url:
        yield LiveApi(base_url, url)


def _schema(*, mode: str, examples: int) -> Any:
    """The app's schema, loaded at collection (one test per operation), for ``mode`` data.

    schemathesis' lazy loader (``from_fixture``, which would read the live server's schema
    in a fixture) fails on pytest 9.2 (``'Function' object has no attribute '_nodeid'``);
    ``test_the_live_server_publishes_the_fuzzed_schema`` checks that the schema fuzzed
    here is the one the live server publishes (equal as JSON).
    """
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "request-timeout": 30,
            "generation": {
                "mode": mode,
                "max-examples": examples,
                "deterministic": True,
                # An admin's token is sent with every case (headers=); a generated or
                # negated Authorization would be replaced by it, so none is generated
                # (the refusals without a token are `ignored_auth`'s and the route tests').
                "with-security-parameters": False,
            },
            # The coverage phase sends hundreds of boundary cases per route; the schema's
            # examples plus bounded fuzzing keep the file well under a minute.
            "phases": {"coverage": {"enabled": DEEP}, "stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_dict(_app_schema(), config=config)
    return schema.exclude(func=lambda ctx: ctx.operation.label in NOT_FUZZED)


def _app_schema() -> dict[str, Any]:
    # No database is opened to build the schema; the URL only has to be valid.
    app = create_app(Settings(database_url="sqlite://", environment="test"))
    return dict(app.openapi())


def _takes_input(ctx: Any) -> bool:
    definition = ctx.operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


positive = _schema(mode="positive", examples=EXAMPLES_PER_OPERATION)
negative = _schema(mode="negative", examples=NEGATIVE_EXAMPLES_PER_OPERATION).include(
    func=_takes_input
)
SETTINGS = hypothesis.settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@SETTINGS
@positive.parametrize()
def test_every_operation_answers_what_its_schema_declares(
    case: schemathesis.Case, live_api: LiveApi
) -> None:
    case.call_and_validate(
        base_url=live_api.base_url,
        headers=live_api.headers_for(case, "positive"),
        checks=POSITIVE_CHECKS,
    )


@SETTINGS
@negative.parametrize()
def test_invalid_input_is_a_problem_never_a_server_error(
    case: schemathesis.Case, live_api: LiveApi
) -> None:
    response = case.call_and_validate(
        base_url=live_api.base_url,
        headers=live_api.headers_for(case, "negative"),
        checks=NEGATIVE_CHECKS,
    )
    if 400 <= response.status_code < 500:
        assert response.headers["content-type"] == [PROBLEM_MEDIA_TYPE]


def _published_schema(api: LiveApi) -> dict[str, Any]:
    with urllib.request.urlopen(api.base_url + "/openapi.json", timeout=30) as answer:
        return dict(json.load(answer))


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def test_the_live_server_publishes_the_fuzzed_schema(live_api: LiveApi) -> None:
    assert _published_schema(live_api) == _app_schema()


def test_every_operation_is_fuzzed_or_listed_with_its_reason() -> None:
    labels = {f"{m.upper()} {p}" for m, p, _op in _operations(_app_schema())}
    fuzzed = {result.ok().label for result in positive.get_all_operations()}
    assert fuzzed == labels - set(NOT_FUZZED)
    assert set(NOT_FUZZED) <= labels, "NOT_FUZZED names an operation the API no longer has"
    assert all(reason.strip() for reason in NOT_FUZZED.values())


def test_every_authenticated_operation_declares_its_refusals(live_api: LiveApi) -> None:
    """401 and 403 for every operation behind a token; 422 where it takes input; 413
    where it takes a body; 429 for the writes (the per-token rate limit)."""
    schema = _published_schema(live_api)
    operations = list(_operations(schema))
    authenticated = 0
    for method, path, operation in operations:
        label = f"{method.upper()} {path}"
        if not operation.get("security", schema.get("security")):
            continue
        authenticated += 1
        declared = set(operation["responses"])
        takes_body = "requestBody" in operation
        wanted = {"401", "403"}
        if takes_body or operation.get("parameters"):
            wanted.add("422")
        if takes_body:
            wanted.add("413")
        if takes_body or method in WRITE_METHODS:
            wanted.add("429")
        assert wanted <= declared, f"{label} does not declare {sorted(wanted - declared)}"
        for status in wanted:
            content = operation["responses"][status]["content"]
            assert set(content) == {PROBLEM_MEDIA_TYPE}, (label, status)
    assert authenticated >= 5, "the schema lost its routes' security requirements"
    health = schema["paths"]["/api/health"]["get"]
    assert not health.get("security"), "liveness is unauthenticated"
