"""Checks a student can run on their own code in a chapter's exercise.

Each ``check_*`` takes the student's function, runs it and the package's
reference on several shapes, and either prints one line saying what passed
or raises :class:`CheckFailed` with a message in plain words: which case,
what was expected, what came back, and where the first wrong value is.
Book: every chapter's exercises; the student edition (``python -m
cnnbook.classroom student-edition``) keeps these checks and removes the
reference answers.
"""

import numpy as np

# the readable reference (the code the chapters print) is what an answer is checked against
from .reference import Convolution, MaxPooling, SoftmaxCrossEntropy, col2im, conv_output_size, im2col

__all__ = [
    "CheckFailed",
    "check_conv_output_size",
    "check_im2col",
    "check_col2im",
    "check_conv_forward",
    "check_maxpool_backward",
    "check_softmax_cross_entropy_grad",
    "check_adam_step",
]


class CheckFailed(AssertionError):
    """The student's function disagrees with the reference; the message says how."""


def _call(name, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as e:
        raise CheckFailed(f"{name}: your function is not written yet (NotImplementedError: {e}).") from None
    except CheckFailed:
        raise
    except Exception as e:
        raise CheckFailed(f"{name}: your function raised {type(e).__name__}: {e}") from e


def _compare(name, case, got, want, rtol=1e-5, atol=1e-6, describe=None):
    got = np.asarray(got) if got is not None else None
    if got is None:
        raise CheckFailed(f"{name}, {case}: your function returned None; did you forget `return`?")
    if got.shape != want.shape:
        raise CheckFailed(f"{name}, {case}: wrong shape {got.shape}, expected {want.shape}")
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = describe(idx) if describe else f"index {idx}"
        raise CheckFailed(
            f"{name}, {case}: {int(bad.sum())} of {bad.size} values are wrong; the first at {where}: "
            f"got {got[idx]:.6g}, expected {want[idx]:.6g}"
        )


def _passed(name, n):
    print(f"{name}: all {n} cases agree with the reference")


_CONV_CASES = [  # (N, C, H, W), (FH, FW), stride, pad
    ((1, 1, 4, 4), (3, 3), 1, 0),
    ((2, 3, 5, 5), (3, 3), 1, 1),
    ((2, 2, 7, 6), (3, 2), 2, 0),
    ((1, 3, 8, 8), (4, 4), 2, 1),
    ((3, 1, 7, 9), (1, 3), 3, 0),
]


def check_conv_output_size(fn):
    """``fn(input_size, filter_size, stride, pad)`` → the output length (an int)."""
    name = "conv_output_size"
    cases = [(4, 3, 1, 0), (28, 5, 1, 2), (31, 3, 2, 1), (7, 3, 2, 0), (227, 11, 4, 0), (5, 5, 1, 0)]
    for H, F, S, P in cases:
        got = _call(name, fn, H, F, S, P)
        want = conv_output_size(H, F, S, P)
        if got != want or not isinstance(got, (int, np.integer)):
            raise CheckFailed(
                f"{name}(H={H}, F={F}, S={S}, P={P}): got {got!r}, expected the integer {want} = ({H} + 2*{P} - {F}) / {S} + 1"
            )
    try:
        got = fn(6, 3, 2, 0)
    except NotImplementedError as e:
        raise CheckFailed(f"{name}: your function is not written yet ({e}).") from None
    except ValueError:
        pass
    else:
        raise CheckFailed(
            f"{name}(H=6, F=3, S=2, P=0): (6 - 3) / 2 + 1 = 2.5 is not an integer, so the filter does not "
            f"fit; your function returned {got!r} instead of raising ValueError"
        )
    _passed(name, len(cases) + 1)


def check_im2col(fn):
    """``fn(x, filter_h, filter_w, stride, pad)`` → ``col`` of shape ``(N*OH*OW, C*FH*FW)``."""
    name = "im2col"
    rng = np.random.default_rng(0)
    for shape, (FH, FW), S, P in _CONV_CASES:
        x = rng.standard_normal(shape)
        case = f"x {shape}, filter {FH}x{FW}, stride {S}, pad {P}"
        want = im2col(x, FH, FW, S, P)
        got = _call(name, fn, x.copy(), FH, FW, S, P)
        N, C = shape[:2]
        OH, OW = conv_output_size(shape[2], FH, S, P), conv_output_size(shape[3], FW, S, P)

        def describe(idx, OH=OH, OW=OW, FH=FH, FW=FW):
            r, c = idx
            n, rest = divmod(r, OH * OW)
            ch, k = divmod(c, FH * FW)
            return (
                f"row {r} (image {n}, output pixel {divmod(rest, OW)}), column {c} "
                f"(channel {ch}, filter offset {divmod(k, FW)})"
            )

        _compare(name, case, got, want, describe=describe)
    _passed(name, len(_CONV_CASES))


def _col2im_assign(col, input_shape, FH, FW, S, P):
    """The classic mistake: patches overwrite each other instead of adding up."""
    N, C, H, W = input_shape
    OH, OW = conv_output_size(H, FH, S, P), conv_output_size(W, FW, S, P)
    cols = col.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * P + S - 1, W + 2 * P + S - 1))
    for y in range(FH):
        for x in range(FW):
            img[:, :, y : y + S * OH : S, x : x + S * OW : S] = cols[:, :, y, x]
    return img[:, :, P : H + P, P : W + P]


