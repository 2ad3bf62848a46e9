"""Prompt references for the media layer, and the trace's JSON form."""

from __future__ import annotations

import json

import pytest

from centralino.ivr.prompts import PromptRef, say_ref, spoken_value, tts_ref
from centralino.ivr.trace import FlowTrace
from centralino.ivr.variables import dob_to_iso, luhn_ok


@pytest.mark.parametrize("ref", [
    "file:sounds/en/welcome.wav",
    "moh:default",
    "tts:pl:Witamy: zapraszamy",
    "say:it:currency:123.45:EUR",
    "say:de:number:-3.5",
    "say:sq:digits:0042",
    "say:en:date:2024-05-17",
    "say:es:time:14:30",
])
def test_prompt_references_round_trip(ref: str) -> None:
    assert str(PromptRef.parse(ref)) == ref


def test_prompt_reference_fields() -> None:
    parsed = PromptRef.parse(say_ref("it", "currency", "123.45", "EUR"))
    assert (parsed.scheme, parsed.language, parsed.say, parsed.text, parsed.currency) == (
        "say", "it", "currency", "123.45", "EUR")
    assert PromptRef.parse(tts_ref("pl", "a:b")).text == "a:b"
    with pytest.raises(ValueError, match="not a prompt reference"):
        PromptRef.parse("welcome.wav")


@pytest.mark.parametrize(("kind", "value", "text"), [
    ("currency", 10.5, "10.50"),
    ("currency", "1234.567", "1234.57"),
    ("number", "007", "7"),
    ("number", 1e3, "1000"),
    ("digits", "0042", "0042"),
    ("digits", "12a", None),
    ("number", "abc", None),
    ("number", "nan", None),
    ("currency", None, None),
    ("date", "2024-05-17", "2024-05-17"),
])
def test_spoken_values(kind: str, value: object, text: str | None) -> None:
    assert spoken_value(kind, value) == text


def test_luhn_and_date_of_birth() -> None:
    assert luhn_ok("4539148803436467") and luhn_ok("79927398713")
    assert not luhn_ok("79927398710") and not luhn_ok("7") and not luhn_ok("12a4")
    assert dob_to_iso("29021980") == "1980-02-29"
    assert dob_to_iso("29021981") is None and dob_to_iso("123") is None


def test_trace_json_round_trip_and_summary() -> None:
    trace = FlowTrace("leg-9", "demo", 100.0)
    trace.enter("demo", "menu", "menu", 100.0)
    trace.input("7")
    trace.input("1")
    trace.note("support")
    trace.enter("demo", "q", "enqueue", 104.25)
    trace.end(130.0, "completed")
    data = json.loads(trace.to_json())
    assert data["steps"][0] == {"node": "menu", "type": "menu", "flow": "demo", "entered_at": 100.0,
                                "left_at": 104.25, "inputs": ["7", "1"], "outcome": "support",
                                "duration": 4.25}
    assert data["outcome"] == "completed" and data["ended_at"] == 130.0
    assert FlowTrace.from_dict(data) == trace
    assert trace.summary() == ["menu menu: 7, 1 -> support (4.2 s)", "enqueue q (25.8 s)"]
