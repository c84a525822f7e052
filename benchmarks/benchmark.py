"""Scratch layers vs Keras, vs plain loops, and their memory: the figures of the book's appendix "Performance".

Run from the repository root (30-80 s; the quieter the machine, the better)::

    TF_CPP_MIN_LOG_LEVEL=2 CNNLIB_DATA=/path/to/datasets .venv/bin/python benchmarks/benchmark.py

Options: ``--threads N`` (numpy's BLAS and TensorFlow get N threads each;
default 1: on a machine shared with other jobs, a second thread measures the
neighbours more than the code), ``--quick`` (fewer repetitions, as the book uses).
Exit status 1 when a target is missed.  ``book/performance.ipynb`` imports this
file as a module (``import benchmark``, with ``benchmarks/`` on its path) and
prints the same figures from the same functions.

How the timings are taken (:func:`cnnlib.timing.time_interleaved`): warm-up
first, then the scratch step and the Keras step alternate, block after block,
and the median of the blocks' per-step times is kept; numpy's BLAS (OpenBLAS)
and TensorFlow get the same number of threads (:func:`set_threads`).  Like
``cnnlib.train``, the measurements ask glibc to keep freed memory
(:func:`cnnlib.allocator.keep_freed_memory`; ``CNNLIB_KEEP_FREED_MEMORY=0``
turns it off) and :func:`page_faults_lenet` measures what that saves.

The images are the first of MNIST / CIFAR-10 (``CNNLIB_DATA``); where a data
set is absent, random images of the same shape stand in (timings do not
depend on the pixel values) and the result says so (``'data'``).  Importing
this module does not import TensorFlow; the Keras comparisons do.
"""

import argparse
import ctypes
import functools
import glob
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from cnnlib import datasets
from cnnlib.allocator import keep_freed_memory
from cnnlib.fast_optimizers import SGD
from cnnlib.models import AlexNet, LeNet
from cnnlib.timing import conv_vs_naive, time_interleaved

__all__ = [
    "set_threads",
    "thread_info",
    "scratch_step",
    "keras_step",
    "compare_lenet",
    "compare_alexnet",
    "peak_memory_alexnet",
    "page_faults_lenet",
    "accuracy_vs_forward",
    "run_all",
    "format_rows",
]


# ------------------------------------------------------------------ threads
def _openblas():
    """numpy's bundled OpenBLAS, through ctypes (``None`` if numpy uses another BLAS)."""
    libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "libscipy_openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            get = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
            put = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                return get, put
    return None


def set_threads(n):
    """Give numpy's BLAS and TensorFlow ``n`` threads each (TensorFlow: ``n`` intra-op, 1 inter-op).

    TensorFlow accepts the setting only before it first runs an op; after
    that its first setting stands (see :func:`thread_info` for what is in force).
    """
    blas = _openblas()
    if blas is not None:
        blas[1](int(n))
    if "tensorflow" in sys.modules or "keras" in sys.modules:
        _set_tf_threads(n)


def _set_tf_threads(n):
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(n))
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already running: its first setting stands
        pass


def thread_info():
    """Threads in force: ``{'cpus': ..., 'numpy BLAS': ..., 'TensorFlow intra-op': ...}``."""
    info = {"cpus": os.cpu_count()}
    blas = _openblas()
    info["numpy BLAS"] = f"OpenBLAS, {blas[0]()} threads" if blas else "unknown BLAS"
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        intra = tf.config.threading.get_intra_op_parallelism_threads()
        inter = tf.config.threading.get_inter_op_parallelism_threads()
        info["TensorFlow"] = f"{intra or os.cpu_count()} intra-op, {inter or 'default'} inter-op threads"
    return info


def scratch_step(model, optimizer, x, t):
    """One scratch training step on ``(x, t)``: forward, backward, optimizer update.

    The backward pass computes the parameters' gradients only
    (``input_grad=False``), the work Keras's ``train_on_batch`` does.
    """

    def step():
        model.forward(x, t)
        model.backward(input_grad=False)
        optimizer.update(model.params, model.grads)

    return step


def keras_step(model, x, t):
    """One Keras training step on ``(x, t)``: ``model.train_on_batch``."""
    return lambda: model.train_on_batch(x, t)


def _compile(model, learning_rate):
    import keras

    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


@functools.lru_cache(maxsize=1)
def _dataset(name):
    """``load_mnist()`` or ``load_cifar10()``, kept for the next call (CIFAR-10 takes seconds to decompress)."""
    return datasets.load_mnist() if name == "mnist" else datasets.load_cifar10()


