"""Draw the figure on the intro page: book/images/conv_sliding_window.png and its
Japanese version book/images/conv_sliding_window.ja.png.

A 5x5 input (padding P=1 shown in grey), a 3x3 filter and the 5x5 output
it produces with stride 1.  Run after changing a label or its translation:
`.venv/bin/python tools/make_intro_figure.py`; both PNGs are committed.

The Japanese build picks the ``.ja.png`` by itself (Sphinx's
``figure_language_filename``, ``{root}.{language}{ext}``).  Its labels are the
translations of LABELS in locale/ja/LC_MESSAGES/figures.po, the catalog of the
chapters' figure labels (tools/figure_labels.py adds LABELS to it), set in IPA P
Gothic (fonts-ipafont-gothic, installed by tools/install_chromium.sh).
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
IMAGES = ROOT / "book" / "images"
OUT = IMAGES / "conv_sliding_window.png"
OUT_JA = IMAGES / "conv_sliding_window.ja.png"
CATALOG_JA = ROOT / "locale" / "ja" / "LC_MESSAGES" / "figures.po"
JA_FONT = "IPAPGothic"

# input, filter, output: the figure's three labels (msgids of figures.po)
LABELS = ("input H=W=5\nwith padding P=1", "filter\nFH=FW=3", "output OH=OW=5\n(stride S=1)")


def draw(labels, out, family=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    font = {"family": family} if family else {}

    def grid(ax, x0, n, *, pad=0, fill="#dbe9f6", label=""):
        for i in range(n + 2 * pad):
            for j in range(n + 2 * pad):
                inside = pad <= i < n + pad and pad <= j < n + pad
                ax.add_patch(Rectangle((x0 + j, -i), 1, 1, facecolor=fill if inside else "#eeeeee",
                                       edgecolor="#555555", lw=0.8))
        ax.text(x0 + (n + 2 * pad) / 2, 1.5, label, ha="center", va="bottom", fontsize=10, linespacing=1.3,
                **font)

    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    grid(ax, 0, 5, pad=1, label=labels[0])
    ax.add_patch(Rectangle((0, -2), 3, 3, fill=False, edgecolor="#d62728", lw=2.5))
    grid(ax, 9, 3, fill="#fde0c5", label=labels[1])
    grid(ax, 14, 5, fill="#d9f0d3", label=labels[2])
    ax.add_patch(Rectangle((14, 0), 1, 1, fill=False, edgecolor="#d62728", lw=2.5))
    ax.text(8, -2.5, "*", fontsize=22, ha="center", va="center")
    ax.text(13, -2.5, "=", fontsize=22, ha="center", va="center")
    ax.set_xlim(-0.5, 19.5)
    ax.set_ylim(-7.5, 4)
    ax.set_aspect("equal")
    ax.axis("off")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    print("wrote", out)


def japanese_labels(catalog=CATALOG_JA):
    """LABELS translated from figures.po; a clear error if one is missing, fuzzy or loses a line."""
    sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
    from figure_i18n import load_translations

    translations = load_translations(catalog)
    labels = []
    for label in LABELS:
        ja = translations.get(label)
        if not ja:
            raise SystemExit(f"make_intro_figure: {catalog} has no finished translation of {label!r}: "
                             "run tools/figure_labels.py and translate it")
        if ja.count("\n") != label.count("\n"):
            raise SystemExit(f"make_intro_figure: the translation of {label!r} must have "
                             f"{label.count(chr(10)) + 1} lines")
        labels.append(ja)
    return labels


def main():
    from matplotlib import font_manager

    draw(LABELS, OUT)
    try:
        font_manager.findfont(font_manager.FontProperties(family=JA_FONT), fallback_to_default=False)
    except ValueError:
        raise SystemExit(f"make_intro_figure: no {JA_FONT} font for the Japanese figure: "
                         "install fonts-ipafont-gothic (tools/install_chromium.sh)") from None
    draw(japanese_labels(), OUT_JA, family=JA_FONT)


if __name__ == "__main__":
    main()
