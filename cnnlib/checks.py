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

from .i18n import translator

# the readable reference (the code the chapters print) is what an answer is checked against
from .geometry import conv_output_size
from .reference import Convolution, MaxPooling, SoftmaxCrossEntropy, col2im, im2col

__all__ = [
    "CheckFailed",
    "check_conv_output_size",
    "check_im2col",
    "check_col2im",
    "check_conv_forward",
    "check_maxpool_backward",
    "check_softmax_cross_entropy_grad",
    "check_adam_step",
    "check_conv_input_grad",
    "check_batchnorm_backward",
    "check_grad_cam",
    "check_momentum_step",
    "check_conv1x1",
]


_ = translator("cnnlib")  # every message in English here, in Japanese from cnnlib/messages_ja.py


class CheckFailed(AssertionError):
    """The student's function disagrees with the reference; the message says how."""


def _call(name, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except NotImplementedError as e:
        raise CheckFailed(_("{name}: your function is not written yet (NotImplementedError: {e}).", name=name, e=e)) from None
    except CheckFailed:
        raise
    except Exception as e:
        raise CheckFailed(_("{name}: your function raised {kind}: {e}", name=name, kind=type(e).__name__, e=e)) from e


def _compare(name, case, got, want, rtol=1e-5, atol=1e-6, describe=None):
    got = np.asarray(got) if got is not None else None
    if got is None:
        raise CheckFailed(_("{name}, {case}: your function returned None; did you forget `return`?", name=name, case=case))
    if got.shape != want.shape:
        raise CheckFailed(_("{name}, {case}: wrong shape {got}, expected {want}", name=name, case=case, got=got.shape, want=want.shape))
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = describe(idx) if describe else _("index {idx}", idx=idx)
        raise CheckFailed(_(
            "{name}, {case}: {bad} of {size} values are wrong; the first at {where}: got {got:.6g}, expected {want:.6g}",
            name=name, case=case, bad=int(bad.sum()), size=bad.size, where=where, got=got[idx], want=want[idx]))


def _passed(name, n):
    print(_("{name}: all {n} cases agree with the reference", name=name, n=n))


CONV_CASES = [  # (N, C, H, W), (FH, FW), stride, pad
    ((1, 1, 4, 4), (3, 3), 1, 0),
    ((2, 3, 5, 5), (3, 3), 1, 1),
    ((2, 2, 7, 6), (3, 2), 2, 0),
    ((1, 3, 8, 8), (4, 4), 2, 1),
    ((3, 1, 7, 9), (1, 3), 3, 0),
]


def check_conv_output_size(fn, cases=None, misfit=(6, 3, 2, 0)):
    """``fn(input_size, filter_size, stride, pad)`` → the output length (an int).

    ``cases`` (default: six sizes that fit) are ``(H, F, S, P)`` tuples; ``misfit`` is a size
    whose filter does not fit, where ``fn`` must raise ``ValueError`` (``None``: not checked).
    """
    name = "conv_output_size"
    if cases is None:
        cases = [(4, 3, 1, 0), (28, 5, 1, 2), (31, 3, 2, 1), (7, 3, 2, 0), (227, 11, 4, 0), (5, 5, 1, 0)]
    for H, F, S, P in cases:
        got = _call(name, fn, H, F, S, P)
        want = conv_output_size(H, F, S, P)
        if got != want or not isinstance(got, (int, np.integer)):
            raise CheckFailed(_(
                "{name}(H={H}, F={F}, S={S}, P={P}): got {got!r}, expected the integer {want} = ({H} + 2*{P} - {F}) / {S} + 1",
                name=name, H=H, F=F, S=S, P=P, got=got, want=want))
    if misfit is None:
        _passed(name, len(cases))
        return
    H, F, S, P = misfit
    try:
        got = fn(H, F, S, P)
    except NotImplementedError as e:
        raise CheckFailed(_("{name}: your function is not written yet ({e}).", name=name, e=e)) from None
    except ValueError:
        pass
    else:
        raise CheckFailed(_(
            "{name}(H={H}, F={F}, S={S}, P={P}): ({H} + 2*{P} - {F}) / {S} + 1 = {size:g} is not a whole number "
            "of positions at least 1, so the filter does not fit; your function returned {got!r} instead of "
            "raising ValueError", name=name, H=H, F=F, S=S, P=P, size=(H + 2 * P - F) / S + 1, got=got))
    _passed(name, len(cases) + 1)


def check_im2col(fn, cases=None, seed=0, dtype=np.float64):
    """``fn(x, filter_h, filter_w, stride, pad)`` → ``col`` of shape ``(N*OH*OW, C*FH*FW)``.

    ``cases`` (default: five shapes) are ``((N, C, H, W), (FH, FW), stride, pad)`` tuples; the
    images are drawn from ``numpy.random.default_rng(seed)`` as ``dtype``.
    """
    name = "im2col"
    rng = np.random.default_rng(seed)
    cases = CONV_CASES if cases is None else cases
    for shape, (FH, FW), S, P in cases:
        x = rng.standard_normal(shape).astype(dtype)
        case = _("x {shape}{dtype}, filter {FH}x{FW}, stride {S}, pad {P}", shape=shape, FH=FH, FW=FW, S=S, P=P,
                 dtype="" if dtype == np.float64 else f" {np.dtype(dtype).name}")
        want = im2col(x, FH, FW, S, P)
        got = _call(name, fn, x.copy(), FH, FW, S, P)
        N, C = shape[:2]
        OH, OW = conv_output_size(shape[2], FH, S, P), conv_output_size(shape[3], FW, S, P)

        def describe(idx, OH=OH, OW=OW, FH=FH, FW=FW):
            r, c = idx
            n, rest = divmod(r, OH * OW)
            ch, k = divmod(c, FH * FW)
            return _("row {r} (image {n}, output pixel {pixel}), column {c} (channel {ch}, filter offset {offset})",
                     r=r, n=n, pixel=divmod(rest, OW), c=c, ch=ch, offset=divmod(k, FW))

        tol = {} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
        _compare(name, case, got, want, describe=describe, **tol)
    _passed(name, len(cases))


def _keeps_one(got, values, targets, want):
    """True if ``got`` looks like an assignment (=) where an addition (+=) was meant.

    ``values[k]`` is added to the flat position ``targets[k]`` of the right answer (``-1``: to
    no position, e.g. padding).  An answer that assigns keeps, at every position, one of the
    values sent there (the last one written, in whatever order the loops run), so: at every
    position that receives values, ``got`` equals one of them, and it is wrong somewhere.
    """
    got = np.asarray(got, dtype=float).ravel()
    values, targets = np.asarray(values, dtype=float).ravel(), np.asarray(targets).ravel()
    used = targets >= 0
    values, targets = values[used], targets[used]
    received = np.zeros(got.size, dtype=bool)
    received[targets] = True
    hit = np.zeros(got.size, dtype=bool)
    np.logical_or.at(hit, targets, np.isclose(got[targets], values, rtol=1e-5, atol=1e-8))
    wrong = ~np.isclose(got, np.asarray(want, dtype=float).ravel(), rtol=1e-5, atol=1e-6)
    return bool(wrong.any() and hit[received].all())


def _col2im_targets(input_shape, FH, FW, S, P):
    """For each entry of ``col``, the flat index of the input pixel it belongs to (-1: padding)."""
    N, C, H, W = input_shape
    index = np.arange(N * C * H * W, dtype=float).reshape(input_shape)
    padded = np.pad(index, ((0, 0), (0, 0), (P, P), (P, P)), constant_values=-1.0)
    return im2col(padded, FH, FW, S, 0).astype(np.int64)


def check_col2im(fn, cases=None, seed=1):
    """``fn(col, input_shape, filter_h, filter_w, stride, pad)`` → ``dx`` of shape ``input_shape``.

    col2im is the *adjoint* of im2col: where patches overlap, their entries add up.  ``cases``
    as in :func:`check_im2col`.
    """
    name = "col2im"
    rng = np.random.default_rng(seed)
    cases = CONV_CASES if cases is None else cases
    for shape, (FH, FW), S, P in cases:
        OH, OW = conv_output_size(shape[2], FH, S, P), conv_output_size(shape[3], FW, S, P)
        col = rng.standard_normal((shape[0] * OH * OW, shape[1] * FH * FW))
        case = _("input {shape}, filter {FH}x{FW}, stride {S}, pad {P}", shape=shape, FH=FH, FW=FW, S=S, P=P)
        want = col2im(col, shape, FH, FW, S, P)
        got = _call(name, fn, col.copy(), shape, FH, FW, S, P)
        got_arr = np.asarray(got) if got is not None else None
        if got_arr is not None and got_arr.shape == want.shape and not np.allclose(got_arr, want):
            if _keeps_one(got_arr, col, _col2im_targets(shape, FH, FW, S, P), want):
                raise CheckFailed(_(
                    "{name}, {case}: where patches overlap your function keeps only one of them; col2im must "
                    "ADD the overlapping entries (use += not =): it is the adjoint of im2col, not its inverse",
                    name=name, case=case))
        _compare(name, case, got, want, describe=_image_channel_pixel)
    _passed(name, len(cases))


def _image_channel_pixel(i):
    return _("image {n}, channel {c}, pixel {p}", n=i[0], c=i[1], p=i[2:])


def check_conv_forward(fn, cases=None, seed=2, dtype=np.float64, filters=4):
    """``fn(x, W, b, stride, pad)`` → ``(N, FN, OH, OW)``, the convolution of NCHW ``x``.

    ``cases`` as in :func:`check_im2col`; ``filters`` filters, data drawn from ``seed`` as ``dtype``.
    """
    name = "conv_forward"
    rng = np.random.default_rng(seed)
    cases = CONV_CASES if cases is None else cases
    tol = {} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-4}
    for shape, (FH, FW), S, P in cases:
        x = rng.standard_normal(shape).astype(dtype)
        W = rng.standard_normal((filters, shape[1], FH, FW)).astype(dtype)
        b = rng.standard_normal(filters).astype(dtype)
        case = _("x {shape}{dtype}, W {W}, stride {S}, pad {P}", shape=shape, W=W.shape, S=S, P=P,
                 dtype="" if dtype == np.float64 else f" {np.dtype(dtype).name}")
        x64, W64, b64 = (a.astype(np.float64) for a in (x, W, b))
        want = Convolution(W64, b64, S, P).forward(x64)
        got = _call(name, fn, x.copy(), W.copy(), b.copy(), S, P)
        g = np.asarray(got, dtype=np.float64) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want, **tol):
            if np.allclose(g - b64[None, :, None, None], want - 2 * b64[None, :, None, None], **tol):
                raise CheckFailed(_("{name}, {case}: the bias b is missing (add b[f] to every output of filter f)", name=name, case=case))
            flipped = Convolution(W64[:, :, ::-1, ::-1].copy(), b64, S, P).forward(x64)
            if np.allclose(g, flipped, **tol):
                raise CheckFailed(_(
                    "{name}, {case}: you flipped the filter (true convolution); deep-learning layers compute "
                    "cross-correlation: multiply x[..., i + u, j + v] by W[..., u, v] without flipping",
                    name=name, case=case))
        _compare(name, case, got, want, describe=lambda i: _("image {n}, filter {f}, output pixel {p}", n=i[0], f=i[1], p=i[2:]),
                 **tol)
    _passed(name, len(cases))


