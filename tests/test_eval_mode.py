"""eval_mode puts the model in eval mode and restores its previous mode, also after an exception."""

import pytest
from torch import nn

from ibias.measures.eval_mode import eval_mode


@pytest.mark.parametrize("training", [True, False])
def test_mode_is_eval_inside_and_restored_after(training):
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train(training)
    with eval_mode(net):
        assert not net.training and not net[1].training
    assert net.training is training and net[1].training is training
    with pytest.raises(RuntimeError), eval_mode(net):
        raise RuntimeError("measurement failed")
    assert net.training is training
