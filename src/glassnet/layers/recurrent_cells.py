"""The recurrent cells on ``glassnet.layers.recurrent.Recurrent``: SimpleRNN, LSTM and GRU.

Each cell names its gates and state and writes its two loops, the steps forward and the steps
backward through time; the parameters, the input projection, masks, truncated BPTT, the state
between calls and the weight gradients after the loop are ``Recurrent``'s (see that module for
the layout and the options).
"""

from __future__ import annotations

import numpy as np

from glassnet import activations
from glassnet.layers.recurrent import Recurrent
from glassnet.ops import gate_activations


class SimpleRNN(Recurrent):
    """The plain recurrent layer: one layer of the tutorial applied at every step, fed its own
    previous output.

    Forward, for t = 1..T::

        z_t = Wx x_t + bx + Wh h_(t-1) + bh
        h_t = f(z_t)                                  (f = tanh by default)

    Backward, from ``dJ/dh_T`` back to step 1, with ``(dJ/dy)_t`` what the layers above send
    to step t (only the last step for a many-to-one layer)::

        dJ/dh_t = (dJ/dy)_t + Wh^T delta_(t+1)
        delta_t = dJ/dz_t = dJ/dh_t * f'(z_t)
        dJ/dWh = sum_t delta_t h_(t-1)^T   dJ/dWx = sum_t delta_t x_t^T   dJ/db = sum_t delta_t

    ``torch.nn.RNN(n_in, n_hidden, batch_first=True)``'s ``weight_ih_l0, weight_hh_l0,
    bias_ih_l0, bias_hh_l0`` are ``Wx, Wh, bx, bh``. See ``Recurrent`` for the options.
    """

    gates = ("h",)

    def __init__(self, n_in: int, n_hidden: int, activation="tanh", **options):
        super().__init__(n_in, n_hidden, **options)
        self.activation = activations.get(activation)
        if not self.activation.elementwise:
            raise ValueError(f"activation must be element-wise, got {self.activation.name!r}")

    def _steps_forward(self, gates, pad):
        h, f, z = self.h, self.activation, gates[0]
        recurrent = self.recurrent_weights[0]
        product = self._buffer("product", h.shape[1:])
        for t in range(len(z)):
            z[t] += self._recurrent_product(t, recurrent, product)  # z_t
            f.forward(z[t], out=h[t + 1])
            if pad is not None:
                np.copyto(h[t + 1], h[t], where=pad[t])

    def _steps_backward(self, grad_output, pad):
        h, f, z = self.h, self.activation, self._gates[0]
        recurrent = self._row_major_blocks("Wh")[0]
        delta = self._gate_steps("delta")
        grad_h, above = self._state_grads(grad_output)
        for t in range(len(z) - 1, -1, -1):
            dh = grad_h[t + 1]  # dJ/dh_t, once what the output above sends is added
            if above is not None:
                dh += above[t]
            f.backward(dh, z[t], h[t + 1], out=delta[0, t])
            if pad is not None:
                np.copyto(delta[0, t], 0, where=pad[t])
            np.matmul(delta[0, t], recurrent, out=grad_h[t])
            if pad is not None:  # a padded step passes dJ/dh_t on to h_(t-1) unchanged
                np.copyto(grad_h[t], dh, where=pad[t])
            self._cut(t, grad_h)
        return delta, delta

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation.get_config()
        return config