POOL_CASES = [((1, 1, 4, 4), 2, 2), ((2, 3, 6, 6), 2, 2), ((2, 2, 7, 7), 3, 2), ((1, 2, 5, 8), 3, 1)]


def _pool_targets(x, pool, S):
    """For each output of max pooling, the flat index of the input position it came from."""
    N, C, H, W = x.shape
    OH, OW = (H - pool) // S + 1, (W - pool) // S + 1
    index = np.arange(x.size).reshape(x.shape)
    targets = np.empty((N, C, OH, OW), dtype=np.int64)
    for i in range(OH):
        for j in range(OW):
            window = x[:, :, i * S : i * S + pool, j * S : j * S + pool].reshape(N, C, -1)
            where = index[:, :, i * S : i * S + pool, j * S : j * S + pool].reshape(N, C, -1)
            targets[:, :, i, j] = np.take_along_axis(where, window.argmax(axis=2)[..., None], axis=2)[..., 0]
    return targets


def check_maxpool_backward(fn, cases=None, seed=3):
    """``fn(x, dout, pool, stride)`` → ``dx``: each window's gradient goes to its maximum only.

    ``cases`` (default: two without overlap, two with overlapping windows) are
    ``((N, C, H, W), pool, stride)`` tuples.
    """
    name = "maxpool_backward"
    rng = np.random.default_rng(seed)
    cases = POOL_CASES if cases is None else cases
    for shape, pool, S in cases:
        x = rng.standard_normal(shape)
        layer = MaxPooling(pool, S)
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)
        want = layer.backward(dout)
        overlap = _(" (overlapping windows)") if pool > S else ""
        case = _("x {shape}, pool {pool}, stride {S}{overlap}", shape=shape, pool=pool, S=S, overlap=overlap)
        got = _call(name, fn, x.copy(), dout.copy(), pool, S)
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want):
            if np.count_nonzero(g) > np.count_nonzero(want) * 1.5:
                raise CheckFailed(_(
                    "{name}, {case}: gradient reaches {got} input positions, but only the maximum of each window "
                    "({want} positions) took part in the output: send each window's gradient to its argmax only",
                    name=name, case=case, got=np.count_nonzero(g), want=np.count_nonzero(want)))
            if pool > S and _keeps_one(g, dout, _pool_targets(x, pool, S), want):
                raise CheckFailed(_(
                    "{name}, {case}: where one input is the maximum of several overlapping windows, your "
                    "function keeps the gradient of only one of them; ADD them (use += not =)", name=name, case=case))
        _compare(name, case, got, want, describe=_image_channel_pixel)
    _passed(name, len(cases))