def _images(name, n, split="train", seed=0):
    """``(x, t, source)``: the first ``n`` images (scaled to [0, 1], NCHW) and integer labels of a
    split, ``source`` ``'mnist'`` / ``'cifar10'``; random images and ``source='random'`` only
    when the data set is not installed (:class:`cnnlib.datasets.DatasetError`)."""
    try:
        train, test = _dataset(name)
    except datasets.DatasetError:
        rng = np.random.default_rng(seed)
        shape = (n, 1, 28, 28) if name == "mnist" else (n, 3, 32, 32)
        return rng.random(shape, dtype=np.float32), rng.integers(0, 10, n), "random"
    x, y = train if split == "train" else test
    x, y = datasets.to_nchw(datasets.scale(x[:n])), np.asarray(y[:n]).reshape(-1).astype(np.int64)
    return x, y, name


def _compare(scratch_model, keras_model, x, t, source, reps, steps, warmup, learning_rate=0.01):
    keep_freed_memory()
    x_nhwc = datasets.to_nhwc(x)
    _compile(keras_model, learning_rate)
    fns = {
        "scratch": scratch_step(scratch_model, SGD(learning_rate), x, t),
        "keras": keras_step(keras_model, x_nhwc, t),
    }
    med = time_interleaved(fns, reps, steps, warmup)
    n = len(x)
    return {
        "batch": n,
        "data": source,
        "scratch_ms": med["scratch"] * 1e3,
        "keras_ms": med["keras"] * 1e3,
        "scratch_img_s": n / med["scratch"],
        "keras_img_s": n / med["keras"],
        "ratio": med["scratch"] / med["keras"],
    }


def compare_lenet(batch=128, reps=9, steps=20, warmup=5, seed=0, threads=1):
    """Scratch ``LeNet`` vs Keras ``build_lenet`` (``train_on_batch``), SGD, the same MNIST batch.

    Returns ``{'batch', 'data', 'scratch_ms', 'keras_ms', 'scratch_img_s', 'keras_img_s', 'ratio'}``
    (``ratio`` = scratch time / Keras time; ``data``: see :func:`_images`).

    Blocks of 20 steps: a LeNet step is short, and right after a switch from one
    framework to the other each runs slower for a few steps (caches refilled,
    TensorFlow's threads waking), which blocks of 5 charged mostly to the scratch
    side (ratio 1.07-1.09 with blocks of 5, 1.01-1.05 with blocks of 20, pinned
    to one core).  Training runs thousands of steps of one framework in a row.
    """
    from cnnlib.keras_models import build_lenet

    set_threads(threads)
    return _compare(LeNet(seed=seed), build_lenet(), *_images("mnist", batch, seed=seed), reps, steps, warmup)


def compare_alexnet(batch=32, reps=7, steps=3, warmup=3, seed=0, threads=1):
    """Scratch ``AlexNet`` vs Keras ``build_alexnet`` (``train_on_batch``), SGD, the same CIFAR-10 batch."""
    from cnnlib.keras_models import build_alexnet

    set_threads(threads)
    return _compare(AlexNet(seed=seed), build_alexnet(), *_images("cifar10", batch, seed=seed), reps, steps, warmup)


