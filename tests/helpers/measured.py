"""Run `convwiz` as its own process, as a person does, and measure the peak memory it used.

A hostile file must end in a contract exit code, not an abort that would take the test run
down with it, and in bounded memory: so the command runs in a child process, which writes
its own peak resident memory when it ends. The peak is read where each system keeps it:
Linux's VmHWM (the child's own, not the high-water mark a forked child inherits in
ru_maxrss), Windows' PeakWorkingSetSize, macOS's ru_maxrss.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers.cli import Run

_CHILD = """
import json, sys
from wizard.cli import main

def peak_mb():
    try:
        return _peak_mb()
    except Exception:  # a system that will not say: no figure rather than no result
        return 0.0

def _peak_mb():
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                        ("PeakWorkingSetSize", ctypes.c_size_t),
                        ("WorkingSetSize", ctypes.c_size_t),
                        ("QuotaPeakPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaPeakNonPagedPoolUsage", ctypes.c_size_t),
                        ("QuotaNonPagedPoolUsage", ctypes.c_size_t),
                        ("PagefileUsage", ctypes.c_size_t),
                        ("PeakPagefileUsage", ctypes.c_size_t)]

        counters = Counters()
        counters.cb = ctypes.sizeof(counters)
        kernel32 = ctypes.WinDLL("kernel32")
        kernel32.GetCurrentProcess.restype = wintypes.HANDLE
        info = kernel32.K32GetProcessMemoryInfo
        info.argtypes = [wintypes.HANDLE, ctypes.POINTER(Counters), wintypes.DWORD]
        info.restype = wintypes.BOOL
        if not info(kernel32.GetCurrentProcess(), ctypes.byref(counters), counters.cb):
            raise OSError(ctypes.get_last_error())
        return counters.PeakWorkingSetSize / 1024**2
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

code = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump({"peak_mb": peak_mb()}, out)
sys.exit(code)
"""


def convwiz_measured(*args: object, timeout: float = 120) -> tuple[Run, float | None]:
    """(the run, its peak resident memory in MB, or None when the process died before it
    could say: an abort)."""
    with tempfile.TemporaryDirectory(prefix="convwiz-peak-") as tmp:
        report = Path(tmp) / "peak.json"
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(report), *[str(a) for a in args]],
            capture_output=True, text=True, encoding="utf-8", errors="replace",
            timeout=timeout, env={**os.environ, "PYTHONFAULTHANDLER": ""},
        )
        peak = json.loads(report.read_text())["peak_mb"] if report.exists() else None
    return Run(proc.returncode, proc.stdout, proc.stderr), peak