def check_softmax_cross_entropy_grad(fn, cases=None, seed=4, scale=3.0):
    """``fn(logits, labels)`` → d(mean cross-entropy)/d(logits), labels are integers.

    ``cases`` (default: four) are ``(N, K)`` pairs; logits are normal with standard deviation ``scale``.
    """
    name = "softmax_cross_entropy_grad"
    rng = np.random.default_rng(seed)
    cases = [(1, 3), (4, 10), (16, 10), (5, 2)] if cases is None else cases
    for N, K in cases:
        logits = rng.standard_normal((N, K)) * scale
        labels = rng.integers(0, K, N)
        layer = SoftmaxCrossEntropy()
        layer.forward(logits, labels)
        want = layer.backward()
        case = _("{N} samples, {K} classes", N=N, K=K) + (
            _(", logits up to {top:.0f}", top=np.abs(logits).max()) if scale > 100 else "")
        got = _call(name, fn, logits.copy(), labels.copy())
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.all(np.isfinite(g)):
            raise CheckFailed(_(
                "{name}, {case}: your gradient has inf or nan: np.exp overflows; subtract each row's maximum "
                "from the logits before np.exp (the softmax does not change)", name=name, case=case))
        if g is not None and g.shape == want.shape and not np.allclose(g, want) and N > 1:
            if np.allclose(g, want * N):
                raise CheckFailed(_(
                    "{name}, {case}: your gradient is {N} times too large: the loss is the MEAN over the batch, "
                    "so divide (softmax - one_hot) by the batch size", name=name, case=case, N=N))
            if np.allclose(g, -want):
                raise CheckFailed(_("{name}, {case}: the sign is flipped: the gradient is softmax(x) - one_hot(t)",
                                     name=name, case=case))
        _compare(name, case, got, want, describe=lambda i: _("sample {n}, class {k}", n=i[0], k=i[1]))
    _passed(name, len(cases))


