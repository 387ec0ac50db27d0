"""What a benchmark reports about the machine it ran on: every figure comes with the CPU model."""

from __future__ import annotations

import contextlib
import platform


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
