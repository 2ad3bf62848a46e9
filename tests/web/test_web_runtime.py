"""The in-memory contact center keeps the ContactCenter contract the real one will implement."""

from __future__ import annotations

import inspect

from centralino.api.demo_center import DemoContactCenter
from centralino.api.runtime import ContactCenter
from centralino.store.db import Database


def test_the_demo_center_implements_every_method_with_the_same_parameters() -> None:
    center = DemoContactCenter(Database("sqlite://"))
    assert isinstance(center, ContactCenter)
    methods = [n for n, v in vars(ContactCenter).items() if inspect.iscoroutinefunction(v)]
    assert len(methods) >= 20
    for name in methods:
        wanted = inspect.signature(getattr(ContactCenter, name))
        given = inspect.signature(getattr(DemoContactCenter, name))
        assert inspect.iscoroutinefunction(getattr(DemoContactCenter, name)), name
        assert list(given.parameters) == list(wanted.parameters), name