def check_adam_step(fn, steps=4, seed=5, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-7, shape=(6,)):
    """``fn(param, grad, m, v, t, lr, beta1, beta2, eps)`` → ``(new_param, new_m, new_v)``;
    ``t`` counts steps from 1, with Keras's bias correction.  Runs ``steps`` steps on a parameter
    of ``shape`` with the given hyperparameters."""
    name = "adam_step"
    rng = np.random.default_rng(seed)
    lr, b1, b2 = lr, beta1, beta2
    p = rng.standard_normal(shape)
    m = np.zeros(shape)
    v = np.zeros(shape)
    for t in range(1, steps + 1):
        g = rng.standard_normal(shape)
        m_want = b1 * m + (1 - b1) * g
        v_want = b2 * v + (1 - b2) * g * g
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        p_want = p - alpha * m_want / (np.sqrt(v_want) + eps)
        got = _call(name, fn, p.copy(), g.copy(), m.copy(), v.copy(), t, lr, b1, b2, eps)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailed(_("{name}: return the tuple (new_param, new_m, new_v); got {kind}", name=name,
                                 kind=type(got).__name__))
        case = _("step t={t}", t=t) + ("" if (lr, b1, b2, eps) == (0.01, 0.9, 0.999, 1e-7)
                                       else _(", lr={lr}, beta1={b1}, beta2={b2}, eps={eps}", lr=lr, b1=b1, b2=b2, eps=eps))
        _compare(name + " (m)", case, got[1], m_want)
        _compare(name + " (v)", case, got[2], v_want)
        no_correction = p - lr * m_want / (np.sqrt(v_want) + eps)
        if not np.allclose(got[0], p_want) and np.allclose(got[0], no_correction):
            raise CheckFailed(_(
                "{name}, {case}: the bias correction is missing: early steps must use "
                "lr * sqrt(1 - beta2**t) / (1 - beta1**t) instead of lr", name=name, case=case))
        _compare(name + " (param)", case, got[0], p_want)
        p, m, v = p_want, m_want, v_want
    _passed(name, steps)


