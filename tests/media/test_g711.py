import shutil
import subprocess

import numpy as np
import pytest

from centralino.media import g711

ALL = np.arange(-32768, 32768).astype(np.int16)


def _sox(data: bytes, source: list[str], target: list[str]) -> bytes:
    sox = shutil.which("sox")
    assert sox, "sox (Debian package sox) is the independent reference for these tests; install it"
    cmd = [sox, "-D", "-t", "raw", "-r", "8000", "-c", "1", *source, "-", "-t", "raw", *target, "-"]
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


@pytest.mark.parametrize(
    ("encode", "sample", "code"),
    [
        (g711.ulaw_encode, 0, 0xFF), (g711.ulaw_encode, -1, 0x7F), (g711.ulaw_encode, 32767, 0x80),
        (g711.ulaw_encode, -32768, 0x00), (g711.alaw_encode, 0, 0xD5), (g711.alaw_encode, -1, 0x55),
        (g711.alaw_encode, 32767, 0xAA), (g711.alaw_encode, -32768, 0x2A),
    ],
)
def test_known_codes(encode, sample: int, code: int) -> None:
    assert encode(np.array([sample], dtype=np.int16)) == bytes([code])


def test_known_decoded_values() -> None:
    assert g711.ulaw_decode(bytes([0x80, 0xFF, 0x7F, 0x00])).tolist() == [32124, 0, 0, -32124]
    assert g711.alaw_decode(bytes([0xD5, 0x55, 0xAA, 0x2A])).tolist() == [8, -8, 32256, -32256]


@pytest.mark.parametrize("name", ["u-law", "a-law"])
def test_decoding_matches_sox_for_every_code(name: str) -> None:
    ours = g711.ulaw_decode if name == "u-law" else g711.alaw_decode
    theirs = np.frombuffer(_sox(bytes(range(256)), ["-e", name], ["-e", "signed", "-b", "16", "-L"]), "<i2")
    assert np.array_equal(ours(bytes(range(256))), theirs)


def test_alaw_encoding_matches_sox_on_the_13_bit_grid() -> None:
    """G.711 A-law quantises 13-bit samples; below that resolution 16-bit tools round differently."""
    grid = np.arange(-32768, 32768, 16).astype(np.int16)
    theirs = _sox(grid.astype("<i2").tobytes(), ["-e", "signed", "-b", "16", "-L"], ["-e", "a-law"])
    assert g711.alaw_encode(grid) == theirs


def test_ulaw_encoding_matches_sox_for_positive_14_bit_samples() -> None:
    """sox's negative µ-law boundaries are off by one 14-bit step from G.191's (one's complement)."""
    grid = np.arange(0, 32768, 4).astype(np.int16)
    theirs = _sox(grid.astype("<i2").tobytes(), ["-e", "signed", "-b", "16", "-L"], ["-e", "u-law"])
    assert g711.ulaw_encode(grid) == theirs


@pytest.mark.parametrize(("encode", "decode"), [(g711.ulaw_encode, g711.ulaw_decode),
                                                  (g711.alaw_encode, g711.alaw_decode)])
def test_round_trips_and_quantisation_error(encode, decode) -> None:
    decoded = decode(bytes(range(256)))
    assert np.array_equal(decode(encode(decoded)), decoded)  # every level is a fixed point
    back = decode(encode(ALL)).astype(np.int32)
    error = np.abs(back - ALL.astype(np.int32))
    assert error.max() <= 1024  # half the widest step (2048 in the top segment) plus truncation
    assert np.all(np.diff(back) >= 0)  # quantisation is monotonic


def test_transcoding_stays_within_one_step_and_is_identity_for_equal_codecs() -> None:
    codes = bytes(range(256))
    mu = g711.ulaw_decode(codes).astype(np.int32)
    via_a = g711.alaw_decode(g711.ulaw_to_alaw(codes)).astype(np.int32)
    assert np.all(np.abs(via_a - mu) <= np.maximum(np.abs(mu) // 16, 16))
    a = g711.alaw_decode(codes).astype(np.int32)
    via_mu = g711.ulaw_decode(g711.alaw_to_ulaw(codes)).astype(np.int32)
    assert np.all(np.abs(via_mu - a) <= np.maximum(np.abs(a) // 16, 16))
    assert g711.transcode(codes, g711.ULAW, g711.ULAW) is codes
    assert g711.transcode(codes, g711.ULAW, g711.ALAW) == g711.ulaw_to_alaw(codes)


def test_codec_lookup_names_what_to_do() -> None:
    assert g711.codec_for(8) is g711.ALAW
    with pytest.raises(ValueError, match="PCMU"):
        g711.codec_for(18)
