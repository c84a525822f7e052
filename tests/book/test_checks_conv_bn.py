"""The exercise checks of the chapters "Inside a convolution layer" (check_conv_input_grad) and
"Batch normalisation and dropout" (check_batchnorm_backward): each passes a right answer, and
fails a stub, a wrong answer and a typical mistake with a message that names it."""

import numpy as np
import pytest

import cnnlib
from cnnlib import checks


def conv_input_grad(dout, W, pad=0):
    FN, C, FH, FW = W.shape
    W_back = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()
    return cnnlib.Convolution(W_back, np.zeros(C, W.dtype), pad=FH - 1 - pad).forward(dout)


def conv_input_grad_by_loops(dout, W, pad=0):
    """The same from the per-pixel formula, with no convolution at all."""
    N, FN, OH, OW = dout.shape
    _, C, FH, FW = W.shape
    dxp = np.zeros((N, C, OH + FH - 1, OW + FW - 1))
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i : i + FH, j : j + FW] += np.einsum("nf,fcuv->ncuv", dout[:, :, i, j], W)
    H, Wd = OH + FH - 1 - 2 * pad, OW + FW - 1 - 2 * pad
    return dxp[:, :, pad : pad + H, pad : pad + Wd]


def test_conv_input_grad_accepts_right_answers(capsys):
    checks.check_conv_input_grad(conv_input_grad)
    checks.check_conv_input_grad(conv_input_grad_by_loops)
    assert capsys.readouterr().out.count("all 5 cases agree with the reference") == 2


def test_conv_input_grad_names_the_missing_flip():
    def unflipped(dout, W, pad=0):
        return cnnlib.Convolution(W.transpose(1, 0, 2, 3).copy(), np.zeros(W.shape[1]), pad=W.shape[2] - 1 - pad).forward(dout)

    with pytest.raises(checks.CheckFailed, match="not flipped"):
        checks.check_conv_input_grad(unflipped)


def test_conv_input_grad_explains_a_wrong_padding():
    def one_row_short(dout, W, pad=0):   # padding FH - 2 - pad: one row and column too few
        W_back = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).copy()
        full = cnnlib.Convolution(W_back, np.zeros(W.shape[1]), pad=W.shape[2] - 1 - pad).forward(dout)
        return full[:, :, 1:, 1:]

    with pytest.raises(checks.CheckFailed, match=r"wrong shape .* padding FH - 1 - pad = 2"):
        checks.check_conv_input_grad(one_row_short)


def test_conv_input_grad_stub_and_wrong_values():
    def stub(dout, W, pad=0):
        raise NotImplementedError("write it")

    with pytest.raises(checks.CheckFailed, match="not written yet"):
        checks.check_conv_input_grad(stub)
    with pytest.raises(checks.CheckFailed, match="values are wrong"):
        checks.check_conv_input_grad(lambda dout, W, pad=0: 2 * conv_input_grad(dout, W, pad))


def batchnorm_backward(dout, x, gamma, eps):
    mu = x.mean(axis=0)
    inv_std = 1 / np.sqrt(x.var(axis=0) + eps)
    xhat = (x - mu) * inv_std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    m = len(x)
    return gamma * inv_std * (dout - dbeta / m - xhat * dgamma / m), dgamma, dbeta


def batchnorm_backward_by_chain_rule(dout, x, gamma, eps):
    """Step by step through mu and var (the computational-graph derivation)."""
    m = len(x)
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xc = x - mu
    std = np.sqrt(var + eps)
    xhat = xc / std
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xc, axis=0) * -0.5 * std**-3
    dmu = -np.sum(dxhat / std, axis=0) + dvar * np.mean(-2 * xc, axis=0)
    dx = dxhat / std + dvar * 2 * xc / m + dmu / m
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def test_batchnorm_backward_accepts_right_answers(capsys):
    checks.check_batchnorm_backward(batchnorm_backward)
    checks.check_batchnorm_backward(batchnorm_backward_by_chain_rule)
    assert capsys.readouterr().out.count("all 4 cases agree with the reference") == 2


def test_batchnorm_backward_names_constant_statistics():
    def inference_mode(dout, x, gamma, eps):
        xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
        return dout * gamma / np.sqrt(x.var(axis=0) + eps), (dout * xhat).sum(axis=0), dout.sum(axis=0)

    with pytest.raises(checks.CheckFailed, match="treats the mean and variance as constants"):
        checks.check_batchnorm_backward(inference_mode)


def test_batchnorm_backward_wrong_return_and_wrong_values():
    with pytest.raises(checks.CheckFailed, match=r"return the tuple \(dx, dgamma, dbeta\)"):
        checks.check_batchnorm_backward(lambda dout, x, gamma, eps: batchnorm_backward(dout, x, gamma, eps)[0])
    with pytest.raises(checks.CheckFailed, match=r"batchnorm_backward \(dgamma\)"):
        checks.check_batchnorm_backward(lambda dout, x, gamma, eps: (batchnorm_backward(dout, x, gamma, eps)[0],
                                                                      np.zeros(x.shape[1]), dout.sum(axis=0)))

    def stub(dout, x, gamma, eps):
        raise NotImplementedError

    with pytest.raises(checks.CheckFailed, match="not written yet"):
        checks.check_batchnorm_backward(stub)
