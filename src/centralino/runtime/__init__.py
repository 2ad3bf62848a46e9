"""The live node: the asyncio shell that runs the contact center (docs/runtime.md).

``Node`` builds the registrar, the switch with its media engine and prompt resolver, and the
dial plan from the loaded configuration and the database, feeds the dial plan every call event,
performs its commands and effects, and keeps the call records. ``centralino.app`` adds it to
the application's services.
"""

from centralino.runtime.agents import NotifyingBindingStore, Roster
from centralino.runtime.node import MOH, Node, NodeSettings
from centralino.runtime.prompts import PromptGate, flow_prompt_refs
from centralino.runtime.services import LOCK_KEY, StoreServices

__all__ = [
    "LOCK_KEY", "MOH", "Node", "NodeSettings", "NotifyingBindingStore", "PromptGate", "Roster",
    "StoreServices", "flow_prompt_refs",
]
