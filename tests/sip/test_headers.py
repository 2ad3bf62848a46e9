"""Header names, list splitting and the first-value index of ``Headers``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from centralino.sip import abnf
from centralino.sip.headers import (
    _KNOWN_NAMES,
    COMPACT_FORMS,
    Headers,
    _lower_long_form,
    _split_list_general,
    canonical_name,
    split_list,
)


def test_known_spellings_are_tokens_with_the_usual_key() -> None:
    for name, key in _KNOWN_NAMES.items():
        assert abnf.TOKEN.fullmatch(name), name
        assert key == _lower_long_form(name)
    assert {"Via", "v", "V", "Call-ID", "Call-Id", "CSeq", "Cseq", "WWW-Authenticate"} <= _KNOWN_NAMES.keys()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from([*_KNOWN_NAMES, *COMPACT_FORMS, "X-Custom", "vIA", "cAlL-iD", "Ü", ""]))
def test_canonical_name_is_lower_long_form(name: str) -> None:
    low = name.lower()
    assert canonical_name(name) == COMPACT_FORMS.get(low, low)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=' \t,;"<>\\ab', max_size=20), st.booleans())
def test_split_list_fast_path_agrees_with_the_general_one(value: str, keep_empty: bool) -> None:
    assert split_list(value, keep_empty=keep_empty) == _split_list_general(value, keep_empty)


def test_first_value_index_follows_every_mutation() -> None:
    h = Headers([("To", "<sip:a@x>"), ("Route", "<sip:r1;lr>")])
    assert h.get("t") == "<sip:a@x>" and h.get("ROUTE") == "<sip:r1;lr>"
    h.prepend("Route", "<sip:r0;lr>")
    h.add("Call-ID", "c")
    assert (h.get("route"), h.get("i")) == ("<sip:r0;lr>", "c")
    h.set("route", "<sip:only;lr>")
    assert h.get_all("Route") == ["<sip:only;lr>"] and h.get("route") == "<sip:only;lr>"
    h.remove("to")
    assert h.get("to") is None and "To" not in h and "Route" in h
    assert h.version == 4


def test_copies_do_not_share_changes() -> None:
    h = Headers([("Subject", "a")])
    assert h.get("s") == "a"
    c = h.copy()
    c.set("Subject", "b")
    h.add("X-A", "1")
    assert (h.get("subject"), c.get("subject"), c.get("x-a")) == ("a", "b", None)
