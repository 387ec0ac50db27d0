"""Recurrent layers: SimpleRNN, LSTM and GRU, trained by backpropagation through time.

A recurrent layer reads a batch of sequences ``x (n_samples, T, n_in)`` (batch first) one step
at a time and carries a state ``h_t (n_hidden,)`` per sample from step to step. Every cell has
the same four parameters, in the tutorial's orientation (a row per unit) and in PyTorch's gate
order, so that the weights of ``torch.nn.RNN / LSTM / GRU`` copy across one to one::

    Wx (gates * n_hidden, n_in)       Wh (gates * n_hidden, n_hidden)
    bx (gates * n_hidden,)            bh (gates * n_hidden,)

and each step starts from the net input of all its gates ``z_t = Wx x_t + bx + Wh h_(t-1) + bh``
(GRU keeps ``bh``'s candidate part inside the reset gate, as PyTorch does).

Forward: the inputs of every step are projected with ONE product ``X Wx^T`` before the loop;
each step then costs one product ``h_(t-1) Wh^T`` and a few element-wise calls written into
reused arrays. Backward walks the steps in reverse, one product ``delta_t Wh`` per step, and
stacks the step residuals ``delta_t`` so that the weight gradients are single products after
the loop::

    dJ/dWh = sum_t delta_t h_(t-1)^T     dJ/dWx = sum_t delta_t x_t^T
    dJ/dbh = dJ/dbx = sum_t delta_t      dJ/dx_t = Wx^T delta_t

Inside the layer, steps are stored time-major, ``(T, n_samples, width)``, so that each step is
one contiguous block.

Options shared by all three (see ``docs/recurrent.md``):

* ``return_sequences``: output every ``h_t`` ``(n_samples, T, n_hidden)`` (many-to-many; put a
  ``Dense`` after it to score every step) or only the last one ``(n_samples, n_hidden)``.
* ``mask_value``: a step whose input features all equal it is padding. A padded step leaves
  the state as it was (``h_t = h_(t-1)``, ``c_t = c_(t-1)``) and receives no gradient, so a
  padded batch gives the same outputs and gradients as its sequences one by one. With
  ``Embedding(..., padding_id=0)`` before the layer, padded tokens arrive as zero vectors:
  use ``mask_value=0.0``. The loss of a many-to-many network skips padded positions through a
  per-position ``sample_weight (n_samples, T)`` of zeros there.
* ``initial_state``: the state ``h_0`` (and ``c_0``) the next forward starts from, None for
  zeros; ``final_state`` is where the last forward ended, ``initial_state_grad`` the gradient
  of the loss with respect to ``initial_state`` after backward.
* ``bptt``: truncated backpropagation through time. The forward pass runs over the whole
  sequence; the backward pass cuts the sequence into windows of ``bptt`` steps and lets no
  gradient cross from a window into the one before (the state does cross), which bounds the
  length of every chain of products by ``Wh`` for long text.
* ``stateful``: in training, each batch starts from the state where the previous training
  batch ended (sample i continues sample i), with no gradient across batches: truncated BPTT
  over a long text cut into consecutive batches (train with ``shuffle=False``).
  ``reset_states()`` starts again from zeros; inference passes neither use nor change it.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet import activations, initializers
from glassnet._checks import numeric_array, positive_int
from glassnet.layers.base import Layer
from glassnet.ops import column_sums, gate_activations, time_major


class Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: parameters, the input projection, the state, masks,
    the weight gradients after the loop. Subclasses write their step loops (``_steps_forward``,
    ``_steps_backward``) and name their gates."""

    gates: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ("h",)
    decay_keys = ("Wx", "Wh")

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        *,
        return_sequences: bool = False,
        mask_value: float | None = None,
        bptt: int | None = None,
        stateful: bool = False,
        weight_init="glorot_uniform",
        recurrent_init="orthogonal",
        bias_init="zeros",
    ):
        super().__init__()
        self.n_in = positive_int(n_in, "n_in")
        self.n_hidden = positive_int(n_hidden, "n_hidden")
        self.return_sequences = _flag(return_sequences, "return_sequences")
        self.stateful = _flag(stateful, "stateful")
        if mask_value is not None and (
            isinstance(mask_value, bool)
            or not isinstance(mask_value, numbers.Real)
            or not np.isfinite(mask_value)
        ):
            raise ValueError(f"mask_value must be a finite number or None, got {mask_value!r}")
        self.mask_value = None if mask_value is None else float(mask_value)
        self.bptt = None if bptt is None else positive_int(bptt, "bptt")
        self.weight_init = initializers.get(weight_init)
        self.recurrent_init = initializers.get(recurrent_init)
        self.bias_init = initializers.get(bias_init)
        self._initial_state: tuple[np.ndarray, ...] | None = None
        self._carried: tuple[np.ndarray, ...] | None = None
        self.initial_state_grad: tuple[np.ndarray, ...] | None = None
        self.padded = None  # (n_samples, T) bool, True at padded steps, after forward
        self._n_steps = 0

    @property
    def n_out(self) -> int:
        """Features of each output step: the state size."""
        return self.n_hidden

    @property
    def width(self) -> int:
        """Rows of Wx and Wh: the gates' net inputs side by side."""
        return len(self.gates) * self.n_hidden

    # -- shapes and parameters -----------------------------------------------------------------

    def describe(self, input_shape):
        if len(input_shape) != 2 or input_shape[1] != self.n_in:
            raise ValueError(
                f"{type(self).__name__} expects sequences of shape (time, {self.n_in}), but "
                f"receives samples of shape {input_shape}"
            )
        output_shape = (
            (input_shape[0], self.n_hidden) if self.return_sequences else (self.n_hidden,)
        )
        width = self.width
        return output_shape, {
            "Wx": (width, self.n_in),
            "Wh": (width, self.n_hidden),
            "bx": (width,),
            "bh": (width,),
        }

    def _init_params(self, param_shapes, rng):
        # Each gate is a layer of its own: its block of Wx and Wh is drawn alone (Glorot for
        # (n_hidden, n_in), an orthogonal (n_hidden, n_hidden) matrix), as users expect.
        blocks = range(len(self.gates))
        hidden = self.n_hidden
        wx = [self.weight_init((hidden, self.n_in), rng, self.dtype) for _ in blocks]
        wh = [self.recurrent_init((hidden, hidden), rng, self.dtype) for _ in blocks]
        self._add_param("Wx", np.concatenate(wx))
        self._add_param("Wh", np.concatenate(wh))
        self._add_param("bx", self.bias_init(param_shapes["bx"], rng, self.dtype))
        self._add_param("bh", self.bias_init(param_shapes["bh"], rng, self.dtype))

    # -- the state between calls ---------------------------------------------------------------

    @property
    def initial_state(self) -> tuple[np.ndarray, ...] | None:
        """The state the next forward starts from, one ``(n_samples, n_hidden)`` array per name
        in ``state_names`` (``h``; LSTM: ``h, c``), or None for zeros."""
        return self._initial_state

    @initial_state.setter
    def initial_state(self, state) -> None:
        if state is None:
            self._initial_state = None
            return
        if isinstance(state, np.ndarray) or not isinstance(state, (tuple, list)):
            state = (state,)
        names = self.state_names
        if len(state) != len(names):
            raise ValueError(
                f"initial_state must hold {len(names)} arrays ({', '.join(names)}), "
                f"got {len(state)}"
            )
        arrays = []
        for name, value in zip(names, state, strict=True):
            array = numeric_array(value, f"initial_state {name}", ndim=2)
            if array.shape[1] != self.n_hidden or array.shape != np.shape(state[0]):
                raise ValueError(
                    f"initial_state {name} must have shape (n_samples, {self.n_hidden}), "
                    f"got {array.shape}"
                )
            arrays.append(np.array(array, dtype=self.dtype or np.float64))
        self._initial_state = tuple(arrays)

    @property
    def final_state(self) -> tuple[np.ndarray, ...]:
        """Copies of the state after the last step of the last forward (``h_T``, ``c_T``)."""
        if not self._n_steps:
            raise ValueError(f"{type(self).__name__} has no final state before a forward pass")
        return tuple(states[self._n_steps].copy() for states in self._state_arrays())

    def reset_states(self) -> None:
        """Forget the state a stateful layer carries from batch to batch."""
        self._carried = None

    def _start_state(self, n_samples: int, training: bool) -> tuple[np.ndarray, ...] | None:
        """The state this forward starts from, checked against the batch, or None (zeros)."""
        state = self._carried if self.stateful and training else None
        if state is None:
            state = self._initial_state
        if state is not None and len(state[0]) != n_samples:
            what = "the carried state" if state is self._carried else "initial_state"
            raise ValueError(
                f"{type(self).__name__}: {what} has {len(state[0])} samples, the batch has "
                f"{n_samples}; a stateful layer needs the same batch size every batch"
            )
        return state

    # -- forward -------------------------------------------------------------------------------

    def forward(self, x, training=False):
        n_samples, n_steps, _ = x.shape
        width = self.width
        self._n_steps = n_steps
        # 1. every step's input in time-major order, projected with one product
        self.x_steps = time_major(x, self._steps("x", n_steps, n_samples, self.n_in))
        gates = self._steps("gates", n_steps, n_samples, width)
        flat = gates.reshape(-1, width)
        np.matmul(self.x_steps.reshape(-1, self.n_in), self.params["Wx"].T, out=flat)
        flat += self._input_bias()
        # 2. padded steps and the first state
        self.padded = self._padding(x)
        pad = None if self.padded is None else time_major(self.padded[..., None])
        self._pad = pad  # (T, n_samples, 1): where a step is padding
        self._allocate_states(n_steps, n_samples, training)
        start = self._start_state(n_samples, training)
        for index, states in enumerate(self._state_arrays()):
            states[0] = 0 if start is None else start[index]
        # 3. the steps
        self._steps_forward(gates, pad)
        if self.stateful and training:
            self._carried = tuple(states[n_steps].copy() for states in self._state_arrays())
        h = self.h
        if self.return_sequences:
            return h[1:].transpose(1, 0, 2)
        return h[n_steps] if training else h[n_steps].copy()

    def _input_bias(self) -> np.ndarray:
        """The bias added to the projected inputs: ``bx + bh`` (GRU: less bh's candidate part)."""
        return self.params["bx"] + self.params["bh"]

    def _padding(self, x) -> np.ndarray | None:
        """``(n_samples, T)``: True where every input feature equals ``mask_value``; None when
        nothing is padded."""
        if self.mask_value is None:
            return None
        padded = np.logical_and.reduce(x == self.mask_value, axis=-1)
        return padded if padded.any() else None

    def _allocate_states(self, n_steps, n_samples, training) -> None:
        """The time-major state arrays ``(T + 1, n_samples, n_hidden)``: step 0 holds the
        initial state. In inference they are new arrays, since the output is a view of ``h``."""
        size = (n_steps + 1) * n_samples * self.n_hidden
        shape = (n_steps + 1, n_samples, self.n_hidden)
        self.h = self._output("h", (size,), training).reshape(shape)

    def _state_arrays(self) -> tuple[np.ndarray, ...]:
        """The state arrays, one per name in ``state_names``."""
        return (self.h,)

    def _state_grads_arrays(self) -> tuple[np.ndarray, ...]:
        """Their gradients from the last backward, ``dJ/dh_t`` (and ``dJ/dc_t``)."""
        return (self.grad_h,)

    def _steps(self, name: str, n_steps: int, n_samples: int, width: int) -> np.ndarray:
        """A reused time-major array ``(T, n_samples, width)`` (one flat buffer, so that any
        mix of batch sizes and lengths reuses it)."""
        return self._buffer(name, (n_steps * n_samples * width,)).reshape(n_steps, n_samples, width)

    # -- backward ------------------------------------------------------------------------------

    def backward(self, grad_output, need_input_grad=True):
        n_steps, n_samples = self._n_steps, self.h.shape[1]
        width = self.width
        # 1. the step residuals delta_t, walking back through time
        delta_x, delta_h = self._steps_backward(grad_output, self._pad)
        self.initial_state_grad = tuple(grad[0].copy() for grad in self._state_grads_arrays())
        # 2. the weight gradients: one product each over all steps
        flat_x, flat_h = delta_x.reshape(-1, width), delta_h.reshape(-1, width)
        previous = self.h[:n_steps].reshape(-1, self.n_hidden)
        np.matmul(self.x_steps.reshape(-1, self.n_in).T, flat_x, out=self.grads["Wx"].T)
        np.matmul(previous.T, flat_h, out=self.grads["Wh"].T)
        column_sums(flat_x, out=self.grads["bx"])
        if delta_h is delta_x:
            np.copyto(self.grads["bh"], self.grads["bx"])
        else:
            column_sums(flat_h, out=self.grads["bh"])
        if not need_input_grad:
            return None
        dx = self._steps("dx", n_steps, n_samples, self.n_in)
        np.matmul(flat_x, self.params["Wx"], out=dx.reshape(-1, self.n_in))
        return dx.transpose(1, 0, 2)

    def _state_grads(self, n_steps: int, n_samples: int) -> np.ndarray:
        """``grad_h (T + 1, n_samples, n_hidden)``: ``grad_h[t] = dJ/dh_t``. Step t writes the
        part of ``dJ/dh_(t-1)`` that flows through it; ``grad_h[0]`` ends as dJ/d(initial h)."""
        grad_h = self._steps("grad_h", n_steps + 1, n_samples, self.n_hidden)
        grad_h[n_steps] = 0
        self.grad_h = grad_h
        return grad_h

    def _add_output_grad(self, dh, grad_output, step: int) -> np.ndarray:
        """Add to ``dh`` what the layers above send to output ``step``: the step's slice of a
        sequence output, or the whole gradient at the last step of a many-to-one layer."""
        if self.return_sequences:
            dh += grad_output[:, step]
        elif step == self._n_steps - 1:
            dh += grad_output
        return dh

    def _cut(self, step: int, *grads) -> None:
        """Truncated BPTT: at the first step of a window of ``bptt`` steps, no gradient flows
        back into the previous window."""
        if step > 0 and self.bptt is not None and step % self.bptt == 0:
            for grad in grads:
                grad[step] = 0

    # -- what explain and plots read -----------------------------------------------------------

    @property
    def hidden_states(self) -> np.ndarray:
        """``(n_samples, T + 1, n_hidden)``: ``h_0, h_1, ..., h_T`` of the last forward."""
        return self.h[: self._n_steps + 1].transpose(1, 0, 2)

    @property
    def deltas(self) -> np.ndarray:
        """``(n_samples, T, width)``: each step's residual ``delta_t = dJ/dz_t`` (the gates'
        net inputs on the input side) from the last backward."""
        return self._delta_x.transpose(1, 0, 2)

    @property
    def recurrent_deltas(self) -> np.ndarray:
        """``(n_samples, T, width)``: the residual that meets ``Wh`` and ``bh``: ``deltas``
        itself, except for GRU's candidate part, which passes through the reset gate."""
        return self._delta_h.transpose(1, 0, 2)

    def get_config(self):
        return {
            "type": type(self).__name__,
            "n_in": self.n_in,
            "n_hidden": self.n_hidden,
            "return_sequences": self.return_sequences,
            "mask_value": self.mask_value,
            "bptt": self.bptt,
            "stateful": self.stateful,
            **initializers.config_of(
                weight_init=self.weight_init,
                recurrent_init=self.recurrent_init,
                bias_init=self.bias_init,
            ),
        }

    # -- the cells fill these in -----------------------------------------------------------

    def _steps_forward(self, gates: np.ndarray, pad: np.ndarray | None) -> None:
        raise NotImplementedError

    def _steps_backward(self, grad_output, pad):
        raise NotImplementedError


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
        h, f = self.h, self.activation
        recurrent = self.params["Wh"].T
        product = self._buffer("product", h.shape[1:])
        for t in range(len(gates)):
            z = gates[t]  # holds Wx x_t + bx + bh; becomes z_t
            z += np.matmul(h[t], recurrent, out=product)
            f.forward(z, out=h[t + 1])
            if pad is not None:
                np.copyto(h[t + 1], h[t], where=pad[t])
        self.z = gates

    def _steps_backward(self, grad_output, pad):
        h, z, f = self.h, self.z, self.activation
        n_steps, n_samples, hidden = z.shape
        recurrent = self.params["Wh"]
        delta = self._steps("delta", n_steps, n_samples, hidden)
        grad_h = self._state_grads(n_steps, n_samples)
        for t in range(n_steps - 1, -1, -1):
            dh = self._add_output_grad(grad_h[t + 1], grad_output, t)  # dJ/dh_t, complete
            f.backward(dh, z[t], h[t + 1], out=delta[t])
            if pad is not None:
                np.copyto(delta[t], 0, where=pad[t])
            np.matmul(delta[t], recurrent, out=grad_h[t])
            if pad is not None:  # a padded step passes dJ/dh_t on to h_(t-1) unchanged
                np.copyto(grad_h[t], dh, where=pad[t])
            self._cut(t, grad_h)
        self._delta_x = self._delta_h = delta
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
    state_names = ("h", "c")

    def _allocate_states(self, n_steps, n_samples, training):
        super()._allocate_states(n_steps, n_samples, training)
        self.c = self._steps("c", n_steps + 1, n_samples, self.n_hidden)
        self.tanh_c = self._steps("tanh_c", n_steps, n_samples, self.n_hidden)

    def _state_arrays(self):
        return (self.h, self.c)

    def _state_grads_arrays(self):
        return (self.grad_h, self.grad_c)

    def _steps_forward(self, gates, pad):
        hidden = self.n_hidden
        h, c, tanh_c = self.h, self.c, self.tanh_c
        recurrent = self.params["Wh"].T
        n_samples = h.shape[1]
        product = self._buffer("product", (n_samples, 4 * hidden))
        written = self._buffer("written", (n_samples, hidden))
        scale, shift = self._gate_coefficients()
        blocks = _blocks(hidden, 4)
        for t in range(len(gates)):
            a = gates[t]  # holds Wx x_t + bx + bh; becomes [i_t, f_t, g_t, o_t]
            a += np.matmul(h[t], recurrent, out=product)
            gate_activations(a, scale, shift)
            i, f, g, o = (a[:, block] for block in blocks)
            np.multiply(f, c[t], out=c[t + 1])
            c[t + 1] += np.multiply(i, g, out=written)
            np.tanh(c[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=h[t + 1])
            if pad is not None:
                np.copyto(h[t + 1], h[t], where=pad[t])
                np.copyto(c[t + 1], c[t], where=pad[t])
        self.gate_values = gates

    def _gate_coefficients(self):
        """Per column of the gates: sigmoid for i, f, o and tanh for g through one tanh call
        (see ``ops.gate_activations``)."""
        hidden = self.n_hidden
        scale = np.full(4 * hidden, 0.5, dtype=self.dtype)
        scale[2 * hidden : 3 * hidden] = 1
        return scale, scale * (scale < 1)

    def _steps_backward(self, grad_output, pad):
        hidden = self.n_hidden
        gates, c, tanh_c = self.gate_values, self.c, self.tanh_c
        n_steps, n_samples, width = gates.shape
        recurrent = self.params["Wh"]
        delta = self._steps("delta", n_steps, n_samples, width)
        grad_h = self._state_grads(n_steps, n_samples)
        grad_c = self._steps("grad_c", n_steps + 1, n_samples, hidden)
        grad_c[n_steps] = 0
        slope = self._buffer("slope", (n_samples, width))
        work = self._buffer("work", (n_samples, hidden))
        blocks = _blocks(hidden, 4)
        # slope = a (offset - a), plus 1 on g: i(1 - i), f(1 - f), 1 - g^2, o(1 - o)
        offset = np.ones(width, dtype=self.dtype)
        offset[blocks[2]] = 0
        for t in range(n_steps - 1, -1, -1):
            dh = self._add_output_grad(grad_h[t + 1], grad_output, t)  # dJ/dh_t, complete
            a, d, dc = gates[t], delta[t], grad_c[t + 1]
            i, f, g, o = (a[:, block] for block in blocks)
            np.subtract(offset, a, out=slope)
            slope *= a
            slope[:, blocks[2]] += 1
            # dJ/dc_t = dJ/dh_t o_t (1 - tanh(c_t)^2) + dJ/dc_(t+1) f_(t+1)
            np.multiply(tanh_c[t], tanh_c[t], out=work)
            np.subtract(1, work, out=work)
            work *= o
            work *= dh
            if pad is not None:  # a padded step's h_t is not made from its c_t
                np.copyto(work, 0, where=pad[t])
            dc += work
            np.multiply(dc, g, out=d[:, blocks[0]])
            np.multiply(dc, c[t], out=d[:, blocks[1]])
            np.multiply(dc, i, out=d[:, blocks[2]])
            np.multiply(dh, tanh_c[t], out=d[:, blocks[3]])
            d *= slope
            np.multiply(dc, f, out=grad_c[t])
            if pad is not None:  # a padded step passes dJ/dh_t and dJ/dc_t on unchanged
                np.copyto(d, 0, where=pad[t])
                np.copyto(grad_c[t], dc, where=pad[t])
            np.matmul(d, recurrent, out=grad_h[t])
            if pad is not None:
                np.copyto(grad_h[t], dh, where=pad[t])
            self._cut(t, grad_h, grad_c)
        self.grad_c = grad_c
        self._delta_x = self._delta_h = delta
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

    def _input_bias(self):
        bias = self.params["bx"].copy()
        bias[: 2 * self.n_hidden] += self.params["bh"][: 2 * self.n_hidden]
        return bias

    def _allocate_states(self, n_steps, n_samples, training):
        super()._allocate_states(n_steps, n_samples, training)
        self.m = self._steps("m", n_steps, n_samples, self.n_hidden)

    def _steps_forward(self, gates, pad):
        hidden = self.n_hidden
        h, m = self.h, self.m
        recurrent = self.params["Wh"].T
        bias_n = self.params["bh"][2 * hidden :]
        n_samples = h.shape[1]
        product = self._buffer("product", (n_samples, 3 * hidden))
        work = self._buffer("work", (n_samples, hidden))
        half = np.full(2 * hidden, 0.5, dtype=self.dtype)
        for t in range(len(gates)):
            a = gates[t]  # holds the input side; becomes [r_t, z_t, n_t]
            np.matmul(h[t], recurrent, out=product)
            rz, n = a[:, : 2 * hidden], a[:, 2 * hidden :]
            rz += product[:, : 2 * hidden]
            gate_activations(rz, half, half)
            np.add(product[:, 2 * hidden :], bias_n, out=m[t])
            n += np.multiply(rz[:, :hidden], m[t], out=work)
            np.tanh(n, out=n)
            # h_t = n_t + z_t (h_(t-1) - n_t)
            np.subtract(h[t], n, out=work)
            work *= rz[:, hidden:]
            np.add(n, work, out=h[t + 1])
            if pad is not None:
                np.copyto(h[t + 1], h[t], where=pad[t])
        self.gate_values = gates

    def _steps_backward(self, grad_output, pad):
        hidden = self.n_hidden
        gates, h, m = self.gate_values, self.h, self.m
        n_steps, n_samples, width = gates.shape
        recurrent = self.params["Wh"]
        delta = self._steps("delta", n_steps, n_samples, width)
        delta_h = self._steps("delta_h", n_steps, n_samples, width)
        grad_h = self._state_grads(n_steps, n_samples)
        direct = self._buffer("direct", (n_samples, hidden))
        work = self._buffer("work", (n_samples, hidden))
        r_z, n_part = slice(0, 2 * hidden), slice(2 * hidden, width)
        for t in range(n_steps - 1, -1, -1):
            dh = self._add_output_grad(grad_h[t + 1], grad_output, t)  # dJ/dh_t, complete
            a, d = gates[t], delta[t]
            r, z, n = (a[:, block] for block in _blocks(hidden, 3))
            d_r, d_z, d_n = (d[:, block] for block in _blocks(hidden, 3))
            # d_n = dJ/dh_t (1 - z_t)(1 - n_t^2)
            np.multiply(n, n, out=work)
            np.subtract(1, work, out=work)
            np.subtract(dh, np.multiply(dh, z, out=direct), out=d_n)
            d_n *= work
            # d_z = dJ/dh_t (h_(t-1) - n_t) z_t (1 - z_t)
            np.subtract(h[t], n, out=d_z)
            d_z *= dh
            np.subtract(1, z, out=work)
            work *= z
            d_z *= work
            # d_r = d_n m_t r_t (1 - r_t)
            np.subtract(1, r, out=work)
            work *= r
            np.multiply(d_n, m[t], out=d_r)
            d_r *= work
            if pad is not None:  # a padded step passes dJ/dh_t on to h_(t-1) unchanged
                np.copyto(d, 0, where=pad[t])
                np.copyto(direct, dh, where=pad[t])
            delta_h[t, :, r_z] = d[:, r_z]
            np.multiply(d_n, r, out=delta_h[t, :, n_part])
            np.matmul(delta_h[t], recurrent, out=grad_h[t])
            grad_h[t] += direct
            self._cut(t, grad_h)
        self._delta_x, self._delta_h = delta, delta_h
        return delta, delta_h


def _blocks(hidden: int, count: int) -> list[slice]:
    """The column slices of ``count`` gates of ``hidden`` units each."""
    return [slice(k * hidden, (k + 1) * hidden) for k in range(count)]


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
