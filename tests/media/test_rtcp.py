import pytest

from centralino.media.rtcp import (
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpError,
    RtcpUnknown,
    SdesChunk,
    SenderReport,
    SourceDescription,
    compound_bytes,
    ntp_from_unix,
    ntp_middle,
    parse_compound,
)

BLOCK = ReportBlock(ssrc=0xAABBCCDD, fraction_lost=25, cumulative_lost=-3, highest_sequence=0x1_0005,
                    jitter=42, lsr=0x11223344, dlsr=65536)

# SR (1 block) + SDES CNAME "ab" + BYE "gone", written out by hand from RFC 3550 §6.4.1, 6.5, 6.6
SR_HEX = (
    "81c8000c" "00000001" "83aa7e80" "80000000" "000000a0" "00000005" "00000320"
    "aabbccdd" "19fffffd" "00010005" "0000002a" "11223344" "00010000"
)
SDES_HEX = "81ca0003" "00000001" "01026162" "00000000"
BYE_HEX = "81cb0003" "00000001" "04676f6e" "65000000"
COMPOUND = bytes.fromhex(SR_HEX + SDES_HEX + BYE_HEX)


def test_compound_fixture_parses_to_the_expected_values() -> None:
    sr, sdes, bye = parse_compound(COMPOUND)
    assert isinstance(sr, SenderReport)
    assert sr.ssrc == 1 and sr.ntp_timestamp == ntp_from_unix(0.5) and sr.rtp_timestamp == 160
    assert (sr.packet_count, sr.octet_count) == (5, 800)
    assert sr.reports == (BLOCK,)
    assert isinstance(sdes, SourceDescription) and sdes.chunks[0].cname() == "ab"
    assert isinstance(bye, Bye) and bye.sources == (1,) and bye.reason == "gone"
    assert compound_bytes([sr, sdes, bye]) == COMPOUND


def test_values_round_trip() -> None:
    packets = [
        ReceiverReport(7, (BLOCK, ReportBlock(9, 0, 0, 1, 2))),
        SourceDescription((SdesChunk(7, ((1, b"centralino@example"), (6, b"x"))), SdesChunk(8, ()))),
        Bye((7, 8)),
    ]
    assert parse_compound(compound_bytes(packets)) == packets


def test_unknown_types_are_kept_raw() -> None:
    app = bytes.fromhex("80cc0002000000014e414d45")
    (packet,) = parse_compound(app)
    assert isinstance(packet, RtcpUnknown) and packet.packet_type == 204 and bytes(packet) == app


def test_ntp_middle_is_the_lsr_field() -> None:
    assert ntp_middle(0x83AA7E80_80000000) == 0x7E808000


@pytest.mark.parametrize("data", [bytes.fromhex("81c8000c00000001"), bytes.fromhex("40c80000"), b"\x80"])
def test_truncated_or_foreign_datagrams_fail_with_a_reason(data: bytes) -> None:
    with pytest.raises(RtcpError):
        parse_compound(data)
