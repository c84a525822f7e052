"""Measuring the scratch layers against Keras and against plain loops.

Every function returns numbers (dicts), so the command-line benchmark
(``benchmarks/benchmark.py``) and the book's appendix "Performance" print the
same figures from the same code.

How the timings are taken, and why:

* **warm-up first**: the first steps allocate buffers, and Keras traces its
  ``tf.function``; neither belongs in a per-step time;
* **interleaved**: on a machine shared with other jobs the speed drifts, so
  the scratch step and the Keras step alternate, block after block, and both
  see the same load;
* **median** of the blocks' per-step times, which ignores the odd block that
  another process slowed down;
* **same threads**: numpy's BLAS (OpenBLAS) and TensorFlow get the same
  number of threads (:func:`set_threads`), printed with the figures.

The images are the first of MNIST / CIFAR-10 (``CNNLIB_DATA``); where a data
set is absent, random images of the same shape stand in (timings do not
depend on the pixel values) and the result says so (``'data'``).

Importing this module does not import TensorFlow; the Keras comparisons do.
"""

import ctypes
import functools
import glob
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

__all__ = [
    "set_threads",
    "thread_info",
    "time_interleaved",
    "scratch_step",
    "keras_step",
    "compare_lenet",
    "compare_alexnet",
    "conv_vs_naive",
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
    os.environ["CNNLIB_BENCH_THREADS"] = str(int(n))


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


# ------------------------------------------------------------------- timing
def time_interleaved(fns, reps=7, steps=3, warmup=2):
    """Median seconds per call of each function in ``fns`` (a dict name → callable).

    Each function first runs ``warmup`` times; then ``reps`` rounds, each
    timing a block of ``steps`` calls of every function in turn (``steps``
    may be a dict name → steps, for functions of very different speeds).
    Returns ``{name: median seconds per call}``.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            n = steps[name] if isinstance(steps, dict) else steps
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times[name].append((time.perf_counter() - start) / n)
    return {name: float(np.median(t)) for name, t in times.items()}


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
    from . import datasets

    return datasets.load_mnist() if name == "mnist" else datasets.load_cifar10()


def _images(name, n, split="train", seed=0):
    """``(x, t, source)``: the first ``n`` images (scaled to [0, 1], NCHW) and integer labels of a
    split, ``source`` ``'mnist'`` / ``'cifar10'``; random images and ``source='random'`` only
    when the data set is not installed (:class:`cnnlib.datasets.DatasetError`)."""
    from . import datasets

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
    from . import datasets
    from .optimizers import SGD

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


def compare_lenet(batch=128, reps=9, steps=20, warmup=5, seed=0):
    """Scratch ``LeNet`` vs Keras ``build_lenet`` (``train_on_batch``), SGD, the same MNIST batch.

    Returns ``{'batch', 'data', 'scratch_ms', 'keras_ms', 'scratch_img_s', 'keras_img_s', 'ratio'}``
    (``ratio`` = scratch time / Keras time; ``data``: see :func:`_images`).

    Blocks of 20 steps: a LeNet step is short, and right after a switch from one
    framework to the other each runs slower for a few steps (caches refilled,
    TensorFlow's threads waking), which blocks of 5 charged mostly to the scratch
    side (ratio 1.07-1.09 with blocks of 5, 1.01-1.05 with blocks of 20, pinned
    to one core).  Training runs thousands of steps of one framework in a row.
    """
    from .keras_models import build_lenet
    from .models import LeNet

    _set_tf_threads(os.environ.get("CNNLIB_BENCH_THREADS", os.cpu_count()))
    return _compare(LeNet(seed=seed), build_lenet(), *_images("mnist", batch, seed=seed), reps, steps, warmup)


def compare_alexnet(batch=32, reps=7, steps=3, warmup=3, seed=0):
    """Scratch ``AlexNet`` vs Keras ``build_alexnet`` (``train_on_batch``), SGD, the same CIFAR-10 batch."""
    from .keras_models import build_alexnet
    from .models import AlexNet

    _set_tf_threads(os.environ.get("CNNLIB_BENCH_THREADS", os.cpu_count()))
    return _compare(AlexNet(seed=seed), build_alexnet(), *_images("cifar10", batch, seed=seed), reps, steps, warmup)


def conv_vs_naive(shape=(8, 3, 16, 16), filters=8, size=3, stride=1, pad=1, reps=3, seed=0):
    """``Convolution`` forward + backward vs the loops of :mod:`cnnlib.naive`, on small shapes.

    Returns ``{'scratch_ms', 'naive_ms', 'speedup', 'max_rel_diff'}``:
    ``max_rel_diff`` is the largest ``max |scratch - naive| / max |naive|``
    over the output and the three gradients (float32, where the two sum in
    different orders).
    """
    from .layers import Convolution
    from .naive import conv_backward_naive, conv_forward_naive

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape, dtype=np.float32)
    W = rng.standard_normal((filters, shape[1], size, size), dtype=np.float32) * np.float32(0.3)
    b = rng.standard_normal(filters, dtype=np.float32)
    layer = Convolution(W.copy(), b.copy(), stride, pad)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape, dtype=np.float32)

    def fast():
        y = layer.forward(x)
        return y, layer.backward(dout), layer.grads["W"], layer.grads["b"]

    def slow():
        y = conv_forward_naive(x, W, b, stride, pad)
        return (y,) + conv_backward_naive(dout, x, W, b, stride, pad)

    # the loops and the matrix products add in different orders: compare relative to the size of each result
    diff = max(float(np.max(np.abs(a - c)) / np.max(np.abs(c))) for a, c in zip(fast(), slow()))
    med = time_interleaved({"scratch": fast, "naive": slow}, reps=reps, steps={"scratch": 20, "naive": 1}, warmup=1)
    return {
        "shape": f"x {shape}, W ({filters}, {shape[1]}, {size}, {size}), stride {stride}, pad {pad}",
        "scratch_ms": med["scratch"] * 1e3,
        "naive_ms": med["naive"] * 1e3,
        "speedup": med["naive"] / med["scratch"],
        "max_rel_diff": diff,
    }


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
    from .models import AlexNet
    from .optimizers import SGD

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
        [sys.executable, "-m", "cnnlib.benchmark", "memory-child", str(batch), str(steps)],
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
    from .models import LeNet
    from .optimizers import SGD

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


def page_faults_lenet(keep_freed_memory=True, steps=30):
    """Minor page faults and milliseconds per scratch LeNet step (batch 128), in a fresh child process.

    ``keep_freed_memory=False`` runs the child with ``CNNLIB_KEEP_FREED_MEMORY=0``,
    i.e. with glibc's default ``malloc`` settings (see :func:`cnnlib.layers.keep_freed_memory`).
    Returns ``{'faults_per_step', 'ms_per_step'}``; the time is one run's mean, a
    rough figure beside :func:`compare_lenet`'s.
    """
    env = dict(os.environ, CNNLIB_KEEP_FREED_MEMORY="1" if keep_freed_memory else "0")
    run = subprocess.run(
        [sys.executable, "-m", "cnnlib.benchmark", "faults-child", str(steps)],
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
    from .models import AlexNet

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
    if threads is not None:
        set_threads(threads)
    log = print if verbose else (lambda *a, **k: None)
    r = dict(reps=5, steps=10) if quick else {}
    rows = []

    log("LeNet ...", flush=True)
    le = compare_lenet(**r)
    rows += _step_rows("LeNet", le, target=1.0)
    kept, default = page_faults_lenet(True), page_faults_lenet(False)
    rows += [
        ("LeNet page faults per step", f"{kept['faults_per_step']:.0f}", "<= 100", kept["faults_per_step"] <= 100),
        ("  with glibc's default malloc settings", f"{default['faults_per_step']:.0f}", "", None),
        ("  step time, one run each (kept / default)", f"{kept['ms_per_step']:.1f} / {default['ms_per_step']:.1f} ms", "", None),
    ]
    log("AlexNet ...", flush=True)
    ax = compare_alexnet(**(dict(reps=3, steps=1, warmup=2) if quick else {}))
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


if __name__ == "__main__":  # the child processes of peak_memory_alexnet and page_faults_lenet
    if sys.argv[1:2] == ["memory-child"] and len(sys.argv) == 4:
        _train_alexnet_for_memory(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1:2] == ["faults-child"] and len(sys.argv) == 3:
        _lenet_page_faults_child(int(sys.argv[2]))
    else:
        sys.exit(
            "usage: python -m cnnlib.benchmark memory-child BATCH STEPS | faults-child STEPS "
            "(the benchmark itself: benchmarks/benchmark.py)"
        )
