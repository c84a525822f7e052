"""The Japanese edition's figures (issue 23): every label of every stored figure is translated
in locale/ja/LC_MESSAGES/figures.po, and a translated figure has no English word left.

The chapters store their figures as SVG with the words kept as text (cnnlib.notebook.setup());
the Japanese build translates them (tools/sphinx/figure_i18n.py) from figures.po, which
tools/figure_labels.py keeps in step with the notebooks.  Here:

* the catalog has exactly the labels the notebooks' figures and the landing-page diagram have,
  each translated (not fuzzy, not empty), with as many lines as the English;
* each figure, translated as the build does it, has no English word left in any of its texts,
  except names kept in English in the Japanese text too (figure_i18n.KEPT_WORDS: LeNet, MNIST,
  ReLU, Adam, ... and layer names such as conv1);
  the check itself is shown to fail on an untranslated label and on a translation left in English;
* the translation puts a label where the English was: an anchored label keeps its anchor, a
  centred label of several lines is re-anchored at its centre;
* the Japanese site, when built, shows the translated figures;
* nbval skips the SVG markup and still compares the text outputs (tools/pytest_book.py), and
  setup() makes a kernel's figures SVG, the same bytes each run.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
sys.path.insert(0, str(ROOT / "tools"))
import figure_i18n  # noqa: E402
import figure_labels  # noqa: E402

english_words = figure_i18n.english_words  # the kept names: figure_i18n.KEPT_WORDS


def english_left(svg: str) -> list[str]:
    """The texts of a (translated) figure that still show an English word."""
    return [label.text for label in figure_i18n.labels(svg) if english_words(label.text)]


@pytest.fixture(scope="module")
def translations():
    return figure_i18n.load_translations(figure_labels.PO)


@pytest.fixture(scope="module")
def catalog():
    from babel.messages.pofile import read_po

    with figure_labels.PO.open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def figures():
    found = []
    for nb_path in sorted((ROOT / "book").glob("*.ipynb")):
        for index, svg in figure_labels.notebook_figures(nb_path):
            found.append((f"{nb_path.name}[{index}]", svg))
    assert len(found) >= 57, f"only {len(found)} SVG figures in the notebooks: were they run with setup()?"
    return found


def test_a_template_stands_for_the_labels_that_differ_in_numbers():
    translations = {"{0} (true {1})": "{0}（正解は{1}）", "filter {0}": "フィルター{0}", "filter": "フィルター"}
    assert figure_i18n.lookup(translations, "8 (true 3)") == "8（正解は3）"
    assert figure_i18n.lookup(translations, "filter 15") == "フィルター15"
    assert figure_i18n.lookup(translations, "filter") == "フィルター"
    assert figure_i18n.lookup(translations, "filter x") is None
    assert figure_labels.entry("7 (true 9)") == "{0} (true {1})" and figure_labels.entry("loss") == "loss"


def test_the_catalog_has_every_label_and_only_those(catalog):
    labels = {text for text, _ in figure_labels.collect()}
    missing = sorted(labels - set(catalog))
    stale = sorted(set(catalog) - labels)
    assert not missing, (f"{len(missing)} figure labels are not in {figure_labels.PO.name} "
                         f"(run tools/figure_labels.py under the translations lock): {missing[:10]}")
    assert not stale, f"{len(stale)} entries of {figure_labels.PO.name} are on no figure any more: {stale[:10]}"


def test_every_label_is_translated_with_its_lines(catalog):
    unfinished = [m.id for m in catalog.values() if m.fuzzy or not m.string]
    assert not unfinished, f"{len(unfinished)} labels untranslated or fuzzy: {unfinished[:10]}"
    lines = [(m.id, m.string) for m in catalog.values() if m.string and m.string.count("\n") != m.id.count("\n")]
    assert not lines, f"a translation must have as many lines as its label: {lines[:5]}"
    fields = [(m.id, m.string) for m in catalog.values()
              if m.string and sorted(re.findall(r"\{\d\}", m.string)) != sorted(re.findall(r"\{\d\}", m.id))]
    assert not fields, f"a template's translation must have its fields {{0}}, {{1}}, ...: {fields[:5]}"
    english = [(m.id, m.string, english_words(m.string)) for m in catalog.values()
               if m.string and english_words(m.string)]
    assert not english, f"translations that keep English words (not in KEPT_WORDS): {english[:10]}"


def test_no_english_word_left_on_a_translated_figure(figures, translations):
    problems = []
    for name, svg in figures:
        new, done, missing = figure_i18n.translate_svg(svg, translations)
        left = english_left(new)
        if left:
            problems.append((name, left[:5]))
    assert not problems, f"{len(problems)} figures keep English labels: {problems[:10]}"


def test_the_check_fails_when_a_label_is_untranslated_or_left_english(figures, translations):
    """Broken on purpose: the checks above must see an untranslated label and an English one."""
    name, svg = next((n, s) for n, s in figures if figure_i18n.label_texts(s))
    label = figure_i18n.label_texts(svg)[0]
    # 1. the translation removed: the English label is still on the figure
    broken = {k: v for k, v in translations.items() if k != label}
    new, _, missing = figure_i18n.translate_svg(svg, broken)
    assert label in missing and label in english_left(new), name
    # 2. a "translation" that is the English again
    broken[label] = label
    assert english_words(label), label
    new, done, _ = figure_i18n.translate_svg(svg, broken)
    assert label in done and label in english_left(new)


def layout_problems(svg: str, new: str) -> list[str]:
    """What the translation broke in a figure's layout: texts that overlap where the English did
    not, legend entries wider than the English (their frame is sized for it), a text outside
    the figure (measured with the fonts' widths, figure_i18n.text_boxes)."""
    before, after = figure_i18n.text_boxes(svg), figure_i18n.text_boxes(new)
    assert len(before) == len(after)
    problems = []
    for i in range(len(after)):
        for j in range(i + 1, len(after)):
            if (after[i].translated or after[j].translated) and \
                    after[i].overlap(after[j]) > before[i].overlap(before[j]) + 0.5:
                problems.append(f"{after[i].text!r} overlaps {after[j].text!r}")
    for b, a in zip(before, after):
        if a.in_legend and a.translated and (a.x1 - a.x0) > (b.x1 - b.x0) + 2.0:
            problems.append(f"legend entry {a.text!r} is {(a.x1 - a.x0) - (b.x1 - b.x0):.1f} wider than {b.text!r}")
    m = figure_i18n._VIEWBOX.search(new)
    x0, y0 = float(m.group("x")), float(m.group("y"))
    x1, y1 = x0 + float(m.group("vw")), y0 + float(m.group("vh"))
    for a in after:
        if a.translated and (a.x0 < x0 or a.y0 < y0 or a.x1 > x1 or a.y1 > y1):
            problems.append(f"{a.text!r} reaches outside the figure")
    return problems


def test_translated_figures_keep_their_layout(figures, translations):
    problems = []
    for name, svg in figures:
        new, done, _ = figure_i18n.translate_svg(svg, translations)
        if done:
            problems += [f"{name}: {p}" for p in layout_problems(svg, new)]
    assert not problems, f"{len(problems)} layout problems (shorten the translation): {problems[:10]}"


def test_the_layout_check_sees_an_overlap_a_wide_legend_and_an_edge():
    """Broken on purpose: a long title over its neighbour, a long legend entry; and a label
    at the figure's edge grows the figure instead of being cut."""
    def draw(ax):
        fig = ax.figure
        ax.set_position([0.08, 0.1, 0.4, 0.8])
        right = fig.add_axes([0.55, 0.1, 0.4, 0.8])
        ax.set_title("left")
        right.set_title("right")
        ax.plot([0, 1], label="train")
        ax.legend()
        ax.set_ylabel("loss")

    svg = _figure_svg(draw)
    long = {"left": "とても長い長い長い長い長い長い長い長い長い左のタイトル", "train": "訓練データ（スケーリングあり）",
            "loss": "損失" * 30}
    new, done, _ = figure_i18n.translate_svg(svg, long)
    problems = layout_problems(svg, new)
    assert any("長い左のタイトル' overlaps" in p for p in problems), problems
    assert any("legend entry" in p for p in problems), problems
    assert not any("outside" in p for p in problems), problems  # the viewBox grew for the long ylabel
    assert figure_i18n._VIEWBOX.search(new).group("vh") != figure_i18n._VIEWBOX.search(svg).group("vh")
    short = {"left": "左", "train": "訓練", "loss": "損失"}
    new, _, _ = figure_i18n.translate_svg(svg, short)
    assert layout_problems(svg, new) == []


def _figure_svg(draw) -> str:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "test"}):
        fig, ax = plt.subplots(figsize=(4, 3))
        draw(ax)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    return buffer.getvalue()


