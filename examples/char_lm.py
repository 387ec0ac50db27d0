"""A character-level language model: an LSTM learns to predict the next character of a text.

The text is cut into ``--batch`` parallel streams; each batch holds the next ``--steps``
characters of every stream, and the LSTM is stateful: it starts each batch where the previous
one ended (truncated backpropagation through time, ``--steps`` long). After every epoch it
prints the loss in bits per character (the cross-entropy in nats divided by ln 2; a model that
knew nothing would need log2 of the number of distinct characters) and a sample, drawn one
character at a time from its own predictions.

    python examples/char_lm.py --text some.txt --epochs 20
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from glassnet import LSTM, Callback, Dense, Embedding, Network


def streams(ids: np.ndarray, n_streams: int, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets ``(n_batches * n_streams, n_steps)``, ordered so that
    row ``k * n_streams + s`` of batch k continues row ``(k - 1) * n_streams + s``."""
    n_batches = (len(ids) - 1) // (n_streams * n_steps)
    if n_batches < 1:
        raise SystemExit(
            f"the text has {len(ids)} characters; --batch {n_streams} streams of --steps "
            f"{n_steps} need at least {n_streams * n_steps + 1}"
        )
    used = n_batches * n_streams * n_steps
    inputs = ids[:used].reshape(n_streams, n_batches, n_steps)
    targets = ids[1 : used + 1].reshape(n_streams, n_batches, n_steps)
    order = (1, 0, 2)  # batch-major: all streams' k-th chunks together
    return (
        inputs.transpose(order).reshape(-1, n_steps),
        targets.transpose(order).reshape(-1, n_steps),
    )


def sample(network: Network, first: int, length: int, rng, temperature: float) -> list[int]:
    """``length`` character ids drawn one at a time, each step fed the previous draw; the LSTM
    carries its state from draw to draw through ``initial_state``."""
    recurrent = network.layers[1]
    recurrent.initial_state = None
    drawn = [first]
    for _ in range(length):
        probabilities = network.forward(np.array([[drawn[-1]]], dtype=network.dtype))[0, -1]
        recurrent.initial_state = recurrent.final_state
        logits = np.log(np.maximum(probabilities, 1e-12)) / temperature
        weights = np.exp(logits - logits.max())
        drawn.append(int(rng.choice(len(weights), p=weights / weights.sum())))
    recurrent.initial_state = None
    return drawn[1:]


class Report(Callback):
    """Start every epoch from a zero state; after it, print bits per character and a sample."""

    def __init__(self, characters, first, length, rng, temperature):
        self.characters, self.first, self.length = characters, first, length
        self.rng, self.temperature = rng, temperature

    def on_epoch_begin(self, trainer, epoch):
        trainer.network.layers[1].reset_states()

    def on_epoch_end(self, trainer, epoch, logs):
        text = "".join(
            self.characters[i]
            for i in sample(trainer.network, self.first, self.length, self.rng, self.temperature)
        )
        print(f"epoch {epoch + 1}: {logs['loss'] / math.log(2):.3f} bits per character")
        print("  " + text.replace("\n", "\n  "))


def main(argv=None) -> list[float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=Path, required=True, help="a UTF-8 text file")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=128, help="LSTM units")
    parser.add_argument("--steps", type=int, default=64, help="characters per batch and stream")
    parser.add_argument("--batch", type=int, default=32, help="parallel streams")
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--sample-length", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    text = args.text.read_text(encoding="utf-8")
    characters = sorted(set(text))
    if len(characters) < 2:
        raise SystemExit(f"{args.text}: the text needs at least two different characters")
    index = {character: i for i, character in enumerate(characters)}
    ids = np.array([index[character] for character in text])
    X, Y = streams(ids, args.batch, args.steps)
    print(
        f"{len(ids)} characters, {len(characters)} distinct "
        f"(a uniform guess: {math.log2(len(characters)):.2f} bits per character)"
    )
    network = Network(
        [
            Embedding(len(characters), 32),
            LSTM(32, args.hidden, return_sequences=True, stateful=True),
            Dense(args.hidden, len(characters), "softmax"),
        ],
        input_shape=(args.steps,),
        seed=args.seed,
    )
    report = Report(
        characters, int(ids[0]), args.sample_length, np.random.default_rng(args.seed),
        args.temperature,
    )  # fmt: skip
    history = network.fit(
        X,
        Y,
        loss="cross_entropy",
        optimizer="adam",
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        batch_size=args.batch,
        shuffle=False,  # batch k + 1 continues batch k, stream by stream
        classes=np.arange(len(characters)),  # output k is character k
        clip_norm=5.0,
        metrics=(),
        callbacks=[report],
    )
    return [loss / math.log(2) for loss in history["loss"]]


if __name__ == "__main__":
    main()
