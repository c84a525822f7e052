"""Draw book/images/conv_sliding_window.png, the figure on the intro page.

A 5x5 input (padding P=1 shown in grey), a 3x3 filter and the 5x5 output
it produces with stride 1.  Run once: `.venv/bin/python tools/make_intro_figure.py`;
the PNG is committed.
"""
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

OUT = pathlib.Path(__file__).resolve().parent.parent / "book" / "images" / "conv_sliding_window.png"


def grid(ax, x0, n, *, pad=0, fill="#dbe9f6", label=""):
    for i in range(n + 2 * pad):
        for j in range(n + 2 * pad):
            inside = pad <= i < n + pad and pad <= j < n + pad
            ax.add_patch(Rectangle((x0 + j, -i), 1, 1, facecolor=fill if inside else "#eeeeee",
                                   edgecolor="#555555", lw=0.8))
    ax.text(x0 + (n + 2 * pad) / 2, 1.5, label, ha="center", va="bottom", fontsize=10, linespacing=1.3)


fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
grid(ax, 0, 5, pad=1, label="input H=W=5\nwith padding P=1")
ax.add_patch(Rectangle((0, -2), 3, 3, fill=False, edgecolor="#d62728", lw=2.5))
grid(ax, 9, 3, fill="#fde0c5", label="filter\nFH=FW=3")
grid(ax, 14, 5, fill="#d9f0d3", label="output OH=OW=5\n(stride S=1)")
ax.add_patch(Rectangle((14, 0), 1, 1, fill=False, edgecolor="#d62728", lw=2.5))
ax.text(8, -2.5, "*", fontsize=22, ha="center", va="center")
ax.text(13, -2.5, "=", fontsize=22, ha="center", va="center")
ax.set_xlim(-0.5, 19.5)
ax.set_ylim(-7.5, 4)
ax.set_aspect("equal")
ax.axis("off")
OUT.parent.mkdir(parents=True, exist_ok=True)
fig.savefig(OUT, bbox_inches="tight")
print("wrote", OUT)
