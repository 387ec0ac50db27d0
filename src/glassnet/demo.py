"""The tutorial end to end, as ``glassnet demo`` prints it.

1. A neuron: ``w = [0, 1]``, ``b = 4``, ``x = [2, 3]`` gives ``sigmoid(7) = 0.999``.
2. The 2-2-1 network with every weight ``[0, 1]`` and bias 0 gives 0.7216 for ``[2, 3]``.
3. MSE of always answering 0 on the four people: 0.5.
4. Backprop by hand for Alice (all weights 1, biases 0): ``dL/dw1 = 0.0214``.
5. SGD on the four people, one sample at a time, learning rate 0.1, 1000 epochs (the tutorial
   prints the loss every 10 epochs; the demo, by default, every 100).
6. Predictions for Emily and Frank.
"""

from __future__ import annotations

import sys

import numpy as np

from glassnet import datasets, losses
from glassnet.callbacks import EpochLogger, History
from glassnet.layers import Dense
from glassnet.network import Network
from glassnet.neuron import Neuron

#: Emily (128 pounds, 63 inches) and Frank (155, 68), shifted like the training data.
EMILY = (-7, -3)
FRANK = (20, 2)


def tutorial_network(hidden_weights, output_weights, biases=0.0, dtype="float64") -> Network:
    """The tutorial's 2-2-1 sigmoid network with the given weights and a common bias."""
    hidden, output = Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")
    hidden.W, hidden.b = hidden_weights, np.full(2, biases)
    output.W, output.b = output_weights, np.full(1, biases)
    return Network([hidden, output], dtype=dtype)


#: The demo prints the training loss every this many epochs unless told otherwise.
PRINT_EVERY = 100


def run(stream=None, seed: int = 0, print_every: int = PRINT_EVERY) -> History:
    """Print the tutorial's worked examples and training run; return the training History.

    ``print_every`` epochs between two loss lines (and the last epoch's): 10 is the tutorial's.
    """
    out = stream or sys.stdout
    logger = EpochLogger(every=print_every, stream=out)

    def say(text: str = "") -> None:
        print(text, file=out)

    say("1. A neuron: y = f(w . x + b)")
    neuron = Neuron(weights=[0, 1], bias=4)
    say(f"   w = [0, 1], b = 4, x = [2, 3]: w . x + b = {neuron.total([2, 3]):g}")
    say(f"   y = sigmoid(7) = {neuron.feedforward([2, 3]):.5f}")
    say()

    say("2. Feedforward through the 2-2-1 network (every w = [0, 1], b = 0), x = [2, 3]")
    network = tutorial_network([[0, 1], [0, 1]], [[0, 1]])
    o1 = network.feedforward([2, 3])[0]
    h1 = network.layers[0].a[0, 0]
    say(f"   h1 = h2 = f(3) = {h1:.4f}    o1 = f(0 * h1 + 1 * h2 + 0) = {o1:.4f}")
    say()

    people = datasets.gender()
    say("3. Mean squared error when the network always answers 0 (Male)")
    say(
        f"   y_true = {people.y.tolist()}, y_pred = [0, 0, 0, 0]: "
        f"MSE = {losses.mse(people.y, np.zeros(4)):g}"
    )
    say()

    say("4. Backprop for Alice (x = [-2, -1], y = 1), all weights 1 and biases 0")
    network = tutorial_network(np.ones((2, 2)), np.ones((1, 2)))
    trace = network.explain(people.X[0], [people.y[0]], loss="mse")
    say("\n".join("   " + line for line in str(trace).splitlines()))
    say()

    say("5. Training on the four people: SGD, one sample at a time, learning rate 0.1")
    say(f"   the loss every {print_every} epoch{'s' if print_every != 1 else ''}, and the last:")
    network = Network(
        [
            Dense(2, 2, "sigmoid", weight_init="normal", bias_init="normal"),
            Dense(2, 1, "sigmoid", weight_init="normal", bias_init="normal"),
        ],
        seed=seed,
        dtype="float64",
    )
    history = network.fit(
        people.X,
        people.y,
        loss="mse",
        optimizer="sgd",
        learning_rate=0.1,
        epochs=1000,
        batch_size=1,
        metrics=(),
        callbacks=[logger],
    )
    say()

    say("6. Predictions (1 = F, 0 = M)")
    for name, person in (("Emily", EMILY), ("Frank", FRANK)):
        score = network.feedforward(person)[0]
        say(f"   {name} {list(person)}: {score:.3f} - {'F' if score >= 0.5 else 'M'}")
    return history
