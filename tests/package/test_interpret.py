"""cnnlib.interpret: each method against its definition, computed another way.

* the saliency (class-score gradient from ``backward``) equals a central-difference
  gradient of the class score, in float64;
* occlusion: hiding pixels the score does not read changes nothing, hiding pixels it
  reads changes it by exactly what they contributed;
* FGSM moves every pixel by at most epsilon (exactly epsilon where nothing stops it),
  stays in the pixel range, raises the loss, and to first order by epsilon * |grad|_1;
* Grad-CAM on a tiny Keras model equals the hand computation (conv -> GAP -> dense:
  the weights are the dense weights over h*w, Selvaraju et al.'s reduction to CAM);
* top patches: a conv1 unit's activation is its filter times the cut patch plus the
  bias; a conv2 unit does not change when every pixel outside its receptive field
  (cnnlib.anatomy) changes; the patch of a unit at the edge is padded with the fill.
"""

import numpy as np
import pytest

import cnnlib
from cnnlib import interpret
from cnnlib.anatomy import receptive_fields
from cnnlib.gradcheck import numerical_gradient, rel_error


@pytest.fixture
def lenet64():
    return cnnlib.LeNet(dtype=np.float64, seed=3)


def images(n, seed=0, shape=(1, 28, 28)):
    return np.random.default_rng(seed).uniform(0, 1, (n,) + shape)


# ------------------------------------------------------------------ input gradients

def test_class_score_gradient_equals_numerical_gradient(lenet64):
    x = images(2)
    targets = np.array([3, 7])
    grad, scores = interpret.class_score_gradient(lenet64, x, targets)
    assert grad.shape == x.shape and scores.shape == (2, 10)
    for n, c in enumerate(targets):
        xn = x[n : n + 1].copy()
        num = numerical_gradient(lambda: lenet64.predict(xn)[0, c], xn)
        assert rel_error(grad[n : n + 1], num) < 1e-5


def test_default_target_is_the_predicted_class(lenet64):
    x = images(3, seed=1)
    grad, scores = interpret.class_score_gradient(lenet64, x)
    want, _ = interpret.class_score_gradient(lenet64, x, scores.argmax(axis=1))
    np.testing.assert_array_equal(grad, want)


def test_saliency_is_the_largest_magnitude_over_channels():
    model = cnnlib.LeNet(input_shape=(3, 28, 28), dtype=np.float64, seed=0)
    x = images(2, shape=(3, 28, 28))
    grad, _ = interpret.class_score_gradient(model, x, 1)
    sal = interpret.saliency_map(model, x, 1)
    assert sal.shape == (2, 28, 28)
    np.testing.assert_array_equal(sal, np.abs(grad).max(axis=1))
    assert (sal > 0).any()


# --------------------------------------------------------------------------- FGSM

def test_fgsm_respects_epsilon_and_the_pixel_range(lenet64):
    x, t = images(8, seed=2), np.arange(8)
    eps = 0.1
    adv = interpret.fgsm(lenet64, x, t, eps)
    step = np.abs(adv - x)
    assert step.max() <= eps + 1e-12
    assert adv.min() >= 0 and adv.max() <= 1
    grad = interpret.loss_input_gradient(lenet64, x, t)
    free = (grad != 0) & (x + eps * np.sign(grad) >= 0) & (x + eps * np.sign(grad) <= 1)
    assert free.mean() > 0.5
    np.testing.assert_allclose(step[free], eps)
    assert np.array_equal(np.sign(adv - x)[step > 0], np.sign(grad)[step > 0])


def test_fgsm_raises_the_loss_by_epsilon_times_the_gradient_norm(lenet64):
    x, t = images(4, seed=4), np.array([0, 1, 2, 3])
    loss0 = lenet64.forward(x, t, train=False)
    grad = interpret.loss_input_gradient(lenet64, x, t)
    eps = 1e-6
    adv = interpret.fgsm(lenet64, x, t, eps, clip=None)
    rise = lenet64.forward(adv, t, train=False) - loss0
    assert rise > 0
    np.testing.assert_allclose(rise, eps * np.abs(grad).sum(), rtol=1e-3)
    bigger = interpret.fgsm(lenet64, x, t, 0.05)
    assert lenet64.forward(bigger, t, train=False) > loss0


def test_loss_input_gradient_equals_numerical_gradient(lenet64):
    x, t = images(2, seed=5), np.array([4, 9])
    grad = interpret.loss_input_gradient(lenet64, x, t)
    xc = x.copy()
    num = numerical_gradient(lambda: lenet64.forward(xc, t, train=False), xc)
    assert rel_error(grad, num) < 1e-5


