"""Side-by-side speed of glassnet, PyTorch and scikit-learn on the same MLP work.

For each thread count (1 and 2 by default) one fresh process runs the frameworks interleaved
(glassnet, the NumPy floor, torch, sklearn, glassnet, ...), ``repeats`` times, and the table
shows medians. The NumPy floor (numpy_floor.py) is the same work as the shortest plain NumPy
program: the best that any NumPy code can do on the machine. What is measured:

1. training, seconds per epoch of plain SGD (learning rate 0.1, no momentum, no decay) with a
   softmax output and cross-entropy, on 60,000 x 784 float32 gaussian class clusters:
   784-128-10 at batch 32, 64 and 128, and 784-256-256-10 at batch 64. Each run trains a fresh
   model for ``epochs`` epochs in one training call and times epochs 2..epochs from inside it,
   so one-off setup (input checks, label encoding, first-touch allocations) is left out for
   every framework; that one-off cost is reported apart;
2. inference: the median latency of one sample and the throughput at batch 10,000;
3. ``import glassnet`` against ``import numpy``, in fresh interpreters;
4. memory of a training run, in fresh interpreters: tracemalloc (NumPy's allocations) and the
   resident set, and whether they grow from epoch 1 to epoch 3;

and the machine's own float32 matrix-multiply speed for the shapes of one training step, so that
an epoch can be read as "x times the matmul bound". benchmarks/README.md and
docs/benchmarks.md explain every number.

Usage::

    python benchmarks/bench_mlp.py                  # full run, 1 and 2 threads (~6 minutes)
    python benchmarks/bench_mlp.py --quick          # a smaller run (under a minute)
    python benchmarks/bench_mlp.py --threads 1 --json results.json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import io
import itertools
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

import glassnet

from machine import cpu_model
from numpy_floor import NumpyMLP

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

# torch and scikit-learn are imported by import_frameworks, only where needed, so that a memory
# probe of one framework does not carry the others.
torch = sklearn = MLPClassifier = ConvergenceWarning = None

N_FEATURES = 784
N_CLASSES = 10
LEARNING_RATE = 0.1
CENTRE_SCALE = 0.1  # class centres ~ N(0, 0.1^2) under unit noise: learnable, not trivial
FRAMEWORKS = ("glassnet", "numpy", "torch", "sklearn")  # "numpy": the floor, numpy_floor.py
MEMORY_FRAMEWORKS = ("glassnet", "torch", "sklearn")
SLOW_BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# The goals the table is read against (glassnet / other, or glassnet / bound).
GOAL_VS_TORCH = 0.45  # training epoch, batch 32/64/128
GOAL_VS_SKLEARN = 0.25  # training epoch, batch 32/64/128
GOAL_VS_BOUND = 2.0  # training epoch against the matmul bound
GOAL_LATENCY_VS_TORCH = 0.5  # one-sample latency
GOAL_THROUGHPUT_VS_TORCH = 1.0  # batch-10k samples/s, at least
GOAL_IMPORT_VS_NUMPY = 1.3
GROWTH_TOLERANCE_BYTES = 256 * 1024  # a per-batch leak over 2 epochs would be megabytes
UNSTABLE_SPREAD = 1.3  # slowest / fastest run of a case above which the table says so
# A product timed before every repeat, to show whether the machine kept its speed.
REFERENCE_PRODUCT = ("forward", 128, 784, 128)


@dataclass
class Config:
    """How much work a run does; ``--quick`` shrinks every field."""

    n_samples: int = 60_000  # training samples per epoch
    repeats: int = 3  # interleaved runs per case; the table shows medians
    epochs: int = 3  # epochs per run; epochs 2..epochs are timed
    latency_calls: int = 3000  # one-sample calls per framework
    throughput_calls: int = 7  # batch-10k calls per framework
    throughput_batch: int = 10_000
    import_runs: int = 9  # fresh interpreters per module
    matmul_blocks: int = 5  # timing blocks per matmul shape and repeat (fastest kept)
    suite_budget_seconds: float = 200.0  # no new repeat starts after this long
    threads: tuple[int, ...] = (1, 2)
    frameworks: tuple[str, ...] = FRAMEWORKS


QUICK = {
    "n_samples": 15_000,
    "repeats": 1,
    "epochs": 2,
    "latency_calls": 1000,
    "throughput_calls": 3,
    "import_runs": 5,
    "matmul_blocks": 3,
    "suite_budget_seconds": 30.0,
}


@dataclass(frozen=True)
class Case:
    """One training workload: the layer sizes and the batch size."""

    sizes: tuple[int, ...]
    batch_size: int
    goals_vs_others: bool = True  # the torch and sklearn goals apply to this case

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.sizes[1:-1]

    @property
    def name(self) -> str:
        return f"{'-'.join(map(str, self.sizes))} b{self.batch_size}"


CASES = (
    Case((784, 128, 10), 32),
    Case((784, 128, 10), 64),
    Case((784, 128, 10), 128),
    Case((784, 256, 256, 10), 64, goals_vs_others=False),
)


@dataclass
class EpochTimes:
    """One training run: the wall time of each epoch and of the whole call."""

    epochs: list[float] = field(default_factory=list)
    call: float = 0.0
    method: str = "epochs timed inside one training call"
    losses: list[float] = field(default_factory=list)  # training loss of each epoch

    @property
    def steady(self) -> float:
        """Mean of epochs 2..k: the per-epoch cost once everything is set up."""
        return statistics.fmean(self.epochs[1:])

    @property
    def one_off(self) -> float:
        """What the call cost beyond ``len(epochs)`` steady epochs: input checks, label
        encoding, first-touch allocations, warm-up."""
        return self.call - len(self.epochs) * self.steady


def import_frameworks(names) -> None:
    """Import torch and / or scikit-learn into this module; a missing one stays None."""
    global torch, sklearn, MLPClassifier, ConvergenceWarning
    if "torch" in names:
        with contextlib.suppress(ImportError):
            import torch
    if "sklearn" in names:
        with contextlib.suppress(ImportError):
            import sklearn
            from sklearn.exceptions import ConvergenceWarning
            from sklearn.neural_network import MLPClassifier


# -- data --------------------------------------------------------------------------------------


def make_data(n_samples: int, dtype=np.float32, seed: int = 0):
    """Gaussian class clusters ``x = centre[y] + noise``: X ``(n_samples, 784)``, y labels.

    Drawn in float32 chunk by chunk, so float32 and float64 copies hold the same values and no
    full-size temporary raises the process's peak memory.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, CENTRE_SCALE, (N_CLASSES, N_FEATURES)).astype(np.float32)
    labels = rng.integers(0, N_CLASSES, n_samples)
    X = np.empty((n_samples, N_FEATURES), dtype=dtype)
    chunk = np.empty((8192, N_FEATURES), dtype=np.float32)
    for start in range(0, n_samples, len(chunk)):
        stop = min(start + len(chunk), n_samples)
        noise = chunk[: stop - start]
        rng.standard_normal(out=noise, dtype=np.float32)
        noise += centres[labels[start:stop]]
        X[start:stop] = noise
    return X, labels


