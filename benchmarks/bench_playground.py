"""How fast the playground draws: heat-map updates per second for a 6x8 network on 500 points.

The goal: at least 20 updates a second (each one epoch of training, then the output heat map,
every neuron's heat map, the weights, losses and metrics) on a 2-core machine. The network is
TensorFlow Playground's largest, six hidden layers of eight tanh neurons, on its circle data
(500 points, half for training, batches of 10), with all nine input features.

It serves the playground on 127.0.0.1 (``glassnet.playground.running``) and measures

1. the server alone: a WebSocket client that acknowledges each update as soon as it arrives,
   as the page does once it has drawn one: updates a second, with the page's cap of
   ``max_updates_per_second`` and without it, and the bytes of one update;
2. the page: headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) playing the
   same set-up; the updates it drew a second, counted by the page itself. Skipped, with a note,
   without Chromium or Playwright.

Each line also gives the CPU time one update took (this process: server and client; the
browser's processes, read from /proc): unlike updates a second, it hardly changes when other
programs share the machine, whose load average is printed too.

    python benchmarks/bench_playground.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from urllib.parse import urlencode

from websockets.sync.client import connect

from glassnet.playground import running
from glassnet.playground.setup import Limits

from machine import cpu_model

CHROMIUM = Path("/usr/bin/chromium")
GOAL = 20.0
SETUP = {
    "dataset": "circle",
    "hidden": [8] * 6,
    "activations": ["tanh"] * 6,
    "dropout": [0] * 6,
    "features": ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2", "cosx1", "cosx2"],
    "batch_size": 10,
    "train_percent": 50,
    "learning_rate": 0.03,
    "seed": 1,
}


def cpu_seconds(pids) -> float:
    """User and system CPU seconds of the processes ``pids`` so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def chromium_processes() -> list[int]:
    """The ids of the running Chromium processes."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if "chromium" in (entry / "cmdline").read_text():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def server_rate(url: str, seconds: float) -> tuple[float, float, int]:
    """Updates a second that a page acknowledging at once receives, the CPU milliseconds of
    this process per update, and one update's bytes."""
    with connect(url.replace("http", "ws", 1) + "ws", max_size=None) as socket:
        for _ in range(3):  # hello, network, update
            socket.recv()
        socket.send(json.dumps({"type": "setup", "setup": SETUP}))
        while json.loads(socket.recv())["type"] != "update":
            pass
        socket.send(json.dumps({"type": "play"}))
        count, size, started = 0, 0, None
        while True:
            text = socket.recv()
            if '"type": "update"' not in text[:20]:
                continue
            socket.send('{"type": "ack"}')
            if started is None:
                started = time.perf_counter()  # from the first update on: steady state
                cpu_started = time.process_time()
                continue
            count += 1
            size = len(text)
            if time.perf_counter() - started >= seconds:
                break
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        socket.send(json.dumps({"type": "pause"}))
    return count / elapsed, 1000 * cpu / count, size


def page_rate(url: str, seconds: float) -> tuple[float, float, float] | None:
    """Updates a second that headless Chromium draws and the CPU milliseconds per update of the
    browser and of this process, or None without Chromium or Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("page: skipped, Playwright is not installed (pip install playwright)")
        return None
    if not CHROMIUM.exists():
        print(f"page: skipped, no Chromium at {CHROMIUM} (apt-get install chromium)")
        return None
    query = {key: ",".join(map(str, v)) if isinstance(v, list) else v for key, v in SETUP.items()}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}#{urlencode(query, safe=',')}")
        page.get_by_test_id("neuron-5-7").wait_for()
        frames = "() => Number(document.body.dataset.frames || 0)"
        page.get_by_test_id("play").click()
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) >= 5")
        browser_pids = chromium_processes()
        first, started = page.evaluate(frames), time.perf_counter()
        browser_cpu, own_cpu = cpu_seconds(browser_pids), time.process_time()
        time.sleep(seconds)
        last, elapsed = page.evaluate(frames), time.perf_counter() - started
        browser_cpu = cpu_seconds(browser_pids) - browser_cpu
        own_cpu = time.process_time() - own_cpu
        page.get_by_test_id("play").click()
        browser.close()
    drawn = last - first
    return drawn / elapsed, 1000 * browser_cpu / drawn, 1000 * own_cpu / drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    options = parser.parse_args()
    limits = Limits()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores")
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(
        "set-up: circle, 500 points (250 for training), 9 features, 6 hidden layers of 8 tanh "
        f"neurons, batch 10; output map {limits.map_size}x{limits.map_size}, neuron maps "
        f"{limits.neuron_map_size}x{limits.neuron_map_size}"
    )
    with running(Limits(max_updates_per_second=1_000)) as url:
        uncapped, cpu, size = server_rate(url, options.seconds)
    print(
        f"server, uncapped:  {uncapped:6.1f} updates/s, {cpu:5.1f} ms CPU each "
        f"({size / 1024:.0f} KiB each)"
    )
    with running(limits) as url:
        capped, cpu, _ = server_rate(url, options.seconds)
        print(
            f"server, capped:    {capped:6.1f} updates/s, {cpu:5.1f} ms CPU each "
            f"(max_updates_per_second = {limits.max_updates_per_second:g})"
        )
        page = page_rate(url, options.seconds)
    if page is not None:
        drawn, browser_cpu, server_cpu = page
        print(
            f"page (Chromium):   {drawn:6.1f} updates/s drawn, {browser_cpu:5.1f} ms CPU each "
            f"in the browser, {server_cpu:5.1f} ms in the server"
        )
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    measured = page[0] if page is not None else capped
    verdict = "meets" if measured >= GOAL else "MISSES"
    print(f"{verdict} the goal of {GOAL:g} updates/s")


if __name__ == "__main__":
    main()