def check_col2im(fn):
    """``fn(col, input_shape, filter_h, filter_w, stride, pad)`` → ``dx`` of shape ``input_shape``.

    col2im is the *adjoint* of im2col: where patches overlap, their entries add up.
    """
    name = "col2im"
    rng = np.random.default_rng(1)
    for shape, (FH, FW), S, P in _CONV_CASES:
        OH, OW = conv_output_size(shape[2], FH, S, P), conv_output_size(shape[3], FW, S, P)
        col = rng.standard_normal((shape[0] * OH * OW, shape[1] * FH * FW))
        case = f"input {shape}, filter {FH}x{FW}, stride {S}, pad {P}"
        want = col2im(col, shape, FH, FW, S, P)
        got = _call(name, fn, col.copy(), shape, FH, FW, S, P)
        got_arr = np.asarray(got) if got is not None else None
        if got_arr is not None and got_arr.shape == want.shape and not np.allclose(got_arr, want):
            if np.allclose(got_arr, _col2im_assign(col, shape, FH, FW, S, P)):
                raise CheckFailed(
                    f"{name}, {case}: where patches overlap your function keeps only the last one; "
                    f"col2im must ADD the overlapping entries (use += not =): it is the adjoint of "
                    f"im2col, not its inverse"
                )
        _compare(name, case, got, want, describe=lambda i: f"image {i[0]}, channel {i[1]}, pixel {i[2:]}")
    _passed(name, len(_CONV_CASES))


def check_conv_forward(fn):
    """``fn(x, W, b, stride, pad)`` → ``(N, FN, OH, OW)``, the convolution of NCHW ``x``."""
    name = "conv_forward"
    rng = np.random.default_rng(2)
    for shape, (FH, FW), S, P in _CONV_CASES:
        x = rng.standard_normal(shape)
        W = rng.standard_normal((4, shape[1], FH, FW))
        b = rng.standard_normal(4)
        case = f"x {shape}, W {W.shape}, stride {S}, pad {P}"
        want = Convolution(W, b, S, P).forward(x)
        got = _call(name, fn, x.copy(), W.copy(), b.copy(), S, P)
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want):
            if np.allclose(g - b[None, :, None, None], want - 2 * b[None, :, None, None]):
                raise CheckFailed(f"{name}, {case}: the bias b is missing (add b[f] to every output of filter f)")
            flipped = Convolution(W[:, :, ::-1, ::-1].copy(), b, S, P).forward(x)
            if np.allclose(g, flipped):
                raise CheckFailed(
                    f"{name}, {case}: you flipped the filter (true convolution); deep-learning layers "
                    f"compute cross-correlation: multiply x[..., i + u, j + v] by W[..., u, v] without flipping"
                )
        _compare(name, case, got, want, describe=lambda i: f"image {i[0]}, filter {i[1]}, output pixel {i[2:]}")
    _passed(name, len(_CONV_CASES))