# -- threads and environment -------------------------------------------------------------------


@contextlib.contextmanager
def thread_limit(n_threads: int):
    """Run NumPy's BLAS (and OpenMP) and torch's intra-op pool with ``n_threads`` threads."""
    previous_torch = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(n_threads)
    limiter = (
        threadpoolctl.threadpool_limits(limits=n_threads)
        if threadpoolctl is not None
        else contextlib.nullcontext()
    )
    try:
        with limiter:
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(previous_torch)


def blas_description() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, CPU kernel, threading."""
    if threadpoolctl is None:
        return "unknown (threadpoolctl not installed)"
    pools = [pool for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
    pools.sort(key=lambda pool: "numpy" not in pool["filepath"])
    if not pools:
        return "unknown"
    pool = pools[0]
    return (
        f"{pool['internal_api']} {pool.get('version')} "
        f"({pool.get('architecture')}, {pool.get('threading_layer')})"
    )


def machine_facts() -> dict:
    facts = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "glassnet": getattr(glassnet, "__version__", "?"),
        "glassnet_source": glassnet_fingerprint(),
        "torch": torch.__version__ if torch is not None else None,
        "sklearn": sklearn.__version__ if sklearn is not None else None,
        "blas": blas_description(),
        "torch_blas": _torch_blas(),
    }
    facts["slow_blas_variables"] = {
        name: os.environ[name] for name in SLOW_BLAS_VARIABLES if name in os.environ
    }
    facts["thread_variables"] = {
        name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ
    }
    return facts


def glassnet_fingerprint() -> str:
    """A hash of the imported glassnet's source files and the time of the newest one, so that
    figures can be tied to the state of a library that is being edited."""
    root = os.path.dirname(glassnet.__file__)
    digest, newest = hashlib.sha256(), 0.0
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                digest.update(os.path.relpath(path, root).encode())
                with open(path, "rb") as source:
                    digest.update(source.read())
                newest = max(newest, os.path.getmtime(path))
    when = datetime.datetime.fromtimestamp(newest).astimezone().isoformat(timespec="seconds")
    return f"sha256 {digest.hexdigest()[:12]}, newest file {when}"


def _torch_blas() -> str | None:
    if torch is None:
        return None
    found = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return found.group(1) if found else "unknown"


# -- training: one run per framework -----------------------------------------------------------


class EpochTimer(glassnet.Callback):
    """Record each epoch's wall time from glassnet's own training loop."""

    def __init__(self):
        self.seconds: list[float] = []

    def on_epoch_begin(self, trainer, epoch):
        self.start = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        self.seconds.append(time.perf_counter() - self.start)


def glassnet_network(sizes):
    layers = [glassnet.Dense(n_in, n_out, "relu") for n_in, n_out in itertools.pairwise(sizes[:-1])]
    layers.append(glassnet.Dense(sizes[-2], sizes[-1], "softmax"))
    return glassnet.Network(layers, seed=0, dtype="float32")


def train_glassnet(case: Case, data, epochs: int) -> EpochTimes:
    """One ``fit`` call of ``epochs`` epochs; epochs are timed by a callback."""
    X, y = data["float32"], data["labels"]
    network = glassnet_network(case.sizes)
    timer = EpochTimer()
    start = time.perf_counter()
    history = network.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer="sgd",
        learning_rate=LEARNING_RATE,
        epochs=epochs,
        batch_size=case.batch_size,
        metrics=(),
        shuffle=True,
        callbacks=[timer],
    )
    return EpochTimes(timer.seconds, time.perf_counter() - start, losses=list(history["loss"]))


def torch_model(sizes):
    torch.manual_seed(0)
    modules = []
    for n_in, n_out in itertools.pairwise(sizes[:-1]):
        modules += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    modules.append(torch.nn.Linear(sizes[-2], sizes[-1]))  # softmax lives in the loss
    return torch.nn.Sequential(*modules)


def train_torch(case: Case, data, epochs: int) -> EpochTimes:
    """A plain eager loop: a random permutation each epoch, batches indexed from a float32
    tensor, ``CrossEntropyLoss``, ``SGD``; the epoch's loss is summed as glassnet's fit does."""
    X, y = data["torch_X"], data["torch_y"]
    model = torch_model(case.sizes)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    criterion = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)
    n_samples, batch_size = len(X), case.batch_size
    times = EpochTimes()
    call_start = time.perf_counter()
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        order = torch.randperm(n_samples, generator=generator)
        total_loss = 0.0
        for start in range(0, n_samples, batch_size):
            indices = order[start : start + batch_size]
            X_batch, y_batch = X[indices], y[indices]
            loss = criterion(model(X_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(indices)
        times.epochs.append(time.perf_counter() - epoch_start)
        times.losses.append(total_loss / n_samples)
    times.call = time.perf_counter() - call_start
    return times


class _LineClock(io.TextIOBase):
    """A stdout stand-in that notes when scikit-learn's verbose mode ends each epoch."""

    def __init__(self):
        self.stamps: list[float] = []

    def write(self, text):
        if text.startswith("Iteration "):
            self.stamps.append(time.perf_counter())
        return len(text)


