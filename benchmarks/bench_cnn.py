"""glassnet against PyTorch eager on the same small CNN: training, inference and memory.

The network, as the convolutional-network issue states it::

    conv(1->16, 3x3) relu, maxpool 2, conv(16->32, 3x3) relu, maxpool 2,
    dense 128 relu, dense 10 (softmax, cross-entropy)

trained with SGD (learning rate 0.05, momentum 0.9) at batch 64 in float32, on 8,000 images of
28x28 (MNIST's shape; a bright blob per class on noise, since speed does not depend on the
values). Both frameworks start from the same weights and train on the same images, each
shuffling them every epoch.

For each thread setting ("default": each library as it starts on this machine; "1": one
thread for both) one fresh process runs the frameworks interleaved, glassnet, torch,
glassnet, ..., and reports medians:

1. training: seconds per epoch, wall time and the process's CPU time (which other work on the
   machine does not inflate as much, for one thread). Each run trains ``epochs`` epochs in one
   call and times epochs 2.. from inside it (glassnet: a callback; torch: its own loop), so
   one-off setup is left out;
2. inference: images per second on 10,000 images in one call (``predict_output``; torch
   ``model(x)`` under ``inference_mode``);
3. memory, in fresh processes: the peak resident set of a 3-epoch run above the resident set
   before it (the data already made; Linux's peak is reset through /proc/self/clear_refs),
   and the change of the resident set (and, for glassnet, of NumPy's traced allocations)
   from the end of epoch 1 to the end of epoch 3: flat means the buffers are reused.

The CPU model, the load average before and after (other work on the machine slows both
libraries unevenly) and the spread of the runs are printed with the figures.

Usage::

    python benchmarks/bench_cnn.py                # default threads and 1 thread, 5 repeats
    python benchmarks/bench_cnn.py --quick        # 2 repeats, 2,000 images
    python benchmarks/bench_cnn.py --threads 1 --json cnn.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np

import glassnet

from machine import cpu_model

SPEC = "conv:16:3,maxpool:2,conv:32:3,maxpool:2,dense:128"
INPUT_SHAPE = (1, 28, 28)
N_CLASSES = 10
LEARNING_RATE, MOMENTUM, BATCH_SIZE = 0.05, 0.9, 64
GOAL_TRAINING = 1.0  # glassnet epoch / torch epoch, at most
GOAL_INFERENCE = 1.0  # glassnet images/s / torch images/s, at least


def make_data(n_samples: int, seed: int = 0):
    """Images ``(n, 1, 28, 28)`` float32 in [0, 1]: a bright blob per class on noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, n_samples)
    rows, columns = np.mgrid[0:28, 0:28]
    centres = rng.uniform(6, 22, (N_CLASSES, 2))
    blobs = np.exp(
        -((rows - centres[:, 0, None, None]) ** 2 + (columns - centres[:, 1, None, None]) ** 2) / 18
    )
    images = 0.8 * blobs[labels] + rng.uniform(0, 0.2, (n_samples, 28, 28))
    return images[:, None].astype(np.float32), labels


def glassnet_network(seed: int = 0):
    return glassnet.build(SPEC, input_shape=INPUT_SHAPE, n_out=N_CLASSES, seed=seed)


def torch_model(network):
    """The same CNN in PyTorch, with glassnet's initial weights copied across one to one."""
    import torch

    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(800, 128),
        nn.ReLU(),
        nn.Linear(128, N_CLASSES),
    )
    with torch.no_grad():
        torch_layers = [model[0], model[3], model[7], model[9]]
        glassnet_layers = [layer for layer in network.layers if layer.params]
        for theirs, ours in zip(torch_layers, glassnet_layers, strict=True):
            theirs.weight.copy_(torch.from_numpy(np.ascontiguousarray(ours.params["W"])))
            theirs.bias.copy_(torch.from_numpy(ours.params["b"]))
    return model


class EpochTimer(glassnet.Callback):
    """Each epoch's wall time and the CPU time of the process (all its threads)."""

    def __init__(self):
        self.seconds, self.cpu_seconds, self.losses = [], [], []

    def on_epoch_begin(self, trainer, epoch):
        # fit's own choice: threads splitting each batch x BLAS threads in each
        shards = 1 if trainer.sharded is None else len(trainer.sharded.replicas)
        self.threads = f"{shards}x{glassnet.get_num_threads()}"
        self.start, self.cpu_start = time.perf_counter(), time.process_time()

    def on_epoch_end(self, trainer, epoch, logs):
        self.seconds.append(time.perf_counter() - self.start)
        self.cpu_seconds.append(time.process_time() - self.cpu_start)
        self.losses.append(logs["loss"])


