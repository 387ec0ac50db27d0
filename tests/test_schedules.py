"""Tests for glassnet.schedules: learning rates at chosen epochs worked out by hand, the
ReduceOnPlateau sequence, config round trips and every validation message."""

from __future__ import annotations

import math
import re

import pytest

from glassnet import schedules
from glassnet.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    ReduceOnPlateau,
    Schedule,
    StepDecay,
)


def test_constant():
    schedule = Constant()
    assert [schedule(epoch, 0.1, {}) for epoch in (0, 1, 50)] == [0.1, 0.1, 0.1]


def test_step_decay_values():
    # eta_0 = 0.1, step_size = 3, gamma = 0.5: eta = 0.1 * 0.5^(epoch // 3)
    #   epochs 0, 1, 2 -> 0.5^0 -> 0.1     epochs 3, 4, 5 -> 0.5^1 -> 0.05
    #   epoch 6 -> 0.5^2 -> 0.025          epoch 10 -> 0.5^3 -> 0.0125
    schedule = StepDecay(step_size=3, gamma=0.5)
    expected = {0: 0.1, 1: 0.1, 2: 0.1, 3: 0.05, 5: 0.05, 6: 0.025, 10: 0.0125}
    for epoch, learning_rate in expected.items():
        assert schedule(epoch, 0.1, {}) == pytest.approx(learning_rate, rel=1e-15), epoch


def test_step_decay_default_gamma():
    # gamma = 0.1: eta_0 = 2 becomes 2 * 0.1^2 = 0.02 at epoch 2 * 5 = 10
    assert StepDecay(5)(10, 2.0, {}) == pytest.approx(0.02, rel=1e-15)


def test_exponential_decay_values():
    # eta_0 = 0.1, gamma = 0.5: eta = 0.1 * 0.5^epoch
    #   epoch 0 -> 0.1, epoch 1 -> 0.05, epoch 3 -> 0.1 / 8 = 0.0125
    schedule = ExponentialDecay(0.5)
    expected = {0: 0.1, 1: 0.05, 3: 0.0125}
    for epoch, learning_rate in expected.items():
        assert schedule(epoch, 0.1, {}) == pytest.approx(learning_rate, rel=1e-15), epoch


def test_cosine_decay_values():
    # eta_0 = 0.11, min_lr = 0.01, total_epochs = 4:
    # eta = 0.01 + (0.11 - 0.01) (1 + cos(pi epoch / 4)) / 2 = 0.01 + 0.05 (1 + cos(pi epoch / 4))
    #   epoch 0: cos 0 = 1              -> 0.01 + 0.1                         = 0.11
    #   epoch 1: cos(pi/4) = sqrt(2)/2  -> 0.01 + 0.05 (1 + 0.70710678...)    = 0.09535533...
    #   epoch 2: cos(pi/2) = 0          -> 0.01 + 0.05                        = 0.06
    #   epoch 3: cos(3pi/4) = -sqrt(2)/2 -> 0.01 + 0.05 (1 - 0.70710678...)   = 0.02464466...
    #   epoch 4 and later: cos(pi) = -1 -> 0.01
    schedule = CosineDecay(total_epochs=4, min_lr=0.01)
    half_root_two = math.sqrt(2) / 2
    expected = {
        0: 0.11,
        1: 0.01 + 0.05 * (1 + half_root_two),
        2: 0.06,
        3: 0.01 + 0.05 * (1 - half_root_two),
        4: 0.01,
        9: 0.01,
    }
    for epoch, learning_rate in expected.items():
        assert schedule(epoch, 0.11, {}) == pytest.approx(learning_rate, rel=1e-12), epoch
    assert schedule(1, 0.11, {}) == pytest.approx(0.0953553390593, rel=1e-11)


def test_cosine_decay_to_zero_by_default():
    # min_lr = 0, total_epochs = 2: epoch 1 is halfway, cos(pi/2) = 0 -> eta_0 / 2
    schedule = CosineDecay(2)
    assert schedule(1, 0.4, {}) == pytest.approx(0.2, rel=1e-15)
    assert schedule(2, 0.4, {}) == pytest.approx(0.0, abs=1e-18)