def sklearn_model(case: Case, max_iter: int, verbose: bool = False):
    return MLPClassifier(
        hidden_layer_sizes=case.hidden,
        solver="sgd",
        learning_rate_init=LEARNING_RATE,
        momentum=0,
        nesterovs_momentum=False,
        batch_size=case.batch_size,
        max_iter=max_iter,
        alpha=0,
        shuffle=True,
        random_state=0,
        verbose=verbose,
    )


def train_sklearn(case: Case, data, epochs: int) -> EpochTimes:
    """One ``fit(max_iter=epochs)`` call in float64. scikit-learn has no epoch callback, but in
    verbose mode it prints ``Iteration k, loss = ...`` as each epoch ends: those lines are
    time-stamped, so, as for glassnet, epochs 2..k are timed inside one call and its input
    validation is setup. If the lines ever change, one ``partial_fit`` call per epoch is timed
    instead (each then also re-validates X, about 4% of an epoch here)."""
    X, y = data["float64"], data["labels"]
    clock = _LineClock()
    model = sklearn_model(case, epochs, verbose=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        with contextlib.redirect_stdout(clock):
            model.fit(X, y)
        call = time.perf_counter() - start
    if len(clock.stamps) == epochs:
        edges = [start, *clock.stamps]
        epoch_seconds = [stop - begin for begin, stop in itertools.pairwise(edges)]
        return EpochTimes(epoch_seconds, call, losses=list(model.loss_curve_))
    model = sklearn_model(case, 1)
    times = EpochTimes(method="one partial_fit call per epoch")
    classes = np.arange(N_CLASSES)
    for _ in range(epochs):
        start = time.perf_counter()
        model.partial_fit(X, y, classes=classes)
        times.epochs.append(time.perf_counter() - start)
    times.call = sum(times.epochs)
    times.losses = list(model.loss_curve_)
    return times


def train_numpy(case: Case, data, epochs: int) -> EpochTimes:
    """The NumPy floor (numpy_floor.py): the same work as the shortest plain NumPy program."""
    model = NumpyMLP(case.sizes)
    rng = np.random.default_rng(0)
    times = EpochTimes()
    call_start = time.perf_counter()
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        loss = model.train_epoch(
            data["float32"], data["one_hot"], case.batch_size, LEARNING_RATE, rng
        )
        times.epochs.append(time.perf_counter() - epoch_start)
        times.losses.append(loss)
    times.call = time.perf_counter() - call_start
    return times


TRAINERS = {
    "glassnet": train_glassnet,
    "numpy": train_numpy,
    "torch": train_torch,
    "sklearn": train_sklearn,
}


# -- the matmul bound --------------------------------------------------------------------------


def step_matmuls(sizes, batch_size):
    """The matrix products of one training step, as glassnet (and torch) do them.

    For each layer with ``W (n_out, n_in)``: forward ``x @ W.T``, weight gradient
    ``delta.T @ x``, and, for every layer but the first, the input gradient ``delta @ W``.
    Returns ``(kind, m, k, n)`` for an ``(m, k) @ (k, n)`` product.
    """
    products = []
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        products.append(("forward", batch_size, n_in, n_out))
        products.append(("weight_grad", n_out, batch_size, n_in))
        if index > 0:
            products.append(("input_grad", batch_size, n_out, n_in))
    return products


def time_matmul(kind, m, k, n, blocks: int) -> float:
    """Seconds of one float32 product with the memory layout glassnet uses: the fastest of
    ``blocks`` timed blocks of >= 5 ms (a bound wants the machine at its best)."""
    rng = np.random.default_rng(0)
    if kind == "forward":  # x (m, k) @ W.T, W (n, k)
        left = rng.standard_normal((m, k), dtype=np.float32)
        right = rng.standard_normal((n, k), dtype=np.float32).T
    elif kind == "weight_grad":  # delta.T @ x, delta (k, m), x (k, n)
        left = rng.standard_normal((k, m), dtype=np.float32).T
        right = rng.standard_normal((k, n), dtype=np.float32)
    else:  # delta (m, k) @ W, W (k, n)
        left = rng.standard_normal((m, k), dtype=np.float32)
        right = rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), dtype=np.float32)
    for _ in range(3):
        np.matmul(left, right, out=out)
    calls = 1
    while True:  # enough calls for a block of >= 5 ms
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(left, right, out=out)
        if time.perf_counter() - start >= 0.005:
            break
        calls *= 2
    samples = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(left, right, out=out)
        samples.append((time.perf_counter() - start) / calls)
    return min(samples)


def time_step_matmuls(blocks: int, timings: dict) -> None:
    """Time every product of every case's step once more, appending to ``timings[product]``."""
    products = {product for case in CASES for product in step_matmuls(case.sizes, case.batch_size)}
    for product in sorted(products):
        timings.setdefault(product, []).append(time_matmul(*product, blocks))


