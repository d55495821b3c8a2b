"""`OPTIONS` answers with every method of its path.

Litestar 2 makes a path's automatic OPTIONS handler when the path's first handler is registered,
and keeps it when more handlers join the path: its `Allow` then names the first handler's methods
only (litestar-org/litestar#4169, fixed in Litestar 3). Once the app is built, each such handler is
replaced by a fresh one made for the path's whole route."""

from __future__ import annotations

from litestar import Litestar
from litestar.enums import HttpMethod
from litestar.routes import HTTPRoute


def answer_options_with_every_method(app: Litestar) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or HttpMethod.OPTIONS not in route.route_handler_map:
            continue
        stale, _ = route.route_handler_map[HttpMethod.OPTIONS]
        if stale.resolve_include_in_schema() or stale.handler_name != "options_handler":
            continue  # a route's own OPTIONS handler, not Litestar's automatic one
        fresh = route.create_options_handler(route.path)
        fresh.owner = stale.owner
        fresh.on_registration(app)
        route.route_handlers = [fresh if handler is stale else handler for handler in route.route_handlers]
        route.route_handler_map[HttpMethod.OPTIONS] = (
            fresh, fresh.create_kwargs_model(path_parameters=route.path_parameters))
