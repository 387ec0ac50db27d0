"""Recurrent layers, trained by backpropagation through time: what SimpleRNN, LSTM and GRU
share (``Recurrent``; the cells themselves are in ``glassnet.layers.recurrent_cells``).

A recurrent layer reads a batch of sequences ``x (n_samples, T, n_in)`` (batch first) one step
at a time and carries a state ``h_t (n_hidden,)`` per sample from step to step. Every cell has
the same four parameters, in the tutorial's orientation (a row per unit) and in PyTorch's gate
order, so that the weights of ``torch.nn.RNN / LSTM / GRU`` copy across one to one::

    Wx (gates * n_hidden, n_in)       Wh (gates * n_hidden, n_hidden)
    bx (gates * n_hidden,)            bh (gates * n_hidden,)

and each step starts from the net input of all its gates ``z_t = Wx x_t + bx + Wh h_(t-1) + bh``
(GRU keeps ``bh``'s candidate part inside the reset gate, as PyTorch does).

Forward: the inputs of every step are projected with one product ``X Wx^T`` before the loop;
each step then costs one product ``h_(t-1) Wh^T`` and a few element-wise calls written into
reused arrays. Backward walks the steps in reverse, one product ``delta_t Wh`` per step, and
stacks the step residuals ``delta_t`` so that the weight gradients are single products after
the loop::

    dJ/dWh = sum_t delta_t h_(t-1)^T     dJ/dWx = sum_t delta_t x_t^T
    dJ/dbh = dJ/dbx = sum_t delta_t      dJ/dx_t = Wx^T delta_t

Inside the layer, steps are stored time-major, ``(T, n_samples, n_hidden)``, and the gates
gate-major, ``(gates, T, n_samples, n_hidden)``, so that every gate of every step is one
contiguous block (element-wise calls on strided blocks cost several times more) while the
products stay single BLAS calls per gate.

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

from glassnet import initializers
from glassnet._checks import numeric_array, positive_int
from glassnet.layers.base import Layer
from glassnet.ops import time_major


class Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: parameters, the input projection, the state, masks,
    the weight gradients after the loop. Subclasses write their step loops (``_steps_forward``,
    ``_steps_backward``) and name their gates."""

    gates: tuple[str, ...] = ()
    sigmoid_gates: tuple[str, ...] = ()
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
            if state is self._carried:
                raise ValueError(
                    f"{type(self).__name__}: the carried state has {len(state[0])} samples, the "
                    f"batch has {n_samples}; a stateful layer needs the same batch size every "
                    "batch"
                )
            raise ValueError(
                f"{type(self).__name__}: initial_state has {len(state[0])} samples, the batch "
                f"has {n_samples} (predict runs in chunks of samples: call network.forward on "
                "the prepared batch to start it from a state)"
            )
        return state

    # -- forward -------------------------------------------------------------------------------

    def forward(self, x, training=False):
        n_samples, n_steps, _ = x.shape
        n_in, n_gates, hidden = self.n_in, len(self.gates), self.n_hidden
        self._n_steps = n_steps
        # 1. every step's input in time-major order, with a last input fixed at 1 that carries
        #    the bias, projected with one product per gate: [x_t, 1] [Wx_k^T; b_k]
        self.x_steps = self._array("x", (n_steps, n_samples, n_in + 1))
        time_major(x, self.x_steps[..., :n_in])
        self.x_steps[..., n_in] = 1
        input_weights, self.recurrent_weights = self._step_parameters()
        gates = self._array("gates", (n_gates, n_steps, n_samples, hidden))
        np.matmul(
            self.x_steps.reshape(-1, n_in + 1),
            input_weights,
            out=gates.reshape(n_gates, -1, hidden),
        )
        # 2. padded steps and the first state
        self.padded = self._padding(x)
        pad = None if self.padded is None else time_major(self.padded[..., None])
        self._pad = pad  # (T, n_samples, 1): where a step is padding
        self._allocate_states(n_steps, n_samples, training)
        start = self._start_state(n_samples, training)
        for index, states in enumerate(self._state_arrays()):
            states[0] = 0 if start is None else start[index]
        self._zero_start = start is None
        # 3. the steps
        self._steps_forward(gates, pad)
        self._gates = gates
        if self.stateful and training:
            self._carried = tuple(states[n_steps].copy() for states in self._state_arrays())
        h = self.h
        if self.return_sequences:
            return h[1:].transpose(1, 0, 2)
        return h[n_steps] if training else h[n_steps].copy()

    @property
    def couples_samples(self):
        """A stateful layer carries each row's state into the next batch's same row, and an
        initial state is given for the batch's rows: either ties the rows to the whole batch."""
        return self.stateful or self._initial_state is not None

    def multiply_adds_per_sample(self):
        """Each weight once per step."""
        return self.n_parameters * self.input_shape[0]

    def inference_values(self) -> int:
        """Per sample: every step's input and gates, and the states (``2 T n_hidden`` more for
        LSTM's cells), besides the output."""
        n_steps = self.input_shape[0]
        per_step = self.n_in + 1 + len(self.gates) * self.n_hidden
        per_step += (2 * len(self.state_names) + 1) * self.n_hidden
        return super().inference_values() + n_steps * per_step

    def _input_bias(self) -> np.ndarray:
        """The bias added to the projected inputs: ``bx + bh`` (GRU: less bh's candidate part)."""
        return self.params["bx"] + self.params["bh"]

    def _step_parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """The parameters as the loop uses them, one block per gate k:
        ``[Wx_k^T; bias_k]`` ``(gates, n_in + 1, n_hidden)`` and ``Wh_k^T``
        ``(gates, n_hidden, n_hidden)``, with the sigmoid gates' blocks halved for
        ``ops.gate_activations`` (exact: 1/2 is a power of two)."""
        n_gates, hidden = len(self.gates), self.n_hidden
        stacked = self._buffer("input_weights", (n_gates, self.n_in + 1, hidden))
        stacked[:, :-1] = _gate_blocks(self.params["Wx"].T, n_gates)
        stacked[:, -1] = self._input_bias().reshape(n_gates, hidden)
        recurrent = self._buffer("recurrent_weights", (n_gates, hidden, hidden))
        np.copyto(recurrent, _gate_blocks(self.params["Wh"].T, n_gates))
        if self.sigmoid_gates:
            scale = self._activation_coefficients()[0]
            stacked *= scale
            recurrent *= scale
        return stacked, recurrent

    def _recurrent_product(self, step: int, recurrent: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``h_(t-1) Wh^T`` of step t (counted from 0) into ``out``, one block per gate as
        ``recurrent`` holds them; from the zero state the first step's product is zero and is
        not computed."""
        if step == 0 and self._zero_start:
            out.fill(0)
            return out
        return np.matmul(self.h[step], recurrent, out=out)

    def _activation_coefficients(self):
        """``(scale, shift)``, one value per gate shaped ``(gates, 1, 1)``, for
        ``ops.gate_activations``: ``0.5, 0.5`` for the sigmoid gates, ``1, 0`` for the others."""
        scale = np.array([0.5 if gate in self.sigmoid_gates else 1.0 for gate in self.gates])
        scale = scale.astype(self.dtype).reshape(-1, 1, 1)
        return scale, scale * (scale < 1)

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

    def _gate_steps(self, name: str) -> np.ndarray:
        """A reused array ``(gates, T, n_samples, n_hidden)`` shaped like the gates."""
        return self._array(name, self._gates.shape)

    # -- backward ------------------------------------------------------------------------------

    def backward(self, grad_output, need_input_grad=True):
        n_gates, n_steps, n_samples, hidden = self._gates.shape
        n_in = self.n_in
        # 1. the step residuals delta_t, walking back through time
        delta_x, delta_h = self._steps_backward(grad_output, self._pad)
        self.initial_state_grad = tuple(grad[0].copy() for grad in self._state_grads_arrays())
        self._delta_x, self._delta_h = delta_x, delta_h
        # 2. the weight gradients: one product per gate over all steps; the input fixed at 1
        #    gives dJ/dbx as the last row of [dJ/dWx_k^T; dJ/dbx_k]
        flat_x = delta_x.reshape(n_gates, -1, hidden)
        flat_h = delta_h.reshape(n_gates, -1, hidden)
        input_grads = self._buffer("input_grads", (n_gates, n_in + 1, hidden))
        np.matmul(self.x_steps.reshape(-1, n_in + 1).T, flat_x, out=input_grads)
        np.copyto(_gate_blocks(self.grads["Wx"].T, n_gates), input_grads[:, :n_in])
        np.copyto(self.grads["bx"].reshape(n_gates, hidden), input_grads[:, n_in])
        recurrent_grads = self._buffer("recurrent_grads", (n_gates, hidden, hidden))
        previous = self.h[:n_steps].reshape(-1, hidden)
        np.matmul(previous.T, flat_h, out=recurrent_grads)
        np.copyto(_gate_blocks(self.grads["Wh"].T, n_gates), recurrent_grads)
        if delta_h is delta_x:
            np.copyto(self.grads["bh"], self.grads["bx"])
        else:
            np.add.reduce(flat_h, axis=1, out=self.grads["bh"].reshape(n_gates, hidden))
        if not need_input_grad:
            return None
        # dJ/dx_t = sum_k Wx_k^T delta_k,t
        per_gate = self._array("dx_gates", (n_gates, n_steps * n_samples, n_in))
        np.matmul(flat_x, self._row_major_blocks("Wx"), out=per_gate)
        dx = self._array("dx", (n_steps, n_samples, n_in))
        np.add.reduce(per_gate, axis=0, out=dx.reshape(-1, n_in))
        return dx.transpose(1, 0, 2)

    def _row_major_blocks(self, key: str) -> np.ndarray:
        """The gate blocks ``(gates, n_hidden, n)`` of a weight matrix ``(gates * n_hidden, n)``,
        row-major, for the products ``delta W`` (BLAS runs them fastest when neither operand
        is transposed). ``Wh``'s come from the forward's ``Wh_k^T`` blocks, the weights of the
        last forward: copying those transposed and undoing the halving takes about 40 µs for 4
        gates of 128 units, the transposed copy of the column-major parameter about 64 µs."""
        param, n_gates = self.params[key], len(self.gates)
        blocks = self._buffer(key, (n_gates, self.n_hidden, param.shape[1]))
        if key != "Wh":
            np.copyto(blocks, _gate_blocks(param.T, n_gates).transpose(0, 2, 1))
            return blocks
        np.copyto(blocks, self.recurrent_weights.transpose(0, 2, 1))
        if self.sigmoid_gates:  # undo the halving of the sigmoid gates' blocks (exact)
            blocks /= self._activation_coefficients()[0]
        return blocks

    def _recurrent_grad(self, n_samples: int):
        """The function ``(delta_t, out)`` that writes ``sum_k Wh_k^T delta_k,t`` into ``out``:
        the part of ``dJ/dh_(t-1)`` that flows back through step t's gates, from
        ``delta_t (gates, n_samples, n_hidden)``. Its weights (row-major gate blocks) and its
        scratch array are fetched once per backward, not once per step."""
        weights = self._row_major_blocks("Wh")
        per_gate = self._array("per_gate", (len(self.gates), n_samples, self.n_hidden))

        def recurrent_grad(delta_step, out):
            np.matmul(delta_step, weights, out=per_gate)
            return np.add.reduce(per_gate, axis=0, out=out)

        return recurrent_grad

    def _state_grads(self, grad_output) -> tuple[np.ndarray, np.ndarray | None]:
        """``(grad_h, above)``: ``grad_h (T + 1, n_samples, n_hidden)`` will hold
        ``dJ/dh_t``; step t writes into ``grad_h[t - 1]`` the part that flows back through it,
        so ``grad_h[0]`` ends as dJ/d(initial h). What the layers above send starts it:
        ``dJ/dh_T`` for a many-to-one layer, else ``above[t]`` (time-major view) to be added
        at each step."""
        n_samples = len(grad_output)
        grad_h = self._array("grad_h", (self._n_steps + 1, n_samples, self.n_hidden))
        self.grad_h = grad_h
        if self.return_sequences:
            grad_h[-1] = 0
            return grad_h, grad_output.swapaxes(0, 1)
        grad_h[-1] = grad_output
        return grad_h, None

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
    def gate_values(self) -> np.ndarray:
        """``(n_samples, T, gates * n_hidden)``: each step's gate activations in the order of
        ``gates`` (SimpleRNN: its net input ``z_t``), from the last forward."""
        return _batch_first(self._gates)

    @property
    def state_grads(self) -> np.ndarray:
        """``(n_samples, T + 1, n_hidden)``: ``dJ/dh_t`` for t = 0..T, from the last backward."""
        return self.grad_h.transpose(1, 0, 2)

    @property
    def deltas(self) -> np.ndarray:
        """``(n_samples, T, gates * n_hidden)``: each step's residual ``delta_t = dJ/dz_t`` (the
        gates' net inputs on the input side), from the last backward."""
        return _batch_first(self._delta_x)

    @property
    def recurrent_deltas(self) -> np.ndarray:
        """``(n_samples, T, gates * n_hidden)``: the residual that meets ``Wh`` and ``bh``:
        ``deltas`` itself, except for GRU's candidate part, which passes through the reset
        gate."""
        return _batch_first(self._delta_h)

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

    # -- the cells fill these in ---------------------------------------------------------------

    def _steps_forward(self, gates: np.ndarray, pad: np.ndarray | None) -> None:
        """Run the steps: ``gates (n_gates, T, n_samples, n_hidden)`` holds the projected inputs
        and keeps what backward needs; the states go into ``self.h`` (and ``self.c``)."""
        raise NotImplementedError

    def _steps_backward(self, grad_output, pad) -> tuple[np.ndarray, np.ndarray]:
        """Walk back through the steps; return the residuals ``(delta_x, delta_h)`` shaped like
        the gates: the one that meets ``Wx, bx`` and the one that meets ``Wh, bh``."""
        raise NotImplementedError


def _gate_blocks(matrix_t: np.ndarray, n_gates: int) -> np.ndarray:
    """``(gates, n, n_hidden)`` view of ``W^T (n, gates * n_hidden)``: gate k's ``W_k^T``."""
    n_rows, width = matrix_t.shape
    return matrix_t.reshape(n_rows, n_gates, width // n_gates).swapaxes(0, 1)


def _batch_first(per_gate: np.ndarray) -> np.ndarray:
    """``(gates, T, n_samples, n_hidden)`` as ``(n_samples, T, gates * n_hidden)`` (a copy)."""
    n_gates, n_steps, n_samples, hidden = per_gate.shape
    return per_gate.transpose(2, 1, 0, 3).reshape(n_samples, n_steps, n_gates * hidden)


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)
