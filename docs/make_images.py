"""Draw the README's pictures into docs/images/: python docs/make_images.py

Every run draws the same pictures: the data, the weights and the shuffles all come from seeds.

- loss.png: training and validation loss and accuracy of a classifier on the two moons, with
  early stopping marking the best epoch;
- boundary.png: that classifier's decision boundary, with the data in the user's labels;
- network.png: its diagram, weights coloured by sign and sized by magnitude;
- gradients.png: a deeper sigmoid network on the spirals, whose first layers get much smaller
  gradients than its last (the tutorial's "gradient diffusion").
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image

from glassnet import Dense, EarlyStopping, Network, datasets, plots

IMAGES = Path(__file__).resolve().parent / "images"


def save_small(figure, name: str) -> None:
    """Save ``figure`` as a 256-colour PNG: a third of the size, no visible difference."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    image = Image.open(buffer).convert("RGB").quantize(256)
    image.save(IMAGES / name, format="png", optimize=True)


def main() -> None:
    IMAGES.mkdir(exist_ok=True)

    # A 2-8-8-1 classifier on the two moons, with labels as a user would write them.
    moons = datasets.load("moons", n_samples=300, noise=0.15, seed=0)
    labels = np.array(["upper moon", "lower moon"])[moons.y]
    network = Network([Dense(2, 8, "tanh"), Dense(8, 8, "tanh"), Dense(8, 1, "sigmoid")], seed=0)
    history = network.fit(
        moons.X,
        labels,
        loss="binary_cross_entropy",
        optimizer="adam",
        learning_rate=0.01,
        epochs=300,
        validation_split=0.2,
        standardize=True,
        callbacks=[EarlyStopping(patience=40)],
        seed=0,
    )
    save_small(plots.loss_curve(history), "loss.png")
    save_small(plots.decision_boundary(network, moons.X, labels), "boundary.png")
    save_small(plots.network_diagram(network), "network.png")

    # Four sigmoid hidden layers: the gradient reaching the first ones is much smaller.
    spirals = datasets.load("spirals", n_samples=300, seed=0)
    hidden = [Dense(2, 16, "sigmoid"), *(Dense(16, 16, "sigmoid") for _ in range(3))]
    deep = Network([*hidden, Dense(16, 1, "sigmoid")], seed=0)
    deep_history = deep.fit(
        spirals.X,
        spirals.y,
        loss="binary_cross_entropy",
        optimizer="adam",
        learning_rate=0.01,
        epochs=400,
        standardize=True,
        seed=0,
    )
    save_small(plots.gradient_norms(deep_history), "gradients.png")

    for path in sorted(IMAGES.glob("*.png")):
        print(f"{path.relative_to(IMAGES.parent.parent)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
