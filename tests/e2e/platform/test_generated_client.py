"""A client generated from /schema/openapi.json, as the apps generate theirs: openapi-python-client
builds a Python package from the document (into a temporary directory), and that package, on the
real app, parses a real answer and a real error into its typed models."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from litestar import Litestar

from tests.fixtures.http import api_client
from tests.fixtures.seating import MakeBuyer

BIN = Path(sys.executable).parent
PACKAGE = "lml_generated_client"


@pytest.fixture
async def generated(api: httpx.AsyncClient, tmp_path: Path) -> AsyncIterator[ModuleType]:
    document = await api.get("/schema/openapi.json")
    assert document.status_code == 200
    (tmp_path / "openapi.json").write_bytes(document.content)
    built = await asyncio.to_thread(
        subprocess.run,
        [str(BIN / "openapi-python-client"), "generate", "--path", "openapi.json", "--meta", "none",
         "--output-path", PACKAGE],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert built.returncode == 0 and (tmp_path / PACKAGE / "client.py").exists(), built.stdout + built.stderr
    assert "Warning" not in built.stdout or "ruff" in built.stdout, built.stdout  # only the formatter's note
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
async def buyer_client(generated: ModuleType, app: Litestar, make_buyer: MakeBuyer) -> AsyncIterator[object]:
    """The generated client on the in-process app, as a buyer (its own httpx client carries the token)."""
    async with api_client(app) as http:
        http.headers["Authorization"] = f"Bearer {make_buyer().token}"
        client = generated.AuthenticatedClient(base_url=str(http.base_url), token="unused")
        client.set_async_httpx_client(http)
        yield client


async def test_the_generated_client_parses_an_order_that_is_not_there_into_a_typed_problem(
    buyer_client: object
) -> None:
    get_order = importlib.import_module(f"{PACKAGE}.api.ordering.get_order")
    problem_model = importlib.import_module(f"{PACKAGE}.models.problem").Problem
    missing = uuid.uuid4()
    answer = await get_order.asyncio_detailed(client=buyer_client, order_id=missing)

    assert answer.status_code == 404
    problem = answer.parsed
    assert isinstance(problem, problem_model)
    assert problem.status == 404
    assert problem.type_.startswith("https://lml.dev/problems/")
    assert problem.instance == f"/v1/orders/{missing}"
    assert problem.title and problem.detail


async def test_the_generated_client_parses_a_validation_problem_with_its_errors(
    buyer_client: object
) -> None:
    place_order = importlib.import_module(f"{PACKAGE}.api.ordering.place_order")
    body = importlib.import_module(f"{PACKAGE}.models.place_order_body").PlaceOrderBody
    problem_model = importlib.import_module(f"{PACKAGE}.models.problem").Problem
    answer = await place_order.asyncio_detailed(client=buyer_client, body=body(hold_id="no-such-hold", hold_token="x"))

    assert answer.status_code in (404, 409, 410, 412, 422), answer.content
    assert isinstance(answer.parsed, problem_model)
    assert answer.parsed.status == answer.status_code