# --- Chapter "Inside a convolution layer" and "Batch normalisation and dropout" ---------------


def check_conv_input_grad(fn, cases=None, seed=6):
    """``fn(dout, W, pad)`` → d loss / d x of a stride-1 convolution with weights ``W`` and
    integer padding ``pad``, given the output gradient ``dout``.  ``cases`` (default: five) are
    ``((N, C, H, W), (FN, F), pad)`` tuples (F x F filters)."""
    name = "conv_input_grad"
    rng = np.random.default_rng(seed)
    if cases is None:
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
        case = _("x {shape}, W {W}, pad {pad}", shape=shape, W=W.shape, pad=pad)
        got = _call(name, fn, dout.copy(), W.copy(), pad)
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want) and F > 1:
            unflipped = Convolution(W.transpose(1, 0, 2, 3).copy(), np.zeros(shape[1]), pad=F - 1 - pad).forward(dout)
            if np.allclose(g, unflipped):
                raise CheckFailed(_("{name}, {case}: the filter is not flipped: use W[:, :, ::-1, ::-1]", name=name, case=case))
        if g is not None and g.shape != want.shape:
            raise CheckFailed(_(
                "{name}, {case}: wrong shape {got}, expected {want} (the input's shape): the backward convolution "
                "needs padding FH - 1 - pad = {pad}, and C output channels (swap W's axes 0 and 1)",
                name=name, case=case, got=g.shape, want=want.shape, pad=F - 1 - pad))
        _compare(name, case, got, want, describe=_image_channel_pixel)
    _passed(name, len(cases))


def check_batchnorm_backward(fn, cases=None, seed=7, eps=1e-3, scales=None):
    """``fn(dout, x, gamma, eps)`` → ``(dx, dgamma, dbeta)`` of batch normalisation in training
    mode for ``x`` of shape ``(N, D)`` (the batch's own mean and variance).  ``cases`` (default:
    four) are ``(N, D)`` pairs; ``scales`` (D numbers) multiplies the features."""
    from . import reference

    name = "batchnorm_backward"
    rng = np.random.default_rng(seed)
    cases = [(4, 1), (8, 3), (16, 5), (2, 4)] if cases is None else cases
    for N, D in cases:
        x = rng.standard_normal((N, D)) * rng.uniform(0.5, 3, D) + rng.normal(0, 2, D)
        if scales is not None:
            x = x * np.asarray(scales, dtype=float)[:D]
        gamma = rng.uniform(0.5, 2, D)
        dout = rng.standard_normal((N, D))
        layer = reference.BatchNormalization(D, epsilon=eps, dtype=np.float64)
        layer.params["gamma"][...] = gamma
        layer.forward(x, train=True)
        want_dx = layer.backward(dout)
        case = (_("x of shape ({N}, {D})", N=N, D=D) + ("" if eps == 1e-3 else _(", eps={eps:g}", eps=eps))
                + ("" if scales is None else _(", features on different scales")))
        got = _call(name, fn, dout.copy(), x.copy(), gamma.copy(), eps)
        if not isinstance(got, tuple) or len(got) != 3:
            raise CheckFailed(_("{name}: return the tuple (dx, dgamma, dbeta); got {kind}", name=name, kind=type(got).__name__))
        feature = lambda i: _("feature {d}", d=i[0])  # noqa: E731
        _compare(name + " (dbeta)", case, got[2], layer.grads["beta"], describe=feature)
        _compare(name + " (dgamma)", case, got[1], layer.grads["gamma"], describe=feature)
        constant_stats = dout * gamma / np.sqrt(x.var(axis=0) + eps)
        dx = np.asarray(got[0]) if got[0] is not None else None
        if dx is not None and dx.shape == want_dx.shape and not np.allclose(dx, want_dx) and np.allclose(dx, constant_stats):
            raise CheckFailed(_(
                "{name}, {case}: your dx treats the mean and variance as constants (that is inference mode); in "
                "training mode every x also moves them: subtract the mean of dout and xhat * mean(dout * xhat)",
                name=name, case=case))
        _compare(name + " (dx)", case, got[0], want_dx, describe=lambda i: _("sample {n}, feature {d}", n=i[0], d=i[1]))
    _passed(name, len(cases))


