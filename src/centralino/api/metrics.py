"""HTTP request metrics for Prometheus: a counter and a latency histogram per route.

A pure ASGI middleware (not ``BaseHTTPMiddleware``, which buffers and costs a task per
request). Requests are labelled by the matched route's path template
(``/api/v1/customers/{customer_id}``), never the raw path, so ids cannot blow up
the number of time series. Each app owns its ``CollectorRegistry``: several apps in
one process (the tests) do not collide on metric names.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestMetrics"]


class RequestMetrics:
    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "centralino_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "centralino_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = (
                route.path if isinstance(route, BaseRoute) and hasattr(route, "path") else "<unmatched>"
            )
            method = scope.get("method", "")
            self.requests.labels(method, template or "<unmatched>", str(status)).inc()
            self.latency.labels(method, template or "<unmatched>").observe(time.perf_counter() - start)