def check_maxpool_backward(fn):
    """``fn(x, dout, pool, stride)`` → ``dx``: each window's gradient goes to its maximum only."""
    name = "maxpool_backward"
    rng = np.random.default_rng(3)
    cases = [((1, 1, 4, 4), 2, 2), ((2, 3, 6, 6), 2, 2), ((2, 2, 7, 7), 3, 2), ((1, 2, 5, 8), 3, 1)]
    for shape, pool, S in cases:
        x = rng.standard_normal(shape)
        layer = MaxPooling(pool, S)
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        want = layer.backward(dout)
        case = f"x {shape}, pool {pool}, stride {S}"
        got = _call(name, fn, x.copy(), dout.copy(), pool, S)
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want):
            if np.count_nonzero(g) > np.count_nonzero(want) * 1.5:
                raise CheckFailed(
                    f"{name}, {case}: gradient reaches {np.count_nonzero(g)} input positions, but only the "
                    f"maximum of each window ({np.count_nonzero(want)} positions) took part in the output: "
                    f"send each window's gradient to its argmax only"
                )
        _compare(name, case, got, want, describe=lambda i: f"image {i[0]}, channel {i[1]}, pixel {i[2:]}")
    _passed(name, len(cases))


def check_softmax_cross_entropy_grad(fn):
    """``fn(logits, labels)`` → d(mean cross-entropy)/d(logits), labels are integers."""
    name = "softmax_cross_entropy_grad"
    rng = np.random.default_rng(4)
    cases = [(1, 3), (4, 10), (16, 10), (5, 2)]
    for N, K in cases:
        logits = rng.standard_normal((N, K)) * 3
        labels = rng.integers(0, K, N)
        layer = SoftmaxCrossEntropy()
        layer.forward(logits, labels)
        want = layer.backward()
        case = f"{N} samples, {K} classes"
        got = _call(name, fn, logits.copy(), labels.copy())
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want) and N > 1:
            if np.allclose(g, want * N):
                raise CheckFailed(
                    f"{name}, {case}: your gradient is {N} times too large: the loss is the MEAN over the "
                    f"batch, so divide (softmax - one_hot) by the batch size"
                )
            if np.allclose(g, -want):
                raise CheckFailed(f"{name}, {case}: the sign is flipped: the gradient is softmax(x) - one_hot(t)")
        _compare(name, case, got, want, describe=lambda i: f"sample {i[0]}, class {i[1]}")
    _passed(name, len(cases))


def check_adam_step(fn):
    """``fn(param, grad, m, v, t, lr, beta1, beta2, eps)`` → ``(new_param, new_m, new_v)``;
    ``t`` counts steps from 1, with Keras's bias correction."""
    name = "adam_step"
    rng = np.random.default_rng(5)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    p = rng.standard_normal(6)
    m = np.zeros(6)
    v = np.zeros(6)
    for t in range(1, 5):
        g = rng.standard_normal(6)
        m_want = b1 * m + (1 - b1) * g
        v_want = b2 * v + (1 - b2) * g * g
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        p_want = p - alpha * m_want / (np.sqrt(v_want) + eps)
        got = _call(name, fn, p.copy(), g.copy(), m.copy(), v.copy(), t, lr, b1, b2, eps)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailed(f"{name}: return the tuple (new_param, new_m, new_v); got {type(got).__name__}")
        case = f"step t={t}"
        _compare(name + " (m)", case, got[1], m_want)
        _compare(name + " (v)", case, got[2], v_want)
        no_correction = p - lr * m_want / (np.sqrt(v_want) + eps)
        if not np.allclose(got[0], p_want) and np.allclose(got[0], no_correction):
            raise CheckFailed(
                f"{name}, {case}: the bias correction is missing: early steps must use "
                f"lr * sqrt(1 - beta2**t) / (1 - beta1**t) instead of lr"
            )
        _compare(name + " (param)", case, got[0], p_want)
        p, m, v = p_want, m_want, v_want
    _passed(name, 4)


