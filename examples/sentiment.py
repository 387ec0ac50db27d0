"""Many-to-one: is a short film review positive or negative? An LSTM reads the words in order.

Each sentence becomes token ids (``Vocabulary``), padded with 0 to the same length; the
``Embedding`` keeps id 0 at the zero vector and the LSTM (``mask_value=0.0``) skips those steps,
so every sentence is read for exactly its own length. The held-out sentences pair the words in
ways training never showed, negations included ("the story was not dull"); the network gets
all of them right.

    python examples/sentiment.py
"""

from __future__ import annotations

import argparse

import numpy as np

from glassnet import LSTM, Dense, Embedding, Network, datasets
from glassnet.preprocessing import Vocabulary


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    train, test = datasets.sentiment("train"), datasets.sentiment("test")
    vocabulary = Vocabulary().fit(train.texts)
    length = max(len(vocabulary.tokens(text)) for text in train.texts + test.texts)
    X, X_test = vocabulary.encode(train.texts, length), vocabulary.encode(test.texts, length)

    network = Network(
        [
            Embedding(len(vocabulary), 16, padding_id=Vocabulary.PADDING),
            LSTM(16, 16, mask_value=0.0),
            Dense(16, 2, "softmax"),
        ],
        input_shape=(length,),
        seed=args.seed,
    )
    history = network.fit(
        X, train.y, optimizer="adam", learning_rate=0.02, epochs=args.epochs, batch_size=16
    )
    predicted = network.predict(X_test)
    accuracy = float(np.mean(predicted == test.y))
    print(f"{len(vocabulary)} tokens, sentences of up to {length} words")
    print(f"training loss {history['loss'][-1]:.4f}, accuracy {history['accuracy'][-1]:.1%}")
    for text, label in list(zip(test.texts, predicted, strict=True))[:6]:
        print(f"  {text!r:40} -> {test.label_names[label]}")
    print(f"held-out accuracy {accuracy:.1%} on {len(test.texts)} sentences")
    return accuracy


if __name__ == "__main__":
    main()
