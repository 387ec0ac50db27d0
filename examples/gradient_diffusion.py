"""The tutorial's warning about gradient diffusion, made visible.

Trains the same deep network (8 hidden layers of 16 units) twice on the two-spirals problem:
once with sigmoid units (Glorot initialisation), once with ReLU units and He
initialisation, and prints each layer's weight-gradient norm. With sigmoids the first layer's
gradient is hundreds of times smaller than the last's, so the early layers barely learn.

    python examples/gradient_diffusion.py
"""

import glassnet
from glassnet import Dense, Network


def first_epochs_gradient_norms(activation: str) -> dict[int, list[float]]:
    data = glassnet.datasets.spirals(400, seed=0)
    hidden = [Dense(2, 16, activation)] + [Dense(16, 16, activation) for _ in range(7)]
    network = Network([*hidden, Dense(16, 2, "softmax")], seed=0)
    history = network.fit(data.X, data.y, epochs=5, batch_size=32, learning_rate=0.05)
    return history.grad_norms()


for activation in ("sigmoid", "relu"):
    norms = first_epochs_gradient_norms(activation)
    print(f"{activation}: weight-gradient norm per layer after 5 epochs")
    for layer, values in norms.items():
        print(f"  layer {layer}: {values[-1]:.2e}")
    print(f"  last / first = {norms[max(norms)][-1] / norms[0][-1]:.0f}\n")
