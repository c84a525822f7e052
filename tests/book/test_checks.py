"""The exercise checks pass on correct answers and fail, in plain words, on stubs and plausible mistakes."""

import numpy as np
import pytest

import cnnlib
from cnnlib import checks
from cnnlib.checks import CheckFailed
from cnnlib.geometry import conv_output_size
from cnnlib.reference import col2im, im2col


def stub(*args, **kwargs):
    raise NotImplementedError("write this function")


# ------------------------------------------------------------ correct answers
def conv_forward_ref(x, W, b, stride, pad):
    return cnnlib.Convolution(W, b, stride, pad).forward(x)


def maxpool_backward_ref(x, dout, pool, stride):
    layer = cnnlib.MaxPooling(pool, stride)
    layer.forward(x)
    return layer.backward(dout)


def sce_grad_ref(logits, labels):
    layer = cnnlib.SoftmaxCrossEntropy()
    layer.forward(logits, labels)
    return layer.backward()


def adam_ref(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps), m, v


# ---------------------------------------------------------- plausible mistakes
def conv_output_size_float(H, F, S, P):
    return (H + 2 * P - F) / S + 1  # a float, and no error when it does not divide


def im2col_wrong_order(x, FH, FW, stride, pad):
    col = im2col(x, FH, FW, stride, pad)  # columns in (FH, FW, C) order instead of (C, FH, FW)
    C = x.shape[1]
    return col.reshape(len(col), C, FH * FW).transpose(0, 2, 1).reshape(len(col), -1)


def col2im_assign_by_offset(col, input_shape, FH, FW, S, P):
    """Deep Learning from Scratch's loop over filter offsets, with = instead of +=."""
    N, C, H, W = input_shape
    OH, OW = conv_output_size(H, FH, S, P), conv_output_size(W, FW, S, P)
    cols = col.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * P + S - 1, W + 2 * P + S - 1))
    for y in range(FH):
        for x in range(FW):
            img[:, :, y : y + S * OH : S, x : x + S * OW : S] = cols[:, :, y, x]
    return img[:, :, P : H + P, P : W + P]


def col2im_assign_by_pixel(col, input_shape, FH, FW, S, P):
    """The loop over output pixels (the chapter's own order), with = instead of +=, backwards."""
    N, C, H, W = input_shape
    OH, OW = conv_output_size(H, FH, S, P), conv_output_size(W, FW, S, P)
    patches = col.reshape(N, OH, OW, C, FH, FW)
    xp = np.zeros((N, C, H + 2 * P, W + 2 * P))
    for i in reversed(range(OH)):
        for j in range(OW):
            xp[:, :, i * S : i * S + FH, j * S : j * S + FW] = patches[:, i, j]
    return xp[:, :, P : P + H, P : P + W]


def maxpool_backward_assign(x, dout, pool, stride):
    """Each window's gradient to its argmax, but with = where windows overlap."""
    dx = np.zeros_like(x)
    N, C, OH, OW = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    w = x[n, c, i * stride : i * stride + pool, j * stride : j * stride + pool]
                    u, v = np.unravel_index(np.argmax(w), w.shape)
                    dx[n, c, i * stride + u, j * stride + v] = dout[n, c, i, j]
    return dx


def conv_forward_no_bias(x, W, b, stride, pad):
    return conv_forward_ref(x, W, np.zeros_like(b), stride, pad)


def conv_forward_flipped(x, W, b, stride, pad):
    return conv_forward_ref(x, W[:, :, ::-1, ::-1].copy(), b, stride, pad)


def maxpool_backward_everywhere(x, dout, pool, stride):
    # gradient copied to every position of the window, not only the max
    layer = cnnlib.AveragePooling(pool, stride)
    layer.forward(x)
    return layer.backward(dout) * pool * pool


def sce_grad_not_averaged(logits, labels):
    return sce_grad_ref(logits, labels) * len(logits)


def adam_no_bias_correction(p, g, m, v, t, lr, b1, b2, eps):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p - lr * m / (np.sqrt(v) + eps), m, v


CASES = [
    # check, correct answer, plausible mistake, words the failure must contain
    (checks.check_conv_output_size, conv_output_size, conv_output_size_float, "integer"),
    (checks.check_im2col, lambda *a: im2col(*a), im2col_wrong_order, "column"),
    (checks.check_col2im, lambda *a: col2im(*a), col2im_assign_by_offset, "ADD the overlapping"),
    (checks.check_col2im, lambda *a: col2im(*a), col2im_assign_by_pixel, "ADD the overlapping"),
    (checks.check_maxpool_backward, maxpool_backward_ref, maxpool_backward_assign, "ADD them"),
    (checks.check_conv_forward, conv_forward_ref, conv_forward_no_bias, "bias"),
    (checks.check_conv_forward, conv_forward_ref, conv_forward_flipped, "flipped"),
    (checks.check_maxpool_backward, maxpool_backward_ref, maxpool_backward_everywhere, "argmax"),
    (checks.check_softmax_cross_entropy_grad, sce_grad_ref, sce_grad_not_averaged, "MEAN"),
    (checks.check_adam_step, adam_ref, adam_no_bias_correction, "bias correction"),
]
IDS = [f"{c.__name__}-{w.__name__}" for c, _, w, _ in CASES]


@pytest.mark.parametrize("check, correct, wrong, words", CASES, ids=IDS)
def test_check_passes_on_a_correct_answer(check, correct, wrong, words, capsys):
    check(correct)
    assert "agree with the reference" in capsys.readouterr().out


@pytest.mark.parametrize("check, correct, wrong, words", CASES, ids=IDS)
def test_check_fails_on_the_stub(check, correct, wrong, words):
    with pytest.raises(CheckFailed, match="not written yet"):
        check(stub)


@pytest.mark.parametrize("check, correct, wrong, words", CASES, ids=IDS)
def test_check_names_the_mistake(check, correct, wrong, words):
    with pytest.raises(CheckFailed, match=words):
        check(wrong)


def test_wrong_shape_and_missing_return_are_named():
    with pytest.raises(CheckFailed, match="wrong shape"):
        checks.check_im2col(lambda x, fh, fw, s, p: im2col(x, fh, fw, s, p).T)
    with pytest.raises(CheckFailed, match="returned None"):
        checks.check_conv_forward(lambda *a: None)


def test_a_wrong_value_is_located():
    def off_by_one(col, shape, fh, fw, s, p):
        dx = col2im(col, shape, fh, fw, s, p)
        dx[0, 0, 1, 2] += 1
        return dx

    with pytest.raises(CheckFailed, match=r"1 of \d+ values are wrong; the first at image 0, channel 0, pixel \(1, 2\)"):
        checks.check_col2im(off_by_one)
