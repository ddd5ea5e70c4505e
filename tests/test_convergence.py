"""First-crossing steps and monotone order, on hand-made curves."""

from ibias.analysis.convergence import first_step_reaching, is_monotone


def test_first_step_reaching_finds_the_first_crossing_either_way():
    steps, values = [0, 100, 200, 300], [0.1, 0.4, 0.6, 0.3]
    assert first_step_reaching(steps, values, 0.5) == 200
    assert first_step_reaching(steps, values, 0.35, above=False) == 0
    assert first_step_reaching(steps, values, 0.7) is None


def test_is_monotone_treats_never_as_last():
    assert is_monotone([100, 100, 300, None, None])
    assert not is_monotone([100, None, 300])
    assert not is_monotone([300, 200])
