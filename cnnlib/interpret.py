"""Looking inside a trained network: what excites a unit, and what a decision depends on.

Every method here asks one question of a trained classifier:

* :func:`top_patches` — which image regions excite one feature (channel) of a layer most?
  Each unit's region is its receptive field (:func:`cnnlib.anatomy.receptive_fields`),
  cut out of the image (Zeiler & Fergus, 2014, showed such patches beside their
  deconvolution images).
* :func:`occlusion_map` — how does a class score change when a grey square hides part of
  the image?  (Zeiler & Fergus, 2014.)
* :func:`class_score_gradient` and :func:`saliency_map` — which pixels would change a
  class score most if nudged?  The gradient of the score with respect to the input,
  from the scratch network's own ``backward`` run down to the image (Simonyan,
  Vedaldi & Zisserman, 2014, take the largest magnitude over the colour channels).
* :func:`grad_cam` (Keras) and :func:`cam_from_gradients` — which positions of a
  convolution layer's output does the class score rest on?  Each channel of the
  layer is weighted by the mean gradient of the score over its positions, and the
  weighted sum is passed through a ReLU (Selvaraju et al., 2017).
* :func:`loss_input_gradient` and :func:`fgsm` — the same input gradient used against
  the network: move every pixel by ``epsilon`` in the direction that raises the loss
  (the fast gradient sign method of Goodfellow, Shlens & Szegedy, 2015).

The scratch functions take a ``cnnlib.Sequential`` (e.g. ``cnnlib.LeNet()``) and NCHW
images; :func:`grad_cam` takes a Keras model and NHWC images.  Book: chapter "What the
network learned".
"""

import numpy as np

from .anatomy import receptive_fields

__all__ = [
    "class_score_gradient",
    "saliency_map",
    "loss_input_gradient",
    "fgsm",
    "occlusion_map",
    "top_units",
    "cut_patches",
    "top_patches",
    "cam_from_gradients",
    "grad_cam",
]


# ------------------------------------------------------------------------------ checks

def _check_model(model, function):
    if not hasattr(getattr(model, "layers", None), "items") or not hasattr(model, "predict"):
        raise TypeError(
            f"{function} expects a scratch cnnlib model (cnnlib.Sequential, e.g. cnnlib.LeNet()); got "
            f"{type(model).__name__}. For a Keras model use cnnlib.interpret.grad_cam"
        )


def _check_images(x, function, ndim=4, layout="(N, C, H, W)"):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{function} expects a numpy array of images; got {type(x).__name__}")
    if x.ndim != ndim:
        hint = " (one image? add the batch axis: x[None])" if x.ndim == ndim - 1 else ""
        raise ValueError(f"{function} expects images of shape {layout}; got an array of shape {x.shape}{hint}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{function} expects float images (cnnlib.scale turns uint8 pixels into floats); got {x.dtype}")


def _targets(target, scores, function):
    """One class index per image: ``None`` (the predicted class), an int, or N ints."""
    n, classes = scores.shape
    if target is None:
        return scores.argmax(axis=1).astype(np.int64)
    t = np.asarray(target)
    if t.ndim == 0:
        t = np.full(n, t)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"{function}: target must be None, a class index, or {n} class indices (one per image); got {target!r}")
    if t.min() < 0 or t.max() >= classes:
        raise ValueError(f"{function}: target classes must lie in 0..{classes - 1}; got {target!r}")
    return t.astype(np.int64)               # labels often come as uint8; TensorFlow indexes with int64


def _labels(t, n, function):
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] > 1:
        t = t.argmax(axis=1)
    t = t.reshape(-1)
    if len(t) != n:
        raise ValueError(f"{function}: {n} images but {len(t)} labels")
    return t


# ----------------------------------------------------------------------- input gradients

def class_score_gradient(model, x, target=None):
    """``(grad, scores)``: the gradient of each image's class score (logit) with respect to its pixels.

    ``x``: float images ``(N, C, H, W)``; ``target``: the class whose score is
    differentiated, ``None`` for each image's predicted class, an int for all, or ``N`` ints.
    The network runs forward in inference mode, then ``backward`` through every layer
    from a one-hot ``dout`` on the target logits down to the input, the same pass that
    trains the network, one step further.  ``grad`` has the shape of ``x``; ``scores``
    is ``(N, classes)``.  Images do not interact, so one pass gives every image's gradient.
    Like any ``backward``, it overwrites ``model.grads``.
    """
    _check_model(model, "class_score_gradient")
    _check_images(x, "class_score_gradient")
    scores = model.predict(x, train=False)
    t = _targets(target, scores, "class_score_gradient")
    dout = np.zeros_like(scores)
    dout[np.arange(len(t)), t] = 1
    for layer in reversed(list(model.layers.values())):
        dout = layer.backward(dout)
    return dout, scores


def saliency_map(model, x, target=None):
    """``(N, H, W)``: the largest magnitude over the channels of :func:`class_score_gradient`.

    Simonyan et al.'s image-specific saliency: a pixel is salient when a small change
    of it changes the class score much.  ``target`` as in :func:`class_score_gradient`.
    """
    grad, _ = class_score_gradient(model, x, target)
    return np.abs(grad).max(axis=1)


