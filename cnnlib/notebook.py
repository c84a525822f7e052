"""One call at the top of every chapter: seeds, thread counts, print options, figure style."""

import os
import random

import numpy as np

__all__ = ["setup"]


def setup(seed=0, keras=False, threads=2):
    """Make a chapter reproducible and its outputs tidy; returns a seeded ``numpy`` Generator.

    * numpy prints 4 significant decimals and no scientific noise;
    * matplotlib draws PNGs with a white background (legible in dark mode);
    * with ``keras=True``: ``keras.utils.set_random_seed(seed)`` and TensorFlow
      limited to ``threads`` intra-op threads and one inter-op thread, so a run
      is bit-reproducible on one machine.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    random.seed(seed)
    np.random.seed(seed)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.facecolor": "white",
            "image.interpolation": "nearest",
        }
    )
    if keras:
        import keras as _keras
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised in this kernel: the first setting stands
            pass
        _keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)