def test_reduce_on_plateau_sequence():
    # eta_0 = 0.1, factor = 0.5, patience = 2, min_delta = 0.1, min_lr = 0.02. An epoch improves
    # when val_loss < best - 0.1; after 2 epochs in a row without improvement eta halves.
    schedule = ReduceOnPlateau(factor=0.5, patience=2, min_delta=0.1, min_lr=0.02)
    steps = [
        # (val_loss of the previous epoch, expected eta)  best, wait after the epoch
        (None, 0.1),  # epoch 0: no logs                   inf, 0
        (1.00, 0.1),  # 1.00 < inf: improved                1.00, 0
        (0.95, 0.1),  # 0.95 >= 1.00 - 0.1 = 0.90            1.00, 1
        (0.85, 0.1),  # 0.85 < 0.90: improved               0.85, 0
        (0.90, 0.1),  # not below 0.75                      0.85, 1
        (0.80, 0.05),  # not below 0.75: wait 2 -> eta 0.05   0.85, 0
        (0.80, 0.05),  #                                      0.85, 1
        (0.80, 0.025),  # wait 2 -> eta 0.025                  0.85, 0
        (0.80, 0.025),  #                                      0.85, 1
        (0.80, 0.02),  # wait 2 -> max(0.0125, 0.02) = 0.02   0.85, 0
        (0.80, 0.02),  #                                      0.85, 1
        (0.80, 0.02),  # wait 2 -> max(0.01, 0.02), stays     0.85, 0
        (0.70, 0.02),  # 0.70 < 0.75: improved, eta stays   0.70, 0
    ]
    for epoch, (val_loss, learning_rate) in enumerate(steps):
        logs = {} if val_loss is None else {"loss": 9.0, "val_loss": val_loss}
        assert schedule(epoch, 0.1, logs) == pytest.approx(learning_rate, rel=1e-15), epoch
    assert (schedule.best, schedule.wait) == (0.70, 0)

    # A new run (epoch 0 again) starts afresh from the initial learning rate.
    assert schedule(0, 0.3, {}) == 0.3
    assert (schedule.best, schedule.wait) == (math.inf, 0)
    assert schedule(1, 0.3, {"val_loss": 5.0}) == 0.3


def test_reduce_on_plateau_patience_one_and_loss_monitor():
    # patience = 1: every epoch without improvement multiplies eta by factor = 0.1.
    schedule = ReduceOnPlateau(monitor="loss", patience=1, min_delta=0.0)
    assert schedule(0, 1.0, {}) == 1.0
    assert schedule(1, 1.0, {"loss": 2.0}) == 1.0  # improved on inf
    assert schedule(2, 1.0, {"loss": 1.5}) == 1.0  # improved
    assert schedule(3, 1.0, {"loss": 1.5}) == pytest.approx(0.1)  # equal is not better
    assert schedule(4, 1.0, {"loss": 1.6}) == pytest.approx(0.01)


def test_reduce_on_plateau_starts_when_first_called_after_epoch_zero():
    # A resumed run: the first call reads the logs at once.
    schedule = ReduceOnPlateau(patience=1)
    assert schedule(5, 0.2, {"val_loss": 1.0}) == 0.2
    assert schedule(6, 0.2, {"val_loss": 1.0}) == pytest.approx(0.02)


def test_reduce_on_plateau_missing_key_names_it_and_the_available_keys():
    schedule = ReduceOnPlateau()
    schedule(0, 0.1, {})
    with pytest.raises(
        ValueError,
        match=re.escape("monitor 'val_loss' is not in the logs; available keys: 'loss', 'acc'"),
    ):
        schedule(1, 0.1, {"loss": 1.0, "acc": 0.5})
    with pytest.raises(ValueError, match="available keys: none"):
        schedule(1, 0.1, {})


SCHEDULES = [
    Constant(),
    StepDecay(4, gamma=0.3),
    ExponentialDecay(0.9),
    CosineDecay(10, min_lr=0.001),
    ReduceOnPlateau(monitor="loss", factor=0.2, patience=3, min_delta=0.01, min_lr=1e-5),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda schedule: schedule.name)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    rebuilt = schedules.get(config)
    assert type(rebuilt) is type(schedule)
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(schedule)
    logs = {"loss": 1.0, "val_loss": 1.0}
    for epoch in range(12):
        assert rebuilt(epoch, 0.05, logs) == schedule(epoch, 0.05, logs)


