#!/usr/bin/env python
"""Train the book's corrected models on the FULL data sets and record the results (opt-in, not in CI).

    .venv/bin/python tools/full_data.py --model lenet-scratch --out book/data/full_data_runs.json
    .venv/bin/python tools/full_data.py --model lenet-keras   --out book/data/full_data_runs.json
    .venv/bin/python tools/full_data.py --model alexnet-keras --out book/data/full_data_runs.json --max-minutes 15

Models (the recipes of the chapters, on all training images instead of the subsets):

* ``lenet-scratch``: ``cnnlib.LeNet(weight_init="he")`` on all 60,000 MNIST images,
  scaled, NCHW; ``cnnlib.Adam(0.001, weight_decay=0.1)``, then a step decay to
  0.0001 (chapter 7's corrected run);
* ``lenet-keras``: ``cnnlib.build_lenet()``, the same recipe in Keras (chapter 8);
* ``alexnet-keras``: ``cnnlib.build_alexnet(input_shape=(32, 32, 3))`` on all
  50,000 CIFAR-10 images, scaled, NHWC; Adam 0.0001 (chapter 11's corrected run).

The Keras models are built and compiled inside ``tf.distribute.MirroredStrategy``
when more than one GPU is visible (synchronous data parallelism, one replica per
GPU; ``--batch-size`` is then the GLOBAL batch), else under the default
strategy on one device.  ``--cpu-replicas N`` splits the CPU into N logical
devices and mirrors over them: the same code path on a machine without GPUs
(it shows the mechanics; it does not make a CPU faster).

One progress line per epoch.  Every run is measured on ALL test images and
written to ``--out`` (a JSON file; runs of other models already in it are kept)
with wall time, epochs, devices, CPU model, versions and date.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
import cnnlib  # noqa: E402

# name: (defaults) -- epochs at the first learning rate, then decay_epochs at a tenth of it
RECIPES = {
    "lenet-scratch": dict(dataset="mnist", epochs=6, decay_epochs=2, batch_size=32, learning_rate=1e-3, weight_decay=0.1),
    "lenet-keras": dict(dataset="mnist", epochs=6, decay_epochs=2, batch_size=32, learning_rate=1e-3, weight_decay=0.1),
    "alexnet-keras": dict(dataset="cifar10", epochs=4, decay_epochs=0, batch_size=32, learning_rate=1e-4, weight_decay=None),
}


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment(tf=None):
    env = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cnnlib": cnnlib.__version__,
        "commit": git_commit(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average_1min_at_end": os.getloadavg()[0],  # other jobs on the machine slow a run down
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if tf is not None:
        import keras

        env.update(tensorflow=tf.__version__, keras=keras.__version__, keras_backend=keras.backend.backend())
    return env


def load(dataset, nchw):
    if dataset == "mnist":
        (x, t), (xt, tt) = cnnlib.load_mnist()
    else:
        (x, t), (xt, tt) = cnnlib.load_cifar10()
        t, tt = t[:, 0], tt[:, 0]
    x, xt = cnnlib.scale(x), cnnlib.scale(xt)
    if dataset == "mnist":
        convert = cnnlib.to_nchw if nchw else cnnlib.to_nhwc
        x, xt = convert(x), convert(xt)
    elif nchw:
        x, xt = cnnlib.to_nchw(x), cnnlib.to_nchw(xt)
    return x, t.astype(np.int64), xt, tt.astype(np.int64)


def run_scratch_lenet(cfg, seed):
    x, t, xt, tt = load("mnist", nchw=True)
    print(f"lenet-scratch: {len(x):,} training and {len(xt):,} test images, batch {cfg['batch_size']}", flush=True)
    model = cnnlib.LeNet(weight_init="he", seed=seed)
    optimizer = cnnlib.Adam(learning_rate=cfg["learning_rate"], weight_decay=cfg["weight_decay"])
    start = time.perf_counter()
    test_acc_per_epoch = []
    for phase, (epochs, lr) in enumerate([(cfg["epochs"], cfg["learning_rate"]),
                                          (cfg["decay_epochs"], cfg["learning_rate"] / 10)]):
        if epochs == 0:
            continue
        optimizer.learning_rate = lr  # the step decay; Adam keeps its running averages
        print(f"learning rate {lr:g} for {epochs} epochs", flush=True)
        h = cnnlib.train(model, optimizer, x, t, xt, tt, epochs=epochs, batch_size=cfg["batch_size"],
                         seed=seed + 100 * phase, eval_train=False)
        test_acc_per_epoch += h.test_acc
    wall = time.perf_counter() - start
    return {
        "model": "cnnlib.LeNet(weight_init='he') (scratch numpy, NCHW)",
        "dataset": "MNIST",
        "train_images": len(x),
        "test_images": len(xt),
        "test_acc": float(model.accuracy(xt, tt)),
        "test_acc_per_epoch": [float(a) for a in test_acc_per_epoch],
        "wall_seconds": wall,
        "devices": ["CPU (numpy + OpenBLAS)"],
        "replicas": 1,
        "recipe": f"Adam {cfg['learning_rate']:g}, decoupled weight decay {cfg['weight_decay']}, batch {cfg['batch_size']}: "
                  f"{cfg['epochs']} epochs, then {cfg['decay_epochs']} at {cfg['learning_rate'] / 10:g}",
    }


class _TimeLimit:
    """Keras callback: stop after the epoch during which ``minutes`` of wall time ran out."""

    def __new__(cls, minutes):
        import keras

        class TimeLimit(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = time.perf_counter()
                self.stopped = False

            def on_epoch_end(self, epoch, logs=None):
                if minutes and time.perf_counter() - self.start > 60 * minutes:
                    print(f"time limit of {minutes:g} min reached after epoch {epoch + 1}", flush=True)
                    self.stopped = True
                    self.model.stop_training = True

        return TimeLimit()


def strategy_for(tf, cpu_replicas):
    """MirroredStrategy over the GPUs (or over ``cpu_replicas`` logical CPUs), else the default strategy."""
    if cpu_replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas)
        names = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=names)
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()  # all visible GPUs, all-reduce with NCCL
    return tf.distribute.get_strategy()  # the default: one device, no wrapping


def run_keras(name, cfg, seed, cpu_replicas, max_minutes, threads):
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    strategy = strategy_for(tf, cpu_replicas)
    import keras

    keras.utils.set_random_seed(seed)
    dataset = RECIPES[name]["dataset"]
    x, t, xt, tt = load(dataset, nchw=False)
    replicas = strategy.num_replicas_in_sync
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy: no device list; TensorFlow places ops on the first GPU, else the CPU
        gpus = tf.config.list_logical_devices("GPU")
        devices = [(gpus or tf.config.list_logical_devices("CPU"))[0].name]
    print(f"{name}: {len(x):,} training and {len(xt):,} test images, global batch {cfg['batch_size']}, "
          f"{replicas} replica(s) ({type(strategy).__name__.lstrip('_')}: {', '.join(devices)})", flush=True)
    with strategy.scope():  # variables created here are mirrored on every replica
        model = cnnlib.build_lenet() if name == "lenet-keras" else cnnlib.build_alexnet(input_shape=(32, 32, 3))
        optimizer = keras.optimizers.Adam(learning_rate=cfg["learning_rate"], weight_decay=cfg["weight_decay"])
        model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    lr, epochs = cfg["learning_rate"], cfg["epochs"]
    callbacks = [keras.callbacks.LearningRateScheduler(lambda e: lr if e < epochs else lr / 10)]
    limit = _TimeLimit(max_minutes)
    callbacks.append(limit)
    start = time.perf_counter()
    history = model.fit(x, t, batch_size=cfg["batch_size"], epochs=epochs + cfg["decay_epochs"],
                        validation_data=(xt, tt), callbacks=callbacks, verbose=2)
    wall = time.perf_counter() - start
    _, test_acc = model.evaluate(xt, tt, batch_size=500, verbose=0)
    done = len(history.history["loss"])
    recipe = f"Adam {lr:g}" + (f", decoupled weight decay {cfg['weight_decay']}" if cfg["weight_decay"] else "")
    recipe += f", global batch {cfg['batch_size']}: {epochs} epochs"
    if cfg["decay_epochs"]:
        recipe += f", then {cfg['decay_epochs']} at {lr / 10:g}"
    result = {
        "model": "cnnlib.build_lenet()" if name == "lenet-keras" else "cnnlib.build_alexnet(input_shape=(32, 32, 3))",
        "dataset": "MNIST" if dataset == "mnist" else "CIFAR-10",
        "train_images": len(x),
        "test_images": len(xt),
        "test_acc": float(test_acc),
        "test_acc_per_epoch": [float(a) for a in history.history["val_accuracy"]],
        "train_batch_acc_last_epoch": float(history.history["accuracy"][-1]),
        "wall_seconds": wall,
        "devices": devices,
        "replicas": replicas,
        "strategy": type(strategy).__name__ if replicas > 1 else "default strategy (one device)",
        "recipe": recipe,
        "tf_intra_op_threads": threads,
    }
    if limit.stopped:
        result["stopped_by_time_limit_after_epochs"] = done
        result["time_limit_minutes"] = max_minutes
        result["recipe"] += f" planned; stopped by the {max_minutes:g}-minute limit after {done}"
    return result, tf


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, choices=sorted(RECIPES))
    p.add_argument("--out", required=True, type=Path, help="JSON file; results of other models in it are kept")
    p.add_argument("--epochs", type=int, help="epochs at the first learning rate (default: the recipe's)")
    p.add_argument("--decay-epochs", type=int, help="epochs at a tenth of it afterwards (default: the recipe's)")
    p.add_argument("--batch-size", type=int, help="global batch size (default: the recipe's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cpu-replicas", type=int, default=1, help="Keras: mirror over N logical CPU devices")
    p.add_argument("--max-minutes", type=float, default=0, help="Keras: stop after the epoch that passes this")
    p.add_argument("--threads", type=int, default=2, help="Keras: TensorFlow intra-op threads (0: TF's default)")
    args = p.parse_args(argv)

    cfg = dict(RECIPES[args.model])
    for key in ("epochs", "decay_epochs", "batch_size"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    load_at_start = os.getloadavg()[0]
    tf = None
    if args.model == "lenet-scratch":
        result = run_scratch_lenet(cfg, args.seed)
    else:
        result, tf = run_keras(args.model, cfg, args.seed, args.cpu_replicas, args.max_minutes, args.threads)
    result.update(epochs=cfg["epochs"] + cfg["decay_epochs"], batch_size=cfg["batch_size"], seed=args.seed,
                  command="tools/full_data.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                  environment=environment(tf))
    result["environment"]["load_average_1min_at_start"] = load_at_start
    if "stopped_by_time_limit_after_epochs" in result:
        result["epochs"] = result["stopped_by_time_limit_after_epochs"]
    print(f"{args.model}: {result['test_acc']:.2%} of all {result['test_images']:,} test images, "
          f"{result['epochs']} epochs, {result['wall_seconds'] / 60:.1f} min wall", flush=True)

    runs = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs.setdefault("note", "Recorded by tools/full_data.py; not re-executed by nbval. One run per model (the last one).")
    runs.setdefault("runs", {})[args.model] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(runs, indent=2) + "\n")
    print(f"written to {args.out}", flush=True)


if __name__ == "__main__":
    main()
