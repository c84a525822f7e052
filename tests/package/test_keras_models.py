"""The Keras builders that chapters 9, 11 and 12 use (the book's own LeNet and
AlexNet are checked against their scratch twins in test_keras_twins.py)."""

import numpy as np
import pytest

import cnnlib

pytestmark = pytest.mark.keras


@pytest.fixture(autouse=True)
def _keras(keras):
    """Keras imported at the first test, not at collection (``-m "not keras"`` never imports it)."""


def test_original_alexnet_keeps_the_notebooks_misread_input():
    # In [299] declares input_shape=(1, 28, 28) on channels_last layers.
    model = cnnlib.build_original_alexnet((1, 28, 28))
    assert tuple(model.get_layer("conv1").output.shape) == (None, 1, 7, 96)
    assert model.get_layer("conv1").kernel.shape == (11, 11, 28, 96)
    assert model.count_params() == 8_783_210


def test_original_alexnet_is_as_written():
    model = cnnlib.build_original_alexnet((32, 32, 3))
    conv1, last = model.get_layer("conv1"), model.layers[-1]
    assert type(conv1.kernel_initializer).__name__ == "GlorotUniform"
    assert last.activation.__name__ == "softmax" and last.units == 10
    probs = model(np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32"), training=False)
    np.testing.assert_allclose(np.asarray(probs).sum(axis=1), 1.0, rtol=1e-5)
    # the same stack as the book's corrected builder, parameter for parameter
    assert model.count_params() == cnnlib.build_alexnet((32, 32, 3)).count_params()


@pytest.mark.parametrize("options, params", [({}, 94_538), ({"bn": True}, 94_538 - 224 + 4 * 224)])
def test_small_cnn_parameter_count(options, params):
    # 896 + 18,496 + 73,856 + 1,290 = 94,538; with BN the 224 conv biases go and
    # each of the 224 channels gets gamma, beta (trainable) and two running averages.
    assert cnnlib.build_small_cnn(**options).count_params() == params


def test_small_cnn_refuses_channels_first():
    with pytest.raises(ValueError, match="NCHW"):
        cnnlib.build_small_cnn(input_shape=(3, 32, 32))
