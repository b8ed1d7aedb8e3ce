"""The Python reference route of `deno task bench`: what a Python user writes
to ingest the same files, timed on one core.

    python3 bench/python_reference.py [--route exact|decimate16] FILE...

For each h5 file: h5py reads the one float64 dataset whole, then
- `exact`: `scipy.signal.resample_poly(x, 125, 2034, axis=1)` (what megflow's
  `resample` computes, bit for bit in float64),
- `decimate16`: `scipy.signal.decimate(x, 16, axis=1)` (to ~127 Hz, an
  8th-order Chebyshev filter run forwards and backwards),
then z-scores each channel with the recording's mean and standard deviation.
Prints one JSON line: files, rawBytes, seconds (wall clock, from the first
read to the last z-score), rawMBPerSecond, cpuSeconds (over the same span),
outSamples, peakRssMB.
"""

import argparse
import json
import os
import resource
import time

import h5py
import numpy as np
from scipy.signal import decimate, resample_poly


def ingest(path: str, route: str) -> int:
    with h5py.File(path, "r") as f:
        (name,) = list(f.keys())
        x = f[name][()]
    if route == "exact":
        y = resample_poly(x, 125, 2034, axis=1)
    else:
        y = decimate(x, 16, axis=1)
    z = (y - y.mean(axis=1, keepdims=True)) / y.std(axis=1, keepdims=True)
    return z.shape[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--route", choices=["exact", "decimate16"], default="exact")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    raw_bytes = sum(os.path.getsize(p) for p in args.files)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    out_samples = sum(ingest(p, args.route) for p in args.files)
    seconds = time.perf_counter() - started
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = cpu.ru_utime - cpu_before.ru_utime + cpu.ru_stime - cpu_before.ru_stime
    print(
        json.dumps(
            {
                "route": args.route,
                "files": len(args.files),
                "rawBytes": raw_bytes,
                "seconds": seconds,
                "rawMBPerSecond": raw_bytes / 1e6 / seconds,
                "cpuSeconds": cpu_seconds,
                "outSamples": out_samples,
                "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
                "numpy": np.__version__,
                "h5py": h5py.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
