"""The exported Python script: the playground's network built and trained with glassnet alone.

The script draws the same data with ``glassnet.datasets`` (or reads the uploaded CSV file from
beside itself), splits it with the same seed, computes the same input features (their NumPy
expressions, verbatim), builds the same layers with the same seed and trains epoch by epoch
with ``Network.fit`` as the playground does, replaying every learning-rate change and every
weight set by hand at the epoch it happened. So running it gives the playground's weights,
bit for bit, and saves them as ``playground-model.safetensors``.
"""

from __future__ import annotations

import json

from glassnet.playground import data, features

MODEL_FILE = "playground-model.safetensors"


def script(session) -> str:
    """The script for ``session`` (a ``glassnet.playground.session.Session``)."""
    setup = session.setup
    network = session.network
    options = session.fit_options()
    sections = [
        _header(session),
        _data_section(session),
        _split_section(session.points.problem, setup.train_percent),
        _inputs_section(setup.features),
        _network_section(session),
        _training_section(options, session.events),
        _results_section(session.loss, network.feature_names, network.target_name),
    ]
    return "\n\n".join(sections) + "\n"


def _header(session) -> str:
    setup = session.setup
    layers = ", ".join(
        f"{size} {activation}"
        for size, activation in zip(setup.hidden, setup.activations, strict=True)
    )
    names = ["Dense", "Dropout", "Network", "datasets", "optimizers"]
    if not any(rate > 0 for rate in setup.dropout):
        names.remove("Dropout")
    return f'''"""Train the network built in the glassnet playground, with glassnet alone.

Data: {setup.dataset} ({session.points.problem}), {setup.train_percent:g}% of it for training.
Inputs: {", ".join(setup.features)}. Hidden layers: {layers or "none"}.
Loss: {session.loss}. Optimizer: {setup.optimizer}. Batch size: {setup.batch_size}.
Epochs: {session.epoch}.

Running it gives the playground's weights, bit for bit, and saves them to
{MODEL_FILE}.
"""

import numpy as np

import glassnet
from glassnet import {", ".join(names)}
from glassnet.preprocessing import Standardizer

SEED = {setup.seed}  # of the data, the split, the initial weights and each epoch's shuffle'''


def _data_section(session) -> str:
    setup, points = session.setup, session.points
    if setup.dataset == data.UPLOAD:
        column = points.target_name
        if points.problem == "regression":
            conversion = ".astype(np.float64)"
        elif points.targets.dtype.kind in "iu":
            conversion = ".astype(np.int64)"
        else:
            conversion = ".astype(str)"
        return f"""# 1. The data: the uploaded file, which must lie beside this script.
table = datasets.read_csv({_literal(session.upload_name)}, target={_literal(column)})
xy, targets = table.features, table.target{conversion}"""
    builtin = data.BUILTINS[setup.dataset]
    low, high = builtin.noise
    noise = low + (high - low) * setup.noise / 50.0
    arguments = [f"{builtin.n_samples}", f"noise={noise!r}", "seed=SEED"]
    arguments += [f"{key}={_literal(value)}" for key, value in builtin.options.items()]
    return f"""# 1. The data: {builtin.n_samples} points of the playground's {setup.dataset!r} set,
#    noise {setup.noise:g}%, scaled by {builtin.scale:g} into its view.
dataset = datasets.{builtin.generator}({", ".join(arguments)})
xy, targets = dataset.X * {builtin.scale!r}, dataset.y"""


def _split_section(problem: str, train_percent: float) -> str:
    if problem == "classification":
        groups = "[np.flatnonzero(targets == label) for label in np.unique(targets)]"
        how = "each class alike"
    else:
        groups = "[np.arange(len(targets))]"
        how = "drawn with the seed"
    return f"""# 2. Training and test points: {train_percent:g}% for training, {how}.
rng = np.random.default_rng(SEED)
train_rows = []
for rows in {groups}:
    n_train = min(max(1, round({train_percent!r} / 100 * len(rows))), len(rows))
    train_rows.append(rng.permutation(rows)[:n_train])
train_rows = np.sort(np.concatenate(train_rows))
test_rows = np.setdiff1d(np.arange(len(targets)), train_rows)"""


def _inputs_section(keys) -> str:
    expressions = ", ".join(features.BY_KEY[key].expression for key in keys)
    return f"""
# 3. The inputs the network sees, computed from the two columns x1 and x2.
def inputs(xy):
    x1, x2 = xy[:, 0], xy[:, 1]
    return np.column_stack([{expressions}])


X_train, X_test = inputs(xy[train_rows]), inputs(xy[test_rows])
y_train, y_test = targets[train_rows], targets[test_rows]"""


def _network_section(session) -> str:
    lines = []
    for layer in session.network.layers:
        config = layer.get_config()
        if config["type"] == "Dropout":
            lines.append(f"        Dropout({config['rate']!r}),")
        else:
            activation = _literal(layer.activation.name)
            lines.append(f"        Dense({layer.n_in}, {layer.n_out}, {activation}),")
    optimizer = session.setup.optimizer
    rate = session.initial_learning_rate
    if optimizer == "momentum":
        build = f"optimizers.SGD({rate!r}, momentum=0.9)"
    else:
        build = f"optimizers.get({_literal(optimizer)}, {rate!r})"
    return "\n".join(
        [
            "# 4. The network; its inputs are standardised with the training points' mean and"
            " scale.",
            "network = Network(",
            "    [",
            *lines,
            "    ],",
            "    seed=SEED,",
            ")",
            "network.scaler = Standardizer().fit(X_train)",
            f"optimizer = {build}  # one optimizer for every epoch: its state carries on",
        ]
    )


def _training_section(options: dict, events) -> str:
    arguments = [
        f"{key}={_literal(value)}," for key, value in options.items() if key != "optimizer"
    ]
    lines = [
        "# 5. Training, one epoch at a time as the playground steps; epoch e shuffles with"
        " SEED + e.",
        "epoch = 0",
        "",
        "",
        "def train_epochs(n_epochs):",
        "    global epoch",
        "    for _ in range(n_epochs):",
        "        network.fit(",
        "            X_train,",
        "            y_train,",
        "            optimizer=optimizer,",
        "            epochs=1,",
        "            seed=SEED + epoch,",
        *(f"            {argument}" for argument in arguments),
        "        )",
        "        epoch += 1",
        "",
        "",
    ]
    for event in events:
        if event[0] == "train":
            lines.append(f"train_epochs({event[1]})")
        elif event[0] == "learning_rate":
            lines.append(f"optimizer.learning_rate = {event[1]!r}  # changed in the playground")
        elif event[0] == "set":
            _, position, name, index, value = event
            where = ", ".join(map(str, index))
            lines.append(
                f'network.layers[{position}].params["{name}"][{where}] = {value!r}  # set by hand'
            )
        else:
            lines.append("# The playground kept no more of its changes than these.")
            break
    return "\n".join(lines)


def _results_section(loss: str, feature_names, target_name) -> str:
    return f"""# 6. How well it does on the test points, and the model file.
network.feature_names = {_literal(tuple(feature_names))}
network.target_name = {_literal(target_name)}
print(glassnet.evaluate(network, X_test, y_test, loss={_literal(loss)}))
glassnet.save(network, {_literal(MODEL_FILE)})
print("saved {MODEL_FILE}")"""


def _literal(value) -> str:
    """``value`` as Python source in the style of the project: strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Python string literal
    if isinstance(value, tuple):
        items = [_literal(item) for item in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    return repr(value)
