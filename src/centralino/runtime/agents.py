"""Who is reachable: phones' registrations seen as they are saved, mapped to tenants' agents.

The registrar decides without I/O and hands its changes to a ``BindingStore`` when the shell
flushes them; wrapping that store is the one place that learns, synchronously and in order,
that an extension's phone has registered (``Saved``) or gone (``Removed``), without a hook in
the SIP layer. ``Roster`` maps an address-of-record (``1001@realm``) to (tenant, extension):
the realm is the tenant's ``sip_domain``, else its name, the rule ``config apply`` uses for the
agents' digest credentials.
"""

from __future__ import annotations

from collections.abc import Callable

from centralino.config.model import CenterConfig
from centralino.sip.location import Binding, BindingStore

__all__ = ["NotifyingBindingStore", "Roster"]


class Roster:
    def __init__(self, config: CenterConfig) -> None:
        self._by_realm: dict[str, str] = {}
        self._agents: dict[str, set[str]] = {}
        for tenant in config.tenants:
            realm = (tenant.sip_domain or tenant.name).lower()
            self._by_realm[realm] = tenant.name
            self._agents[tenant.name] = {a.extension for a in tenant.agents}

    @property
    def realms(self) -> tuple[str, ...]:
        return tuple(self._by_realm)

    def agent_of(self, aor: str) -> tuple[str, str] | None:
        """(tenant, extension) for a registered AOR, or None when it is no configured agent."""
        user, _, realm = aor.partition("@")
        tenant = self._by_realm.get(realm.lower())
        if tenant is None and len(self._by_realm) == 1:
            tenant = next(iter(self._by_realm.values()))
        if tenant is None or user not in self._agents.get(tenant, set()):
            return None
        return tenant, user


class NotifyingBindingStore:
    """A ``BindingStore`` that writes through to ``inner`` and then tells the node."""

    def __init__(self, inner: BindingStore, on_saved: Callable[[Binding], None],
                 on_removed: Callable[[str, str], None]) -> None:
        self.inner = inner
        self.on_saved = on_saved
        self.on_removed = on_removed

    def load_all(self) -> list[Binding]:
        return self.inner.load_all()

    def save(self, binding: Binding) -> None:
        self.inner.save(binding)
        self.on_saved(binding)

    def delete(self, aor: str, contact: str) -> None:
        self.inner.delete(aor, contact)
        self.on_removed(aor, contact)
