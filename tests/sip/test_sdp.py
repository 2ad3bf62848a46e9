from __future__ import annotations

import pytest

from centralino.sip.sdp import SdpNegotiationError, SessionDescription, answer, make_offer

OFFER = (
    b"v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    b"m=audio 49170 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\na=ptime:20\r\na=sendonly\r\nm=video 51372 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n"
)


def test_parse_and_round_trip() -> None:
    sd = SessionDescription.parse(OFFER)
    audio = sd.audio
    assert audio is not None and audio.port == 49170 and audio.formats == ["18", "8", "0", "101"]
    assert audio.rtpmap["8"] == ("PCMA", 8000) and audio.fmtp == {"101": "0-15"}
    assert (audio.direction, audio.ptime) == ("sendonly", 20)
    assert sd.on_hold
    assert SessionDescription.parse(bytes(sd)) == sd


def test_answer_picks_first_common_codec_and_events() -> None:
    ans = answer(SessionDescription.parse(OFFER), "198.51.100.5", 40000, session_id=7)
    audio, video = ans.media
    assert (audio.port, audio.formats, audio.direction) == (40000, ["8", "101"], "recvonly")
    assert audio.fmtp == {"101": "0-15"} and audio.ptime == 20
    assert video.port == 0
    assert ans.connection is not None and ans.connection.address == "198.51.100.5"
    assert not SessionDescription.parse(bytes(ans)).on_hold


def test_answer_to_old_style_hold_is_inactive() -> None:
    offer = SessionDescription.parse(
        OFFER.replace(b"c=IN IP4 192.0.2.10", b"c=IN IP4 0.0.0.0").replace(b"a=sendonly\r\n", b"")
    )
    assert offer.on_hold
    assert answer(offer, "198.51.100.5", 40000).media[0].direction == "inactive"


def test_no_common_codec_is_488() -> None:
    offer = SessionDescription.parse(OFFER.replace(b"RTP/AVP 18 8 0 101", b"RTP/AVP 18"))
    with pytest.raises(SdpNegotiationError) as info:
        answer(offer, "198.51.100.5", 40000)
    assert info.value.status == 488


def test_offer_answers_itself() -> None:
    offer = make_offer("192.0.2.1", 30000, session_id=42)
    data = bytes(offer)
    assert b"m=audio 30000 RTP/AVP 0 8 101\r\n" in data and b"a=fmtp:101 0-16\r\n" in data
    assert answer(SessionDescription.parse(data), "192.0.2.2", 30002).media[0].formats == ["0", "101"]


@pytest.mark.parametrize("data", [b"", b"x", b"v=0\r\no=bad\r\n", b"v=0\r\nm=audio x RTP/AVP 0\r\n", b"\xff"])
def test_bad_sdp_is_refused(data: bytes) -> None:
    with pytest.raises(SdpNegotiationError.__mro__[1]):
        SessionDescription.parse(data)