def test_fgsm_accepts_one_hot_labels(lenet64):
    x, t = images(3, seed=6), np.array([1, 5, 8])
    np.testing.assert_array_equal(interpret.fgsm(lenet64, x, t, 0.1), interpret.fgsm(lenet64, x, np.eye(10)[t], 0.1))


# ---------------------------------------------------------------------- occlusion

def _top_left_score(batch):
    """Class 0 reads only the top-left 8x8 pixels of channel 0; class 1 reads everything."""
    return np.stack([batch[:, 0, :8, :8].sum(axis=(1, 2)), batch.sum(axis=(1, 2, 3))], axis=1)


def test_occlusion_changes_nothing_where_the_score_does_not_look():
    image = images(1, seed=7, shape=(2, 20, 20))[0]
    m = interpret.occlusion_map(_top_left_score, image, target=0, size=4, stride=2)
    assert m.shape == (9, 9)
    base = _top_left_score(image[None])[0, 0]
    np.testing.assert_array_equal(m[4:, :], base)      # square from row 8 down: outside
    np.testing.assert_array_equal(m[:, 4:], base)
    # inside, the score drops by exactly the hidden pixels of channel 0
    for i in range(4):
        for j in range(4):
            r, c = 2 * i, 2 * j
            hidden = image[0, max(r, 0) : min(r + 4, 8), max(c, 0) : min(c + 4, 8)].sum()
            np.testing.assert_allclose(m[i, j], base - hidden)


