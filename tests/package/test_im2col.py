"""im2col / col2im / conv_output_size: shapes, worked cases, the adjoint identity and a loop reference."""

import numpy as np
import pytest

from cnnlib import col2im, im2col
from cnnlib.geometry import conv_output_size, resolve_padding
from padding_by_hand import pads_by_hand

# (input shape NCHW, FH, FW, stride, pad): odd and even kernels, non-square
# inputs and kernels, strides 1..4, integer / pair / 'valid' / 'same' padding.
GEOMETRIES = [
    ((2, 3, 4, 4), 3, 3, 1, 0),
    ((2, 3, 7, 7), 3, 3, 1, 1),
    ((2, 3, 7, 7), 3, 3, 2, 1),
    ((1, 2, 9, 13), 3, 3, 4, "valid"),  # remainders dropped
    ((2, 2, 6, 9), 2, 2, 1, "same"),  # even kernel: the extra row/column at the end
    ((2, 2, 7, 6), 4, 4, 2, "same"),
    ((1, 3, 11, 9), 5, 3, 4, "same"),
    ((2, 2, 8, 5), 3, 2, 3, "valid"),
    ((1, 1, 5, 6), 3, 3, 1, ((0, 2), (1, 0))),  # explicit asymmetric pairs
    ((2, 1, 7, 9), 1, 1, 2, 0),  # 1x1 kernel, stride 2: (7 - 1) / 2 + 1 = 4
]


def ids(geometries):
    return [f"x{g[0][2]}x{g[0][3]}-k{g[1]}x{g[2]}-s{g[3]}-p{g[4]}".replace(" ", "") for g in geometries]



def im2col_loops(x, FH, FW, stride, pad):
    """The definition, one output pixel and one kernel offset at a time."""
    N, C, H, W = x.shape
    (pt, pb), (pl, pr) = pads_by_hand(H, W, FH, FW, stride, pad)
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=x.dtype)
    xp[:, :, pt : pt + H, pl : pl + W] = x
    OH = (H + pt + pb - FH) // stride + 1
    OW = (W + pl + pr - FW) // stride + 1
    rows = []
    for n in range(N):
        for oy in range(OH):
            for ox in range(OW):
                row = []
                for c in range(C):
                    for ky in range(FH):
                        for kx in range(FW):
                            row.append(xp[n, c, oy * stride + ky, ox * stride + kx])
                rows.append(row)
    return np.array(rows, dtype=x.dtype)


def col2im_loops(col, shape, FH, FW, stride, pad):
    """Add every entry of ``col`` back onto the input pixel it came from (padding discarded)."""
    N, C, H, W = shape
    (pt, pb), (pl, pr) = pads_by_hand(H, W, FH, FW, stride, pad)
    OH = (H + pt + pb - FH) // stride + 1
    OW = (W + pl + pr - FW) // stride + 1
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=col.dtype)
    r = 0
    for n in range(N):
        for oy in range(OH):
            for ox in range(OW):
                k = 0
                for c in range(C):
                    for ky in range(FH):
                        for kx in range(FW):
                            xp[n, c, oy * stride + ky, ox * stride + kx] += col[r, k]
                            k += 1
                r += 1
    return xp[:, :, pt : pt + H, pl : pl + W]


# ----------------------------------------------------------- conv_output_size
@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((4, 3), {}, 2),  # the textbook's 4x4 input, 3x3 filter
        ((28, 5), {"stride": 1, "pad": 2}, 28),  # LeNet's padded first layer
        ((28, 5), {}, 24),
        ((7, 3), {"stride": 2, "pad": 1}, 4),
        ((32, 11), {"stride": 4, "pad": "same"}, 8),  # ceil(32 / 4)
        ((32, 11), {"stride": 4, "pad": "valid"}, 6),  # floor((32 - 11) / 4) + 1
        ((7, 3), {"stride": 2, "pad": "same"}, 4),  # ceil(7 / 2)
        ((7, 2), {"stride": 2, "pad": "valid"}, 3),  # floor(5 / 2) + 1, remainder dropped
        ((5, 2), {"stride": 2, "pad": "same"}, 3),
        ((6, 3), {"stride": 2, "pad": (0, 1)}, 3),  # a (before, after) pair
        ((3, 3), {}, 1),
    ],
)
def test_conv_output_size_worked_cases(args, kwargs, expected):
    assert conv_output_size(*args, **kwargs) == expected


def test_conv_output_size_non_integral_with_integer_padding_is_an_error():
    # (6 - 3) / 2 + 1 = 2.5: the textbook formula must divide exactly
    with pytest.raises(ValueError, match=r"2\.5 is not an integer.*padding='valid'"):
        conv_output_size(6, 3, stride=2, pad=0)
    # the same geometry with 'valid' drops the remainder, as Keras does
    assert conv_output_size(6, 3, stride=2, pad="valid") == 2


