"""Property-based requests generated from /openapi.json against the ASGI app: whatever a client sends,
the answer is never a 5xx, and answers match what the description promises. Bounded to a few
examples per operation so it stays well under a minute."""
from __future__ import annotations

import shutil
import tempfile

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.api import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402

_tmp = tempfile.mkdtemp(prefix="clausecheck-st-")
app = create_app(Settings(db_path=f"{_tmp}/cc.sqlite3", pool_kind="thread", workers=2, queue_size=8,
                          max_upload_bytes=256 * 1024, review_timeout_s=20, allowed_hosts=("testserver",)))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def _cleanup():
    yield
    shutil.rmtree(_tmp, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