def test_a_translated_label_stays_where_the_english_was():
    svg = _figure_svg(lambda ax: (
        ax.set(title="training loss", xlabel="epoch", ylabel="accuracy (%)"),
        ax.text(0.5, 0.5, "conv 5×5\n+ ReLU", ha="center"),
        ax.text(0.1, 0.2, "left end\nof two lines", ha="left"),
        ax.text(0.9, 0.8, "right end\nof two lines", ha="right"),
        ax.set_xticks([0, 0.5, 1]),
    ))
    translations = {"training loss": "訓練の損失", "epoch": "エポック", "accuracy (%)": "正解率（%）",
                    "conv 5×5\n+ ReLU": "畳み込み 5×5\n＋ReLU", "left end\nof two lines": "左端の\n2行",
                    "right end\nof two lines": "右端の\n2行"}
    new, done, missing = figure_i18n.translate_svg(svg, translations)
    assert sorted(done) == sorted(translations) and not missing
    import xml.etree.ElementTree as ET

    ET.fromstring(new)  # still well-formed
    before = {t.text: t for t in figure_i18n.labels(svg)}
    after = {t.text: t for t in figure_i18n.labels(new)}
    # anchored labels: same anchor point and text-anchor, the Japanese font
    for en, ja in (("training loss", "訓練の損失"), ("accuracy (%)", "正解率（%）")):
        a, b = before[en].lines[0].attrs, after[ja].lines[0].attrs
        assert (a["x"], a["y"], a["transform"]) == (b["x"], b["y"], b["transform"])
        assert "text-anchor: middle" in b["style"] and "IPAPGothic" in b["style"]
    # multi-line labels: re-anchored where their lines line up (centre, left end, right end)
    for en, anchor, fraction in (("conv 5×5\n+ ReLU", "middle", 0.5), ("left end\nof two lines", "start", 0.0),
                                 ("right end\nof two lines", "end", 1.0)):
        ja = translations[en]
        for old, line in zip(before[en].lines, after[ja].lines):
            assert f"text-anchor: {anchor}" in line.attrs["style"], (en, line.attrs)
            x_old = float(re.search(r"translate\(([-\d.]+)", old.attrs["transform"]).group(1))
            x_new = float(re.search(r"translate\(([-\d.]+)", line.attrs["transform"]).group(1))
            size = float(figure_i18n._FONT_SIZE.search(old.attrs["style"]).group(1))
            assert x_new == pytest.approx(x_old + fraction * figure_i18n._width(old.text, size), abs=0.01)
    # a turned tick label hangs from its tick by its end, whatever its width
    turned = _figure_svg(lambda ax: (ax.set_xticks([0, 1], ["frog", "horse"], rotation=60, ha="right"),))
    new, done, _ = figure_i18n.translate_svg(turned, {"frog": "カエル", "horse": "馬"})
    assert sorted(done) == ["frog", "horse"]
    for en, ja in (("frog", "カエル"), ("horse", "馬")):
        old = {t.text: t for t in figure_i18n.labels(turned)}[en].lines[0]
        line = {t.text: t for t in figure_i18n.labels(new)}[ja].lines[0]
        assert "text-anchor: end" in line.attrs["style"]
        t_old = figure_i18n._TRANSFORM.search(old.attrs["transform"])
        t_new = figure_i18n._TRANSFORM.search(line.attrs["transform"])
        r = math.radians(float(t_old.group("r")))
        w = figure_i18n._width(en, float(figure_i18n._FONT_SIZE.search(old.attrs["style"]).group(1)))
        end = (float(t_old.group("x")) + w * math.cos(r), float(t_old.group("y")) + w * math.sin(r))
        assert (float(t_new.group("x")), float(t_new.group("y"))) == pytest.approx(end, abs=0.01)
    # tick values untouched, in matplotlib's font
    assert new.count("DejaVu Sans") >= 3
    # a translation with a line too many or too few is refused, with the label named
    with pytest.raises(ValueError, match="has 1 lines, the figure's label 2"):
        figure_i18n.translate_svg(svg, {"conv 5×5\n+ ReLU": "畳み込み"})