def train_glassnet(data, epochs: int, after_epoch=None):
    X, y = data
    network = glassnet_network()
    timer = EpochTimer()
    callbacks = [timer] if after_epoch is None else [timer, after_epoch]
    network.fit(
        X,
        y,
        loss="cross_entropy",
        optimizer=glassnet.optimizers.SGD(LEARNING_RATE, momentum=MOMENTUM),
        epochs=epochs,
        batch_size=BATCH_SIZE,
        metrics=(),
        seed=0,
        callbacks=callbacks,
    )
    network.training_threads = timer.threads
    return timer.seconds, timer.cpu_seconds, timer.losses, network


def train_torch(data, epochs: int, after_epoch=None):
    import torch

    X, y = data
    model = torch_model(glassnet_network())
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    images, labels = torch.from_numpy(X), torch.from_numpy(y)
    order_rng = np.random.default_rng(0)
    seconds, cpu_seconds, losses = [], [], []
    for epoch in range(epochs):
        start, cpu_start, total = time.perf_counter(), time.process_time(), 0.0
        order = torch.from_numpy(order_rng.permutation(len(X)))
        for first in range(0, len(X), BATCH_SIZE):
            rows = order[first : first + BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(images[rows]), labels[rows])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
        losses.append(total / len(X))
        if after_epoch is not None:
            after_epoch(epoch)
    return seconds, cpu_seconds, losses, model


def infer_glassnet(network, images) -> float:
    start = time.perf_counter()
    network.predict_output(images)
    return time.perf_counter() - start


def infer_torch(model, images) -> float:
    import torch

    tensor = torch.from_numpy(images)
    start = time.perf_counter()
    with torch.inference_mode():
        model(tensor)
    return time.perf_counter() - start


def speed(threads: str, n_samples: int, repeats: int, epochs: int) -> dict:
    """Training and inference, interleaved, in this process (started with ``threads`` set)."""
    import torch

    if threads == "1":
        glassnet.set_num_threads(1)
        torch.set_num_threads(1)
    data = make_data(n_samples)
    test_images, _ = make_data(10_000, seed=1)
    result = {
        "threads": threads,
        "glassnet_threads": glassnet.get_num_threads(),
        "torch_threads": torch.get_num_threads(),
        "load_before": os.getloadavg()[0],
    }
    trainers = {"glassnet": train_glassnet, "torch": train_torch}
    inferers = {"glassnet": infer_glassnet, "torch": infer_torch}
    epoch_seconds = {name: [] for name in trainers}
    epoch_cpu = {name: [] for name in trainers}
    inference = {name: [] for name in trainers}
    losses = {}
    for _ in range(repeats):
        for name, train in trainers.items():
            seconds, cpu_seconds, run_losses, model = train(data, epochs)
            epoch_seconds[name] += seconds[1:]
            epoch_cpu[name] += cpu_seconds[1:]
            losses[name] = run_losses
            inference[name].append(inferers[name](model, test_images))
            if name == "glassnet":
                result["glassnet_training_threads"] = model.training_threads
    result["load_after"] = os.getloadavg()[0]
    result["epoch_seconds"] = epoch_seconds
    result["epoch_cpu_seconds"] = epoch_cpu
    result["inference_seconds"] = inference
    result["losses"] = losses
    return result


def memory(framework: str, n_samples: int) -> dict:
    """Peak resident set over the baseline, and growth from epoch 1 to epoch 3."""
    data = make_data(n_samples)
    if framework == "torch":
        import torch  # noqa: F401  (imported before the baseline, as glassnet is)
    tracemalloc.start()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the peak resident set starts again from the current one
    baseline = _rss()
    rss, traced = [], []

    def after_epoch(*_):
        rss.append(_rss())
        traced.append(tracemalloc.get_traced_memory()[0])

    class AfterEpoch(glassnet.Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            after_epoch()

    train = train_glassnet if framework == "glassnet" else train_torch
    train(data, 3, AfterEpoch() if framework == "glassnet" else after_epoch)
    return {
        "peak_rise": _peak_rss() - baseline,
        "peak_traced": tracemalloc.get_traced_memory()[1],
        "rss_growth_epoch1_to_3": rss[2] - rss[0],
        "traced_growth_epoch1_to_3": traced[2] - traced[0],
    }


def _peak_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def in_fresh_process(task: str, threads: str, *args) -> dict:
    """Run ``task`` in a new interpreter; with 1 thread, every BLAS is told so from the start."""
    env = dict(os.environ)
    if threads == "1":
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"
    command = [sys.executable, __file__, "--task", task, "--threads", threads, *map(str, args)]
    output = subprocess.run(command, env=env, capture_output=True, text=True)
    if output.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output.stderr}")
    return json.loads(output.stdout)


