"""Activations: values, derivatives against finite differences, stability, lookup."""

import warnings

import numpy as np
import pytest

from glassnet import activations

ELEMENTWISE = [name for name in activations.NAMES if name != "softmax"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name):
    activation = activations.get(name)
    z = np.linspace(-5, 5, 101) + 0.013  # avoid the ReLU kink at exactly 0
    h = 1e-6
    numeric = (activation(z + h) - activation(z - h)) / (2 * h)
    np.testing.assert_allclose(activation.derivative(z, activation(z)), numeric, atol=1e-8)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_is_grad_times_derivative(name):
    activation = activations.get(name)
    rng = np.random.default_rng(0)
    z, grad = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    a = activation(z)
    expected = grad * activation.derivative(z, a)
    np.testing.assert_allclose(activation.backward(grad, z, a), expected)
    in_place = grad.copy()
    activation.backward(in_place, z, a, out=in_place)
    np.testing.assert_allclose(in_place, expected)


def test_softmax_backward_is_the_jacobian_vector_product():
    rng = np.random.default_rng(1)
    z, grad = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    a = activations.softmax(z)
    for row in range(3):
        jacobian = np.diag(a[row]) - np.outer(a[row], a[row])
        np.testing.assert_allclose(
            activations.softmax.backward(grad, z, a)[row], jacobian @ grad[row], atol=1e-14
        )
    with pytest.raises(TypeError, match="Jacobian"):
        activations.softmax.derivative(z, a)


def test_known_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(activations.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_array_equal(activations.relu(z), [0, 0, 3])
    np.testing.assert_allclose(activations.leaky_relu(z), [-0.02, 0, 3])
    np.testing.assert_allclose(activations.softplus(z), np.log1p(np.exp(z)), rtol=1e-12)
    np.testing.assert_array_equal(activations.identity(z), z)
    probabilities = activations.softmax(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(probabilities, [np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", activations.NAMES)
def test_extreme_inputs_are_finite_without_warnings(name, dtype):
    activation = activations.get(name)
    z = np.array([[-1000, -50, 0, 50, 1000]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = activation.forward(z)
        delta = activation.backward(np.ones_like(z), z, a)
    assert a.dtype == dtype and delta.dtype == dtype
    assert np.isfinite(a).all() and np.isfinite(delta).all()


def test_sigmoid_saturates_to_exact_limits():
    a = activations.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(a, [0.0, 1.0])


def test_lookup_by_name_dict_and_object():
    assert isinstance(activations.get("tanh"), activations.Tanh)
    custom = activations.LeakyReLU(alpha=0.2)
    assert activations.get(custom) is custom
    rebuilt = activations.get(custom.get_config())
    assert isinstance(rebuilt, activations.LeakyReLU) and rebuilt.alpha == 0.2


def test_lookup_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'; choose one of: sigmoid"):
        activations.get("sigmod")
    with pytest.raises(TypeError, match="activation must be a name"):
        activations.get(3)
    with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 1\), got 2"):
        activations.LeakyReLU(alpha=2)
    with pytest.raises(ValueError, match="invalid parameters for activation 'relu'"):
        activations.get({"name": "relu", "alpha": 0.1})
