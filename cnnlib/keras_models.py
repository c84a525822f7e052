"""The same architectures as ``cnnlib.models``, in Keras 3 (channels_last, NHWC input).

The builders return *uncompiled* models, so a chapter chooses the optimizer
and loss in view of the reader.  The book's own models end without a softmax:
compile them with ``SparseCategoricalCrossentropy(from_logits=True)``, which
matches the scratch ``SoftmaxCrossEntropy``.  ``build_original_alexnet`` is the
exception: it is the study notebook's model as written (softmax output,
Keras's default initialisation, any ``input_shape`` accepted, even a
channels-first one), so that chapters 9 and 11 can run the original.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

__all__ = ["build_lenet", "build_alexnet", "build_original_alexnet", "build_small_cnn", "build_resnet"]


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


def build_original_alexnet(input_shape, num_classes=10, name="original_alexnet"):
    """The study notebook's Keras AlexNet as written (its In [299] and, for CIFAR-10, In [3]).

    The same layers, in the same order, with the same arguments; only the
    input is declared with ``keras.Input`` (Keras 3's spelling of the first
    layer's ``input_shape=``).  Kept as the original has it: Keras's default
    initialisation (``glorot_uniform`` kernels, zero biases), ``softmax`` on the
    last layer (compile with ``categorical_crossentropy`` on one-hot labels),
    and no check of ``input_shape``: the notebook passed channels-first shapes
    such as ``(1, 28, 28)``, which channels_last layers read as 1 pixel high,
    28 wide, with 28 channels.  Book: chapters 9 and 11.
    """
    same = dict(padding="same")
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.Conv2D(96, kernel_size=(11, 11), strides=(4, 4), activation="relu", name="conv1", **same),
            layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="maxpool1", **same),
            layers.BatchNormalization(name="bn1"),
            layers.Conv2D(256, kernel_size=(5, 5), strides=(1, 1), activation="relu", name="conv2", **same),
            layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="maxpool2", **same),
            layers.BatchNormalization(name="bn2"),
            layers.Conv2D(384, kernel_size=(3, 3), strides=(1, 1), activation="relu", name="conv3", **same),
            layers.Conv2D(384, kernel_size=(3, 3), strides=(1, 1), activation="relu", name="conv4", **same),
            layers.Conv2D(256, kernel_size=(3, 3), strides=(1, 1), activation="relu", name="conv5", **same),
            layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), name="maxpool3", **same),
            layers.BatchNormalization(name="bn3"),
            layers.Flatten(name="flatten"),
            layers.Dense(2048, activation="relu", name="dense1"),
            layers.Dropout(0.5, name="dropout1"),
            layers.Dense(2048, activation="relu", name="dense2"),
            layers.Dropout(0.5, name="dropout2"),
            layers.Dense(num_classes, activation="softmax", name="softmax"),
        ],
        name=name,
    )


def build_small_cnn(input_shape=(32, 32, 3), num_classes=10, bn=False, dropout=0.0, l2=0.0, augment=False, name="small_cnn"):
    """Chapter 12's small VGG-like network for 32x32 images (about 95,000 parameters).

    Three blocks of a 3x3 convolution (32, 64, 128 filters), ReLU and 2x2 max
    pooling, then a global average over the remaining positions and one dense
    layer to the logits.  Options, each a remedy for overfitting: ``bn``
    (batch normalisation between each convolution and its ReLU; the
    convolution then has no bias), ``dropout`` (after each pooling), ``l2``
    (an L2 penalty ``l2 * sum(w**2)`` on every kernel) and ``augment``
    (random horizontal flips and shifts of up to 1/8 of the image, active in
    training only).
    """
    _check_input_shape(input_shape)
    reg = keras.regularizers.L2(l2) if l2 else None
    kw = dict(kernel_initializer="he_normal", kernel_regularizer=reg, use_bias=not bn)
    stack = [keras.Input(tuple(input_shape))]
    if augment:
        stack += [layers.RandomFlip("horizontal"), layers.RandomTranslation(0.125, 0.125, fill_mode="reflect")]
    for width in (32, 64, 128):
        stack.append(layers.Conv2D(width, 3, padding="same", **kw))
        if bn:
            stack.append(layers.BatchNormalization())
        stack += [layers.ReLU(), layers.MaxPooling2D(2)]
        if dropout:
            stack.append(layers.Dropout(dropout))
    stack += [layers.GlobalAveragePooling2D(), layers.Dense(num_classes, kernel_initializer="he_normal", kernel_regularizer=reg)]
    return keras.Sequential(stack, name=name)


def build_resnet(
    input_shape=(32, 32, 3),
    num_classes=10,
    widths=(16, 32),
    blocks=2,
    residual=True,
    bn=True,
    kernel_initializer="he_normal",
    name=None,
):
    """The small ResNet of ``cnnlib.ResNet`` (or its plain twin), built with the functional API:
    each block's output and its input meet in ``layers.Add``.

    Layer names follow the scratch model's parameter keys with ``_`` for ``.``: the scratch
    ``res2.conv1.W`` is the kernel of ``res2_conv1`` here (the plain twin numbers its layers
    as one list, ``conv2``, ``bn2``, ...), ``dense1`` is the logits layer.
    """
    _check_input_shape(input_shape)
    widths = tuple(int(w) for w in widths)
    blocks = (int(blocks),) * len(widths) if isinstance(blocks, int) else tuple(int(b) for b in blocks)
    if not widths or len(blocks) != len(widths) or min(widths + blocks) < 1:
        raise ValueError(f"widths and blocks: positive, one number of blocks per stage; got {widths!r}, {blocks!r}")
    counts = {}

    def named(prefix, scope=None):
        key = (scope, prefix)
        counts[key] = counts.get(key, 0) + 1
        return f"{scope}_{prefix}{counts[key]}" if scope else f"{prefix}{counts[key]}"

    def conv(x, width, size, scope=None):
        return layers.Conv2D(width, size, padding="same", kernel_initializer=kernel_initializer, name=named("conv", scope))(x)

    def norm(x, scope=None):
        return layers.BatchNormalization(name=named("bn", scope))(x) if bn else x

    def relu(x, scope=None):
        return layers.ReLU(name=named("relu", scope))(x)

    inputs = keras.Input(shape=tuple(input_shape))
    x = relu(norm(conv(inputs, widths[0], 3)))
    for stage, (width, n) in enumerate(zip(widths, blocks)):
        if stage:
            x = conv(layers.MaxPooling2D(2, name=named("maxpool"))(x), width, 1)
        for _ in range(n):
            scope = named("res") if residual else None
            y = relu(norm(conv(x, width, 3, scope), scope), scope)
            y = norm(conv(y, width, 3, scope), scope)
            x = relu(layers.Add(name=f"{scope}_add")([x, y]) if residual else y)
    x = layers.GlobalAveragePooling2D(name="gap1")(x)
    outputs = layers.Dense(num_classes, kernel_initializer=kernel_initializer, name="dense1")(x)
    return keras.Model(inputs, outputs, name=name or ("resnet" if residual else "plainnet"))