def test_get_by_name_and_instance():
    assert schedules.NAMES == (
        "constant",
        "step_decay",
        "exponential_decay",
        "cosine_decay",
        "reduce_on_plateau",
    )
    assert isinstance(schedules.get("constant"), Constant)
    assert isinstance(schedules.get("reduce_on_plateau"), ReduceOnPlateau)
    schedule = StepDecay(2)
    assert schedules.get(schedule) is schedule
    assert schedules.get({"name": "step_decay", "step_size": 2}).get_config() == {
        "name": "step_decay",
        "step_size": 2,
        "gamma": 0.1,
    }


def test_a_user_schedule_is_accepted():
    class Halving(Schedule):
        name = "halving"

        def learning_rate(self, epoch, initial_lr, logs):
            return initial_lr / 2**epoch

    schedule = Halving()
    assert schedules.get(schedule) is schedule
    assert schedule(3, 1.0, {}) == 0.125
    with pytest.raises(ValueError, match="epoch must be a non-negative integer, got -1"):
        schedule(-1, 1.0, {})


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: StepDecay(0), ValueError, "step_size must be a positive integer, got 0"),
        (lambda: StepDecay(2.5), ValueError, "step_size must be a positive integer, got 2.5"),
        (lambda: StepDecay(2, gamma=0), ValueError, "gamma must be a number in (0, 1), got 0"),
        (lambda: StepDecay(2, gamma=1.5), ValueError, "gamma must be a number in (0, 1), got 1.5"),
        (lambda: ExponentialDecay(1.0), ValueError, "gamma must be a number in (0, 1), got 1.0"),
        (lambda: CosineDecay(0), ValueError, "total_epochs must be a positive integer, got 0"),
        (
            lambda: CosineDecay(5, min_lr=-0.1),
            ValueError,
            "min_lr must be a non-negative number, got -0.1",
        ),
        (
            lambda: ReduceOnPlateau(monitor=""),
            ValueError,
            "monitor must be the name of a metric, got ''",
        ),
        (
            lambda: ReduceOnPlateau(monitor=3),
            ValueError,
            "monitor must be the name of a metric, got 3",
        ),
        (lambda: ReduceOnPlateau(factor=1), ValueError, "factor must be a number in (0, 1), got 1"),
        (
            lambda: ReduceOnPlateau(patience=0),
            ValueError,
            "patience must be a positive integer, got 0",
        ),
        (
            lambda: ReduceOnPlateau(min_delta=-1e-4),
            ValueError,
            "min_delta must be a non-negative number, got -0.0001",
        ),
        (
            lambda: ReduceOnPlateau(min_lr=float("inf")),
            ValueError,
            "min_lr must be a non-negative number, got inf",
        ),
        (
            lambda: CosineDecay(5, min_lr=0.5)(0, 0.1, {}),
            ValueError,
            "min_lr (0.5) must not exceed initial_lr, got initial_lr=0.1",
        ),
        (lambda: Constant()(1.5, 0.1, {}), ValueError, "epoch must be a non-negative integer"),
        (lambda: Constant()(0, 0, {}), ValueError, "initial_lr must be a positive number, got 0"),
        (
            lambda: Constant()(0, 0.1, None),
            TypeError,
            "logs must be a dict of metric values, got None",
        ),
        (
            lambda: schedules.get("warmup"),
            ValueError,
            "unknown schedule 'warmup'; choose one of: constant, step_decay, exponential_decay, "
            "cosine_decay, reduce_on_plateau",
        ),
        (
            lambda: schedules.get("step_decay"),
            ValueError,
            "invalid parameters for schedule 'step_decay': {}",
        ),
        (
            lambda: schedules.get({"name": "constant", "gamma": 0.5}),
            ValueError,
            "invalid parameters for schedule 'constant': {'gamma': 0.5}",
        ),
        (
            lambda: schedules.get(0.1),
            TypeError,
            "schedule must be a name, a config dict or an instance of Schedule, got 0.1",
        ),
    ],
)
def test_validation_messages(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()