# --- Chapter "How a network learns: optimizers and initialisation" -----------------------------


def check_momentum_step(fn, steps=4, seed=8, lr=0.1, momentum=0.9, shape=(6,)):
    """``fn(param, grad, velocity, lr, momentum)`` → ``(new_param, new_velocity)``: one step of
    SGD with momentum as Keras and :class:`cnnlib.reference.Momentum` write it,
    ``v = momentum * v - lr * grad; param = param + v``.  Runs ``steps`` steps from
    ``velocity = 0`` on a parameter of ``shape`` with the given hyperparameters."""
    from .reference import Momentum

    name = "momentum_step"
    rng = np.random.default_rng(seed)
    reference = Momentum(learning_rate=lr, momentum=momentum)
    p = rng.standard_normal(shape)
    v = np.zeros(shape)
    for t in range(1, steps + 1):
        g = rng.standard_normal(shape)
        p_want, state = p.copy(), {"v": v.copy()}
        reference.step(p_want, g, state)
        v_want = state["v"]
        case = _("step {t}", t=t) + ("" if (lr, momentum) == (0.1, 0.9) else _(", lr={lr}, momentum={momentum}", lr=lr, momentum=momentum))
        got = _call(name, fn, p.copy(), g.copy(), v.copy(), lr, momentum)
        if not isinstance(got, tuple) or len(got) != 2:
            raise CheckFailed(_("{name}: return the tuple (new_param, new_velocity); got {kind}", name=name,
                                 kind=type(got).__name__))
        new_p = np.asarray(got[0]) if got[0] is not None else None
        new_v = np.asarray(got[1]) if got[1] is not None else None
        if new_v is not None and new_v.shape == v_want.shape and np.allclose(new_v, -v_want) and not np.allclose(v_want, 0):
            raise CheckFailed(_(
                "{name}, {case}: your velocity has the opposite sign. Keep the book's (and Keras's) convention: "
                "v = momentum * v - lr * grad, then param + v", name=name, case=case))
        if new_p is not None and new_p.shape == p_want.shape and not np.allclose(new_p, p_want):
            mistakes = [
                (p - lr * g, _("this is plain SGD (param - lr * grad): the velocity must carry the earlier steps")),
                (p + v, _("the parameter moved by the OLD velocity: compute the new v first, then add it")),
                (p + momentum * v_want - lr * g, _("that is Nesterov's step (param + momentum * v - lr * grad); "
                                                   "plain momentum adds v itself")),
                (p - v_want, _("the parameter moved against v: with v = momentum * v - lr * grad, add it (param + v)")),
            ]
            for wrong, why in mistakes:
                if np.allclose(new_p, wrong):
                    raise CheckFailed(_("{name}, {case}: {why}", name=name, case=case, why=why))
        _compare(name + " (velocity)", case, got[1], v_want)
        _compare(name + " (param)", case, got[0], p_want)
        p, v = p_want, v_want
    _passed(name, steps)