def test_the_japanese_site_shows_the_translated_figures():
    pages = sorted((ROOT / "_build" / "html" / "ja" / "book").glob("*.html"))
    if not pages:
        pytest.skip("no Japanese site: bash tools/build_book_ja.sh")
    shown = english = 0
    problems = []
    for page in pages:
        for src in re.findall(r'<img[^>]+src="([^"]+\.svg)"', page.read_text(encoding="utf-8")):
            path = (page.parent / src).resolve()
            if not path.exists():
                problems.append((page.name, src, "missing"))
                continue
            svg = path.read_text(encoding="utf-8")
            shown += src.endswith(".ja.svg")
            left = english_left(svg)
            if left:
                english += 1
                problems.append((page.name, src, left[:3]))
    assert shown >= 57, f"only {shown} translated figures (.ja.svg) on the Japanese pages"
    assert not problems, f"{english} figures on the Japanese site keep English labels: {problems[:5]}"


# ---------------------------------------------------------------------------------------------
# the stored format: SVG from setup(), skipped by nbval, text outputs still compared

NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source":
            "import matplotlib.pyplot as plt\nimport cnnlib\nrng = cnnlib.notebook.setup(seed=0)"},
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source":
            "fig, ax = plt.subplots(figsize=(3, 2))\nax.plot(rng.random(5))\nax.set(title='training loss')\n"
            "plt.show()\nprint('done')"},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    path = tmp_path_factory.mktemp("svg") / "figure.ipynb"
    path.write_text(json.dumps(NOTEBOOK))
    runs = []
    for _ in range(2):
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                        str(path)], check=True, capture_output=True, cwd=ROOT)
        runs.append(path.read_text())
    first = runs[0]
    return path, first