def loss_input_gradient(model, x, t):
    """d loss / d x: the gradient of the network's mean cross-entropy on ``(x, t)`` with respect to ``x``.

    Inference mode (no dropout, batch-norm running statistics).  ``t``: integer labels or one-hot rows.
    """
    _check_model(model, "loss_input_gradient")
    _check_images(x, "loss_input_gradient")
    t = _labels(t, len(x), "loss_input_gradient")
    model.forward(x, t, train=False)
    return model.backward()


def fgsm(model, x, t, epsilon, clip=(0.0, 1.0)):
    """The fast gradient sign method: ``x + epsilon * sign(d loss / d x)``, clipped to ``clip``.

    Every pixel moves by at most ``epsilon`` (exactly ``epsilon`` unless clipping stops it
    or its gradient is 0), in the direction that raises the loss to first order.
    ``clip``: the valid pixel range, ``(0, 1)`` for ``cnnlib.scale``'d images; ``None``: no clipping.
    """
    if not (np.isscalar(epsilon) and np.isfinite(epsilon) and epsilon >= 0):
        raise ValueError(f"fgsm: epsilon must be a number >= 0 (the largest change of a pixel); got {epsilon!r}")
    grad = loss_input_gradient(model, x, t)
    adv = x + np.asarray(epsilon, dtype=x.dtype) * np.sign(grad).astype(x.dtype)
    if clip is not None:
        lo, hi = clip
        if not lo < hi:
            raise ValueError(f"fgsm: clip must be (low, high) with low < high; got {clip!r}")
        adv = np.clip(adv, lo, hi)
    return adv


# ----------------------------------------------------------------------------- occlusion

def occlusion_map(score, image, target, size, stride=1, fill=0.0, channels_last=False, batch_size=256):
    """The target's score with a ``size`` x ``size`` square of ``fill`` at every position of ``image``.

    ``score``: a function from a batch of images to scores ``(N, classes)`` (``model.predict``
    of a scratch model, or of a Keras model; softmax it first to map probabilities);
    ``image``: one image, ``(C, H, W)``, or ``(H, W, C)`` with ``channels_last=True``;
    ``target``: the class index.  The square's top-left corner moves over rows and
    columns ``0, stride, ...`` while it fits, so the map has ``(H - size) // stride + 1``
    rows (and as many columns for a square image); entry ``[i, j]`` is the score with
    rows ``i*stride : i*stride+size`` and the same columns hidden.
    """
    if not isinstance(image, np.ndarray) or image.ndim != 3:
        shape = getattr(image, "shape", None)
        raise ValueError(f"occlusion_map expects one image of 3 axes ((C, H, W), or (H, W, C) with channels_last=True); got shape {shape}")
    H, W = image.shape[:2] if channels_last else image.shape[1:]
    if not (isinstance(size, (int, np.integer)) and 1 <= size <= min(H, W)):
        raise ValueError(f"occlusion_map: size must be an int from 1 to {min(H, W)} (the image is {H}x{W}); got {size!r}")
    if not (isinstance(stride, (int, np.integer)) and stride >= 1):
        raise ValueError(f"occlusion_map: stride must be a positive int; got {stride!r}")
    rows, cols = range(0, H - size + 1, stride), range(0, W - size + 1, stride)
    batch = np.repeat(image[None], len(rows) * len(cols), axis=0)
    for k, (r, c) in enumerate((r, c) for r in rows for c in cols):
        if channels_last:
            batch[k, r : r + size, c : c + size, :] = fill
        else:
            batch[k, :, r : r + size, c : c + size] = fill
    out = []
    for i in range(0, len(batch), batch_size):
        s = np.asarray(score(batch[i : i + batch_size]))
        if s.ndim != 2 or not 0 <= target < s.shape[1]:
            raise ValueError(f"occlusion_map: score must return (N, classes) with class {target} among them; got shape {s.shape}")
        out.append(s[:, target])
    return np.concatenate(out).reshape(len(rows), len(cols))


# ----------------------------------------------------------------------- top patches

def _field(model, layer, input_shape):
    """The receptive field of ``layer``'s units: that of the last convolution or pooling up to it."""
    names = list(model.layers)
    if layer not in names:
        raise ValueError(f"the model has no layer {layer!r}; its layers: {names}")
    fields = {f.name: f for f in receptive_fields(model, input_shape)}
    for name in reversed(names[: names.index(layer) + 1]):
        if name in fields:
            return fields[name]
    raise ValueError(f"layer {layer!r} comes before every convolution: its units see one pixel each")


