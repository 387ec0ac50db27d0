"""Tests for glassnet.optimizers: golden values worked out by hand in the comments, agreement
with torch.optim, state round trips, validation messages, AdamW's decay and gradient clipping."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

from glassnet import optimizers
from glassnet.optimizers import SGD, AdaGrad, Adam, AdamW, RMSProp, clip_by_global_norm


def run_steps(optimizer, params, grads_per_step):
    """Bind ``params`` (float64 copies) and step once per gradient list; return the params
    after every step. Gradients are copied, since ``step`` may overwrite them."""
    params = [np.array(param, dtype=np.float64) for param in params]
    optimizer.bind(params)
    history = []
    for grads in grads_per_step:
        optimizer.step([np.array(grad, dtype=np.float64) for grad in grads])
        history.append([param.copy() for param in params])
    return history


def assert_history(history, expected):
    """Compare the parameters after each step with the hand-worked values."""
    for step, (actual_params, expected_params) in enumerate(zip(history, expected, strict=True)):
        for actual, wanted in zip(actual_params, expected_params, strict=True):
            np.testing.assert_allclose(
                actual, wanted, rtol=1e-12, atol=1e-15, err_msg=f"after step {step + 1}"
            )


# -- golden values, worked out by hand -------------------------------------------------------


def test_sgd_golden_values():
    # eta = 0.1, w = [1, -2], g = [0.5, 1] at every step; w <- w - eta g = w - [0.05, 0.1]
    #   step 1: w = [1 - 0.05, -2 - 0.1]        = [0.95, -2.1]
    #   step 2: w = [0.95 - 0.05, -2.1 - 0.1]   = [0.90, -2.2]
    #   step 3: w = [0.90 - 0.05, -2.2 - 0.1]   = [0.85, -2.3]
    history = run_steps(SGD(0.1), [[1.0, -2.0]], [[[0.5, 1.0]]] * 3)
    assert_history(history, [[[0.95, -2.1]], [[0.90, -2.2]], [[0.85, -2.3]]])


def test_sgd_momentum_golden_values():
    # eta = 0.1, mu = 0.9, w = [1, -1], g = [1, -2] at every step; v <- mu v + g; w <- w - eta v
    #   step 1: v = 0.9 [0, 0] + [1, -2]     = [1, -2]         w = [1 - 0.1, -1 + 0.2]
    #                                                            = [0.9, -0.8]
    #   step 2: v = 0.9 [1, -2] + [1, -2]    = [1.9, -3.8]     w = [0.9 - 0.19, -0.8 + 0.38]
    #                                                            = [0.71, -0.42]
    #   step 3: v = 0.9 [1.9, -3.8] + [1, -2] = [2.71, -5.42]  w = [0.71 - 0.271, -0.42 + 0.542]
    #                                                            = [0.439, 0.122]
    history = run_steps(SGD(0.1, momentum=0.9), [[1.0, -1.0]], [[[1.0, -2.0]]] * 3)
    assert_history(history, [[[0.9, -0.8]], [[0.71, -0.42]], [[0.439, 0.122]]])


def test_sgd_nesterov_golden_values():
    # eta = 0.1, mu = 0.9, w = [1, -1], g = [1, -2]; v <- mu v + g; w <- w - eta (g + mu v)
    #   step 1: v = [1, -2]        g + mu v = [1 + 0.9, -2 - 1.8]    = [1.9, -3.8]
    #           w = [1 - 0.19, -1 + 0.38]                              = [0.81, -0.62]
    #   step 2: v = [1.9, -3.8]    g + mu v = [1 + 1.71, -2 - 3.42]  = [2.71, -5.42]
    #           w = [0.81 - 0.271, -0.62 + 0.542]                      = [0.539, -0.078]
    #   step 3: v = [2.71, -5.42]  g + mu v = [1 + 2.439, -2 - 4.878] = [3.439, -6.878]
    #           w = [0.539 - 0.3439, -0.078 + 0.6878]                  = [0.1951, 0.6098]
    history = run_steps(SGD(0.1, 0.9, nesterov=True), [[1.0, -1.0]], [[[1.0, -2.0]]] * 3)
    assert_history(history, [[[0.81, -0.62]], [[0.539, -0.078]], [[0.1951, 0.6098]]])


def test_adagrad_golden_values():
    # eta = 0.1, epsilon = 1 (large, so that its place, outside the square root, shows),
    # w = [1, 2]; the gradients make every sum of squares a perfect square:
    #   step 1: g = [3, -4]    s = [9, 16]                 sqrt(s) + 1 = [4, 5]
    #           update = 0.1 [3/4, -4/5] = [0.075, -0.08]      w = [0.925, 2.08]
    #   step 2: g = [4, 3]     s = [9 + 16, 16 + 9] = [25, 25]   sqrt(s) + 1 = [6, 6]
    #           update = 0.1 [4/6, 3/6] = [1/15, 0.05]           w = [0.925 - 1/15, 2.03]
    #                                                              = [0.858333..., 2.03]
    #   step 3: g = [12, -12]  s = [25 + 144, 25 + 144] = [169, 169]   sqrt(s) + 1 = [14, 14]
    #           update = 0.1 [12/14, -12/14] = [3/35, -3/35]
    #           w = [1 - 3/40 - 1/15 - 3/35, 2.03 + 3/35] = [649/840, 2.03 + 3/35]
    #             = [0.772619047..., 2.115714285...]
    grads = [[[3.0, -4.0]], [[4.0, 3.0]], [[12.0, -12.0]]]
    history = run_steps(AdaGrad(0.1, epsilon=1.0), [[1.0, 2.0]], grads)
    assert_history(
        history,
        [[[0.925, 2.08]], [[0.925 - 1 / 15, 2.03]], [[649 / 840, 2.03 + 3 / 35]]],
    )


def test_rmsprop_golden_values():
    # eta = 0.1, rho = 0.75, epsilon = 1 (outside the square root), w = [1, -1];
    # v <- 0.75 v + 0.25 g^2; w <- w - 0.1 g / (sqrt(v) + 1)
    #   step 1: g = [4, 2]    v = 0.25 [16, 4]                 = [4, 1]
    #           sqrt(v) + 1 = [3, 2]   update = 0.1 [4/3, 2/2] = [0.4/3, 0.1]
    #           w = [1 - 0.4/3, -1.1]                           = [0.866666..., -1.1]
    #   step 2: g = [2, -1]   v = 0.75 [4, 1] + 0.25 [4, 1]    = [4, 1]
    #           update = 0.1 [2/3, -1/2] = [0.2/3, -0.05]      w = [1 - 0.6/3, -1.05] = [0.8, -1.05]
    #   step 3: g = [-2, 1]   v = 0.75 [4, 1] + 0.25 [4, 1]    = [4, 1]
    #           update = 0.1 [-2/3, 1/2] = [-0.2/3, 0.05]      w = [1 - 0.4/3, -1.1]
    grads = [[[4.0, 2.0]], [[2.0, -1.0]], [[-2.0, 1.0]]]
    history = run_steps(RMSProp(0.1, rho=0.75, epsilon=1.0), [[1.0, -1.0]], grads)
    assert_history(history, [[[1 - 0.4 / 3, -1.1]], [[0.8, -1.05]], [[1 - 0.4 / 3, -1.1]]])


# Adam with eta = 0.1, beta1 = 0.5, beta2 = 0.75, epsilon = 1 and w = [1, 1]. The bias
# corrections are 1 - 0.5^t = 0.5, 0.75, 0.875 and 1 - 0.75^t = 0.25, 0.4375, 0.578125.
# First element, g = 2 at every step:
#   step 1: m = 0.5*0 + 0.5*2 = 1       v = 0.75*0 + 0.25*4 = 1
#           m_hat = 1/0.5 = 2           v_hat = 1/0.25 = 4          sqrt(v_hat) + 1 = 3
#           update = 0.1 * 2/3 = 1/15                               w = 14/15
#   step 2: m = 0.5 + 1 = 1.5           v = 0.75 + 1 = 1.75
#           m_hat = 1.5/0.75 = 2        v_hat = 1.75/0.4375 = 4     update = 1/15, w = 13/15
#   step 3: m = 0.75 + 1 = 1.75         v = 1.3125 + 1 = 2.3125
#           m_hat = 1.75/0.875 = 2      v_hat = 2.3125/0.578125 = 4 update = 1/15, w = 12/15
# Second element, g = 4, -4, 4 (the sign flips; m_hat shows the bias correction):
#   step 1: m = 0.5*4 = 2               v = 0.25*16 = 4
#           m_hat = 2/0.5 = 4           v_hat = 4/0.25 = 16         sqrt(v_hat) + 1 = 5
#           update = 0.1 * 4/5 = 0.08                               w = 0.92
#   step 2: m = 0.5*2 + 0.5*(-4) = -1   v = 0.75*4 + 0.25*16 = 7
#           m_hat = -1/0.75 = -4/3      v_hat = 7/0.4375 = 16       sqrt(v_hat) + 1 = 5
#           update = 0.1 * (-4/3)/5 = -2/75                         w = 0.92 + 2/75
#   step 3: m = 0.5*(-1) + 0.5*4 = 1.5  v = 0.75*7 + 0.25*16 = 9.25
#           m_hat = 1.5/0.875 = 12/7    v_hat = 9.25/0.578125 = 16
#           update = 0.1 * (12/7)/5 = 6/175                         w = 0.92 + 2/75 - 6/175
#                                                                     = 479/525 = 0.912380...
ADAM_GRADS = [[2.0, 4.0], [2.0, -4.0], [2.0, 4.0]]
ADAM_EXPECTED = [[14 / 15, 0.92], [13 / 15, 0.92 + 2 / 75], [12 / 15, 479 / 525]]


def test_adam_golden_values():
    optimizer = Adam(0.1, beta1=0.5, beta2=0.75, epsilon=1.0)
    history = run_steps(optimizer, [[1.0, 1.0]], [[grads] for grads in ADAM_GRADS])
    assert_history(history, [[expected] for expected in ADAM_EXPECTED])


def test_adamw_golden_values():
    # AdamW as Adam above, with lambda = 0.5: a weight first shrinks by 1 - eta lambda = 0.95,
    # then takes Adam's update from above (1/15 at each step for the first element; 0.08,
    # -2/75 and 6/175 for the second). The weight matrix W = [[1, 1]] gets:
    #   first element:  step 1: 1 * 0.95 - 1/15          = 53/60       = 0.883333...
    #                   step 2: 53/60 * 0.95 - 1/15      = 309/400     = 0.7725
    #                   step 3: 0.7725 * 0.95 - 1/15     = 16013/24000 = 0.667208333...
    #   second element: step 1: 1 * 0.95 - 0.08          = 0.87
    #                   step 2: 0.87 * 0.95 + 2/75       = 0.8265 + 2/75 = 0.853166...
    #                   step 3: 0.853166... * 0.95 - 6/175 = 652027/840000 = 0.776222...
    # The bias b = [1, 1], with the same gradients, is never decayed: exactly Adam's values.
    optimizer = AdamW(0.1, beta1=0.5, beta2=0.75, epsilon=1.0, weight_decay=0.5)
    grads = [[[grads], grads] for grads in ADAM_GRADS]
    history = run_steps(optimizer, [[[1.0, 1.0]], [1.0, 1.0]], grads)
    weights = [[53 / 60, 0.87], [309 / 400, 0.8265 + 2 / 75], [16013 / 24000, 652027 / 840000]]
    assert_history(
        history,
        [[[weight], bias] for weight, bias in zip(weights, ADAM_EXPECTED, strict=True)],
    )


# -- agreement with PyTorch --------------------------------------------------------------------

SHAPES = [(3, 4), (4,), (2, 3, 2)]

TORCH_CASES = {
    "sgd": (lambda: SGD(0.1), lambda torch, p: torch.optim.SGD(p, lr=0.1)),
    "momentum": (
        lambda: SGD(0.1, momentum=0.9),
        lambda torch, p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    ),
    "nesterov": (
        lambda: SGD(0.05, momentum=0.8, nesterov=True),
        lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    ),
    "adagrad": (
        lambda: AdaGrad(0.1, epsilon=1e-3),
        lambda torch, p: torch.optim.Adagrad(p, lr=0.1, eps=1e-3),
    ),
    "rmsprop": (
        lambda: RMSProp(0.01, rho=0.8, epsilon=1e-3),
        lambda torch, p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=1e-3),
    ),
    "adam": (
        lambda: Adam(0.01, beta1=0.8, beta2=0.95, epsilon=1e-3),
        lambda torch, p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-3),
    ),
    "adamw": (
        lambda: AdamW(0.01, beta1=0.8, beta2=0.95, epsilon=1e-3, weight_decay=0.3),
        # torch decays every parameter it is given: biases go in a group without decay.
        lambda torch, p: torch.optim.AdamW(
            [
                {"params": [t for t in p if t.dim() >= 2], "weight_decay": 0.3},
                {"params": [t for t in p if t.dim() < 2], "weight_decay": 0.0},
            ],
            lr=0.01,
            betas=(0.8, 0.95),
            eps=1e-3,
        ),
    ),
}


@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_matches_torch_over_five_steps(case):
    torch = pytest.importorskip("torch")
    make_ours, make_torch = TORCH_CASES[case]
    rng = np.random.default_rng(7)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    grads_per_step = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(5)]

    history = run_steps(make_ours(), initial, grads_per_step)

    tensors = [torch.tensor(param, dtype=torch.float64, requires_grad=True) for param in initial]
    reference = make_torch(torch, tensors)
    for step, grads in enumerate(grads_per_step):
        for tensor, grad in zip(tensors, grads, strict=True):
            tensor.grad = torch.tensor(grad, dtype=torch.float64)
        reference.step()
        for ours, tensor in zip(history[step], tensors, strict=True):
            np.testing.assert_allclose(
                ours, tensor.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=f"step {step + 1}"
            )


# -- state, binding and in-place updates ----------------------------------------------------------

ALL_OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "momentum": lambda: SGD(0.1, momentum=0.9),
    "nesterov": lambda: SGD(0.1, momentum=0.9, nesterov=True),
    "adagrad": lambda: AdaGrad(0.1),
    "rmsprop": lambda: RMSProp(0.01),
    "adam": lambda: Adam(0.01),
    "adamw": lambda: AdamW(0.01, weight_decay=0.1),
}


def random_problem(seed=3, n_steps=5):
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    grads_per_step = [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(n_steps)]
    return initial, grads_per_step


@pytest.mark.parametrize("case", list(ALL_OPTIMIZERS))
def test_state_dict_round_trip_continues_like_an_uninterrupted_run(case):
    initial, grads_per_step = random_problem()
    uninterrupted = run_steps(ALL_OPTIMIZERS[case](), initial, grads_per_step)[-1]

    first = ALL_OPTIMIZERS[case]()
    halfway = run_steps(first, initial, grads_per_step[:2])[-1]
    saved = {key: np.array(value) for key, value in first.state_dict().items()}
    assert int(saved["iterations"]) == 2

    resumed = ALL_OPTIMIZERS[case]()
    params = [param.copy() for param in halfway]
    resumed.bind(params)
    resumed.load_state_dict(saved)
    assert resumed.iterations == 2
    for grads in grads_per_step[2:]:
        resumed.step([grad.copy() for grad in grads])
    for actual, expected in zip(params, uninterrupted, strict=True):
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("case", list(ALL_OPTIMIZERS))
def test_config_round_trip_through_get(case):
    optimizer = ALL_OPTIMIZERS[case]()
    rebuilt = optimizers.get(optimizer.get_config())
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == optimizer.get_config()


def test_state_dict_slot_names():
    initial, _ = random_problem()
    expected_slots = {
        "sgd": set(),
        "momentum": {"velocity"},
        "nesterov": {"velocity"},
        "adagrad": {"squared_gradient_sum"},
        "rmsprop": {"mean_square"},
        "adam": {"first_moment", "second_moment"},
        "adamw": {"first_moment", "second_moment"},
    }
    for case, slots in expected_slots.items():
        optimizer = ALL_OPTIMIZERS[case]()
        optimizer.bind([param.copy() for param in initial])
        expected = {"iterations"} | {f"{slot}.{i}" for slot in slots for i in range(len(SHAPES))}
        assert set(optimizer.state_dict()) == expected, case


def test_load_state_dict_rejects_wrong_names_and_shapes():
    optimizer = Adam()
    optimizer.bind([np.zeros((2, 3)), np.zeros(3)])
    state = {key: np.array(value) for key, value in optimizer.state_dict().items()}

    wrong_name = dict(state)
    wrong_name["velocity.0"] = wrong_name.pop("first_moment.0")
    with pytest.raises(ValueError, match=r"optimizer state does not match adam: expected"):
        optimizer.load_state_dict(wrong_name)

    missing = dict(state)
    del missing["iterations"]
    with pytest.raises(ValueError, match=r"optimizer state does not match adam"):
        optimizer.load_state_dict(missing)

    wrong_shape = dict(state)
    wrong_shape["second_moment.1"] = np.zeros(4)
    with pytest.raises(
        ValueError, match=re.escape("second_moment.1 must have shape (3,), got (4,)")
    ):
        optimizer.load_state_dict(wrong_shape)


def test_load_state_dict_rejects_state_of_another_optimizer():
    params = [np.zeros((2, 3)), np.zeros(3)]
    momentum = SGD(0.1, momentum=0.9)
    momentum.bind(params)
    plain = SGD(0.1)
    plain.bind(params)
    with pytest.raises(ValueError, match="optimizer state does not match sgd"):
        plain.load_state_dict(momentum.state_dict())


@pytest.mark.parametrize("case", ["momentum", "adagrad", "rmsprop", "adam"])
def test_bind_keeps_state_for_the_same_arrays_and_resets_for_new_ones(case):
    initial, grads_per_step = random_problem()
    optimizer = ALL_OPTIMIZERS[case]()
    params = [param.copy() for param in initial]
    optimizer.bind(params)
    for grads in grads_per_step[:2]:
        optimizer.step([grad.copy() for grad in grads])
    state_before = {key: np.array(value) for key, value in optimizer.state_dict().items()}

    optimizer.bind(list(params))  # a new list, the same arrays
    assert optimizer.iterations == 2
    for key, value in optimizer.state_dict().items():
        np.testing.assert_array_equal(value, state_before[key])

    optimizer.bind([param.copy() for param in params])  # new arrays, same values
    assert optimizer.iterations == 0
    for key, value in optimizer.state_dict().items():
        if key != "iterations":
            assert not value.any(), key


@pytest.mark.parametrize("case", list(ALL_OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_has_the_dtype_of_the_params_and_updates_are_in_place(case, dtype):
    optimizer = ALL_OPTIMIZERS[case]()
    params = [np.ones((3, 2), dtype=dtype), np.ones(2, dtype=dtype)]
    optimizer.bind(params)
    optimizer.step([np.full_like(param, 0.5) for param in params])
    assert optimizer.params[0] is params[0] and optimizer.params[1] is params[1]
    assert all(param.dtype == dtype for param in params)
    assert all((param < 1).all() for param in params)
    for key, value in optimizer.state_dict().items():
        if key != "iterations":
            assert value.dtype == dtype, key


@pytest.mark.parametrize("case", list(ALL_OPTIMIZERS))
def test_a_step_allocates_no_parameter_sized_temporaries(case):
    optimizer = ALL_OPTIMIZERS[case]()
    params = [np.ones((500, 400)), np.ones(400)]  # the matrix is 1.6 MB
    optimizer.bind(params)
    optimizer.step([np.full_like(param, 0.5) for param in params])
    grads = [np.full_like(param, 0.5) for param in params]
    tracemalloc.start()
    try:
        optimizer.step(grads)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        temporary = params[0] * 2  # tracemalloc does see NumPy's arrays
        _, control_peak = tracemalloc.get_traced_memory()
        del temporary
    finally:
        tracemalloc.stop()
    assert control_peak >= params[0].nbytes
    assert peak < 16_384


def test_plain_sgd_keeps_no_state_arrays():
    optimizer = SGD(0.1)
    optimizer.bind([np.zeros((2, 3)), np.zeros(3)])
    assert optimizer.velocities == []
    assert set(optimizer.state_dict()) == {"iterations"}
    assert SGD(0.1, momentum=0.5).get_config() == {
        "name": "sgd",
        "learning_rate": 0.1,
        "momentum": 0.5,
        "nesterov": False,
    }


def test_adamw_never_decays_one_dimensional_params():
    # With zero gradients Adam's step is 0 / (0 + epsilon) = 0, so only the decay moves weights.
    optimizer = AdamW(0.1, weight_decay=0.5)
    weight, bias, kernel = np.ones((2, 2)), np.ones(3), np.ones((1, 2, 2))
    optimizer.bind([weight, bias, kernel])
    for _ in range(3):
        optimizer.step([np.zeros_like(weight), np.zeros_like(bias), np.zeros_like(kernel)])
    np.testing.assert_array_equal(bias, np.ones(3))
    np.testing.assert_allclose(weight, np.full((2, 2), 0.95**3), rtol=1e-15)
    np.testing.assert_allclose(kernel, np.full((1, 2, 2), 0.95**3), rtol=1e-15)


def test_step_with_the_wrong_number_of_grads_is_an_error():
    optimizer = Adam()
    optimizer.bind([np.zeros(2), np.zeros(3)])
    with pytest.raises(
        ValueError, match=re.escape("grads must hold one array per bound parameter (2), got 1")
    ):
        optimizer.step([np.zeros(2)])


# -- registry and validation ---------------------------------------------------------------------


def test_names_and_default_learning_rates():
    assert optimizers.NAMES == ("sgd", "adagrad", "rmsprop", "adam", "adamw")
    defaults = {"sgd": 0.01, "adagrad": 0.01, "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001}
    for name, learning_rate in defaults.items():
        assert optimizers.get(name).learning_rate == learning_rate
    assert optimizers.get("adam", learning_rate=0.5).learning_rate == 0.5


def test_get_builds_momentum_sgd_from_a_config():
    optimizer = optimizers.get({"name": "sgd", "momentum": 0.9, "nesterov": True})
    assert isinstance(optimizer, SGD)
    assert (optimizer.momentum, optimizer.nesterov) == (0.9, True)
    instance = AdamW()
    assert optimizers.get(instance) is instance


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: SGD(learning_rate=0),
            ValueError,
            "learning_rate must be a positive number, got 0",
        ),
        (lambda: SGD(momentum=1.0), ValueError, "momentum must be a number in [0, 1), got 1.0"),
        (lambda: SGD(momentum=-0.1), ValueError, "momentum must be a number in [0, 1), got -0.1"),
        (
            lambda: SGD(momentum=0.9, nesterov="yes"),
            ValueError,
            "nesterov must be True or False, got 'yes'",
        ),
        (
            lambda: SGD(nesterov=True),
            ValueError,
            "nesterov=True needs momentum > 0, got momentum=0.0",
        ),
        (lambda: AdaGrad(epsilon=0), ValueError, "epsilon must be a positive number, got 0"),
        (lambda: RMSProp(rho=1), ValueError, "rho must be a number in [0, 1), got 1"),
        (lambda: RMSProp(epsilon=-1e-8), ValueError, "epsilon must be a positive number"),
        (lambda: Adam(beta1=1.0), ValueError, "beta1 must be a number in [0, 1), got 1.0"),
        (lambda: Adam(beta2=-0.5), ValueError, "beta2 must be a number in [0, 1), got -0.5"),
        (lambda: Adam(beta2="0.9"), ValueError, "beta2 must be a number in [0, 1), got '0.9'"),
        (
            lambda: Adam(epsilon=float("nan")),
            ValueError,
            "epsilon must be a positive number, got nan",
        ),
        (lambda: AdamW(beta1=2), ValueError, "beta1 must be a number in [0, 1), got 2"),
        (
            lambda: AdamW(weight_decay=-0.01),
            ValueError,
            "weight_decay must be a non-negative number, got -0.01",
        ),
        (
            lambda: optimizers.get("lbfgs"),
            ValueError,
            "unknown optimizer 'lbfgs'; choose one of: sgd, adagrad, rmsprop, adam, adamw",
        ),
        (
            lambda: optimizers.get({"name": "adam", "momentum": 0.9}),
            ValueError,
            "invalid parameters for optimizer 'adam': {'momentum': 0.9}",
        ),
        (
            lambda: optimizers.get(3),
            TypeError,
            "optimizer must be a name, a config dict or an instance of Optimizer, got 3",
        ),
        (
            lambda: optimizers.get(Adam(), learning_rate=0.1),
            ValueError,
            "learning_rate must be given to the optimizer object itself",
        ),
    ],
)
def test_validation_messages(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


# -- clip_by_global_norm -------------------------------------------------------------------------


def test_clip_by_global_norm_scales_to_max_norm():
    # The global norm of [3, 0] and [[4]] is sqrt(9 + 0 + 16) = 5; with max_norm = 1 every
    # gradient is multiplied by 1/5: [0.6, 0] and [[0.8]].
    grads = [np.array([3.0, 0.0]), np.array([[4.0]])]
    assert clip_by_global_norm(grads, 1.0) == 5.0
    np.testing.assert_allclose(grads[0], [0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(grads[1], [[0.8]], rtol=1e-15)

    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(shape) for shape in SHAPES]
    before = np.sqrt(sum((grad**2).sum() for grad in grads))
    assert clip_by_global_norm(grads, 0.5) == pytest.approx(before, rel=1e-12)
    assert np.sqrt(sum((grad**2).sum() for grad in grads)) == pytest.approx(0.5, rel=1e-12)


def test_clip_by_global_norm_leaves_small_gradients_untouched():
    grads = [np.array([3.0, 0.0], dtype=np.float32), np.array([[4.0]], dtype=np.float32)]
    assert clip_by_global_norm(grads, 10) == pytest.approx(5.0)
    assert clip_by_global_norm(grads, 5.0) == pytest.approx(5.0)
    np.testing.assert_array_equal(grads[0], np.array([3.0, 0.0], dtype=np.float32))
    np.testing.assert_array_equal(grads[1], np.array([[4.0]], dtype=np.float32))
    assert grads[0].dtype == np.float32
    assert clip_by_global_norm([], 1.0) == 0.0


@pytest.mark.parametrize(
    ("grads", "max_norm", "error", "message"),
    [
        ([np.ones(2)], 0, ValueError, "max_norm must be a positive number, got 0"),
        ([np.ones(2)], -1.0, ValueError, "max_norm must be a positive number, got -1.0"),
        ([[1.0, 2.0]], 1.0, TypeError, "grads[0] must be a floating-point NumPy array"),
        ([np.ones(2), np.ones(2, dtype=int)], 1.0, TypeError, "grads[1] must be a floating-point"),
        (
            [np.array([1.0, np.inf])],
            1.0,
            ValueError,
            "grads must be finite to clip them, got a global norm of inf",
        ),
    ],
)
def test_clip_by_global_norm_validation(grads, max_norm, error, message):
    with pytest.raises(error, match=re.escape(message)):
        clip_by_global_norm(grads, max_norm)
