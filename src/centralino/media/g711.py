"""G.711 µ-law and A-law (ITU-T G.711, algorithm as in the G.191 reference tools) by lookup tables.

Why by hand: the stdlib ``audioop`` is gone in Python 3.13 and the codec is two
table look-ups once the tables exist. The tables are built once at import with
numpy from the G.711 segment rules: encoding indexes a 65,536-entry table by
the 16-bit sample's bit pattern, decoding a 256-entry table by the code, and
µ-law <-> A-law transcoding is ``bytes.translate`` through a 256-byte table
(decode, then encode: the composition, which keeps every code within one
quantisation step of the original).

Linear samples are 16-bit; G.711 works on 14 (µ-law) or 13 (A-law) bits, so
the low bits are dropped the way G.191 does (one's complement for negatives).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ALAW", "CODECS", "Codec", "ULAW", "alaw_decode", "alaw_encode", "alaw_to_ulaw", "codec_for",
    "silence", "transcode", "ulaw_decode", "ulaw_encode", "ulaw_to_alaw",
]

Samples = npt.NDArray[np.int16]


def _ulaw_compress(lin: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    magnitude: npt.NDArray[np.int32] = np.where(lin < 0, (~lin) >> 2, lin >> 2) + 33
    magnitude = np.minimum(magnitude, 0x1FFF)
    segment = np.ones_like(magnitude)
    shifted = magnitude >> 6
    while shifted.any():  # segment = 1 + number of significant bits above bit 5
        segment += shifted != 0
        shifted >>= 1
    high = 8 - segment
    low = 0x0F - ((magnitude >> segment) & 0x0F)
    code = (high << 4) | low
    code = np.where(lin >= 0, code | 0x80, code)
    return code.astype(np.uint8)


def _ulaw_expand(code: npt.NDArray[np.int32]) -> npt.NDArray[np.int16]:
    inverted = ~code
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    step = 4 << (exponent + 1)
    value = (0x80 << exponent) + step * mantissa + step // 2 - 4 * 33
    return np.where(code < 0x80, -value, value).astype(np.int16)


def _alaw_compress(lin: npt.NDArray[np.int32]) -> npt.NDArray[np.uint8]:
    magnitude = np.where(lin < 0, (~lin) >> 4, lin >> 4)  # 12-bit magnitude
    exponent = np.zeros_like(magnitude)
    m = magnitude.copy()
    big = m > 15
    exponent[big] = 1
    while True:
        over = m > 31
        if not over.any():
            break
        m = np.where(over, m >> 1, m)
        exponent += over
    code = np.where(big, (m - 16) + (exponent << 4), magnitude)
    code = np.where(lin >= 0, code | 0x80, code)
    return (code ^ 0x55).astype(np.uint8)


def _alaw_expand(code: npt.NDArray[np.int32]) -> npt.NDArray[np.int16]:
    x = (code ^ 0x55) & 0x7F
    exponent = x >> 4
    mantissa = x & 0x0F
    mantissa = np.where(exponent > 0, mantissa + 16, mantissa)
    mantissa = (mantissa << 4) + 8
    mantissa = np.where(exponent > 1, mantissa << np.maximum(exponent - 1, 0), mantissa)
    return np.where(code > 127, mantissa, -mantissa).astype(np.int16)


_ALL_SAMPLES = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)
_ALL_CODES = np.arange(256, dtype=np.int32)

ULAW_ENCODE: npt.NDArray[np.uint8] = _ulaw_compress(_ALL_SAMPLES)  # index: sample as uint16
ALAW_ENCODE: npt.NDArray[np.uint8] = _alaw_compress(_ALL_SAMPLES)
ULAW_DECODE: Samples = _ulaw_expand(_ALL_CODES)
ALAW_DECODE: Samples = _alaw_expand(_ALL_CODES)
_ULAW_TO_ALAW = bytes(ALAW_ENCODE[ULAW_DECODE.view(np.uint16)])
_ALAW_TO_ULAW = bytes(ULAW_ENCODE[ALAW_DECODE.view(np.uint16)])
for _table in (ULAW_ENCODE, ALAW_ENCODE, ULAW_DECODE, ALAW_DECODE):
    _table.flags.writeable = False


def _as_samples(samples: Samples | bytes) -> Samples:
    if isinstance(samples, bytes | bytearray | memoryview):
        return np.frombuffer(samples, dtype="<i2").astype(np.int16, copy=False)
    return np.asarray(samples, dtype=np.int16)


def ulaw_encode(samples: Samples | bytes) -> bytes:
    """16-bit linear samples (array, or little-endian bytes) to µ-law bytes."""
    return ULAW_ENCODE[_as_samples(samples).view(np.uint16)].tobytes()


def alaw_encode(samples: Samples | bytes) -> bytes:
    return ALAW_ENCODE[_as_samples(samples).view(np.uint16)].tobytes()


def ulaw_decode(data: bytes) -> Samples:
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes) -> Samples:
    return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_to_alaw(data: bytes) -> bytes:
    return data.translate(_ULAW_TO_ALAW)


def alaw_to_ulaw(data: bytes) -> bytes:
    return data.translate(_ALAW_TO_ULAW)


@dataclass(frozen=True, slots=True)
class Codec:
    """A narrowband codec as SDP names it: static payload type, encoding name, 8 kHz clock."""

    name: str
    payload_type: int
    silence_byte: int

    def encode(self, samples: Samples | bytes) -> bytes:
        return ulaw_encode(samples) if self.payload_type == 0 else alaw_encode(samples)

    def decode(self, data: bytes) -> Samples:
        return ulaw_decode(data) if self.payload_type == 0 else alaw_decode(data)


ULAW = Codec("PCMU", 0, 0xFF)
ALAW = Codec("PCMA", 8, 0xD5)
CODECS: dict[int, Codec] = {0: ULAW, 8: ALAW}


def codec_for(payload_type: int) -> Codec:
    try:
        return CODECS[payload_type]
    except KeyError:
        raise ValueError(
            f"payload type {payload_type} is not G.711; offer PCMU (0) or PCMA (8) in the SDP"
        ) from None


def silence(codec: Codec, samples: int = 160) -> bytes:
    return bytes([codec.silence_byte]) * samples


def transcode(data: bytes, source: Codec, target: Codec) -> bytes:
    """Re-encode a G.711 payload; identity when the codecs match."""
    if source.payload_type == target.payload_type:
        return data
    return ulaw_to_alaw(data) if source.payload_type == 0 else alaw_to_ulaw(data)
