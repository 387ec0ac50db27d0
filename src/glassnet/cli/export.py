"""``glassnet export``: a model file as an ONNX graph, for onnxruntime and other runtimes."""

from __future__ import annotations

import click

from glassnet import io as model_io
from glassnet import onnx as onnx_export
from glassnet.cli.common import MODEL, Failure, OutputFile, reports_errors


@click.command()
@click.argument("model", type=MODEL)
@click.option(
    "--onnx", "onnx_path", required=True, type=OutputFile(), help="The ONNX file to write."
)
@click.option(
    "--opset",
    type=click.IntRange(min=onnx_export.MIN_OPSET),
    default=onnx_export.DEFAULT_OPSET,
    show_default=True,
    help="The ONNX operator set to write for.",
)
@reports_errors
def export(model, onnx_path, opset) -> None:
    """Export MODEL to ONNX, for onnxruntime and other runtimes.

    The graph takes the raw inputs (standardised inside it) and gives a classifier's class
    probabilities and labels, or a regression model's outputs. Its input X has the shape the
    model reads, (n_samples, *input_shape): images and sequences read from CSV rows are
    reshaped to it first (row-major). Needs the onnx package (pip install "glassnet[onnx]").

    \b
    Example:
      glassnet export moons.safetensors --onnx moons.onnx
    """
    network = model_io.load(model)
    try:
        onnx_export.save(network, onnx_path, opset=opset)
    except ImportError as error:
        raise Failure(str(error)) from None
    click.echo(f"Saved the ONNX model (opset {opset}) to {onnx_path}")
    shape = ", ".join(map(str, ("n_samples", *network.input_shape)))
    click.echo(f"Its input X: {onnx_export.input_type(network)} ({shape})")
