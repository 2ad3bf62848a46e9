"""Reception statistics of one RTP source: RFC 3550 A.1 (sequence), A.3 (loss), A.8 (jitter).

Sans-I/O: ``receive(sequence, timestamp, arrival)`` with the arrival time in
seconds from the caller's clock. The figures feed RTCP report blocks and, at
the end of a leg, the call record (``LegStats``).
"""

from __future__ import annotations

from dataclasses import dataclass

from centralino.media.rtcp import ReportBlock

__all__ = ["LegStats", "ReceptionStats"]

_MAX_DROPOUT = 3000
_MAX_MISORDER = 100
_SEQ_MOD = 1 << 16


@dataclass(frozen=True, slots=True)
class LegStats:
    """What a call record keeps about one leg's media."""

    packets_sent: int = 0
    packets_received: int = 0
    packets_lost: int = 0
    loss_pct: float = 0.0
    jitter_ms: float = 0.0
    max_jitter_ms: float = 0.0


class ReceptionStats:
    def __init__(self, clock_rate: int = 8000) -> None:
        self.clock_rate = clock_rate
        self.started = False
        self.base_seq = 0
        self.max_seq = 0
        self.cycles = 0
        self.bad_seq = _SEQ_MOD + 1
        self.received = 0
        self.expected_prior = 0
        self.received_prior = 0
        self._transit: float | None = None
        self._jitter = 0.0  # in timestamp units, floating (the RFC's integer form is j/16)
        self.max_jitter = 0.0

    def _init_seq(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = _SEQ_MOD + 1
        self.cycles = 0
        self.received = 0
        self.expected_prior = 0
        self.received_prior = 0
        self._transit = None

    def receive(self, sequence: int, timestamp: int, arrival: float) -> bool:
        """Account one packet; False when it is judged to come from a restarted or bogus source."""
        if not self.started:
            self.started = True
            self._init_seq(sequence)
        else:
            udelta = (sequence - self.max_seq) % _SEQ_MOD
            if udelta < _MAX_DROPOUT:
                if sequence < self.max_seq:
                    self.cycles += _SEQ_MOD
                self.max_seq = sequence
            elif udelta <= _SEQ_MOD - _MAX_MISORDER:
                if sequence != self.bad_seq:
                    self.bad_seq = (sequence + 1) % _SEQ_MOD
                    return False
                self._init_seq(sequence)  # two sequential packets after a big jump: the source restarted
            # else a duplicate or a late, reordered packet: counted, max_seq kept
        self.received += 1
        transit = arrival * self.clock_rate - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < self.clock_rate * 60:  # a timestamp jump is a new talkspurt, not a minute of jitter
                self._jitter += (d - self._jitter) / 16
                self.max_jitter = max(self.max_jitter, self._jitter)
        self._transit = transit
        return True

    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        return self.extended_max - self.base_seq + 1 if self.started else 0

    @property
    def lost(self) -> int:
        return self.expected - self.received

    @property
    def jitter(self) -> int:
        return int(self._jitter)

    @property
    def jitter_ms(self) -> float:
        return self._jitter * 1000 / self.clock_rate

    def fraction_lost(self) -> int:
        """Loss since the previous call as a fraction of 256 (A.3); moves the interval on."""
        expected_interval = self.expected - self.expected_prior
        received_interval = self.received - self.received_prior
        self.expected_prior = self.expected
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        if expected_interval == 0 or lost_interval <= 0:
            return 0
        return (lost_interval << 8) // expected_interval

    def report_block(self, ssrc: int, lsr: int = 0, dlsr: int = 0) -> ReportBlock:
        return ReportBlock(ssrc, self.fraction_lost(), self.lost, self.extended_max, self.jitter, lsr, dlsr)

    def summary(self, packets_sent: int = 0) -> LegStats:
        expected = self.expected
        lost = max(self.lost, 0)
        return LegStats(
            packets_sent=packets_sent,
            packets_received=self.received,
            packets_lost=lost,
            loss_pct=round(100.0 * lost / expected, 3) if expected else 0.0,
            jitter_ms=round(self.jitter_ms, 3),
            max_jitter_ms=round(self.max_jitter * 1000 / self.clock_rate, 3),
        )