def matmul_bound(case: Case, n_samples: int, timings: dict) -> dict:
    """Seconds per epoch if a step cost only its matmuls: the sum of their fastest times x
    steps per epoch (the last, smaller batch is counted as a full one)."""
    products = []
    for kind, m, k, n in step_matmuls(case.sizes, case.batch_size):
        seconds = min(timings[(kind, m, k, n)])
        products.append(
            {
                "kind": kind,
                "shape": f"({m}x{k}) @ ({k}x{n})",
                "seconds": seconds,
                "gflops": 2 * m * k * n / seconds / 1e9,
            }
        )
    steps = math.ceil(n_samples / case.batch_size)
    step_seconds = sum(p["seconds"] for p in products)
    flops_per_sample = sum(2 * m * k * n for _, m, k, n in step_matmuls(case.sizes, 1))
    return {
        "products": products,
        "steps_per_epoch": steps,
        "step_seconds": step_seconds,
        "bound_seconds": step_seconds * steps,
        "gflop_per_epoch": flops_per_sample * n_samples / 1e9,
    }


# -- inference ---------------------------------------------------------------------------------


def median_calls(functions: dict, n_calls: int, warmup: int, rounds: int = 5) -> dict:
    """Median wall time (seconds) of each ``functions[name]()``, every call timed on its own;
    the calls go round the functions in ``rounds`` rounds, so that all see the same machine."""
    samples = {name: [] for name in functions}
    for function in functions.values():
        for _ in range(warmup):
            function()
    per_round = max(1, math.ceil(n_calls / rounds))
    for _ in range(rounds):
        for name, function in functions.items():
            for _ in range(per_round):
                start = time.perf_counter_ns()
                function()
                samples[name].append(time.perf_counter_ns() - start)
    return {name: statistics.median(times) / 1e9 for name, times in samples.items()}


def inference_models(data, frameworks):
    """784-128-10 models of each framework, fitted on a slice so that predict works."""
    X, y = data["float32"][:2000], data["labels"][:2000]
    case = CASES[0]
    models = {}
    if "glassnet" in frameworks:
        network = glassnet_network(case.sizes)
        network.fit(
            X,
            y,
            loss="cross_entropy",
            optimizer="sgd",
            learning_rate=LEARNING_RATE,
            epochs=1,
            batch_size=128,
            metrics=(),
        )
        models["glassnet"] = network
    if "numpy" in frameworks:
        models["numpy"] = NumpyMLP(case.sizes)
    if "torch" in frameworks:
        models["torch"] = torch_model(case.sizes).eval()
    if "sklearn" in frameworks:
        model = sklearn_model(case, 1)
        model.partial_fit(X.astype(np.float64), y, classes=np.arange(N_CLASSES))
        models["sklearn"] = model
    return models


def measure_inference(models, data, config: Config) -> dict:
    """One-sample latency (seconds) and batch throughput (samples/s), interleaved."""
    x_one = data["float32"][:1].copy()
    x_one64 = x_one.astype(np.float64)
    X_batch = data["float32"][: config.throughput_batch]
    X_batch64 = X_batch.astype(np.float64)
    latency_calls, batch_calls = {}, {}
    if "glassnet" in models:
        network = models["glassnet"]
        latency_calls["glassnet"] = lambda: network.predict(x_one)
        latency_calls["glassnet predict_proba"] = lambda: network.predict_proba(x_one)
        latency_calls["glassnet forward (no checks)"] = lambda: network.forward(x_one)
        batch_calls["glassnet"] = lambda: network.predict(X_batch)
        batch_calls["glassnet forward (no checks)"] = lambda: network.forward(X_batch)
    if "numpy" in models:
        floor = models["numpy"]
        latency_calls["numpy floor"] = lambda: floor.predict(x_one)
        batch_calls["numpy floor"] = lambda: floor.predict(X_batch)
    if "torch" in models:
        torch_net = models["torch"]
        t_one, t_batch = torch.from_numpy(x_one), torch.from_numpy(X_batch)

        def torch_one():
            with torch.inference_mode():
                return torch_net(t_one)

        def torch_one_numpy():  # numpy in, label out: the same job as glassnet's predict
            with torch.inference_mode():
                return torch_net(torch.from_numpy(x_one)).argmax(dim=1).numpy()

        def torch_batch():
            with torch.inference_mode():
                return torch_net(t_batch)

        latency_calls["torch"] = torch_one
        latency_calls["torch numpy->label"] = torch_one_numpy
        batch_calls["torch"] = torch_batch
    if "sklearn" in models:
        classifier = models["sklearn"]
        latency_calls["sklearn"] = lambda: classifier.predict_proba(x_one64)
        batch_calls["sklearn"] = lambda: classifier.predict_proba(X_batch64)
    latency = median_calls(latency_calls, config.latency_calls, warmup=50)
    batch_seconds = median_calls(batch_calls, config.throughput_calls, warmup=1, rounds=1)
    throughput = {name: len(X_batch) / seconds for name, seconds in batch_seconds.items()}
    return {
        "latency_seconds": latency,
        "throughput_per_second": throughput,
        "throughput_batch": len(X_batch),
    }


# -- import time and memory: fresh interpreters ------------------------------------------------


IMPORT_PROBE = (
    "import time; start = time.perf_counter(); import {module}; print(time.perf_counter() - start)"
)
EXTRA_MODULES_PROBE = (
    "import sys, numpy; before = set(sys.modules); import glassnet; "
    "print(' '.join(sorted({name.split('.')[0] for name in set(sys.modules) - before} "
    "- {'glassnet'})))"
)


def _import_seconds(module: str, runs: int, env: dict) -> list[float]:
    samples = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE.format(module=module)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        samples.append(float(output.stdout.strip()))
    return samples


