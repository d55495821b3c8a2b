from litestar import Litestar
from litestar.testing import AsyncTestClient


async def test_readyz_is_200_when_every_store_answers(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"postgresql": "ok", "redis": "ok", "mongodb": "ok"}
