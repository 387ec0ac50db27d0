"""``glassnet playground``: a network to tinker with in the browser, on glassnet's own engine."""

from __future__ import annotations

import click

from glassnet.cli.common import Failure, reports_errors, stderr


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to serve on; anything but 127.0.0.1 lets other machines in.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@click.option("--max-hidden-layers", type=click.IntRange(min=1), default=8, show_default=True)
@click.option(
    "--max-neurons",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="The most neurons a hidden layer may have.",
)
@reports_errors
def playground(host, port, no_browser, max_hidden_layers, max_neurons) -> None:
    """Tinker with a network in the browser, on glassnet's own engine.

    Serves a page like TensorFlow Playground on this machine (Ctrl-C stops it). What you build
    there downloads as a model file for the other commands, or as a Python script. Needs the
    playground extra: pip install "glassnet[playground]".

    \b
    Example:
      glassnet playground --port 8000
    """
    try:
        from glassnet.playground import serve
        from glassnet.playground.setup import Limits
    except ImportError as error:
        raise Failure(str(error)) from None
    limits = Limits(max_hidden_layers=max_hidden_layers, max_neurons=max_neurons)
    serve(host, port, open_browser=not no_browser, limits=limits, announce=stderr.print)
