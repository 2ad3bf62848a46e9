"""The browser side: agent desktop, supervisor wallboard, admin pages.

Server-rendered Jinja2 shells plus plain ES modules and one stylesheet, served as they are (no
build step). Pages read and act only through the REST API and the CTI WebSocket; every text
comes from the catalog ``i18n/en.json`` by key.
"""

from centralino.web.pages import install_pages

__all__ = ["install_pages"]
