import numpy as np

from centralino.media.mixer import MonitorMode, conference, mix, monitor


def frame(value: int) -> np.ndarray:
    return np.full(160, value, dtype=np.int16)


def test_mix_saturates_instead_of_wrapping() -> None:
    assert mix(frame(30000), frame(10000))[0] == 32767
    assert mix(frame(-30000), frame(-10000))[0] == -32768
    assert mix(frame(100), frame(-40))[0] == 60


def test_who_hears_whom() -> None:
    caller, agent, sup = frame(1), frame(10), frame(100)
    listen = monitor(MonitorMode.LISTEN, caller, agent, sup)
    assert (listen.to_caller[0], listen.to_agent[0], listen.to_supervisor[0]) == (10, 1, 11)
    whisper = monitor(MonitorMode.WHISPER, caller, agent, sup)
    assert (whisper.to_caller[0], whisper.to_agent[0], whisper.to_supervisor[0]) == (10, 101, 11)
    barge = monitor(MonitorMode.BARGE, caller, agent, sup)
    assert (barge.to_caller[0], barge.to_agent[0], barge.to_supervisor[0]) == (110, 101, 11)


def test_conference_leaves_out_each_own_voice() -> None:
    out = conference([frame(1), frame(10), frame(100)])
    assert [int(f[0]) for f in out] == [110, 101, 11]
