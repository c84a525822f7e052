#!/usr/bin/env python
"""Chapter 12's like-for-like controls: which part of the small model's gain is the model, which the recipe.

    .venv/bin/python tools/overfitting_controls.py --seeds 0 1 2 --out book/data/overfitting_controls.json

Chapter 12 compares chapter 11's AlexNet (Adam 0.0001, constant, 20 epochs) with
a small network trained with another recipe (Adam with a cosine schedule from
0.003 to 0, 12 epochs). That comparison changes the model and the recipe at
once. This script trains the four combinations on the same 1,000 CIFAR-10
images (the first 1,000 of the book's copy, scaled, NHWC), batch 32, and
measures each on all 10,000 test images:

* ``alexnet, constant 1e-4, 20 epochs``: chapter 11's corrected run (its baseline);
* ``alexnet, cosine 3e-3, 12 epochs``: AlexNet with the small model's recipe;
* ``small, constant 1e-4, 20 epochs``: the small model with AlexNet's recipe;
* ``small, cosine 3e-3, 12 epochs``: chapter 12's "smaller model" run.

It is a research script (5 to 10 minutes per seed on two shared CPU cores), not run by
CI: the chapter quotes its recorded JSON and says so.  Runs already in ``--out``
for other seeds are kept.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import cnnlib  # noqa: E402

N_TRAIN, BATCH_SIZE = 1000, 32


def recipes(keras):
    def constant(epochs):
        return keras.optimizers.Adam(learning_rate=1e-4)

    def cosine(epochs):
        steps = epochs * -(-N_TRAIN // BATCH_SIZE)
        return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(3e-3, steps))

    models = {"alexnet": lambda: cnnlib.build_alexnet(input_shape=(32, 32, 3)),
              "small": lambda: cnnlib.build_small_cnn()}
    plans = {"constant 1e-4, 20 epochs": (constant, 20), "cosine 3e-3, 12 epochs": (cosine, 12)}
    return {f"{m}, {p}": (models[m], *plans[p]) for m in models for p in plans}


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "data" / "overfitting_controls.json")
    args = parser.parse_args(argv)

    cnnlib.notebook.setup(seed=0, keras=True)
    import keras
    import tensorflow as tf

    (x_all, t_all), (x_test_all, t_test_all) = cnnlib.load_cifar10()
    x, t = cnnlib.scale(x_all[:N_TRAIN]), t_all[:N_TRAIN, 0]
    x_test, t_test = cnnlib.scale(x_test_all), t_test_all[:, 0]

    record = json.loads(args.out.read_text()) if args.out.exists() else {}
    record["note"] = ("Recorded by tools/overfitting_controls.py; not re-executed by nbval. "
                      "Test accuracy on all 10,000 CIFAR-10 test images after training on the first 1,000.")
    runs = record.setdefault("runs", {})
    for seed in args.seeds:
        for name, (build, optimizer, epochs) in recipes(keras).items():
            keras.utils.set_random_seed(seed)
            model = build()
            model.compile(optimizer=optimizer(epochs),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
            start = time.perf_counter()
            model.fit(x, t, batch_size=BATCH_SIZE, epochs=epochs, verbose=0)
            acc = float(model.evaluate(x_test, t_test, batch_size=500, verbose=0)[1])
            train_acc = float(model.evaluate(x, t, batch_size=500, verbose=0)[1])
            seconds = time.perf_counter() - start
            runs.setdefault(name, {})[str(seed)] = {"test_acc": round(acc, 4), "train_acc": round(train_acc, 4),
                                                   "seconds": round(seconds, 1)}
            print(f"seed {seed} | {name:34} | test {acc:.2%} | train {train_acc:.2%} | {seconds:.0f} s", flush=True)
            record["environment"] = {
                "cpu_model": cpu_model(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
                "tensorflow": tf.__version__, "keras": keras.__version__,
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            }
            args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