def _peak_kib():
    """This process's peak resident set in KiB: ``VmHWM`` from ``/proc/self/status`` (Linux),
    else ``ru_maxrss`` (which on Linux would also count pages inherited from a parent)."""
    if os.path.exists("/proc/self/status"):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _train_alexnet_for_memory(batch, steps):
    """The child process of :func:`peak_memory_alexnet`: train, then report peaks as JSON on stdout."""
    keep_freed_memory()
    rng = np.random.default_rng(0)  # memory does not depend on the pixel values
    x, t = rng.random((batch, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, batch)
    base = _peak_kib()
    tracemalloc.start()
    model, opt = AlexNet(seed=0), SGD(0.01)
    for _ in range(steps):
        model.forward(x, t)
        model.backward(input_grad=False)
        opt.update(model.params, model.grads)
    _, traced = tracemalloc.get_traced_memory()
    print(json.dumps({"base_kib": base, "peak_kib": _peak_kib(), "traced_bytes": traced}))


def peak_memory_alexnet(batch=32, steps=5):
    """Peak resident memory of a fresh process that trains the scratch AlexNet ``steps`` steps at ``batch``.

    Measured in a child process (so this process's arrays and TensorFlow do
    not count) as its peak resident set (``VmHWM`` in ``/proc/self/status``;
    ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` where there is no ``/proc``),
    plus ``tracemalloc``'s peak of the arrays numpy allocated while training.
    Returns ``{'peak_mib', 'baseline_mib', 'numpy_peak_mib'}``: ``baseline`` is
    the child's peak before the model was built (Python, numpy, cnnlib, one batch).
    """
    run = subprocess.run(
        [sys.executable, __file__, "memory-child", str(batch), str(steps)],
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the memory benchmark's child process failed:\n{run.stderr}")
    r = json.loads(run.stdout.strip().splitlines()[-1])
    return {
        "batch": batch,
        "peak_mib": r["peak_kib"] / 1024,
        "baseline_mib": r["base_kib"] / 1024,
        "numpy_peak_mib": r["traced_bytes"] / 2**20,
    }


def _lenet_page_faults_child(steps):
    """The child process of :func:`page_faults_lenet`: LeNet steps at batch 128, JSON on stdout."""
    keep_freed_memory()
    set_threads(1)
    rng = np.random.default_rng(0)
    x, t = rng.random((128, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 128)
    step = scratch_step(LeNet(seed=0), SGD(0.01), x, t)
    for _ in range(5):
        step()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    print(json.dumps({"faults": faults, "ms": seconds * 1e3}))


def page_faults_lenet(keep=True, steps=30):
    """Minor page faults and milliseconds per scratch LeNet step (batch 128), in a fresh child process.

    ``keep=False`` runs the child with ``CNNLIB_KEEP_FREED_MEMORY=0``,
    i.e. with glibc's default ``malloc`` settings (see :func:`cnnlib.allocator.keep_freed_memory`).
    Returns ``{'faults_per_step', 'ms_per_step'}``; the time is one run's mean, a
    rough figure beside :func:`compare_lenet`'s.
    """
    env = dict(os.environ, CNNLIB_KEEP_FREED_MEMORY="1" if keep else "0")
    run = subprocess.run(
        [sys.executable, __file__, "faults-child", str(steps)],
        capture_output=True,
        text=True,
        env=env,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the page-fault benchmark's child process failed:\n{run.stderr}")
    r = json.loads(run.stdout.strip().splitlines()[-1])
    return {"faults_per_step": r["faults"], "ms_per_step": r["ms"]}


def accuracy_vs_forward(n=10000, train_batch=32, seed=0):
    """``model.accuracy`` on ``n`` CIFAR-10 images vs the forward passes of one training epoch over ``n`` images.

    The epoch's forward passes run ``model.forward(x_batch, t_batch)`` on
    batches of ``train_batch`` (training mode, as ``cnnlib.train`` does).
    Returns ``{'n', 'data', 'accuracy_s', 'epoch_forward_s', 'ratio', 'accuracy_peak_mib'}``:
    ``accuracy_peak_mib`` is the peak of what a fresh model's ``accuracy`` allocates
    on top of its parameters and the images (tracemalloc; batches of 500).
    """
    keep_freed_memory()
    x, y, source = _images("cifar10", n, split="test", seed=seed)
    model = AlexNet(seed=seed)
    model.forward(x[:train_batch], y[:train_batch])  # warm-up
    model.accuracy(x[:500], y[:500])

    def forwards():
        for i in range(0, n, train_batch):
            model.forward(x[i : i + train_batch], y[i : i + train_batch])

    med = time_interleaved({"acc": lambda: model.accuracy(x, y), "fwd": forwards}, reps=1, steps=1, warmup=0)
    fresh = AlexNet(seed=seed)  # its scratch buffers are allocated inside the traced call
    tracemalloc.start()
    fresh.accuracy(x[:1000], y[:1000])
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "data": source,
        "accuracy_s": med["acc"],
        "epoch_forward_s": med["fwd"],
        "ratio": med["acc"] / med["fwd"],
        "accuracy_peak_mib": traced / 2**20,
    }


# ------------------------------------------------------------------ summary
def _step_rows(name, c, target):
    """The table rows of one scratch-vs-Keras step comparison ``c`` (from ``_compare``)."""
    return [
        (f"scratch {name} step, batch {c['batch']}", f"{c['scratch_ms']:.1f} ms", "", None),
        (f"Keras {name} step, batch {c['batch']}", f"{c['keras_ms']:.1f} ms", "", None),
        (f"{name} images/s, scratch / Keras", f"{c['scratch_img_s']:.0f} / {c['keras_img_s']:.0f}", "", None),
        (f"{name} scratch / Keras", f"{c['ratio']:.2f} x", f"<= {target} x", c["ratio"] <= target),
    ]


def run_all(quick=False, threads=None, verbose=False):
    """Every measurement of the benchmark; returns ``{'threads': ..., 'rows': [...]}``.

    Each row is ``(what, figure, target, met)``, figures already formatted
    (``'12.3 ms'``, ``'0.85 x'``) so the command line and the book print the
    same table.  ``quick`` uses fewer repetitions and 1,000 images for the
    accuracy figure (the book, ~30 s).
    """
    threads = 1 if threads is None else threads
    set_threads(threads)
    keep_freed_memory()
    log = print if verbose else (lambda *a, **k: None)
    r = dict(reps=5, steps=10) if quick else {}
    rows = []

    log("LeNet ...", flush=True)
    le = compare_lenet(threads=threads, **r)
    rows += _step_rows("LeNet", le, target=1.0)
    kept, default = page_faults_lenet(True), page_faults_lenet(False)
    rows += [
        ("LeNet page faults per step", f"{kept['faults_per_step']:.0f}", "<= 100", kept["faults_per_step"] <= 100),
        ("  with glibc's default malloc settings", f"{default['faults_per_step']:.0f}", "", None),
        ("  step time, one run each (kept / default)", f"{kept['ms_per_step']:.1f} / {default['ms_per_step']:.1f} ms", "", None),
    ]
    log("AlexNet ...", flush=True)
    ax = compare_alexnet(threads=threads, **(dict(reps=3, steps=1, warmup=2) if quick else {}))
    rows += _step_rows("AlexNet", ax, target=1.5)
    log("convolution vs loops ...", flush=True)
    cv = conv_vs_naive(reps=2 if quick else 5)
    rows += [
        ("conv fwd+bwd, scratch", f"{cv['scratch_ms']:.2f} ms", "", None),
        ("conv fwd+bwd, naive loops", f"{cv['naive_ms']:.0f} ms", "", None),
        ("conv naive / scratch", f"{cv['speedup']:.1f} x", ">= 20 x", cv["speedup"] >= 20),
        ("conv max |scratch - naive| / max |naive|", f"{cv['max_rel_diff']:.1e}", "<= 1e-5", cv["max_rel_diff"] <= 1e-5),
    ]
    log("memory ...", flush=True)
    mem = peak_memory_alexnet(steps=3 if quick else 5)
    rows += [
        ("AlexNet training, peak RSS", f"{mem['peak_mib']:.0f} MiB", "<= 1024 MiB", mem["peak_mib"] <= 1024),
        ("  of which before the model", f"{mem['baseline_mib']:.0f} MiB", "", None),
        ("  numpy arrays at peak (tracemalloc)", f"{mem['numpy_peak_mib']:.0f} MiB", "", None),
    ]
    log("accuracy ...", flush=True)
    ac = accuracy_vs_forward(n=1000 if quick else 10000)
    rows += [
        (f"AlexNet accuracy on {ac['n']:,} images", f"{ac['accuracy_s']:.2f} s", "", None),
        (f"epoch forward passes, {ac['n']:,} images", f"{ac['epoch_forward_s']:.2f} s", "", None),
        ("accuracy / epoch forwards", f"{ac['ratio']:.2f} x", "<= 2 x", ac["ratio"] <= 2),
        ("  numpy arrays at peak, accuracy (tracemalloc)", f"{ac['accuracy_peak_mib']:.0f} MiB", "", None),
    ]
    _dataset.cache_clear()
    if "random" in (le["data"], ax["data"], ac["data"]):
        rows.append(("images: random (a data set is not installed; set CNNLIB_DATA)", "", "", None))
    figures = {"lenet": le, "alexnet": ax, "conv": cv, "memory": mem, "accuracy": ac,
               "faults": {"kept": kept, "default": default}}
    return {"threads": thread_info(), "rows": rows, "figures": figures}


def format_rows(rows):
    """The rows of :func:`run_all` as an aligned text table."""
    width = max(len(r[0]) for r in rows) + 2
    fig = max(len(r[1]) for r in rows) + 2
    lines = [f"{'measurement':<{width}}{'figure':>{fig}}   {'target':<12} met"]
    for what, figure, target, met in rows:
        mark = "" if met is None else ("yes" if met else "NO")
        lines.append(f"{what:<{width}}{figure:>{fig}}   {target:<12} {mark}".rstrip())
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads", type=int, default=1, help="threads for numpy's BLAS and for TensorFlow each (default 1)"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~30 s)")
    args = parser.parse_args(argv)

    # before TensorFlow starts, so that its thread pool takes the setting
    set_threads(args.threads)
    import tensorflow as tf

    start = time.perf_counter()
    result = run_all(quick=args.quick, threads=args.threads, verbose=True)
    print()
    print(f"numpy {np.__version__}, TensorFlow {tf.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print("threads: " + ", ".join(f"{k}: {v}" for k, v in result["threads"].items()))
    print("times: median of interleaved repetitions after warm-up; memory: peak resident set (VmHWM) of a child process")
    print()
    print(format_rows(result["rows"]))
    print(f"\n(benchmark took {time.perf_counter() - start:.0f} s)")
    return 0 if all(met is not False for *_, met in result["rows"]) else 1


if __name__ == "__main__":
    # the child processes of peak_memory_alexnet and page_faults_lenet, or the benchmark itself
    if sys.argv[1:2] == ["memory-child"] and len(sys.argv) == 4:
        _train_alexnet_for_memory(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["faults-child"] and len(sys.argv) == 3:
        _lenet_page_faults_child(int(sys.argv[2]))
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        sys.exit(main())