def measure_imports(runs: int) -> dict:
    """Median wall time of ``import numpy`` and ``import glassnet`` (numpy included), each in
    a fresh interpreter, alternating, with compiled bytecode available to both (as after a
    normal install): a private ``PYTHONPYCACHEPREFIX`` is filled by one warm-up import.
    Where ``PYTHONDONTWRITEBYTECODE`` is set and glassnet has no ``__pycache__`` (an editable
    install that was never allowed to write one), every import recompiles glassnet from
    source; that is measured too, as ``glassnet_no_bytecode_seconds``."""
    import tempfile

    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, PYTHONPYCACHEPREFIX=cache)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for module in ("numpy", "glassnet"):
            _import_seconds(module, 1, env)
        samples = {"numpy": [], "glassnet": []}
        for _ in range(runs):
            for module in samples:
                samples[module] += _import_seconds(module, 1, env)
    results["numpy_seconds"] = statistics.median(samples["numpy"])
    results["glassnet_seconds"] = statistics.median(samples["glassnet"])
    results["samples"] = samples
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        results["glassnet_no_bytecode_seconds"] = statistics.median(
            _import_seconds("glassnet", runs, dict(os.environ))
        )
    results["modules_beyond_numpy"] = subprocess.run(
        [sys.executable, "-c", EXTRA_MODULES_PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    return results


def _status_bytes(field_name: str) -> int:
    """A ``kB`` field of /proc/self/status (``VmRSS``, ``VmHWM``) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field_name)


def _reset_peak_rss() -> bool:
    """Make the kernel forget this process's peak resident set (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def memory_probe(framework: str, n_samples: int, batch_size: int, epochs: int = 3) -> dict:
    """Train 784-128-10 for ``epochs`` epochs in this fresh process and report its memory.

    ``peak_rss_delta``: how far the resident set rose during training above what it was just
    before (data and model made, imports done). The kernel's peak (``VmHWM``) is reset first
    through /proc/self/clear_refs, so earlier import spikes do not hide it; where that is not
    allowed, ``resource.getrusage`` maxrss before and after is used instead (``peak_method``).
    ``rss_after``: the resident set after each epoch. For the NumPy frameworks also tracemalloc,
    which sees every NumPy array: ``traced_peak_epoch1`` is the peak from the start of the call
    to the end of epoch 1 (a 1-epoch fit, its setup included), ``traced_after`` what is still
    held after each epoch. torch's allocator is invisible to tracemalloc.
    """
    import tracemalloc

    import_frameworks([framework])
    case = Case((784, 128, 10), batch_size)
    dtype = np.float64 if framework == "sklearn" else np.float32
    X, y = make_data(n_samples, dtype=dtype)
    report = {"rss_after": [], "traced_after": [], "data_bytes": X.nbytes}

    def record(epoch):
        report["rss_after"].append(_status_bytes("VmRSS"))
        if tracemalloc.is_tracing():
            current, peak = tracemalloc.get_traced_memory()
            report["traced_after"].append(current)
            if epoch == 0:
                report["traced_peak_epoch1"] = peak

    with thread_limit(1):
        if framework == "glassnet":
            network = glassnet_network(case.sizes)

            class Recorder(glassnet.Callback):
                def on_epoch_end(self, trainer, epoch, logs):
                    record(epoch)

            def train():
                tracemalloc.start()
                network.fit(
                    X,
                    y,
                    loss="cross_entropy",
                    optimizer="sgd",
                    learning_rate=LEARNING_RATE,
                    epochs=epochs,
                    batch_size=batch_size,
                    metrics=(),
                    shuffle=True,
                    callbacks=[Recorder()],
                )
        elif framework == "torch":
            model = torch_model(case.sizes)
            optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
            criterion = torch.nn.CrossEntropyLoss()
            X_tensor, y_tensor = torch.from_numpy(X), torch.from_numpy(y)

            def train():
                for epoch in range(epochs):
                    order = torch.randperm(n_samples)
                    for start in range(0, n_samples, batch_size):
                        indices = order[start : start + batch_size]
                        loss = criterion(model(X_tensor[indices]), y_tensor[indices])
                        optimizer.zero_grad()
                        loss.backward()
                        optimizer.step()
                        loss.item()
                    record(epoch)
        else:
            model = sklearn_model(case, 1)
            classes = np.arange(N_CLASSES)

            def train():
                tracemalloc.start()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    for epoch in range(epochs):
                        model.partial_fit(X, y, classes=classes)
                        record(epoch)

        if _reset_peak_rss():
            report["peak_method"] = "VmHWM after clear_refs"
            before = _status_bytes("VmRSS")
            train()
            report["peak_rss_delta"] = _status_bytes("VmHWM") - before
        else:
            report["peak_method"] = "getrusage maxrss"
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            train()
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            report["peak_rss_delta"] = after - before
    if report["traced_after"]:
        report["traced_growth"] = report["traced_after"][-1] - report["traced_after"][0]
    report["rss_growth"] = report["rss_after"][-1] - report["rss_after"][0]
    return report


def measure_memory(frameworks, n_samples: int) -> dict:
    results = {}
    for framework in frameworks:
        output = subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--memory-probe",
                framework,
                "--samples",
                str(n_samples),
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ, **dict.fromkeys(THREAD_VARIABLES, "1")),
        )
        if output.returncode != 0:
            results[framework] = {"error": output.stderr.strip().splitlines()[-1:]}
            continue
        results[framework] = json.loads(output.stdout.strip().splitlines()[-1])
    return results


# -- the run -----------------------------------------------------------------------------------


def run_training(config: Config, data, log, before_repeat=None, deadline=math.inf) -> dict:
    """Interleave every framework on every case, ``repeats`` times; keep every run. Repeats
    stop early once ``deadline`` (a ``perf_counter`` time) has passed."""
    runs = {case.name: {name: [] for name in config.frameworks} for case in CASES}
    for repeat in range(config.repeats):
        if repeat > 0 and time.perf_counter() > deadline:
            log(f"  the suite is over its time budget: stopping after {repeat} repeats")
            break
        if before_repeat is not None:
            before_repeat()
        for case in CASES:
            for name in config.frameworks:
                times = TRAINERS[name](case, data, config.epochs)
                runs[case.name][name].append(times)
                log(
                    f"  run {repeat + 1}/{config.repeats} {case.name:<22} {name:<8} "
                    f"{times.steady:7.3f} s/epoch"
                )
    summary = {}
    for case in CASES:
        summary[case.name] = {}
        for name, times in runs[case.name].items():
            summary[case.name][name] = {
                "epoch_seconds": statistics.median(t.steady for t in times),
                "one_off_seconds": statistics.median(t.one_off for t in times),
                "spread": max(t.steady for t in times) / min(t.steady for t in times),
                "losses": times[0].losses,
                "runs": [asdict(t) for t in times],
            }
    return summary


