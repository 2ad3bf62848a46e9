import pytest

from centralino.media.rtp import RtpError, RtpPacket, is_rtcp, pack_header

# V=2, PT 0, seq 1, ts 160, SSRC 0x12345678, four µ-law silence bytes
PLAIN = bytes.fromhex("80000001000000a012345678ffffffff")
# V=2 P X CC=1, M + PT 8, seq 0xfffe, ts 0xfffffff0, SSRC 1, CSRC 2,
# extension profile 0xbede with one word, payload "ab", padding of 2 (count included)
FULL = bytes.fromhex("b188fffefffffff00000000100000002bede000110223344") + b"ab" + bytes.fromhex("0002")


def test_plain_packet_parses_and_round_trips() -> None:
    p = RtpPacket.parse(PLAIN)
    assert (p.payload_type, p.sequence, p.timestamp, p.ssrc, p.marker) == (0, 1, 160, 0x12345678, False)
    assert p.payload == b"\xff" * 4
    assert bytes(p) == PLAIN
    assert pack_header(0, 1, 160, 0x12345678) == PLAIN[:12]


def test_csrc_extension_and_padding_are_tolerated_and_kept() -> None:
    p = RtpPacket.parse(FULL)
    assert p.marker and p.payload_type == 8
    assert p.csrc == (2,)
    assert p.extension_profile == 0xBEDE and p.extension == bytes.fromhex("10223344")
    assert p.payload == b"ab" and p.padding == 2
    assert bytes(p) == FULL


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x80\x00", "shorter"),
        (bytes.fromhex("40000001000000a012345678"), "version 1"),
        (bytes.fromhex("83000001000000a012345678"), "CSRC"),
        (bytes.fromhex("90000001000000a012345678bede0005"), "extension"),
        (bytes.fromhex("a0000001000000a01234567800"), "padding"),
    ],
)
def test_bad_packets_say_what_is_wrong(data: bytes, words: str) -> None:
    with pytest.raises(RtpError, match=words):
        RtpPacket.parse(data)


def test_rtcp_is_told_apart_on_a_shared_port() -> None:
    assert is_rtcp(bytes.fromhex("80c80006"))
    assert not is_rtcp(PLAIN)
