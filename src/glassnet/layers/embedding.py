"""Embedding: token ids in, learned vectors out."""

from __future__ import annotations

import numpy as np

from glassnet import initializers
from glassnet._checks import non_negative_int, positive_int
from glassnet.layers.base import Layer
from glassnet.ops import gather_rows


class Embedding(Layer):
    """A table ``W (n_tokens, dim)`` whose row k is the vector of token k.

    Forward, for token ids ``x`` of any shape (a batch of sentences ``(n_samples, T)``)::

        y[..., :] = W[x[...], :]                       shape (*x.shape, dim)

    which is a Dense layer without bias applied to the one-hot code of each token, done by
    looking the row up instead of multiplying. Backward: each row of ``dJ/dW`` sums the
    gradients of the positions holding that token, ``dJ/dW_k = sum_{x = k} dJ/dy``; token ids
    are not differentiable, so ``dJ/dx`` is zero.

    Ids arrive as the numbers of the network's input array; each must be a whole number in
    ``[0, n_tokens)``, or forward raises ``ValueError`` naming the first one that is not (so do
    not standardise the inputs of a network that starts with an Embedding).

    Args:
        n_tokens: size of the vocabulary.
        dim: length of each token's vector.
        padding_id: a token that stands for "no token" (padding at the end of a short
            sentence): its row is zero and stays zero (its gradient is always zero), as with
            PyTorch's ``padding_idx``. A recurrent layer with ``mask_value=0.0`` then skips
            these positions.
        weight_init: initialiser of ``W`` (default the standard normal, as PyTorch's).

    ``torch.nn.Embedding(n_tokens, dim)``'s ``weight`` is ``W``.
    """

    decay_keys = ("W",)

    def __init__(
        self, n_tokens: int, dim: int, padding_id: int | None = None, weight_init="normal"
    ):
        super().__init__()
        self.n_tokens = positive_int(n_tokens, "n_tokens")
        self.dim = positive_int(dim, "dim")
        if padding_id is not None:
            padding_id = non_negative_int(padding_id, "padding_id")
            if padding_id >= self.n_tokens:
                raise ValueError(
                    f"padding_id must be a token id in [0, {self.n_tokens - 1}], got {padding_id}"
                )
        self.padding_id = padding_id
        self.weight_init = initializers.get(weight_init)
        self.ids = None

    @property
    def n_out(self) -> int:
        return self.dim

    def describe(self, input_shape):
        return (*input_shape, self.dim), {"W": (self.n_tokens, self.dim)}

    def _init_params(self, param_shapes, rng):
        table = self.weight_init(param_shapes["W"], rng, self.dtype)
        if self.padding_id is not None:
            table[self.padding_id] = 0
        self._add_param("W", table)

    def forward(self, x, training=False):
        self.ids = self.token_ids(x)
        rows = self.ids.reshape(-1)
        out = gather_rows(
            self.params["W"], rows, self._output("y", (len(rows), self.dim), training)
        )
        return out.reshape(*x.shape, self.dim)

    def token_ids(self, x) -> np.ndarray:
        """``x`` as an array of ``intp`` token ids, checked to be whole numbers in range."""
        x = np.asarray(x)
        with np.errstate(invalid="ignore"):  # a NaN or a huge number is reported below
            ids = x.astype(np.intp)
        bad = (ids != x) | (ids < 0) | (ids >= self.n_tokens)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"token ids must be whole numbers in [0, {self.n_tokens - 1}], got "
                f"{x[index].item()!r} at index {index}"
            )
        return ids

    def backward(self, grad_output, need_input_grad=True):
        grad = self.grads["W"]
        grad[...] = 0
        np.add.at(grad, self.ids.reshape(-1), grad_output.reshape(-1, self.dim))
        if self.padding_id is not None:
            grad[self.padding_id] = 0
        if not need_input_grad:
            return None
        return np.zeros(self.ids.shape, dtype=self.dtype)

    def get_config(self):
        return {
            "type": "Embedding",
            "n_tokens": self.n_tokens,
            "dim": self.dim,
            "padding_id": self.padding_id,
            **initializers.config_of(weight_init=self.weight_init),
        }
