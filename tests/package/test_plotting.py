"""Plotting helpers: each returns a matplotlib Figure with the expected axes (Agg backend),
and refuses shapes it cannot draw with a message that says what it expects."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnnlib import History  # noqa: E402
from cnnlib.plotting import plot_feature_maps, plot_filters, plot_histories, plot_history, plot_images  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history(epochs=3, test=True):
    h = History()
    h["epoch"] = list(range(1, epochs + 1))
    h["loss"] = [1.0 / e for e in h["epoch"]]
    h["train_acc"] = [0.5 + 0.1 * e for e in h["epoch"]]
    h["test_acc"] = [0.4 + 0.1 * e for e in h["epoch"]] if test else [None] * epochs
    h["seconds"] = [1.0] * epochs
    return h


def images_shown(fig):
    return sum(len(ax.images) for ax in fig.axes)


def test_plot_history():
    fig = plot_history(history(), title="run")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    np.testing.assert_allclose(loss_ax.lines[0].get_ydata(), [1.0, 0.5, 1 / 3])
    assert [line.get_label() for line in acc_ax.lines] == ["train", "test"]
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), [50, 60, 70])  # percent
    assert fig._suptitle.get_text() == "run"
    # no test set measured: one accuracy curve
    assert len(plot_history(history(test=False)).axes[1].lines) == 1
    # drawing into given axes
    fig2, axes = plt.subplots(1, 2)
    assert plot_history(history(), axes=axes) is fig2


def test_plot_histories():
    fig = plot_histories({"a": history(), "b": history(4)}, title="compare")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    assert [line.get_label() for line in fig.axes[0].lines] == ["a", "b"]
    assert len(fig.axes[0].lines[1].get_xdata()) == 4
    fig = plot_histories({"a": history()}, key="loss", ylabel="loss")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [1.0, 0.5, 1 / 3])  # not scaled to percent


@pytest.mark.parametrize("shape, ncols, axes, shown", [((8, 1, 5, 5), 4, 8, 8), ((10, 3, 3, 3), 8, 16, 10), ((3, 2, 5, 5), 8, 3, 3)])
def test_plot_filters(rng, shape, ncols, axes, shown):
    fig = plot_filters(rng.standard_normal(shape), ncols=ncols, title="filters")
    assert isinstance(fig, Figure) and len(fig.axes) == axes and images_shown(fig) == shown
    if shape[1] == 3:  # RGB filters are drawn in colour
        assert fig.axes[0].images[0].get_array().shape == (3, 3, 3)


def test_plot_filters_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"filters must be \(FN, C, FH, FW\); got shape \(6, 5, 5\)"):
        plot_filters(np.zeros((6, 5, 5)))


def test_plot_feature_maps(rng):
    fig = plot_feature_maps(rng.standard_normal((6, 4, 4)), ncols=4)
    assert isinstance(fig, Figure) and len(fig.axes) == 8 and images_shown(fig) == 6
    assert images_shown(plot_feature_maps(rng.standard_normal((1, 16, 4, 4)), max_maps=5)) == 5  # a batch of one
    with pytest.raises(ValueError, match=r"feature maps must be \(C, H, W\) for one image; got shape \(2, 6, 4, 4\)"):
        plot_feature_maps(np.zeros((2, 6, 4, 4)))
    with pytest.raises(ValueError, match=r"got shape \(4, 4\)"):
        plot_feature_maps(np.zeros((4, 4)))


@pytest.mark.parametrize(
    "shape, image_shape",
    [((5, 28, 28), (28, 28)), ((5, 28, 28, 1), (28, 28)), ((5, 1, 28, 28), (28, 28)), ((5, 32, 32, 3), (32, 32, 3)), ((5, 3, 32, 32), (32, 32, 3))],
    ids=["N,H,W", "NHWC gray", "NCHW gray", "NHWC rgb", "NCHW rgb"],
)
def test_plot_images(rng, shape, image_shape):
    images = rng.random(shape)
    fig = plot_images(images, labels=list("abcde"), ncols=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 6 and images_shown(fig) == 5
    assert fig.axes[0].images[0].get_array().shape == image_shape
    assert [ax.get_title() for ax in fig.axes[:5]] == list("abcde")


@pytest.mark.parametrize("shape", [(28, 28), (2, 3, 4, 5, 6), (4, 5, 5, 2)], ids=["one image", "5-D", "2 channels"])
def test_plot_images_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match=r"images must be \(N, H, W\), or NHWC / NCHW with 1 or 3 channels; got shape"):
        plot_images(np.zeros(shape))