class LSTM(Recurrent):
    """Long short-term memory: a cell state ``c_t`` that gates write to, forget and read.

    Forward, for t = 1..T, the four gates' net inputs in PyTorch's order i, f, g, o::

        z_t = Wx x_t + bx + Wh h_(t-1) + bh = [z_i; z_f; z_g; z_o]      (4 n_hidden,)
        i_t = sigmoid(z_i)   f_t = sigmoid(z_f)   g_t = tanh(z_g)   o_t = sigmoid(z_o)
        c_t = f_t * c_(t-1) + i_t * g_t
        h_t = o_t * tanh(c_t)

    Backward, from the last step to the first, with ``(dJ/dy)_t`` from the layers above::

        dJ/dh_t = (dJ/dy)_t + Wh^T delta_(t+1)
        dJ/dc_t = dJ/dh_t * o_t * (1 - tanh(c_t)^2) + dJ/dc_(t+1) * f_(t+1)
        delta_t = [dJ/dc_t * g_t * i_t (1 - i_t);       dJ/dc_t * c_(t-1) * f_t (1 - f_t);
                   dJ/dc_t * i_t * (1 - g_t^2);         dJ/dh_t * tanh(c_t) * o_t (1 - o_t)]
        dJ/dWh = sum_t delta_t h_(t-1)^T   dJ/dWx = sum_t delta_t x_t^T   dJ/db = sum_t delta_t

    The state is ``(h, c)``. ``torch.nn.LSTM(n_in, n_hidden, batch_first=True)``'s
    ``weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0`` are ``Wx, Wh, bx, bh``. See
    ``Recurrent`` for the options.
    """

    gates = ("i", "f", "g", "o")
    sigmoid_gates = ("i", "f", "o")
    state_names = ("h", "c")

    def _allocate_states(self, n_steps, n_samples, training):
        super()._allocate_states(n_steps, n_samples, training)
        self.c = self._array("c", (n_steps + 1, n_samples, self.n_hidden))
        self.tanh_c = self._array("tanh_c", (n_steps, n_samples, self.n_hidden))

    def _state_arrays(self):
        return (self.h, self.c)

    def _state_grads_arrays(self):
        return (self.grad_h, self.grad_c)

    @property
    def cell_states(self) -> np.ndarray:
        """``(n_samples, T + 1, n_hidden)``: ``c_0, c_1, ..., c_T`` of the last forward."""
        return self.c[: self._n_steps + 1].transpose(1, 0, 2)

    @property
    def cell_grads(self) -> np.ndarray:
        """``(n_samples, T + 1, n_hidden)``: ``dJ/dc_t`` for t = 0..T, from the last backward."""
        return self.grad_c.transpose(1, 0, 2)

    def _steps_forward(self, gates, pad):
        h, c, tanh_c = self.h, self.c, self.tanh_c
        i, f, g, o = gates
        recurrent = self.recurrent_weights
        product = self._array("product", (4, *h.shape[1:]))
        written = self._buffer("written", h.shape[1:])
        scale, shift = self._activation_coefficients()
        for t in range(len(i)):
            a = gates[:, t]  # holds s * (Wx x_t + bx + bh), s = 1/2 but on g; becomes i, f, g, o
            a += self._recurrent_product(t, recurrent, product)
            gate_activations(a, scale, shift)
            np.multiply(f[t], c[t], out=c[t + 1])
            c[t + 1] += np.multiply(i[t], g[t], out=written)
            np.tanh(c[t + 1], out=tanh_c[t])
            np.multiply(o[t], tanh_c[t], out=h[t + 1])
            if pad is not None:
                np.copyto(h[t + 1], h[t], where=pad[t])
                np.copyto(c[t + 1], c[t], where=pad[t])

    def _steps_backward(self, grad_output, pad):
        h, c, tanh_c, gates = self.h, self.c, self.tanh_c, self._gates
        i, f, g, o = gates
        recurrent_grad = self._recurrent_grad(h.shape[1])
        delta = self._gate_steps("delta")
        d_i, d_f, d_g, d_o = delta
        grad_h, above = self._state_grads(grad_output)
        grad_c = self._array("grad_c", h.shape)
        grad_c[-1] = 0
        self.grad_c = grad_c
        slope = self._array("slope", gates[:, 0].shape)
        work = self._buffer("work", h.shape[1:])
        # slope = a (offset - a) + bump: i(1 - i), f(1 - f), 1 - g^2, o(1 - o)
        offset = np.array([1, 1, 0, 1], dtype=self.dtype).reshape(4, 1, 1)
        for t in range(len(i) - 1, -1, -1):
            dh, dc = grad_h[t + 1], grad_c[t + 1]  # dJ/dh_t, dJ/dc_t once completed here
            if above is not None:
                dh += above[t]
            np.subtract(offset, gates[:, t], out=slope)
            slope *= gates[:, t]
            slope[2] += 1
            # dJ/dc_t = dJ/dh_t o_t (1 - tanh(c_t)^2) + dJ/dc_(t+1) f_(t+1), and since
            # h_t = o_t tanh(c_t): o_t (1 - tanh(c_t)^2) = o_t - h_t tanh(c_t)
            np.multiply(h[t + 1], tanh_c[t], out=work)
            np.subtract(o[t], work, out=work)
            work *= dh
            if pad is not None:  # a padded step's h_t is not made from its c_t
                np.copyto(work, 0, where=pad[t])
            dc += work
            np.multiply(dc, g[t], out=d_i[t])
            np.multiply(dc, c[t], out=d_f[t])
            np.multiply(dc, i[t], out=d_g[t])
            np.multiply(dh, tanh_c[t], out=d_o[t])
            delta[:, t] *= slope
            np.multiply(dc, f[t], out=grad_c[t])
            if pad is not None:  # a padded step passes dJ/dh_t and dJ/dc_t on unchanged
                np.copyto(delta[:, t], 0, where=pad[t])
                np.copyto(grad_c[t], dc, where=pad[t])
            recurrent_grad(delta[:, t], out=grad_h[t])
            if pad is not None:
                np.copyto(grad_h[t], dh, where=pad[t])
            self._cut(t, grad_h, grad_c)
        return delta, delta


