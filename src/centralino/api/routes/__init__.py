"""One module per resource; each exposes ``router``."""

from centralino.api.routes import (
    agents,
    auth,
    customers,
    health,
    numbers,
    queues,
    skills,
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
)

__all__ = ["API_ROUTERS", "health"]
