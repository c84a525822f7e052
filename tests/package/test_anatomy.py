"""cnnlib.anatomy: parameter, multiply-add and activation counts per layer, and receptive
fields; checked against hand computations, Keras's count_params and the gradient of a unit."""

import numpy as np
import pytest

import cnnlib
from cnnlib import anatomy


def test_counting_formulas_by_hand():
    assert anatomy.conv_params(1, 6, 5, 5) == 156          # LeNet-5's C1 (LeCun et al. 1998)
    assert anatomy.conv_params(16, 120, 5, 5) == 48_120    # its C5
    assert anatomy.dense_params(120, 84) == 10_164         # its F6
    assert anatomy.conv_params(3, 8, 5, 4, bias=False) == 480
    with pytest.raises(ValueError, match="FN must be a positive integer"):
        anatomy.conv_params(3, 0, 3, 3)
    with pytest.raises(ValueError, match="n_out"):
        anatomy.dense_params(10, 2.5)


def test_lenet_table_by_hand():
    rows = {r.name: r for r in anatomy.layer_table(cnnlib.LeNet(seed=0), (1, 28, 28))}
    assert rows["conv1"].output_shape == (6, 24, 24)
    assert rows["conv1"].params == 6 * 25 + 6
    assert rows["conv1"].macs == 6 * 24 * 24 * 25            # every output value: 25 multiply-adds
    assert rows["conv1"].flops == 2 * rows["conv1"].macs
    assert rows["conv2"].macs == 16 * 8 * 8 * 6 * 25
    assert rows["dense1"].params == 256 * 120 + 120 and rows["dense1"].macs == 256 * 120
    assert rows["maxpool1"].params == 0 and rows["maxpool1"].macs == 0
    assert rows["maxpool1"].activations == 6 * 12 * 12
    assert rows["conv1"].activation_bytes() == 6 * 24 * 24 * 4
    assert rows["conv1"].activation_bytes(8) == 6 * 24 * 24 * 8


def test_table_totals_match_the_models_count_params():
    for model, shape in ((cnnlib.LeNet(seed=0), (1, 28, 28)), (cnnlib.AlexNet(seed=0), (3, 32, 32))):
        rows = anatomy.layer_table(model, shape)
        assert sum(r.params for r in rows) == model.count_params()
        assert [r.name for r in rows] == list(model.layers)


def test_format_table_has_a_line_per_layer_and_a_total():
    rows = anatomy.layer_table(cnnlib.LeNet(seed=0), (1, 28, 28))
    text = anatomy.format_table(rows).splitlines()
    assert len(text) == len(rows) + 2
    assert text[-1].split()[:2] == ["total", f"{sum(r.params for r in rows):,}"]


@pytest.mark.parametrize("which", ["lenet", "alexnet"])
def test_parameters_per_layer_equal_keras_count_params(which):
    """The scratch table against the Keras twin's own counts, layer by layer (trainable weights:
    Keras's BatchNormalization also holds 2 non-trainable moving statistics per channel)."""
    keras = pytest.importorskip("keras")
    if which == "lenet":
        scratch, shape = cnnlib.LeNet(seed=0), (1, 28, 28)
        twin = cnnlib.build_lenet()
    else:
        scratch, shape = cnnlib.AlexNet(seed=0), (3, 32, 32)
        twin = cnnlib.build_alexnet()
    ours = [r.params for r in anatomy.layer_table(scratch, shape) if r.params]
    theirs = [int(sum(np.prod(w.shape) for w in layer.trainable_weights)) for layer in twin.layers]
    theirs = [n for n in theirs if n]
    assert ours == theirs
    non_trainable = sum(int(np.prod(w.shape)) for w in twin.non_trainable_weights)
    assert sum(ours) + non_trainable == twin.count_params()
    # output shapes too, for the layers both name alike (NCHW here, NHWC there)
    keras_shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in twin.layers}
    compared = 0
    for r in anatomy.layer_table(scratch, shape):
        if r.name in keras_shapes and len(r.output_shape) == 3:
            C, H, W = r.output_shape
            assert keras_shapes[r.name] == (H, W, C), r.name
            compared += 1
    assert compared >= 4
    assert keras.__version__


def test_receptive_fields_of_lenet_by_hand():
    rf = {r.name: r for r in anatomy.receptive_fields(cnnlib.LeNet(seed=0), (1, 28, 28))}
    assert (rf["conv1"].size, rf["conv1"].jump) == (5, 1)
    assert (rf["maxpool1"].size, rf["maxpool1"].jump) == (6, 2)
    assert (rf["conv2"].size, rf["conv2"].jump) == (14, 2)      # 6 + (5 - 1) * 2
    assert (rf["maxpool2"].size, rf["maxpool2"].jump) == (16, 4)
    assert rf["maxpool2"].output_size == 4
    assert rf["conv2"].window(1, 2) == (2, 16, 4, 18)
    with pytest.raises(ValueError, match="outside its 8x8 output"):
        rf["conv2"].window(8, 0)


def test_receptive_fields_with_same_padding_and_stride():
    # AlexNet's conv1: 11x11, stride 4, 'same' on 32 pixels: 3 rows of padding before the first
    rf = anatomy.receptive_fields(cnnlib.AlexNet(seed=0), (3, 32, 32))
    assert (rf[0].size, rf[0].jump, rf[0].first, rf[0].output_size) == (11, 4, -3, 8)
    assert (rf[1].size, rf[1].jump) == (11 + 2 * 4, 8)


def _unit_gradient_support(layers, x, unit):
    """Rows and columns of the input on which one output unit depends (nonzero gradient)."""
    for layer in layers:
        x = layer.forward(x, train=True)
    dout = np.zeros_like(x)
    dout[unit] = 1.0
    for layer in reversed(layers):
        dout = layer.backward(dout)
    rows, cols = np.nonzero(np.abs(dout[0]).sum(axis=0))
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


@pytest.mark.parametrize("seed", [0, 1])
def test_receptive_field_equals_the_gradients_support(seed):
    """Convolutions only (no ReLU, no max): with random weights and input, a unit's gradient
    is nonzero on exactly its receptive field."""
    rng = np.random.default_rng(seed)
    layers = [cnnlib.Convolution(rng.standard_normal((3, 1, 5, 5)), np.zeros(3), stride=2),
              cnnlib.Convolution(rng.standard_normal((4, 3, 3, 3)), np.zeros(4), pad=1),
              cnnlib.AveragePooling(2, 2)]
    model = cnnlib.Sequential(layers)
    rf = anatomy.receptive_fields(model, (1, 31, 31))
    x = rng.standard_normal((1, 1, 31, 31))
    for unit in [(0, 0, 1, 1), (0, 2, 3, 2), (0, 1, 0, 3)]:
        r0, r1, c0, c1 = rf[-1].window(unit[2], unit[3])
        assert _unit_gradient_support(layers, x, unit) == (max(r0, 0), min(r1, 31), max(c0, 0), min(c1, 31))


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match="scratch cnnlib model"):
        anatomy.layer_table(object(), (1, 28, 28))
    with pytest.raises(ValueError, match=r"\(channels, height, width\)"):
        anatomy.layer_table(cnnlib.LeNet(seed=0), (28, 28))
    with pytest.raises(ValueError, match="square images only"):
        anatomy.receptive_fields(cnnlib.LeNet(seed=0), (1, 28, 32))