def test_conv_output_size_filter_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"filter \(5\) is larger than the padded input \(3 \+ 0 \+ 0 = 3\)"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(3, 6, pad="valid")
    assert conv_output_size(3, 5, pad=1) == 1  # 3 + 2 = 5: just fits


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_size": 0, "filter_size": 3}, "input_size must be a positive integer"),
        ({"input_size": 5, "filter_size": 2.0}, "filter_size must be a positive integer"),
        ({"input_size": 5, "filter_size": 3, "stride": 0}, "stride must be a positive integer"),
        ({"input_size": 5, "filter_size": 3, "pad": -1}, "padding must be >= 0"),
        ({"input_size": 5, "filter_size": 3, "pad": "full"}, "padding must be an integer, 'valid' or 'same'"),
    ],
)
def test_conv_output_size_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(**kwargs)


def test_resolve_padding_follows_keras_same_rule():
    # total padding (out - 1) * S + F - H, the odd unit at the bottom/right (TensorFlow's rule)
    assert resolve_padding((32, 32), (11, 11), 4, "same") == ((3, 4), (3, 4))
    assert resolve_padding((6, 9), (2, 2), 1, "same") == ((0, 1), (0, 1))
    assert resolve_padding((7, 6), (4, 4), 2, "same") == ((1, 2), (1, 1))
    assert resolve_padding((8, 8), (1, 1), 2, "same") == ((0, 0), (0, 0))
    assert resolve_padding((5, 5), (3, 3), 1, 2) == ((2, 2), (2, 2))
    assert resolve_padding((5, 5), (3, 3), 1, "VALID") == ((0, 0), (0, 0))
    with pytest.raises(ValueError, match=r"\(\(top, bottom\), \(left, right\)\)"):
        resolve_padding((5, 5), (3, 3), 1, (1, 2, 3))


# ------------------------------------------------------------------- im2col
@pytest.mark.parametrize("shape, FH, FW, stride, pad", GEOMETRIES, ids=ids(GEOMETRIES))
def test_im2col_shape_and_loop_reference(rng, shape, FH, FW, stride, pad):
    x = rng.standard_normal(shape)
    N, C, H, W = shape
    (pt, pb), (pl, pr) = pads_by_hand(H, W, FH, FW, stride, pad)
    OH = (H + pt + pb - FH) // stride + 1
    OW = (W + pl + pr - FW) // stride + 1
    x_before = x.copy()
    col = im2col(x, FH, FW, stride, pad)
    assert col.shape == (N * OH * OW, C * FH * FW)
    np.testing.assert_array_equal(col, im2col_loops(x, FH, FW, stride, pad))  # a pure copy: exact
    np.testing.assert_array_equal(x, x_before)  # input untouched


def test_im2col_textbook_example():
    # DLfS 7.4.3: a (1, 3, 7, 7) input and a 5x5 filter give col (9, 75); a batch of 10, (90, 75)
    assert im2col(np.zeros((1, 3, 7, 7)), 5, 5, stride=1, pad=0).shape == (9, 75)
    assert im2col(np.zeros((10, 3, 7, 7)), 5, 5, stride=1, pad=0).shape == (90, 75)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    col = im2col(x, 3, 3)
    np.testing.assert_array_equal(col[0], [0, 1, 2, 4, 5, 6, 8, 9, 10])
    np.testing.assert_array_equal(col[3], [5, 6, 7, 9, 10, 11, 13, 14, 15])


def test_im2col_rejects_non_4d_input():
    with pytest.raises(ValueError, match=r"expected a 4-D NCHW array .* got shape \(28, 28\)"):
        im2col(np.zeros((28, 28)), 3, 3)


# ------------------------------------------------------------------- col2im
@pytest.mark.parametrize("shape, FH, FW, stride, pad", GEOMETRIES, ids=ids(GEOMETRIES))
def test_col2im_is_the_adjoint_of_im2col(rng, shape, FH, FW, stride, pad):
    x = rng.standard_normal(shape)
    col = im2col(x, FH, FW, stride, pad)
    c = rng.standard_normal(col.shape)
    lhs = np.sum(col * c)  # <im2col(x), c>
    rhs = np.sum(x * col2im(c, shape, FH, FW, stride, pad))  # <x, col2im(c)>
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))  # float64: the sums agree to rounding


@pytest.mark.parametrize("shape, FH, FW, stride, pad", GEOMETRIES, ids=ids(GEOMETRIES))
def test_col2im_loop_reference(rng, shape, FH, FW, stride, pad):
    col = rng.standard_normal(im2col(np.zeros(shape), FH, FW, stride, pad).shape)
    col_before = col.copy()
    img = col2im(col, shape, FH, FW, stride, pad)
    assert img.shape == shape
    # the same sums added in another order: equal to float64 rounding
    np.testing.assert_allclose(img, col2im_loops(col, shape, FH, FW, stride, pad), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(col, col_before)


def test_col2im_sums_overlaps_rather_than_inverting():
    # every pixel of a 3x3 input seen by a 2x2 filter, stride 1: the centre is in all 4 patches
    counts = col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2)
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_col2im_rejects_a_col_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"col has shape \(4, 8\); for input \(1, 1, 3, 3\) expected \(4, 4\)"):
        col2im(np.ones((4, 8)), (1, 1, 3, 3), 2, 2)