# -- the report --------------------------------------------------------------------------------


def _verdict(ratio, goal, at_most=True) -> str:
    if ratio is None:
        return "  -"
    ok = ratio <= goal if at_most else ratio >= goal
    return " ok" if ok else " NO"


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def _fmt(value, spec):
    return f"{value:{spec}}" if value is not None else f"{'-':>{len(format(1.0, spec))}}"


def print_header(facts: dict, config: Config, notes: list[str]) -> None:
    print("glassnet MLP benchmark")
    print(f"  date {facts['date']}, {facts['processor']}, {facts['cores']} cores")
    print(
        f"  python {facts['python']}, numpy {facts['numpy']} (BLAS: {facts['blas']}), "
        f"glassnet {facts['glassnet']}, "
        + (f"torch {facts['torch']} ({facts['torch_blas']}), " if facts["torch"] else "")
        + (f"scikit-learn {facts['sklearn']}" if facts["sklearn"] else "")
    )
    print(f"  glassnet source: {facts['glassnet_source']}")
    print(
        f"  {config.n_samples:,} samples x {N_FEATURES} float32, SGD lr {LEARNING_RATE}; "
        f"{config.repeats} interleaved runs of {config.epochs} epochs per case, "
        f"epochs 2..{config.epochs} timed; medians"
    )
    for note in notes:
        print(f"  NOTE: {note}")
    print()


def print_threads(n_threads: int, result: dict, config: Config) -> None:
    training, bounds, inference = result["training"], result["bounds"], result["inference"]
    pools = ", ".join(
        f"{re.split(r'[-.]', key.split(':')[-1])[0]} {value}"
        for key, value in result["pools"].items()
        if value is not None
    )
    print(f"== threads = {n_threads} (pools: {pools}) " + "=" * 20)
    print(
        f"training, seconds per epoch ({config.n_samples:,} samples); goals: g/torch <= "
        f"{GOAL_VS_TORCH} and g/sk <= {GOAL_VS_SKLEARN} (784-128-10), g/bound <= {GOAL_VS_BOUND}"
    )
    print(
        f"{'case':<20}{'glassnet':>9}{'torch':>8}{'sklearn':>9}{'g/torch':>10}{'':5}"
        f"{'g/sk':>7}{'':5}{'bound':>8}{'g/bound':>9}{'':5}{'numpy':>7}{'np/torch':>10}"
        f"{'g/np':>7}"
    )
    for case in CASES:
        row = training[case.name]
        g = row.get("glassnet", {}).get("epoch_seconds")
        t = row.get("torch", {}).get("epoch_seconds")
        s = row.get("sklearn", {}).get("epoch_seconds")
        floor = row.get("numpy", {}).get("epoch_seconds")
        bound = bounds[case.name]["bound_seconds"]
        vs_torch, vs_sk, vs_bound = _ratio(g, t), _ratio(g, s), _ratio(g, bound)
        torch_ok = _verdict(vs_torch, GOAL_VS_TORCH) if case.goals_vs_others else "  -"
        sk_ok = _verdict(vs_sk, GOAL_VS_SKLEARN) if case.goals_vs_others else "  -"
        print(
            f"{case.name:<20}{_fmt(g, '9.3f')}{_fmt(t, '8.3f')}{_fmt(s, '9.3f')}"
            f"{_fmt(vs_torch, '10.2f')}{torch_ok:<5}{_fmt(vs_sk, '7.2f')}{sk_ok:<5}"
            f"{bound:8.3f}{_fmt(vs_bound, '9.2f')}{_verdict(vs_bound, GOAL_VS_BOUND):<5}"
            f"{_fmt(floor, '7.3f')}{_fmt(_ratio(floor, t), '10.2f')}"
            f"{_fmt(_ratio(g, floor), '7.2f')}"
        )
    print(
        "  numpy: the same work as the shortest plain NumPy program (benchmarks/numpy_floor.py); "
        "np/torch is the best ratio NumPy allows here, g/np what glassnet's structure costs"
    )
    print(
        "one-off cost of a training call beyond its steady epochs, seconds; and the spread "
        "(slowest / fastest run)"
    )
    for case in CASES:
        row = training[case.name]
        cells = "".join(
            f"  {name} {row[name]['one_off_seconds']:+.3f} (x{row[name]['spread']:.2f})"
            for name in config.frameworks
        )
        print(f"  {case.name:<20}{cells}")
    print("training loss after each epoch (first run), to show that all do the same work")
    for case in CASES:
        row = training[case.name]
        cells = " | ".join(
            f"{name} " + " ".join(f"{loss:.3f}" for loss in row[name]["losses"])
            for name in config.frameworks
        )
        print(f"  {case.name:<20}  {cells}")
    unstable = [
        f"{case.name} {name}"
        for case in CASES
        for name in config.frameworks
        if training[case.name][name]["spread"] > UNSTABLE_SPREAD
    ]
    if unstable:
        print(
            f"  NOTE: runs differ by more than x{UNSTABLE_SPREAD} for {', '.join(unstable)}: "
            "the machine was not steady; the median is kept"
        )
    print("matmul bound (numpy float32, fastest of the repeats): GFLOP/s of each product")
    for case in CASES:
        bound = bounds[case.name]
        print(
            f"  {case.name:<20} {bound['gflop_per_epoch']:.1f} GFLOP/epoch; "
            f"{bound['steps_per_epoch']} steps x {bound['step_seconds'] * 1e6:.0f} us "
            f"= {bound['bound_seconds']:.3f} s"
        )
        print(
            "      "
            + ", ".join(f"{p['kind']} {p['shape']} {p['gflops']:.0f}" for p in bound["products"])
        )
    reference = result["reference_gflops"]
    _, m, k, n = REFERENCE_PRODUCT
    print(
        f"  machine check: ({m}x{k}) @ ({k}x{n}) timed before each repeat: "
        + ", ".join(f"{gflops:.0f}" for gflops in reference)
        + " GFLOP/s"
    )
    if max(reference) > 2 * min(reference):
        print(
            "  NOTE: the machine's matmul speed changed more than 2x during this suite (on a "
            "shared VM the second core comes and goes); read these figures with care"
        )
    print("inference, 784-128-10")
    _print_inference(
        "one-sample latency, us",
        {name: seconds * 1e6 for name, seconds in inference["latency_seconds"].items()},
        ".1f",
        "glassnet predict / torch model(x)",
        GOAL_LATENCY_VS_TORCH,
        at_most=True,
    )
    _print_inference(
        f"batch {inference['throughput_batch']:,} throughput, samples/s",
        inference["throughput_per_second"],
        ",.0f",
        "glassnet / torch",
        GOAL_THROUGHPUT_VS_TORCH,
        at_most=False,
    )
    print()


