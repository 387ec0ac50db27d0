"""``glassnet inspect`` and ``glassnet explain``: what a model holds, and one sample traced."""

from __future__ import annotations

import json

import click
import numpy as np
from rich.table import Table

from glassnet import io as model_io
from glassnet import tasks
from glassnet.cli.common import (
    MODEL,
    architecture,
    numbers,
    numbers_text,
    reports_errors,
    shape_text,
    stdout,
)
from glassnet.layers import Dense
from glassnet.plots import label_text

#: inspect lists at most this many input names (and standardisation rows).
MAX_NAMES_SHOWN = 20


@click.command()
@click.argument("model", type=MODEL)
@click.option(
    "--input",
    "-i",
    "values",
    required=True,
    callback=numbers,
    metavar="X1,X2,...",
    help="One sample's features, comma-separated, in the model's column order (see inspect).",
)
@click.option(
    "--target",
    "-t",
    metavar="Y",
    help="The true label (classifier) or value (regression); default: the model's prediction.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON.")
@reports_errors
def explain(model, values, target, as_json) -> None:
    """Trace one sample forward and backward, step by step.

    The forward pass, the loss and backprop's residuals and gradients, in the notation of the
    tutorial's section 7; for a 2-2-1 network, the chain rule for every weight as well. The
    input is in the model's own columns: for the built-in 'gender' dataset, weight - 135 and
    height - 66, so Alice (133 lb, 65 in) is -2,-1.

    \b
    Examples:
      glassnet explain people.safetensors --input -2,-1 --target F
      glassnet explain moons.safetensors --input 0.5,0.25
    """
    network = model_io.load(model)
    if len(values) != network.n_in:
        raise click.BadParameter(
            f"{model} takes {network.n_in} features, got {len(values)}: {values.tolist()}",
            param_hint="'--input'",
        )
    named = ""
    if network.feature_names is not None:
        pairs = zip(network.feature_names, values.tolist(), strict=True)
        named = " (" + ", ".join(f"{name} = {value:.4g}" for name, value in pairs) + ")"
    notes = [f"Model {architecture(network)} from {model}; input x = {numbers_text(values)}{named}"]
    x = network.scale_inputs(network.check_inputs(values.reshape(1, -1)))
    if network.scaler is not None:
        notes.append(
            "The model standardises its inputs with the training data's mean and scale, so the "
            f"trace starts from a^(1) = (x - mean) / scale = {numbers_text(x[0])}"
        )
    loss = tasks.scoring_loss(network)
    if network.classes is not None:
        y = _class_target(network, model, values, target, loss, notes)
    elif target is None:
        y = network.predict(values.reshape(1, -1))[0]
        notes.append(f"No --target given: using the model's prediction {numbers_text(y)}")
    else:
        y = numbers(None, None, target)
        if y is None or len(y) != network.n_out:
            raise click.BadParameter(
                f"expected {network.n_out} number(s), got {target!r}", param_hint="'--target'"
            )
    loss_name = loss if isinstance(loss, str) else loss.name
    notes.append(f"Loss: {loss_name}")
    trace = network.explain(values, y, loss=loss)  # explain applies the scaler itself
    if as_json:
        click.echo(json.dumps({"notes": notes, **trace.to_dict()}, indent=2))
        return
    for note in notes:
        click.echo(note)
    click.echo()
    click.echo(str(trace))


def _class_target(network, model, values, target, loss, notes) -> np.ndarray:
    """The output row a classifier's ``--target`` label (default: its prediction) stands for."""
    labels = [label_text(label) for label in network.classes.tolist()]
    if target is None:
        label = label_text(network.predict(values.reshape(1, -1))[0])
        notes.append(f"No --target given: using the model's prediction {label!r} as the target")
    elif target not in labels:
        raise click.BadParameter(
            f"{target!r} is not a class of {model}; its classes are: {', '.join(labels)}",
            param_hint="'--target'",
        )
    else:
        label = target
    index = labels.index(label)
    notes.append(f"Target {label!r} is class index {index} of [{', '.join(labels)}]")
    row = network.classes[index : index + 1]
    return tasks.encode_targets(network, row, loss, 1, refit=False, task="classification")[0]


