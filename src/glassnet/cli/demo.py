"""``glassnet demo``: the beginner tutorial, end to end."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from glassnet.cli.common import reports_errors
from glassnet.cli.plot import draw_loss_curve
from glassnet.demo import PRINT_EVERY


@click.command()
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    help="Folder for the loss-curve PNG (default: the current folder).",
)
@click.option(
    "--print-every",
    type=click.IntRange(min=1),
    default=PRINT_EVERY,
    show_default=True,
    help="Epochs between two training-loss lines (10: every line of the tutorial).",
)
@reports_errors
def demo(out_dir: Path, print_every: int) -> None:
    """Run the beginner tutorial end to end.

    A neuron, the 2-2-1 network, MSE, backprop by hand for Alice, training on the four people
    (the loss every 100 epochs), then predictions for Emily and Frank. The loss curve, the
    tutorial's figure 8, is drawn as glassnet-demo-loss.png in --out-dir; the last line gives
    its full path.

    \b
    Examples:
      glassnet demo
      glassnet demo --out-dir .
      glassnet demo --print-every 10
    """
    from glassnet import demo as tutorial

    history = tutorial.run(sys.stdout, print_every=print_every)
    sys.stdout.flush()
    draw_loss_curve(
        history,
        (out_dir / "glassnet-demo-loss.png").resolve(),
        "the loss curve (the tutorial's figure 8)",
        title="The four people: MSE loss per epoch",
    )