def _print_inference(title, values, spec, ratio_name, goal, at_most) -> None:
    """One inference figure for every framework, then glassnet's and the floor's ratios to
    torch, glassnet's against its goal."""
    print(f"  {title}: " + ", ".join(f"{name} {value:{spec}}" for name, value in values.items()))
    ratio = _ratio(values.get("glassnet"), values.get("torch"))
    floor_ratio = _ratio(values.get("numpy floor"), values.get("torch"))
    print(
        f"    {ratio_name}: {_fmt(ratio, '.2f')} (goal {'<=' if at_most else '>='} {goal})"
        f"{_verdict(ratio, goal, at_most)}; numpy floor / torch: {_fmt(floor_ratio, '.2f')}"
    )


def print_imports(imports: dict) -> None:
    ratio = imports["glassnet_seconds"] / imports["numpy_seconds"]
    print("== import, fresh interpreter (median) " + "=" * 60)
    print(
        f"  import numpy {imports['numpy_seconds'] * 1e3:.1f} ms, import glassnet "
        f"{imports['glassnet_seconds'] * 1e3:.1f} ms (numpy included): ratio {ratio:.2f} "
        f"(goal <= {GOAL_IMPORT_VS_NUMPY}){_verdict(ratio, GOAL_IMPORT_VS_NUMPY)}"
    )
    if "glassnet_no_bytecode_seconds" in imports:
        seconds = imports["glassnet_no_bytecode_seconds"]
        print(
            f"  as this environment runs it (PYTHONDONTWRITEBYTECODE set, glassnet compiled from "
            f"source each time): import glassnet {seconds * 1e3:.1f} ms, "
            f"{seconds / imports['numpy_seconds']:.2f} x numpy"
        )
    extra = imports["modules_beyond_numpy"]
    print(f"  top-level modules glassnet loads beyond numpy ({len(extra)}): {' '.join(extra)}")
    print()


def print_memory(memory: dict, n_samples: int) -> None:
    mib = 1024 * 1024
    print(
        f"== memory, fresh interpreter, 784-128-10 b32, 3 epochs on {n_samples:,} samples "
        + "=" * 10
    )
    print(
        f"{'framework':<10}{'data MiB':>9}{'peak RSS +MiB':>14}{'RSS ep1->ep3 MiB':>18}"
        f"{'traced peak ep1 MiB':>21}{'traced ep1->ep3':>17}  growth"
    )
    for name, report in memory.items():
        if "error" in report:
            print(f"{name:<10} failed: {report['error']}")
            continue
        traced = "traced_peak_epoch1" in report
        growth = report["traced_growth"] if traced else report["rss_growth"]
        verdict = "none" if growth <= GROWTH_TOLERANCE_BYTES else f"{growth / mib:+.2f} MiB"
        traced_peak = f"{report['traced_peak_epoch1'] / mib:21.1f}" if traced else f"{'-':>21}"
        traced_growth = f"{report['traced_growth'] / 1024:+14.1f} KiB" if traced else f"{'-':>17}"
        print(
            f"{name:<10}{report['data_bytes'] / mib:9.0f}{report['peak_rss_delta'] / mib:14.1f}"
            f"{report['rss_after'][0] / mib:9.0f} ->{report['rss_after'][-1] / mib:6.0f}"
            f"{traced_peak}{traced_growth}  {verdict}"
        )
    print(
        f"  goal: no growth (tracemalloc for the NumPy frameworks, RSS for torch; "
        f"tolerance {GROWTH_TOLERANCE_BYTES // 1024} KiB)"
    )
    print()


# -- entry point -------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run, under 1.5 minutes")
    parser.add_argument(
        "--threads",
        choices=("1", "2", "both"),
        default="both",
        help="BLAS / torch threads (default: both, reported separately)",
    )
    parser.add_argument("--repeats", type=int, help="interleaved runs per case")
    parser.add_argument("--epochs", type=int, help="epochs per run (>= 2; 2.. are timed)")
    parser.add_argument("--samples", type=int, help="training samples")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--suite-output", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--memory-probe", choices=MEMORY_FRAMEWORKS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def make_config(args) -> Config:
    config = Config(**(QUICK if args.quick else {}))
    if args.samples:
        config.n_samples = args.samples
    if args.repeats:
        config.repeats = args.repeats
    if args.epochs:
        if args.epochs < 2:
            raise SystemExit(f"--epochs must be at least 2 (epoch 1 is setup), got {args.epochs}")
        config.epochs = args.epochs
    config.threads = (1, 2) if args.threads == "both" else (int(args.threads),)
    config.frameworks = tuple(
        name
        for name, module in zip(FRAMEWORKS, (glassnet, np, torch, sklearn), strict=True)
        if module is not None
    )
    return config


