"""The HTTP API: an app factory, authentication, tenant scoping, one router per resource."""

from centralino.api.app import API_PREFIX, create_app
from centralino.api.security import Principal
from centralino.api.settings import ApiSettings

__all__ = ["API_PREFIX", "ApiSettings", "Principal", "create_app"]