def report(speeds: list[dict], memories: dict, n_samples: int) -> str:
    lines = [
        "CNN benchmark: conv(1->16, 3x3) relu, maxpool 2, conv(16->32, 3x3) relu, maxpool 2, "
        "dense 128 relu, dense 10",
        f"SGD({LEARNING_RATE}, momentum {MOMENTUM}), batch {BATCH_SIZE}, float32, "
        f"{n_samples:,} images of 28x28; inference on 10,000 images",
        f"CPU: {cpu_model()}, {os.cpu_count()} cores; numpy {np.__version__}, "
        f"glassnet {glassnet.__version__}",
        "",
        f"{'threads':<15}{'':<22}{'glassnet':>10}{'torch':>10}{'ratio':>8}  goal",
        "(glassnet training shards x BLAS threads|inference / torch)",
    ]
    for result in speeds:
        threads = (
            f"{result['threads']} ({result['glassnet_training_threads']}"
            f"|{result['glassnet_threads']}/{result['torch_threads']})"
        )
        train = {k: statistics.median(v) for k, v in result["epoch_seconds"].items()}
        spread = {k: max(v) / min(v) for k, v in result["epoch_seconds"].items()}
        infer = {k: 10_000 / statistics.median(v) for k, v in result["inference_seconds"].items()}
        lines.append(
            f"{threads:<15}{'epoch (s)':<22}{train['glassnet']:>10.3f}{train['torch']:>10.3f}"
            f"{train['glassnet'] / train['torch']:>8.2f}  <= {GOAL_TRAINING}"
        )
        cpu = {k: statistics.median(v) for k, v in result["epoch_cpu_seconds"].items()}
        lines.append(
            f"{'':<15}{'epoch, CPU time (s)':<22}{cpu['glassnet']:>10.3f}{cpu['torch']:>10.3f}"
            f"{cpu['glassnet'] / cpu['torch']:>8.2f}  (all threads; the work, whatever the load)"
        )
        lines.append(
            f"{'':<15}{'inference (images/s)':<22}{infer['glassnet']:>10,.0f}"
            f"{infer['torch']:>10,.0f}{infer['glassnet'] / infer['torch']:>8.2f}  "
            f">= {GOAL_INFERENCE}"
        )
        lines.append(
            f"{'':<15}{'':<22}epochs timed {len(result['epoch_seconds']['glassnet'])} each; "
            f"slowest/fastest glassnet {spread['glassnet']:.2f}, torch {spread['torch']:.2f}; "
            f"load average {result['load_before']:.1f} -> {result['load_after']:.1f}"
        )
        final = {k: v[-1] for k, v in result["losses"].items()}
        lines.append(
            f"{'':<15}{'':<22}last epoch's loss glassnet {final['glassnet']:.4f}, "
            f"torch {final['torch']:.4f} (the same work)"
        )
    lines.append("")
    lines.append(
        f"{'memory (1 thread)':<31}{'peak rise':>12}{'growth ep.1->3':>16}{'traced growth':>15}"
    )
    for name, values in memories.items():
        traced = (
            f"{values['traced_growth_epoch1_to_3'] / 1e3:+.0f} kB" if name == "glassnet" else ""
        )
        lines.append(
            f"{name:<31}{values['peak_rise'] / 1e6:>9.1f} MB"
            f"{values['rss_growth_epoch1_to_3'] / 1e6:>13.2f} MB{traced:>15}"
        )
    if max(result["load_before"] for result in speeds) > 0.5 * os.cpu_count():
        lines.append(
            "note: the load average shows other work on the machine; figures are noisy, and "
            "medians of interleaved runs are the fairest comparison."
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", choices=["default", "1", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3, help="per run; epochs 2.. are timed")
    parser.add_argument("--samples", type=int, default=8000)
    parser.add_argument("--quick", action="store_true", help="2 repeats of 2,000 images")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.samples = 2, 2000
    if args.task == "speed":
        print(json.dumps(speed(args.threads, args.samples, args.repeats, args.epochs)))
        return
    if args.task in ("glassnet", "torch"):
        print(json.dumps(memory(args.task, args.samples)))
        return
    thread_settings = ["default", "1"] if args.threads == "both" else [args.threads]
    speeds = [
        in_fresh_process(
            "speed",
            threads,
            "--samples",
            args.samples,
            "--repeats",
            args.repeats,
            "--epochs",
            args.epochs,
        )
        for threads in thread_settings
    ]
    memories = {
        name: in_fresh_process(name, "1", "--samples", args.samples)
        for name in ("glassnet", "torch")
    }
    print(report(speeds, memories, args.samples))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"speed": speeds, "memory": memories, "cpu": cpu_model()}, handle, indent=2)


if __name__ == "__main__":
    main()
