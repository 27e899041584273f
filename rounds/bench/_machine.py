"""What every benchmark reports about the machine it ran on, so figures can be compared."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any


def machine_facts() -> dict[str, Any]:
    """Cores, memory, Python and platform of this machine (memory from /proc/meminfo where present)."""
    memory_bytes: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_bytes = int(line.split()[1]) * 1024
                    break
    except OSError:
        memory_bytes = None
    return {
        "cores": os.cpu_count(),
        "memory_bytes": memory_bytes,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