class GRU(Recurrent):
    """Gated recurrent unit, as PyTorch computes it (gates r, z, n).

    Forward, for t = 1..T, with ``Wx = [Wx_r; Wx_z; Wx_n]`` and likewise ``Wh``, ``bx``, ``bh``
    (here ``z_t`` is the update gate, not a net input)::

        r_t = sigmoid(Wx_r x_t + bx_r + Wh_r h_(t-1) + bh_r)            reset gate
        z_t = sigmoid(Wx_z x_t + bx_z + Wh_z h_(t-1) + bh_z)            update gate
        m_t = Wh_n h_(t-1) + bh_n                                        (bh_n inside r_t * ...)
        n_t = tanh(Wx_n x_t + bx_n + r_t * m_t)                          candidate
        h_t = (1 - z_t) * n_t + z_t * h_(t-1)

    Backward, with ``(dJ/dy)_t`` from the layers above and ``delta_t`` the residual of the
    input-side net inputs, ``delta'_t`` that of the recurrent side::

        dJ/dh_t = (dJ/dy)_t + Wh^T delta'_(t+1) + dJ/dh_(t+1) * z_(t+1)
        d_n = dJ/dh_t * (1 - z_t) * (1 - n_t^2)
        d_z = dJ/dh_t * (h_(t-1) - n_t) * z_t (1 - z_t)
        d_r = d_n * m_t * r_t (1 - r_t)
        delta_t = [d_r; d_z; d_n]             delta'_t = [d_r; d_z; d_n * r_t]
        dJ/dWx = sum_t delta_t x_t^T     dJ/dbx = sum_t delta_t
        dJ/dWh = sum_t delta'_t h_(t-1)^T     dJ/dbh = sum_t delta'_t

    ``torch.nn.GRU(n_in, n_hidden, batch_first=True)``'s ``weight_ih_l0, weight_hh_l0,
    bias_ih_l0, bias_hh_l0`` are ``Wx, Wh, bx, bh``. See ``Recurrent`` for the options.
    """

    gates = ("r", "z", "n")
    sigmoid_gates = ("r", "z")

    def _input_bias(self):
        bias = self.params["bx"].copy()
        bias[: 2 * self.n_hidden] += self.params["bh"][: 2 * self.n_hidden]
        return bias

    def _allocate_states(self, n_steps, n_samples, training):
        super()._allocate_states(n_steps, n_samples, training)
        self.m = self._array("m", (n_steps, n_samples, self.n_hidden))

    def _steps_forward(self, gates, pad):
        h, m = self.h, self.m
        r, z, n = gates
        recurrent = self.recurrent_weights
        bias_n = self.params["bh"][2 * self.n_hidden :]
        product = self._array("product", (3, *h.shape[1:]))
        work = self._buffer("work", h.shape[1:])
        scale, shift = (part[:2] for part in self._activation_coefficients())
        for t in range(len(r)):
            # gates hold the input side, r and z halved; they become r_t, z_t, n_t
            self._recurrent_product(t, recurrent, product)
            gates[:2, t] += product[:2]
            gate_activations(gates[:2, t], scale, shift)
            np.add(product[2], bias_n, out=m[t])
            n[t] += np.multiply(r[t], m[t], out=work)
            np.tanh(n[t], out=n[t])
            # h_t = n_t + z_t (h_(t-1) - n_t)
            np.subtract(h[t], n[t], out=work)
            work *= z[t]
            np.add(n[t], work, out=h[t + 1])
            if pad is not None:
                np.copyto(h[t + 1], h[t], where=pad[t])

    def _steps_backward(self, grad_output, pad):
        h, m, gates = self.h, self.m, self._gates
        r, z, n = gates
        recurrent_grad = self._recurrent_grad(h.shape[1])
        delta = self._gate_steps("delta")
        delta_h = self._gate_steps("delta_h")
        d_r, d_z, d_n = delta
        grad_h, above = self._state_grads(grad_output)
        direct = self._buffer("direct", h.shape[1:])
        work = self._buffer("work", h.shape[1:])
        for t in range(len(r) - 1, -1, -1):
            dh = grad_h[t + 1]  # dJ/dh_t, once what the output above sends is added
            if above is not None:
                dh += above[t]
            # d_n = dJ/dh_t (1 - z_t)(1 - n_t^2)
            np.multiply(n[t], n[t], out=work)
            np.subtract(1, work, out=work)
            np.subtract(dh, np.multiply(dh, z[t], out=direct), out=d_n[t])
            d_n[t] *= work
            # d_z = dJ/dh_t (h_(t-1) - n_t) z_t (1 - z_t)
            np.subtract(h[t], n[t], out=d_z[t])
            d_z[t] *= dh
            np.subtract(1, z[t], out=work)
            work *= z[t]
            d_z[t] *= work
            # d_r = d_n m_t r_t (1 - r_t)
            np.subtract(1, r[t], out=work)
            work *= r[t]
            np.multiply(d_n[t], m[t], out=d_r[t])
            d_r[t] *= work
            if pad is not None:  # a padded step passes dJ/dh_t on to h_(t-1) unchanged
                np.copyto(delta[:, t], 0, where=pad[t])
                np.copyto(direct, dh, where=pad[t])
            delta_h[:2, t] = delta[:2, t]
            np.multiply(d_n[t], r[t], out=delta_h[2, t])
            recurrent_grad(delta_h[:, t], out=grad_h[t])
            grad_h[t] += direct
            self._cut(t, grad_h)
        return delta, delta_h
