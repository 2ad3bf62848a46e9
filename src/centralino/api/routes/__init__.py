"""One module per resource; each exposes ``router``."""

from centralino.api.routes import (
    agents,
    auth,
    callbacks,
    calls,
    customers,
    health,
    numbers,
    queues,
    recordings,
    skills,
    stats,
    tenants,
    tokens,
    users,
)

API_ROUTERS = (
    auth.router,
    tokens.router,
    tenants.router,
    numbers.router,
    skills.router,
    queues.router,
    agents.router,
    users.router,
    customers.router,
    calls.router,
    recordings.router,
    callbacks.router,
    stats.router,
)

__all__ = ["API_ROUTERS", "health"]
