"""Schemathesis drives the mock gateway from generated/openapi.json.

Requests are signed by an auth hook; the checks are those the documented status
mapping supports: no server error (no faults are injected), every status code
documented, and replies conforming to the documented content type and schema.
"""

from __future__ import annotations

import hashlib
import importlib
import time
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import REPO

TOKEN = "schemathesis-token"
schema = schemathesis.openapi.from_path(REPO / "generated" / "openapi.json")


@schema.auth()
class GatewaySignature:
    """Signs every generated request as 6.3.2 says (an independent implementation)."""

    def get(self, case: Any, context: Any) -> str:
        return TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        timestamp = str(int(time.time()))
        nonce = uuid.uuid4().hex
        digest = hashlib.sha256((timestamp + data + nonce + timestamp).encode()).hexdigest()
        case.headers = dict(case.headers or {})
        case.headers.update(
            {
                "x-tif-paasid": "tysb-sjcj",
                "x-tif-timestamp": timestamp,
                "x-tif-nonce": nonce,
                "x-tif-signature": digest.upper(),
            }
        )


@pytest.fixture(scope="module")
def gateway(pkg: ModuleType) -> Iterator[Any]:
    mock = importlib.import_module("gdzw_uppro.mock")
    with mock.MockGateway(TOKEN) as server:
        yield server


@schema.parametrize()
@settings(
    # Examples drawn at random per operation (the fuzzing phase), on top of the documented
    # examples and the coverage phase's boundary cases (about 250 per operation). Generating
    # the large request bodies is most of this file's time: 10, not 20, halves it.
    max_examples=10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_mock_gateway_conforms_to_openapi(case: Any, gateway: Any) -> None:
    case.call_and_validate(
        base_url=gateway.base_url,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
        timeout=30,
    )