def check_grad_cam(fn, cases=None, seed=8):
    """``fn(activations, gradients)`` → the Grad-CAM maps ``(N, h, w)`` for a layer's output and the
    gradient of a class score with respect to it, both ``(N, h, w, K)`` (channels last, as Keras).
    ``cases`` (default: four) are ``(N, h, w, K)`` shapes."""
    from .interpret import cam_from_gradients

    name = "grad_cam"
    rng = np.random.default_rng(seed)
    cases = [(1, 2, 2, 1), (2, 4, 4, 3), (3, 8, 8, 16), (2, 5, 7, 4)] if cases is None else cases
    for shape in cases:
        A = np.maximum(rng.standard_normal(shape), 0)          # a ReLU's output
        G = rng.standard_normal(shape) * 0.1 + rng.standard_normal((shape[0], 1, 1, shape[3])) * 0.1
        want = cam_from_gradients(A, G)
        case = _("activations of shape {shape}", shape=shape)
        got = _call(name, fn, A.copy(), G.copy())
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want):
            plain = (G.mean(axis=(1, 2), keepdims=True) * A).sum(axis=3)
            h, w = shape[1:3]
            if np.allclose(g, plain):
                raise CheckFailed(_("{name}, {case}: keep only the positive part of the weighted sum (the ReLU)", name=name, case=case))
            if h * w > 1 and np.allclose(g, want * h * w):
                raise CheckFailed(_("{name}, {case}: the weights are the *mean* of each channel's gradient over the positions, "
                                      "not the sum", name=name, case=case))
            if np.allclose(g, np.maximum((A * G).sum(axis=3), 0)):
                raise CheckFailed(_("{name}, {case}: weight each channel by one number, the mean of its gradient over (h, w), "
                                      "not position by position", name=name, case=case))
        if g is not None and g.shape != want.shape:
            raise CheckFailed(_("{name}, {case}: wrong shape {got}, expected {want}: one map of h x w per image (sum over "
                                 "the channels, the last axis)", name=name, case=case, got=g.shape, want=want.shape))
        _compare(name, case, got, want, describe=lambda i: _("image {n}, position {p}", n=i[0], p=i[1:]))
    _passed(name, len(cases))


# --- Chapter "After AlexNet" -------------------------------------------------------------------


def check_conv1x1(fn, cases=None, seed=9, dtype=np.float64):
    """``fn(x, W, b)`` → the output of a 1x1 convolution computed as a dense layer on every pixel:
    ``x`` ``(N, C, H, W)``, ``W`` ``(FN, C, 1, 1)`` (a convolution's filters), ``b`` ``(FN,)`` →
    ``(N, FN, H, W)``, as :class:`cnnlib.reference.Convolution` gives.  ``cases`` (default: four)
    are ``(N, C, H, W, FN)``."""
    name = "conv1x1"
    rng = np.random.default_rng(seed)
    cases = [(1, 1, 2, 2, 1), (2, 3, 4, 4, 2), (2, 4, 3, 5, 6), (3, 8, 2, 3, 4)] if cases is None else cases
    for N, C, H, W, FN in cases:
        x = rng.standard_normal((N, C, H, W)).astype(dtype)
        Wt = rng.standard_normal((FN, C, 1, 1)).astype(dtype)
        b = rng.standard_normal(FN).astype(dtype)
        want = Convolution(Wt, b).forward(x)
        case = _("x of shape {shape}, {FN} filters", shape=(N, C, H, W), FN=FN) + (
            "" if dtype == np.float64 else _(", {dtype}", dtype=np.dtype(dtype).name))
        got = _call(name, fn, x.copy(), Wt.copy(), b.copy())
        g = np.asarray(got) if got is not None else None
        if g is not None and g.shape == want.shape and not np.allclose(g, want):
            scrambled = (x.reshape(-1, C) @ Wt.reshape(FN, C).T + b).reshape(N, H, W, FN).transpose(0, 3, 1, 2)
            if np.allclose(g, scrambled):
                raise CheckFailed(_(
                    "{name}, {case}: x.reshape(-1, C) mixes pixels and channels (in NCHW a row of C numbers is not "
                    "one pixel); move the channels last first, x.transpose(0, 2, 3, 1).reshape(-1, C)",
                    name=name, case=case))
            if np.allclose(g, want - b.reshape(1, FN, 1, 1)):
                raise CheckFailed(_("{name}, {case}: add the bias b, one number per filter, to every pixel", name=name, case=case))
        if g is not None and g.shape != want.shape and g.size == want.size:
            raise CheckFailed(_("{name}, {case}: wrong shape {got}, expected {want} (N, FN, H, W): put the filters' axis "
                                 "back in second place", name=name, case=case, got=g.shape, want=want.shape))
        if g is not None and g.dtype != want.dtype:
            raise CheckFailed(_("{name}, {case}: your output is {got}; keep the dtype of x ({want})", name=name, case=case,
                                 got=g.dtype, want=want.dtype))
        _compare(name, case, got, want, describe=lambda i: _("image {n}, filter {f}, pixel {p}", n=i[0], f=i[1], p=i[2:]))
    _passed(name, len(cases))
