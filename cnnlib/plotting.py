"""Figures the book draws again and again: learning curves, filters, feature maps."""

import numpy as np

__all__ = ["plot_history", "plot_histories", "plot_filters", "plot_feature_maps", "plot_images"]


def _plt():
    import matplotlib.pyplot as plt

    return plt


def plot_history(history, title=None, axes=None):
    """Loss (left) and train/test accuracy (right) per epoch, from a ``cnnlib.History``
    (use ``history_from_keras`` for a Keras run).  Returns the figure."""
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    else:
        fig = axes[0].figure
    epochs = history["epoch"]
    axes[0].plot(epochs, history["loss"], marker=".", color="C0")
    axes[0].set(xlabel="epoch", ylabel="training loss", title="loss")
    for key, label, color in (("train_acc", "train", "C1"), ("test_acc", "test", "C2")):
        values = history.get(key)
        if values and values[0] is not None:
            axes[1].plot(epochs, [100 * v for v in values], marker=".", label=label, color=color)
    axes[1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    axes[1].legend()
    for ax in axes:
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_histories(histories, key="test_acc", ylabel="test accuracy (%)", title=None):
    """One curve per run, e.g. ``{"baseline": h1, "augmented": h2}``; accuracies in percent."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    for label, h in histories.items():
        values = h[key]
        scale = 100 if "acc" in key else 1
        ax.plot(h["epoch"], [scale * v for v in values], marker=".", label=label)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_filters(W, ncols=8, title=None, cmap="gray"):
    """A grid of filters ``W`` (FN, C, FH, FW): one panel per filter (RGB when C == 3,
    otherwise the first channel), each scaled to its own range."""
    plt = _plt()
    W = np.asarray(W)
    if W.ndim != 4:
        raise ValueError(f"filters must be (FN, C, FH, FW); got shape {W.shape}")
    FN = W.shape[0]
    ncols = min(ncols, FN)
    nrows = -(-FN // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols, 1.1 * nrows + (0.4 if title else 0)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= FN:
            continue
        w = W[i].transpose(1, 2, 0) if W.shape[1] == 3 else W[i, 0]
        w = (w - w.min()) / (w.max() - w.min() + 1e-12)
        ax.imshow(w, cmap=None if w.ndim == 3 else cmap, interpolation="nearest")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_feature_maps(maps, ncols=8, title=None, cmap="viridis", max_maps=None):
    """The channels of one image's feature maps ``(C, H, W)`` (or ``(1, C, H, W)``) as a grid."""
    plt = _plt()
    maps = np.asarray(maps)
    if maps.ndim == 4 and maps.shape[0] == 1:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (C, H, W) for one image; got shape {maps.shape}")
    C = maps.shape[0] if max_maps is None else min(max_maps, maps.shape[0])
    ncols = min(ncols, C)
    nrows = -(-C // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.2 * nrows + (0.4 if title else 0)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < C:
            ax.imshow(maps[i], cmap=cmap, interpolation="nearest")
            ax.set_title(str(i), fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_images(images, labels=None, ncols=10, cmap="gray", title=None):
    """A row/grid of images: NHWC, NCHW (1 or 3 channels) or (N, H, W).

    ``labels``, if given, are the captions printed over the images, one per
    image: the true labels ``t``, class names, or predictions.
    """
    plt = _plt()
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[1] in (1, 3) and images.shape[-1] not in (1, 3):
        images = images.transpose(0, 2, 3, 1)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            f"images must be (N, H, W), or NHWC / NCHW with 1 or 3 channels; got shape {np.shape(images)}"
        )
    n = len(images)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols, 1.25 * nrows + (0.4 if title else 0)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap if images.ndim == 3 else None)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