def test_setup_makes_a_kernels_figures_svg_and_the_same_each_run(executed):
    path, first = executed
    figures = [json.loads(text)["cells"][1]["outputs"][0]["data"] for text in (first, path.read_text())]
    assert figures[0] == figures[1], "two runs stored different figures"
    data = figures[0]
    assert set(data) == {"image/svg+xml", "text/plain"}
    svg = "".join(data["image/svg+xml"])
    assert ">training loss</text>" in svg and "<dc:date>" not in svg


def _nbval(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tools.pytest_book", "--nbval", "--nbval-current-env", str(path),
         "-p", "no:cacheprovider", "-q"], capture_output=True, text=True, cwd=ROOT)


def test_nbval_skips_the_figure_markup_and_compares_the_text(executed, tmp_path):
    path, _ = executed
    nb = json.loads(path.read_text())
    nb["cells"][1]["outputs"][0]["data"]["image/svg+xml"] = "<svg>another machine's fonts</svg>"
    svg_changed = tmp_path / "svg_changed.ipynb"
    svg_changed.write_text(json.dumps(nb))
    result = _nbval(svg_changed)
    assert result.returncode == 0, result.stdout[-2000:]
    nb["cells"][1]["outputs"][1]["text"] = ["dome\n"]
    text_changed = tmp_path / "text_changed.ipynb"
    text_changed.write_text(json.dumps(nb))
    result = _nbval(text_changed)
    assert result.returncode != 0 and "dome" in result.stdout, result.stdout[-2000:]
