"""Pictures of training and of networks: loss curves, decision boundaries, diagrams, gradients.

Every function draws on a new matplotlib ``Figure`` (no pyplot, so no window and no global
state), returns it, and with ``path`` also writes it as a PNG, atomically: a reader sees the old
file or the whole new one. matplotlib is optional (``pip install "glassnet[plots]"``) and is
imported inside the functions, so ``import glassnet`` never pays for it.

- ``loss_curve``: training and validation loss per epoch (the tutorial's figure 8), and
  accuracy (classifiers) or R² (regressions) beside it when it was recorded.
- ``decision_boundary``: what a classifier predicts over the plane of two of its inputs, with
  the data; any other inputs are held at their means.
- ``network_diagram``: units as circles, weights as lines coloured by sign, width by ``|w|``,
  inputs and outputs named as the network knows them.
- ``gradient_norms``: each layer's weight-gradient norm per epoch on a log scale, which shows
  the tutorial's "gradient diffusion": layers far from the output may learn much more slowly.
- ``conv_filters``: the kernels of a CNN's first convolution, as small images.
- ``feature_maps``: what each convolution of a CNN sees in one sample, map by map.
- ``hidden_states``: the states ``h_t`` of each recurrent layer over the steps of one sequence.

One module per family: ``training`` (loss curve, gradient norms), ``boundary``, ``diagram``,
``layers`` (filters, feature maps, hidden states) and ``_figures`` (what they share).
"""

from glassnet.plots._figures import label_text, require_matplotlib
from glassnet.plots.boundary import CLASS_COLOURS, MAX_HELD_NAMED, decision_boundary
from glassnet.plots.diagram import (
    MAX_NAME_LENGTH,
    MAX_UNITS,
    NEGATIVE,
    POSITIVE,
    UNIT_RADIUS_POINTS,
    network_diagram,
)
from glassnet.plots.layers import MAPS_PER_ROW, conv_filters, feature_maps, hidden_states
from glassnet.plots.training import MARKED_EPOCHS, R2_FLOOR, gradient_norms, loss_curve

__all__ = [
    "CLASS_COLOURS",
    "MAPS_PER_ROW",
    "MARKED_EPOCHS",
    "MAX_HELD_NAMED",
    "MAX_NAME_LENGTH",
    "MAX_UNITS",
    "NEGATIVE",
    "POSITIVE",
    "R2_FLOOR",
    "UNIT_RADIUS_POINTS",
    "conv_filters",
    "decision_boundary",
    "feature_maps",
    "gradient_norms",
    "hidden_states",
    "label_text",
    "loss_curve",
    "network_diagram",
    "require_matplotlib",
]