def threads_in_use() -> dict:
    """What the thread pools report, to show that the limits took."""
    seen = {"torch": torch.get_num_threads() if torch is not None else None}
    if threadpoolctl is not None:
        for pool in threadpoolctl.threadpool_info():
            seen[f"{pool['user_api']}:{os.path.basename(pool['filepath'])}"] = pool["num_threads"]
    return seen


def run_suite(config: Config, n_threads: int, log) -> dict:
    """Everything that depends on the thread count, in this process: the matmul bound,
    training (interleaved), inference."""
    data = {}
    data["float32"], data["labels"] = make_data(config.n_samples)
    data["one_hot"] = np.eye(N_CLASSES, dtype=np.float32)[data["labels"]]
    data["float64"] = data["float32"].astype(np.float64) if sklearn is not None else None
    if torch is not None:
        data["torch_X"] = torch.from_numpy(data["float32"])
        data["torch_y"] = torch.from_numpy(data["labels"])
    with thread_limit(n_threads):
        seen = threads_in_use()
        log(f"threads={n_threads}: pools {seen}")
        log(f"threads={n_threads}: training, with the matmul shapes timed before each repeat")
        timings = {}
        deadline = time.perf_counter() + config.suite_budget_seconds
        training = run_training(
            config, data, log, lambda: time_step_matmuls(config.matmul_blocks, timings), deadline
        )
        bounds = {case.name: matmul_bound(case, config.n_samples, timings) for case in CASES}
        _, m, k, n = REFERENCE_PRODUCT
        reference = [2 * m * k * n / seconds / 1e9 for seconds in timings[REFERENCE_PRODUCT]]
        log(f"threads={n_threads}: inference")
        inference = measure_inference(inference_models(data, config.frameworks), data, config)
    return {
        "pools": seen,
        "bounds": bounds,
        "training": training,
        "inference": inference,
        "reference_gflops": reference,
        "glassnet_source": glassnet_fingerprint(),
    }


def run_suite_process(args, n_threads: int) -> dict:
    """Run the suite for one thread count in a fresh interpreter whose thread pools are sized
    from the start (``OMP_NUM_THREADS`` and friends), then limited again by threadpoolctl and
    ``torch.set_num_threads``. Changing the pools' sizes inside one long-lived process (after
    torch's OpenMP pool and OpenBLAS's pool had both run) gave 20-70x slower epochs at random
    on a 2-core machine, so each thread count gets its own process."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        output = os.path.join(folder, "suite.json")
        command = [
            sys.executable,
            os.path.abspath(__file__),
            "--threads",
            str(n_threads),
            "--suite-output",
            output,
        ]
        for flag in ("quick",):
            if getattr(args, flag):
                command.append(f"--{flag}")
        for option in ("repeats", "epochs", "samples"):
            if getattr(args, option):
                command += [f"--{option}", str(getattr(args, option))]
        env = dict(os.environ, **{name: str(n_threads) for name in THREAD_VARIABLES})
        subprocess.run(command, env=env, check=True)
        with open(output) as file:
            return json.load(file)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.memory_probe:
        config = make_config(args)
        print(json.dumps(memory_probe(args.memory_probe, config.n_samples, batch_size=32)))
        return
    import_frameworks(FRAMEWORKS)
    config = make_config(args)
    started = time.perf_counter()

    def log(text):
        print(f"[{time.perf_counter() - started:6.1f} s] {text}", flush=True)

    if args.suite_output:
        result = run_suite(config, config.threads[0], log)
        with open(args.suite_output, "w") as file:
            json.dump(result, file, default=float)
        return

    notes = []
    if torch is None:
        notes.append("torch is not installed: its columns are skipped (pip install -e '.[bench]')")
    if sklearn is None:
        notes.append("scikit-learn is not installed: its columns are skipped")
    if threadpoolctl is None:
        notes.append(
            "threadpoolctl is not installed: only the *_NUM_THREADS variables set "
            "numpy's BLAS threads"
        )
    facts = machine_facts()
    for name, value in facts["slow_blas_variables"].items():
        notes.append(f"{name}={value} is set in the environment: it can slow numpy's OpenBLAS")
    for name, value in facts["thread_variables"].items():
        notes.append(f"{name}={value} was set in the environment; each suite overrides it")
    if config.n_samples != 60_000:
        notes.append(
            f"{config.n_samples:,} samples, not 60,000: epochs are shorter than "
            "the goals assume; the ratios still compare"
        )
    print_header(facts, config, notes)

    results = {"facts": facts, "config": asdict(config), "notes": notes, "threads": {}}
    n_header_notes = len(notes)
    for n_threads in config.threads:
        results["threads"][str(n_threads)] = run_suite_process(args, n_threads)
    changed = [
        f"threads={n} ran {suite['glassnet_source']}"
        for n, suite in results["threads"].items()
        if suite["glassnet_source"] != facts["glassnet_source"]
    ]
    if changed:
        notes.append("glassnet's source changed during the run: " + "; ".join(changed))
    log("import time")
    results["import"] = measure_imports(config.import_runs)
    log("memory")
    results["memory"] = measure_memory(
        [name for name in config.frameworks if name in MEMORY_FRAMEWORKS], config.n_samples
    )
    results["wall_seconds"] = time.perf_counter() - started
    log("done")
    print()

    for note in notes[n_header_notes:]:
        print(f"NOTE: {note}")
    for n_threads in config.threads:
        print_threads(n_threads, results["threads"][str(n_threads)], config)
    print_imports(results["import"])
    print_memory(results["memory"], config.n_samples)
    print(f"total wall time {results['wall_seconds']:.0f} s")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1, default=float)
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