# --- Chapter "Inside a convolution layer" and "Batch normalisation and dropout" ---------------


def check_conv_input_grad(fn):
    """``fn(dout, W, pad)`` → d loss / d x of a stride-1 convolution with weights ``W`` and
    integer padding ``pad``, given the output gradient ``dout``."""
    name = "conv_input_grad"
    rng = np.random.default_rng(6)
    cases = [  # (N, C, H, W), (FN, FH), pad
        ((1, 1, 4, 4), (1, 3), 0),
        ((2, 3, 7, 7), (4, 3), 0),
        ((2, 3, 7, 7), (4, 3), 1),
        ((1, 2, 6, 5), (3, 5), 2),
        ((3, 4, 5, 5), (2, 1), 0),
    ]
    for shape, (FN, F), pad in cases:
        x = rng.standard_normal(shape)
        W = rng.standard_normal((FN, shape[1], F, F))
        layer = Convolution(W, np.zeros(FN), pad=pad)
        dout = rng.standard_normal(layer.forward(x).shape)
        want = layer.backward(dout)
        case = f"x {shape}, W {W.shape}, pad {pad}"
        got = _call(name, fn, dout.copy(), W.copy(), pad)
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want) and F > 1:
            unflipped = Convolution(W.transpose(1, 0, 2, 3).copy(), np.zeros(shape[1]), pad=F - 1 - pad).forward(dout)
            if np.allclose(g, unflipped):
                raise CheckFailed(f"{name}, {case}: the filter is not flipped: use W[:, :, ::-1, ::-1]")
        if g is not None and g.shape != want.shape:
            raise CheckFailed(
                f"{name}, {case}: wrong shape {g.shape}, expected {want.shape} (the input's shape): the backward "
                f"convolution needs padding FH - 1 - pad = {F - 1 - pad}, and C output channels (swap W's axes 0 and 1)"
            )
        _compare(name, case, got, want, describe=lambda i: f"image {i[0]}, channel {i[1]}, pixel {i[2:]}")
    _passed(name, len(cases))


def check_batchnorm_backward(fn):
    """``fn(dout, x, gamma, eps)`` → ``(dx, dgamma, dbeta)`` of batch normalisation in training
    mode for ``x`` of shape ``(N, D)`` (the batch's own mean and variance)."""
    from . import reference

    name = "batchnorm_backward"
    rng = np.random.default_rng(7)
    cases = [(4, 1), (8, 3), (16, 5), (2, 4)]
    for N, D in cases:
        x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3, D) + rng.normal(0, 2, D)
        gamma = rng.uniform(0.5, 2, D)
        dout = rng.standard_normal((N, D))
        eps = 1e-3
        layer = reference.BatchNormalization(D, epsilon=eps, dtype=np.float64)
        layer.params["gamma"][...] = gamma
        layer.forward(x, train=True)
        want_dx = layer.backward(dout)
        case = f"x of shape ({N}, {D})"
        got = _call(name, fn, dout.copy(), x.copy(), gamma.copy(), eps)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailed(f"{name}: return the tuple (dx, dgamma, dbeta); got {type(got).__name__}")
        _compare(name + " (dbeta)", case, got[2], layer.grads["beta"], describe=lambda i: f"feature {i[0]}")
        _compare(name + " (dgamma)", case, got[1], layer.grads["gamma"], describe=lambda i: f"feature {i[0]}")
        constant_stats = dout * gamma / np.sqrt(x.var(axis=0) + eps)
        dx = np.asarray(got[0]) if got[0] is not None else None
        if dx is not None and dx.shape == want_dx.shape and not np.allclose(dx, want_dx) and np.allclose(dx, constant_stats):
            raise CheckFailed(
                f"{name}, {case}: your dx treats the mean and variance as constants (that is inference mode); "
                f"in training mode every x also moves them: subtract the mean of dout and xhat * mean(dout * xhat)"
            )
        _compare(name + " (dx)", case, got[0], want_dx, describe=lambda i: f"sample {i[0]}, feature {i[1]}")
    _passed(name, len(cases))
