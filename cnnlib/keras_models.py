"""The same architectures as ``cnnlib.models``, in Keras 3 (channels_last, NHWC input).

Both builders return *uncompiled* models, so a chapter chooses the optimizer
and loss in view of the reader.  The last layer has no softmax: compile with
``SparseCategoricalCrossentropy(from_logits=True)``, which matches the scratch
``SoftmaxCrossEntropy``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

__all__ = ["build_lenet", "build_alexnet"]


def _check_input_shape(input_shape):
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels); got {input_shape!r}")
    h, w, c = input_shape
    if c > h or c > w:
        raise ValueError(
            f"input_shape {tuple(input_shape)} has more channels ({c}) than pixels along an edge: "
            f"it looks like NCHW (channels first). Keras layers here are channels_last: use (height, width, channels)"
        )


def build_lenet(input_shape=(28, 28, 1), num_classes=10, kernel_initializer="he_normal", name="lenet"):
    """conv 6@5x5 → ReLU → maxpool 2 → conv 16@5x5 → ReLU → maxpool 2 →
    dense 120 → ReLU → dense 84 → ReLU → dense ``num_classes`` (logits)."""
    _check_input_shape(input_shape)
    init = dict(kernel_initializer=kernel_initializer)
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.Conv2D(6, 5, activation="relu", name="conv1", **init),
            layers.MaxPooling2D(2, name="maxpool1"),
            layers.Conv2D(16, 5, activation="relu", name="conv2", **init),
            layers.MaxPooling2D(2, name="maxpool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(120, activation="relu", name="dense1", **init),
            layers.Dense(84, activation="relu", name="dense2", **init),
            layers.Dense(num_classes, name="logits", **init),
        ],
        name=name,
    )


def build_alexnet(
    input_shape=(32, 32, 3),
    num_classes=10,
    channels=(96, 256, 384, 384, 256),
    hidden=2048,
    dropout=0.5,
    kernel_initializer="he_normal",
    name="alexnet",
):
    """The small-image AlexNet of the original notebook (see ``cnnlib.models.AlexNet``)."""
    _check_input_shape(input_shape)
    c1, c2, c3, c4, c5 = channels
    init = dict(kernel_initializer=kernel_initializer)
    same = dict(padding="same")
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.Conv2D(c1, 11, strides=4, activation="relu", name="conv1", **same, **init),
            layers.MaxPooling2D(3, strides=2, name="maxpool1", **same),
            layers.BatchNormalization(name="bn1"),
            layers.Conv2D(c2, 5, activation="relu", name="conv2", **same, **init),
            layers.MaxPooling2D(3, strides=2, name="maxpool2", **same),
            layers.BatchNormalization(name="bn2"),
            layers.Conv2D(c3, 3, activation="relu", name="conv3", **same, **init),
            layers.Conv2D(c4, 3, activation="relu", name="conv4", **same, **init),
            layers.Conv2D(c5, 3, activation="relu", name="conv5", **same, **init),
            layers.MaxPooling2D(3, strides=2, name="maxpool3", **same),
            layers.BatchNormalization(name="bn3"),
            layers.Flatten(name="flatten"),
            layers.Dense(hidden, activation="relu", name="dense1", **init),
            layers.Dropout(dropout, name="dropout1"),
            layers.Dense(hidden, activation="relu", name="dense2", **init),
            layers.Dropout(dropout, name="dropout2"),
            layers.Dense(num_classes, name="logits", **init),
        ],
        name=name,
    )
