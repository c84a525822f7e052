"""Scratch layers vs Keras, vs plain loops, and their memory: the figures of issue #4.

Run from the repository root (30-80 s; the quieter the machine, the better):

    TF_CPP_MIN_LOG_LEVEL=2 CNNLIB_DATA=/path/to/datasets .venv/bin/python benchmarks/benchmark.py

Options: ``--threads N`` (numpy's BLAS and TensorFlow get N threads each;
default 1: on a machine shared with other jobs, a second thread measures the
neighbours more than the code), ``--quick`` (fewer repetitions, as the book uses).
The measuring code is ``cnnlib.benchmark``; this script only prints its table.
Exit status 1 when a target is missed.
"""

import argparse
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=1, help="threads for numpy's BLAS and for TensorFlow each (default 1)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~30 s)")
    args = parser.parse_args(argv)

    import numpy as np

    from cnnlib import benchmark

    # before TensorFlow starts, so that its thread pool takes the setting
    benchmark.set_threads(args.threads)
    import tensorflow as tf

    benchmark.set_threads(args.threads)
    start = time.perf_counter()
    result = benchmark.run_all(quick=args.quick, verbose=True)
    print()
    print(f"numpy {np.__version__}, TensorFlow {tf.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print("threads: " + ", ".join(f"{k}: {v}" for k, v in result["threads"].items()))
    print("times: median of interleaved repetitions after warm-up; memory: peak resident set (VmHWM) of a child process")
    print()
    print(benchmark.format_rows(result["rows"]))
    print(f"\n(benchmark took {time.perf_counter() - start:.0f} s)")
    return 0 if all(met is not False for *_, met in result["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