def top_units(model, images, layer, channel, k=9, activations=None):
    """The ``k`` images whose strongest unit of ``channel`` in ``layer`` responds most.

    Returns ``(units, values)``: ``units`` is a list of ``(n, i, j)`` (image index, row and
    column of that image's strongest unit), strongest first, one per image so that nine
    patches are nine images; ``values`` the activations.  ``layer``: a layer name of the
    scratch ``model`` (``"conv2"``, ``"relu2"``, ...); inference mode.  ``activations``:
    ``model.activations(images)``, if already computed (for several channels, run it once).
    """
    _check_model(model, "top_units")
    _check_images(images, "top_units")
    if layer not in model.layers:
        raise ValueError(f"top_units: the model has no layer {layer!r}; its layers: {list(model.layers)}")
    a = (model.activations(images) if activations is None else activations)[layer]
    if len(a) != len(images):
        raise ValueError(f"top_units: activations hold {len(a)} images but images {len(images)}; pass model.activations(images)")
    if a.ndim != 4:
        raise ValueError(f"top_units: layer {layer!r} has output shape {a.shape}; choose a convolution, ReLU or pooling layer (4 axes)")
    if not 0 <= channel < a.shape[1]:
        raise ValueError(f"top_units: layer {layer!r} has channels 0..{a.shape[1] - 1}; got {channel!r}")
    if not 1 <= k <= len(images):
        raise ValueError(f"top_units: k must lie in 1..{len(images)} (the number of images); got {k!r}")
    maps = a[:, channel]                                   # (N, H', W')
    flat = maps.reshape(len(maps), -1)
    best = flat.argmax(axis=1)                             # each image's strongest position
    order = np.argsort(-flat[np.arange(len(flat)), best], kind="stable")[:k]
    w = maps.shape[2]
    units = [(int(n), int(best[n] // w), int(best[n] % w)) for n in order]
    return units, np.array([maps[n, i, j] for n, i, j in units])


def cut_patches(images, field, units, fill=0.0):
    """``(len(units), C, size, size)``: the receptive field of each ``(n, i, j)`` unit, cut from image ``n``.

    ``field``: a :class:`cnnlib.anatomy.ReceptiveField`; where the window reaches past the
    image (into the padding), the patch holds ``fill``.
    """
    _check_images(images, "cut_patches")
    N, C, H, W = images.shape
    out = np.full((len(units), C, field.size, field.size), fill, dtype=images.dtype)
    for k, (n, i, j) in enumerate(units):
        r0, r1, c0, c1 = field.window(i, j)
        rr0, rr1, cc0, cc1 = max(r0, 0), min(r1, H), max(c0, 0), min(c1, W)
        out[k, :, rr0 - r0 : rr1 - r0, cc0 - c0 : cc1 - c0] = images[n, :, rr0:rr1, cc0:cc1]
    return out


def top_patches(model, images, layer, channel, k=9, fill=0.0, activations=None):
    """``(patches, units, values)``: :func:`top_units`, each unit's receptive field cut out by :func:`cut_patches`."""
    units, values = top_units(model, images, layer, channel, k, activations)
    field = _field(model, layer, images.shape[1:])
    return cut_patches(images, field, units, fill), units, values


# --------------------------------------------------------------------------- Grad-CAM

def cam_from_gradients(activations, gradients):
    """Grad-CAM from a layer's output ``A`` and the gradient ``dy/dA`` of a class score, both ``(N, h, w, K)``.

    ``alpha_k = mean over (h, w) of dy/dA_k`` (how much the score rests on channel k),
    then ``ReLU(sum_k alpha_k * A_k)``: ``(N, h, w)``, the positions that raise the score.
    """
    A, G = np.asarray(activations), np.asarray(gradients)
    if A.ndim != 4 or A.shape != G.shape:
        raise ValueError(f"cam_from_gradients expects two arrays of the same shape (N, h, w, K); got {A.shape} and {G.shape}")
    alpha = G.mean(axis=(1, 2), keepdims=True)             # (N, 1, 1, K)
    return np.maximum((alpha * A).sum(axis=3), 0)


def grad_cam(model, images, layer, target=None):
    """``(cam, scores)``: Grad-CAM of a Keras model at the layer named ``layer``, for NHWC ``images``.

    ``cam`` is ``(N, h, w)`` at the layer's resolution (draw it over the image with
    ``imshow(..., extent=...)``, or upsample it); ``scores`` the model's outputs
    ``(N, classes)``.  ``target``: as in :func:`class_score_gradient` (``None``: the
    predicted class).  The score differentiated is the model's output before any softmax
    if it ends in logits, as the book's models do.  Inference mode.
    """
    import keras
    import tensorflow as tf

    if not isinstance(model, keras.Model):
        raise TypeError(f"grad_cam expects a Keras model (for a scratch model use saliency_map); got {type(model).__name__}")
    _check_images(images, "grad_cam", layout="(N, H, W, C)")
    names = [l.name for l in model.layers]
    if layer not in names:
        raise ValueError(f"grad_cam: the model has no layer {layer!r}; its layers: {names}")
    probe = keras.Model(model.inputs[0], [model.get_layer(layer).output, model.outputs[0]])
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        A, scores = probe(x, training=False)
        if len(A.shape) != 4:
            raise ValueError(f"grad_cam: layer {layer!r} has output shape {tuple(A.shape)}; choose a layer with (N, h, w, K) output")
        t = _targets(target, scores.numpy(), "grad_cam")
        y = tf.reduce_sum(tf.gather(scores, t, axis=1, batch_dims=1))
    G = tape.gradient(y, A)
    return cam_from_gradients(A.numpy(), G.numpy()), scores.numpy()
