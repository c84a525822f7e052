"""cnnlib: the companion package of the CNN book, and everything a chapter imports.

Scratch (numpy, NCHW) layers, optimizers and models in the style of Deep
Learning from Scratch (readable in ``cnnlib.reference``, which the chapters
print; the fast subclasses in ``cnnlib.fast_layers`` and
``cnnlib.fast_optimizers`` are the top-level names), their Keras twins, offline dataset loading, the
mini-batch training loop, gradient checking, plotting helpers, the exercise
checks (``cnnlib.checks``; in Japanese after ``cnnlib.set_language("ja")`` or with
``CNNLIB_LANG=ja``, :mod:`cnnlib.i18n`), ``claim`` (the asserted figures the prose quotes)
and ``cnnlib.notebook.setup()`` (seeds, print options and figure style; its
docstring lists every setting it changes).  Importing cnnlib changes no
process-wide setting; ``cnnlib.train`` asks glibc to keep freed memory
(``cnnlib.allocator``).

A chapter's first cell installs this package alone; it depends on numpy and
matplotlib.  ``import cnnlib`` does not import TensorFlow; the Keras builders
(``cnnlib.build_lenet``, ``build_alexnet``, ``build_original_alexnet``,
``build_small_cnn``) import it on first use (the ``keras`` extra, or the
TensorFlow a hosted runtime brings).  The tools that build the book's classroom
editions are a separate package, ``cnnbook`` (``tools/`` in the repository).
"""

from . import checks, datasets, i18n, interpret, notebook, plotting, reference
from .claims import claim, glued
from .datasets import first_n, load_cifar10, load_mnist, one_hot, scale, to_nchw, to_nhwc
from .fast_layers import (
    Affine,
    AveragePooling,
    BatchNormalization,
    Convolution,
    Dropout,
    Flatten,
    GlobalAveragePooling,
    MaxPooling,
    Relu,
    Residual,
    SoftmaxCrossEntropy,
)
from .fast_optimizers import SGD, AdaGrad, Adadelta, Adam, Momentum, Nesterov, RMSprop
from .geometry import conv_output_size
from .gradcheck import numerical_gradient, rel_error
from .i18n import set_language
from .models import AlexNet, LeNet, ResNet, Sequential
from .reference import col2im, im2col
from .training import History, TrainingDiverged, history_from_keras, train

__version__ = "1.0.0"

_KERAS = {"build_lenet", "build_alexnet", "build_original_alexnet", "build_small_cnn", "build_resnet"}


def __getattr__(name):
    if name in _KERAS:
        from . import keras_models

        return getattr(keras_models, name)
    raise AttributeError(f"module 'cnnlib' has no attribute {name!r}")