def test_occlusion_channels_last_is_the_same_map(lenet64):
    image = images(1, seed=8)[0]
    a = interpret.occlusion_map(lenet64.predict, image, target=2, size=5, stride=3, fill=0.5)
    b = interpret.occlusion_map(lambda x: lenet64.predict(x.transpose(0, 3, 1, 2)), image.transpose(1, 2, 0),
                                target=2, size=5, stride=3, fill=0.5, channels_last=True, batch_size=7)
    np.testing.assert_allclose(a, b)
    assert a.shape == ((28 - 5) // 3 + 1,) * 2


# ---------------------------------------------------------------------- top patches

def test_conv1_activation_is_filter_times_patch(lenet64):
    x = images(30, seed=9)
    patches, units, values = interpret.top_patches(lenet64, x, "conv1", channel=4, k=9)
    assert patches.shape == (9, 1, 5, 5) and len(units) == 9
    conv = lenet64.layers["conv1"]
    W, b = conv.params["W"][4], conv.params["b"][4]
    for p, v in zip(patches, values):
        np.testing.assert_allclose((W * p).sum() + b, v, rtol=1e-10)
    assert list(values) == sorted(values, reverse=True)
    assert len({n for n, _, _ in units}) == 9                 # nine different images


def test_top_units_are_each_images_maximum(lenet64):
    x = images(12, seed=10)
    units, values = interpret.top_units(lenet64, x, "relu2", channel=5, k=4)
    maps = lenet64.activations(x)["relu2"][:, 5]
    best = maps.reshape(12, -1).max(axis=1)
    np.testing.assert_allclose(values, np.sort(best)[::-1][:4])
    for (n, i, j), v in zip(units, values):
        assert maps[n, i, j] == v == best[n]
    again = interpret.top_units(lenet64, x, "relu2", channel=5, k=4, activations=lenet64.activations(x))
    assert again[0] == units and np.array_equal(again[1], values)
    with pytest.raises(ValueError, match="pass model.activations"):
        interpret.top_units(lenet64, x, "relu2", 5, k=4, activations=lenet64.activations(x[:3]))


def test_conv2_unit_depends_only_on_its_receptive_field(lenet64):
    x = images(5, seed=11)
    (n, i, j), *_ = interpret.top_units(lenet64, x, "conv2", channel=3, k=1)[0]
    field = {f.name: f for f in receptive_fields(lenet64, (1, 28, 28))}["conv2"]
    r0, r1, c0, c1 = field.window(i, j)
    assert r1 - r0 == 14                                   # 5 + (2 - 1) + (5 - 1) * 2: chapter 6a's figure
    changed = x[n : n + 1].copy()
    outside = np.ones(changed.shape, bool)
    outside[..., max(r0, 0) : r1, max(c0, 0) : c1] = False
    changed[outside] = np.random.default_rng(0).uniform(0, 1, outside.sum())
    before = lenet64.activations(x[n : n + 1])["conv2"][0, 3, i, j]
    after = lenet64.activations(changed)["conv2"][0, 3, i, j]
    assert before == after
    inside = x[n : n + 1].copy()
    inside[..., max(r0, 0) : r1, max(c0, 0) : c1] = np.random.default_rng(1).uniform(0, 1, (min(r1, 28) - max(r0, 0), min(c1, 28) - max(c0, 0)))
    assert lenet64.activations(inside)["conv2"][0, 3, i, j] != before


def test_patch_past_the_edge_is_filled():
    field = cnnlib.anatomy.ReceptiveField("padded", size=5, jump=1, first=-2, output_size=6)
    x = np.arange(36, dtype=float).reshape(1, 1, 6, 6)
    (p,) = interpret.cut_patches(x, field, [(0, 0, 5)], fill=-1.0)
    want = np.full((5, 5), -1.0)
    want[2:, :3] = x[0, 0, 0:3, 3:6]
    np.testing.assert_array_equal(p[0], want)


# ----------------------------------------------------------------------- Grad-CAM

def test_cam_from_gradients_by_hand():
    A = np.zeros((1, 2, 2, 2))
    A[0, :, :, 0] = [[1, 2], [3, 4]]
    A[0, :, :, 1] = [[4, 0], [0, 0]]
    G = np.zeros_like(A)
    G[0, :, :, 0] = 0.5                                   # alpha_0 = 0.5
    G[0, :, :, 1] = [[-4, 0], [0, 0]]                     # alpha_1 = -1
    np.testing.assert_allclose(interpret.cam_from_gradients(A, G)[0], [[0, 1], [1.5, 2]])


@pytest.mark.keras
def test_grad_cam_equals_the_hand_computation_on_a_tiny_keras_model():
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(3, 3, activation="relu", name="conv"),
                              layers.GlobalAveragePooling2D(name="gap"), layers.Dense(4, name="logits")])
    x = np.random.default_rng(12).uniform(0, 1, (2, 6, 6, 2)).astype(np.float32)
    cam, scores = interpret.grad_cam(model, x, "conv", target=np.array([1, 3], np.uint8))   # uint8, as CIFAR-10 labels
    A = keras.Model(model.inputs[0], model.get_layer("conv").output)(x).numpy()   # (2, 4, 4, 3)
    Wd = model.get_layer("logits").get_weights()[0]                            # (3, 4)
    for n, c in enumerate([1, 3]):
        alpha = Wd[:, c] / 16                                                  # d y_c / d A_k(i, j) = W[k, c] / (h w)
        np.testing.assert_allclose(cam[n], np.maximum(A[n] @ alpha, 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(scores, model(x).numpy(), rtol=1e-6)


# ------------------------------------------------------------------------- errors

def test_bad_input_says_what_was_wrong(lenet64):
    x = images(2)
    with pytest.raises(TypeError, match="scratch cnnlib model"):
        interpret.saliency_map(object(), x)
    with pytest.raises(ValueError, match="add the batch axis"):
        interpret.saliency_map(lenet64, x[0])
    with pytest.raises(TypeError, match="cnnlib.scale"):
        interpret.saliency_map(lenet64, (x * 255).astype(np.uint8))
    with pytest.raises(ValueError, match="0..9"):
        interpret.class_score_gradient(lenet64, x, 10)
    with pytest.raises(ValueError, match="one per image"):
        interpret.class_score_gradient(lenet64, x, [1, 2, 3])
    with pytest.raises(ValueError, match="epsilon"):
        interpret.fgsm(lenet64, x, [0, 1], -0.1)
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        interpret.fgsm(lenet64, x, [0, 1, 2], 0.1)
    with pytest.raises(ValueError, match="size must be an int from 1 to 28"):
        interpret.occlusion_map(lenet64.predict, x[0], 0, size=30)
    with pytest.raises(ValueError, match="one image"):
        interpret.occlusion_map(lenet64.predict, x, 0, size=3)
    with pytest.raises(ValueError, match="no layer 'conv9'"):
        interpret.top_patches(lenet64, x, "conv9", 0, k=1)
    with pytest.raises(ValueError, match="channels 0..5"):
        interpret.top_units(lenet64, x, "conv1", 6, k=1)
    with pytest.raises(ValueError, match="k must lie in 1..2"):
        interpret.top_units(lenet64, x, "conv1", 0, k=3)
    with pytest.raises(ValueError, match="4 axes"):
        interpret.top_units(lenet64, x, "dense1", 0, k=1)
    with pytest.raises(ValueError, match="same shape"):
        interpret.cam_from_gradients(np.zeros((1, 2, 2, 3)), np.zeros((1, 2, 2, 2)))
