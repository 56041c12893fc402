"""The receiver inside a Starlette app (FastAPI's router is Starlette's): added as a route it
answers `POST /hooks` itself; mounted it answers `/hooks/` and every path below, and the bare
`/hooks` is Starlette's trailing-slash redirect (a 307, which webhook senders do not follow)."""

from __future__ import annotations

import json

import httpx
from crewai_amp.webhooks import asgi_app
from starlette.applications import Starlette
from starlette.routing import Mount, Route

TOKEN = "framework-t0ken"
CREW = json.dumps({"kickoff_id": "k-1", "result": "done", "token_usage": None}).encode()


async def post(app: Starlette, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        return await client.post(path, content=CREW, headers={"authorization": f"Bearer {TOKEN}"})


async def test_added_as_a_route_it_answers_post_hooks_without_a_redirect() -> None:
    seen: list[object] = []
    app = Starlette()
    app.add_route("/hooks", asgi_app(bearer_token=TOKEN, on_crew=seen.append), methods=["POST"])
    response = await post(app, "/hooks")
    assert response.status_code == 200 and response.json() == {"status": "ok", "channel": "crew"}
    assert len(seen) == 1
    assert (await post(app, "/hooks/")).status_code in (307, 404)  # only the exact path


async def test_mounted_it_answers_every_path_below_and_starlette_redirects_the_bare_prefix() -> None:
    seen: list[object] = []
    receiver = asgi_app(bearer_token=TOKEN, on_crew=seen.append, dedupe_size=0)
    app = Starlette(routes=[Mount("/hooks", receiver), Route("/other", lambda request: None)])
    for path in ("/hooks/", "/hooks/crew", "/hooks/task/k-1"):
        response = await post(app, path)
        assert response.status_code == 200, path
    bare = await post(app, "/hooks")
    assert bare.status_code == 307 and bare.headers["location"].endswith("/hooks/")
    assert len(seen) == 3