@click.command()
@click.argument("model", type=MODEL)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@reports_errors
def inspect(model, as_json) -> None:
    """Show what a model file holds.

    Layers and parameter counts, the classes, the input standardisation, and a summary of
    training: the data loss and the weight-decay penalty apart, as training records them.

    \b
    Example:
      glassnet inspect people.safetensors
    """
    summary = model_io.inspect(model)
    network = model_io.load(model)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    stdout.print(_layer_table(network, summary, model))
    if network.classes is not None:
        classes = ", ".join(label_text(label) for label in network.classes.tolist())
        stdout.print(f"Task: classifier, {len(network.classes)} classes: {classes}")
    else:
        stdout.print(f"Task: regression, {network.n_out} output(s)")
    if len(network.input_shape) > 1:
        stdout.print(f"Inputs read as samples of shape {shape_text(network.input_shape)}")
    if network.feature_names is not None:
        shown = ", ".join(network.feature_names[:MAX_NAMES_SHOWN])
        if network.n_in > MAX_NAMES_SHOWN:
            shown += f", ... ({network.n_in - MAX_NAMES_SHOWN} more)"
        stdout.print(f"Inputs: {network.n_in} columns, by name: {shown}")
    else:
        stdout.print(f"Inputs: {network.n_in} columns, by position (no names stored)")
    if network.target_name is not None:
        stdout.print(f"Target: column {network.target_name!r}")
    _print_preprocessing(network)
    history = summary["history"]
    if history is None:
        stdout.print("Training: no history stored")
    else:
        best = f", best epoch {history['best_epoch']}" if history["best_epoch"] is not None else ""
        final = ", ".join(
            f"{key} {value:.4g}"
            for key, value in history["final"].items()
            if not key.startswith(("grad_norm.", "learning_rate"))
        )
        loss = f" with {summary['loss']['name']}" if summary["loss"] else ""
        stdout.print(f"Training: {history['epochs']} epochs{loss}{best}; last epoch: {final}")
    optimizer = summary["optimizer"]
    stored = f"{optimizer['name']} (state stored)" if optimizer else "not stored"
    stdout.print(f"Optimizer: {stored}")
    stdout.print(
        f"File format {summary['format_version']}, written by glassnet "
        f"{summary['glassnet_version']}"
    )


def _layer_table(network, summary, model) -> Table:
    layers = Table(
        title=f"{model}: network {architecture(network)}, {summary['dtype']}",
        title_justify="left",
    )
    for column in ("layer", "type", "units", "settings", "parameters"):
        layers.add_column(column, justify="right" if column == "parameters" else "left")
    shape = network.input_shape
    for index, layer in enumerate(network.layers):
        if isinstance(layer, Dense):
            units = f"{layer.n_in} → {layer.n_out}"
        else:
            units = f"{shape_text(shape)} → {shape_text(layer.output_shape)}"
        count = layer.n_parameters
        layers.add_row(
            str(index), type(layer).__name__, units, _settings(layer), f"{count:,}" if count else ""
        )
        shape = layer.output_shape
    layers.add_row("", "", "", "total", f"{summary['n_parameters']:,}")
    return layers


#: Config entries that the inspect table shows elsewhere (units) or leaves out (initialisers).
_NOT_SETTINGS = ("type", "n_in", "n_out", "in_channels", "out_channels", "activation")


def _settings(layer) -> str:
    """A layer's configuration in a few words: ``relu``, ``rate 0.5``, ``kernel_size 3, stride 1,
    padding 0, relu``."""
    config = layer.get_config()
    words = [
        f"{key} {'x'.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in config.items()
        if key not in _NOT_SETTINGS and not key.endswith("_init")
    ]
    activation = getattr(layer, "activation", None)
    if activation is not None:
        words.append(activation.name)
    return ", ".join(words)


def _print_preprocessing(network) -> None:
    scaler = network.scaler
    if scaler is None:
        stdout.print("Preprocessing: none")
        return
    if network.n_in > 1 and np.all(scaler.mean == scaler.mean[0]):
        stdout.print(
            f"Preprocessing: inputs standardised by one mean and scale, x' = (x - "
            f"{scaler.mean[0]:.6g}) / {scaler.scale[0]:.6g}"
        )
        return
    stdout.print("Preprocessing: inputs standardised, x' = (x - mean) / scale")
    if network.n_in > MAX_NAMES_SHOWN:
        return
    scaler = Table(show_header=True, box=None, padding=(0, 2))
    scaler.add_column("  feature")
    scaler.add_column("mean", justify="right")
    scaler.add_column("scale", justify="right")
    names = network.feature_names or [f"column {index}" for index in range(1, network.n_in + 1)]
    for name, mean, scale in zip(names, network.scaler.mean, network.scaler.scale, strict=True):
        scaler.add_row(f"  {name}", f"{mean:.6g}", f"{scale:.6g}")
    stdout.print(scaler)
