"""The words of the chapters' figures in the Japanese edition, from the one validated run.

The chapters' figures are stored in the notebooks as SVG with their words kept
as text (``cnnlib.notebook.setup()``: ``svg.fonttype: none``), by the run that
nbval checks.  The Japanese build does not run anything again: for each figure
of a page it reads that SVG, replaces every label that has a translation in
``locale/ja/LC_MESSAGES/figures.po`` (finished entries only: not fuzzy, not empty),
sets the translated labels in a font with Japanese glyphs, writes the result
beside the original as ``<name>.ja.svg`` and points the page's image at it.
Numbers, tick values and formulas are not labels and stay as they are; the
English build never calls this.  ``tools/figure_labels.py`` collects the labels
into the catalog; ``tests/book/test_figure_labels.py`` checks that every label
is translated and that no English word is left on a translated figure.

A label is one matplotlib ``Text`` artist: the ``<text>`` elements of one
``<g id="text_N">`` group, its lines joined with "\\n" (a translation keeps the
number of lines).  matplotlib writes a one-line label at its anchor point with an
SVG ``text-anchor`` (start, middle, end), so a translation of any width sits where
the English did.  A label of several lines (or a rotated one) is written line by
line at each line's left end, computed from the English width; such a label is
re-anchored here: its alignment is the one (left, centre, right) under which its
lines' ends line up, measured with matplotlib's DejaVu Sans, the font that drew
it.  A label with a formula (``$...$``, mathtext, drawn glyph by glyph) is a label
too if it has words outside the formula; its translation is plain text (write the
symbols as Unicode: η, ×, ²).  A text whose only words are names the Japanese text
keeps in English (KEPT_WORDS: LeNet, Adam, ReLU, ms, ...; layer names such as conv1)
is not a label.  Labels that differ only in numbers ("filter 3", "8 (true 3)") share
one catalog entry with fields ("filter {0}"; :func:`lookup`).

The layout follows the Japanese widths (IPA P Gothic, measured with matplotlib): a
legend entry wider than the English is set smaller (its frame was sized for the
English), and the figure's viewBox grows when a translated label reaches past its
edge.  tests/book/test_figure_labels.py checks on every stored figure that no two
texts overlap that did not in English and that no legend entry is still too wide.
"""

from __future__ import annotations

import functools
import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

CATALOG = "figures.po"

# The translated labels' font: the system's Japanese sans-serif (IPA P Gothic on the
# build machine: fonts-ipafont-gothic, installed by tools/install_chromium.sh, which
# the PDF embeds), else a reader's usual Japanese sans-serif.  Tick values keep
# matplotlib's DejaVu Sans.
JA_FONT_FAMILY = (
    "'IPAPGothic', 'IPAGothic', 'IPAexGothic', 'Noto Sans CJK JP', 'Noto Sans JP', "
    "'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic', 'YuGothic', 'Meiryo', sans-serif"
)

MEASURE_FONT = "IPAPGothic"  # the first of JA_FONT_FAMILY: the widths the layout checks use
# Legend entries sit in a frame sized for the English: a wider translation is set smaller, down to
# this share of its size (tests/book/test_figure_labels.py reports one that still does not fit).
LEGEND_MIN_SCALE = 0.7

# a word: two ASCII letters in a row ("x", "W" or "e" alone are symbols, not words)
WORD = re.compile(r"[A-Za-z]{2,}")
_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
# Words a Japanese figure shows in English, as the Japanese prose does: names of models,
# datasets, optimizers, methods and library functions, code, symbols and units.  A text
# whose words are all of these (or layer names such as conv1, dense3, relu2) is not a label.
KEPT_WORDS = frozenset({
    "LeNet", "AlexNet", "VGG", "ResNet", "MNIST", "CIFAR", "Keras", "ReLU", "SGD", "Adam", "AdaGrad", "RMSprop",
    "Adadelta", "Momentum", "Nesterov", "He", "Xavier", "GAP", "FGSM", "Grad", "CAM", "Sobel", "NCHW", "NHWC",
    "im2col", "col2im", "ceil", "same", "valid", "Conv2D", "Dense", "MaxPooling2D", "BatchNormalization",
    "TensorFlow", "Chainer", "numpy", "cnnlib", "nbval", "col", "ones", "ln", "log", "lr", "dL", "db", "dW", "dx", "dout",
    "ms", "px", "MB", "KB", "GB", "CPU", "GPU", "RGB", "BN", "OH", "OW", "FH", "FW", "FN", "Max", "Average",
})
_IDENTIFIER = re.compile(r"[A-Za-z]+\d+|[A-Za-z]+(?:_[A-Za-z0-9]+)+|\w+(?:\.\w+)+")
_PATH = re.compile(r"(?:[A-Za-z0-9_.-]+/)+[A-Za-z0-9_-]+\.[a-z]+")  # a file's path: tools/full_data.py
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def english_words(text: str) -> list[str]:
    """The words of ``text`` (outside formulas) a Japanese figure must not show:
    every word of two letters or more but KEPT_WORDS and identifiers (conv1, relu2, x_train, cnnlib.train)."""
    text = _PATH.sub("", _MATH.sub("", text))
    return [w for w in _TOKEN.findall(text)
            if WORD.search(w) and w not in KEPT_WORDS and not _IDENTIFIER.fullmatch(w)]
_GROUP_OPEN = re.compile(r'<g id="(text_\d+)">')
_LEGEND_OPEN = re.compile(r'<g id="legend_\d+">')
_TICK_OPEN = re.compile(r'<g id="[xy]tick_\d+">')
_TICK_MARK = re.compile(r'<use xlink:href="#[^"]+" x="(?P<x>[-\d.e]+)" y="(?P<y>[-\d.e]+)"')
_TAG = re.compile(r"<g[\s>]|</g>")
_PLAIN_TEXT = re.compile(r'<text (?P<attrs>[^>]*)>(?P<content>[^<]*)</text>')
_MATHTEXT = re.compile(
    r'<!-- (?P<source>.*?) -->\s*<g transform="translate\((?P<x>[-\d.e]+) (?P<y>[-\d.e]+)\)">\s*'
    r'<text>(?P<glyphs>.*?)</text>\s*</g>', re.S)
_TSPAN = re.compile(r'<tspan x="(?P<x>[-\d.e]+)" y="(?P<y>[-\d.e]+)" style="(?P<style>[^"]*)">(?P<c>[^<]*)</tspan>')
_ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
_FONT_FAMILY = re.compile(r"font-family:[^;\"]*")
_FONT_SIZE = re.compile(r"font-size:\s*([\d.]+)px")
_TRANSFORM = re.compile(r"translate\((?P<x>[-\d.e]+) (?P<y>[-\d.e]+)\)(?: rotate\((?P<r>[-\d.e]+)\))?")


def is_label(text: str) -> bool:
    """Has English words outside any formula and the kept names: ``"training loss"``, ``"filter 0"``
    yes; ``"0.5"``, ``"152.44 ms"``, ``"conv1"``, ``"Adam"``, ``"$y_{0,0}$ = 15"`` no."""
    return bool(english_words(text))


@dataclass
class Line:
    attrs: dict
    text: str
    span: tuple  # (start, end) of the <text> element in the group's markup


@dataclass
class Label:
    """One ``<g id="text_N">`` group of an SVG: its text, and where it sits in the file."""

    text: str  # lines joined with "\n"; for mathtext, its source
    start: int  # the group's content in the SVG markup: svg[start:end]
    end: int
    lines: list = field(default_factory=list)
    math: re.Match | None = None
    in_legend: bool = False
    tick: tuple | None = None  # (x, y) of its tick mark, for a tick label


def _group_end(svg: str, pos: int) -> int:
    """Index of the ``</g>`` that closes the group opened just before ``pos``."""
    depth = 1
    for m in _TAG.finditer(svg, pos):
        depth += 1 if m.group().startswith("<g") else -1
        if depth == 0:
            return m.start()
    raise ValueError("an SVG <g> group is not closed")


def labels(svg: str) -> list[Label]:
    """Every text group of a matplotlib SVG, in document order (words or not)."""
    found = []
    legends = [(m.end(), _group_end(svg, m.end())) for m in _LEGEND_OPEN.finditer(svg)]
    ticks = []
    for m in _TICK_OPEN.finditer(svg):
        end = _group_end(svg, m.end())
        mark = _TICK_MARK.search(svg, m.end(), end)
        if mark:
            ticks.append((m.end(), end, (float(mark.group("x")), float(mark.group("y")))))
    for g in _GROUP_OPEN.finditer(svg):
        start, end = g.end(), _group_end(svg, g.end())
        body = svg[start:end]
        in_legend = any(a <= start < b for a, b in legends)
        tick = next((t for a, b, t in ticks if a <= start < b), None)
        math_match = _MATHTEXT.search(body)
        if math_match:
            found.append(Label(html.unescape(math_match.group("source")), start, end, math=math_match,
                               in_legend=in_legend))
            continue
        lines = [Line(dict(_ATTR.findall(m.group("attrs"))), html.unescape(m.group("content")), m.span())
                 for m in _PLAIN_TEXT.finditer(body)]
        if lines:
            found.append(Label("\n".join(line.text for line in lines), start, end, lines=lines,
                               in_legend=in_legend, tick=tick))
    return found


def label_texts(svg: str) -> list[str]:
    """The labels (texts with words) of an SVG, in document order, each once."""
    seen = []
    for label in labels(svg):
        if is_label(label.text) and label.text not in seen:
            seen.append(label.text)
    return seen


@functools.lru_cache(maxsize=None)
def _width(text: str, size: float, family: str = "DejaVu Sans") -> float:
    """Width of ``text`` in ``family`` at ``size`` (the SVG's units), as matplotlib measures it;
    DejaVu Sans is the font that drew the English."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    return text_to_path.get_text_width_height_descent(
        text, FontProperties(family=[family], size=size), ismath=False)[0]


@functools.lru_cache(maxsize=None)
def _has_font(family: str) -> bool:
    from matplotlib.font_manager import FontProperties, findfont

    try:
        findfont(FontProperties(family=family), fallback_to_default=False)
        return True
    except ValueError:
        return False


def ja_width(text: str, size: float) -> float:
    """Width of a translated line in the Japanese font (IPA P Gothic; without it, one em per
    full-width character and DejaVu widths for the rest)."""
    if _has_font(MEASURE_FONT):
        return _width(text, size, MEASURE_FONT)
    wide = sum(1 for c in text if ord(c) > 0x2E80)
    return wide * size + _width("".join(c for c in text if ord(c) <= 0x2E80), size)


def _style_with(style: str, anchor: str | None = None) -> str:
    """``style`` with the Japanese font family (and a text-anchor, when given)."""
    style = _FONT_FAMILY.sub(f"font-family: {JA_FONT_FAMILY}", style)
    if anchor:
        style = re.sub(r";?\s*text-anchor:\s*\w+", "", style) + f"; text-anchor: {anchor}"
    return style


def _fmt(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".")


def _translated_lines(label: Label, new_lines: list[str]) -> list[tuple[tuple[int, int], str]]:
    """Each line's span in the group's markup and its new ``<text>`` (anchored, in the Japanese font)."""
    body_parts = []
    placed = [line for line in label.lines if "transform" in line.attrs and "x" not in line.attrs]
    fraction, anchor = 0.0, None
    if placed:  # drawn from its left end: find the alignment under which the English lines line up
        geometry = []
        for line in placed:
            t = _TRANSFORM.fullmatch(line.attrs["transform"].strip())
            size = float(_FONT_SIZE.search(line.attrs.get("style", "")).group(1))
            r = math.radians(float(t.group("r") or 0))
            x, y, w = float(t.group("x")), float(t.group("y")), _width(line.text, size)
            along = x * math.cos(r) + y * math.sin(r)  # position along the text's direction
            geometry.append((x, y, r, w, along))
        if len(geometry) > 1:
            spread = {f: max(g[4] + f * g[3] for g in geometry) - min(g[4] + f * g[3] for g in geometry)
                      for f in (0.0, 0.5, 1.0)}
            fraction = min(spread, key=spread.get)
        elif label.tick:  # a turned tick label: it hangs from its tick by the end nearer to it
            x, y, r, w, _ = geometry[0]
            tx, ty = label.tick
            near_end = math.dist((x + w * math.cos(r), y + w * math.sin(r)), (tx, ty)) < math.dist((x, y), (tx, ty))
            fraction = 1.0 if near_end else 0.0
        anchor = {0.0: "start", 0.5: "middle", 1.0: "end"}[fraction]
    geometry_of = dict(zip((id(line) for line in placed), geometry)) if placed else {}
    for line, new in zip(label.lines, new_lines):
        attrs = dict(line.attrs)
        if id(line) in geometry_of:
            x, y, r, w, _ = geometry_of[id(line)]
            ax, ay = x + fraction * w * math.cos(r), y + fraction * w * math.sin(r)
            rotate = f" rotate({_fmt(math.degrees(r))})" if r else ""
            attrs["transform"] = f"translate({_fmt(ax)} {_fmt(ay)}){rotate}"
            attrs["style"] = _style_with(attrs.get("style", ""), anchor)
        else:
            attrs["style"] = _style_with(attrs.get("style", ""))
        if label.in_legend:
            size = float(_FONT_SIZE.search(attrs["style"]).group(1))
            english, japanese = _width(line.text, size), ja_width(new, size)
            if japanese > english:
                smaller = max(LEGEND_MIN_SCALE * size, size * english / japanese)
                attrs["style"] = _FONT_SIZE.sub(f"font-size: {_fmt(smaller)}px", attrs["style"])
        rendered = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        body_parts.append((line.span, f"<text {rendered}>{html.escape(new, quote=False)}</text>"))
    return body_parts


def translate_svg(svg: str, translations: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """``svg`` with every label that has a translation translated.

    Returns the new markup, the labels translated and the labels (texts with
    words) that had no translation, each in document order.
    """
    done, missing, pieces, pos = [], [], [], 0
    for label in labels(svg):
        if not is_label(label.text):
            continue
        new = lookup(translations, label.text)
        if not new:
            missing.append(label.text)
            continue
        body = svg[label.start:label.end]
        if label.math:
            m = label.math
            tspans = list(_TSPAN.finditer(m.group("glyphs")))
            style = tspans[0].group("style") if tspans else "font-size: 10px; font-family: 'DejaVu Sans'"
            style = re.sub(r"font-style:\s*\w+;\s*", "", style)
            y = tspans[0].group("y") if tspans else "0"
            text = (f'<text style="{_style_with(style)}" x="0" y="{y}">'
                    f"{html.escape(new.replace(chr(10), ' '), quote=False)}</text>")
            body = body[:m.start("glyphs") - len("<text>")] + text + body[m.end("glyphs") + len("</text>"):]
        else:
            new_lines = new.split("\n")
            if len(new_lines) != len(label.lines):
                raise ValueError(f"the translation of {label.text!r} has {len(new_lines)} lines, "
                                 f"the figure's label {len(label.lines)}: give it as many lines")
            replaced, last = [], 0
            for (s, e), markup in _translated_lines(label, new_lines):
                replaced.append(body[last:s] + markup)
                last = e
            body = "".join(replaced) + body[last:]
        pieces.append(svg[pos:label.start] + body)
        pos = label.end
        done.append(label.text)
    pieces.append(svg[pos:])
    new_svg = "".join(pieces)
    return (fit_viewbox(new_svg) if done else new_svg), done, missing


_ROTATE = re.compile(r"rotate\((?P<r>[-\d.e]+)(?: [-\d.e]+ [-\d.e]+)?\)")
_VIEWBOX = re.compile(r'<svg [^>]*?width="(?P<w>[\d.]+)pt" height="(?P<h>[\d.]+)pt" '
                      r'viewBox="(?P<x>[-\d.]+) (?P<y>[-\d.]+) (?P<vw>[\d.]+) (?P<vh>[\d.]+)"')


@dataclass
class Box:
    """A text's rectangle (turned with the text): its corners, and their bounding box."""

    text: str
    translated: bool  # set in the Japanese font
    x0: float
    y0: float
    x1: float
    y1: float
    in_legend: bool = False
    corners: tuple = ()

    def overlap(self, other: "Box") -> float:
        """How deep the two rectangles overlap (the separating-axis test's smallest
        penetration, in the SVG's units); 0 when they do not touch."""
        depth = math.inf
        for box in (self, other):
            for (ax, ay), (bx, by) in zip(box.corners, box.corners[1:] + box.corners[:1]):
                nx, ny = by - ay, ax - bx
                norm = math.hypot(nx, ny) or 1.0
                p = [(x * nx + y * ny) / norm for x, y in self.corners]
                q = [(x * nx + y * ny) / norm for x, y in other.corners]
                depth = min(depth, min(max(p), max(q)) - max(min(p), min(q)))
                if depth <= 0:
                    return 0.0
        return depth


def text_boxes(svg: str) -> list[Box]:
    """The box each one-line ``<text>`` of a matplotlib SVG covers (its font's width, 0.8 em
    above the baseline and 0.2 em below, turned with the text), in the SVG's units.
    Formulas (mathtext) are left out."""
    boxes = []
    for label in labels(svg):
        for line in label.lines:
            a = line.attrs
            style = a.get("style", "")
            size_match = _FONT_SIZE.search(style)
            if not size_match:
                continue
            size = float(size_match.group(1))
            translated = MEASURE_FONT in style
            w = ja_width(line.text, size) if translated else _width(line.text, size)
            anchor = re.search(r"text-anchor:\s*(\w+)", style)
            f = {"start": 0.0, "middle": 0.5, "end": 1.0}[anchor.group(1) if anchor else "start"]
            transform = a.get("transform", "")
            if "x" in a:
                x, y = float(a["x"]), float(a["y"])
                r = _ROTATE.search(transform)
                theta = float(r.group("r")) if r else 0.0
            else:
                t = _TRANSFORM.search(transform)
                x, y, theta = float(t.group("x")), float(t.group("y")), float(t.group("r") or 0)
            c, s_ = math.cos(math.radians(theta)), math.sin(math.radians(theta))
            corners = tuple((x + u * c - v * s_, y + u * s_ + v * c)  # in order around the rectangle
                            for u, v in ((-f * w, -0.8 * size), ((1 - f) * w, -0.8 * size),
                                         ((1 - f) * w, 0.2 * size), (-f * w, 0.2 * size)))
            xs, ys = [p[0] for p in corners], [p[1] for p in corners]
            boxes.append(Box(line.text, translated, min(xs), min(ys), max(xs), max(ys), label.in_legend, corners))
    return boxes


def fit_viewbox(svg: str, margin: float = 2.0) -> str:
    """``svg`` with its viewBox (and size) grown to hold every translated text, when one
    reaches past it (a translation wider than the English at the figure's edge)."""
    m = _VIEWBOX.search(svg)
    if not m:
        return svg
    x0, y0 = float(m.group("x")), float(m.group("y"))
    x1, y1 = x0 + float(m.group("vw")), y0 + float(m.group("vh"))
    boxes = [b for b in text_boxes(svg) if b.translated]
    nx0 = min([x0] + [b.x0 - margin for b in boxes])
    ny0 = min([y0] + [b.y0 - margin for b in boxes])
    nx1 = max([x1] + [b.x1 + margin for b in boxes])
    ny1 = max([y1] + [b.y1 + margin for b in boxes])
    if (nx0, ny0, nx1, ny1) == (x0, y0, x1, y1):
        return svg
    scale_w, scale_h = float(m.group("w")) / (x1 - x0), float(m.group("h")) / (y1 - y0)
    head = m.group(0)
    new_head = (head.replace(f'width="{m.group("w")}pt"', f'width="{_fmt((nx1 - nx0) * scale_w)}pt"')
                .replace(f'height="{m.group("h")}pt"', f'height="{_fmt((ny1 - ny0) * scale_h)}pt"')
                .replace(f'viewBox="{m.group("x")} {m.group("y")} {m.group("vw")} {m.group("vh")}"',
                         f'viewBox="{_fmt(nx0)} {_fmt(ny0)} {_fmt(nx1 - nx0)} {_fmt(ny1 - ny0)}"'))
    return svg[:m.start()] + new_head + svg[m.end():]


# A catalog entry may stand for a family of labels that differ only in numbers: its msgid has
# {0}, {1}, ... where each label has a number ("{0} (true {1})" for "8 (true 3)"), its msgstr
# the same fields ("{0}（正解は{1}）"); tools/figure_labels.py's TEMPLATES lists them.
_FIELD = re.compile(r"\{(\d)\}")
_NUMBER = r"[-+−]?\d[\d,.]*"


@functools.lru_cache(maxsize=None)
def template_regex(msgid: str):
    """The labels a template msgid stands for, as a regex; None for a plain msgid."""
    parts = _FIELD.split(msgid)
    if len(parts) == 1:
        return None
    pattern = "".join(re.escape(part) if k % 2 == 0 else f"(?P<f{part}>{_NUMBER})" for k, part in enumerate(parts))
    return re.compile(pattern)


def lookup(translations: dict[str, str], text: str) -> str | None:
    """The translation of a label: its own entry, else a template's with the label's numbers."""
    if text in translations:
        return translations[text]
    for msgid, msgstr in translations.items():
        regex = template_regex(msgid)
        m = regex.fullmatch(text) if regex else None
        if m:
            return _FIELD.sub(lambda f: m.group(f"f{f.group(1)}"), msgstr)
    return None


def load_translations(po_path: Path) -> dict[str, str]:
    """English label -> translation, for the finished (not fuzzy, not empty) entries of ``po_path``."""
    from babel.messages.pofile import read_po

    if not po_path.exists():
        return {}
    with po_path.open("rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


# --------------------------------------------------------------------------
# Sphinx: the Japanese build (any language but English) swaps each figure of a
# notebook page for its translated copy, before Sphinx collects the page's images.


def _catalog_paths(app) -> list[Path]:
    return [Path(app.srcdir, folder, app.config.language, "LC_MESSAGES", CATALOG)
            for folder in app.config.locale_dirs]


def _translations(app) -> dict[str, str]:
    if not hasattr(app, "_book_figure_translations"):
        translations = {}
        for path in _catalog_paths(app):
            translations.update(load_translations(path))
        app._book_figure_translations = translations
    return app._book_figure_translations


def _is_translated_build(app) -> bool:
    return not (app.config.language or "en").startswith("en")


def _translate_figures(app, doctree):
    """doctree-read, before Sphinx's image collector: each notebook SVG -> its ``.ja.svg``."""
    from docutils import nodes
    from sphinx.util import logging

    if not _is_translated_build(app):
        return
    logger = logging.getLogger(__name__)
    language = app.config.language
    docname = app.env.docname
    stats = app.env.__dict__.setdefault("book_figure_stats", {})
    figures = labels_done = 0
    missing = []
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if not uri.endswith(".svg") or uri.endswith(f".{language}.svg"):
            continue
        rel, path = app.env.relfn2path(uri, docname)
        path = Path(path)
        if not path.exists() or "jupyter_execute" not in path.parts:
            continue  # only the notebooks' outputs (myst-nb writes them there)
        svg = path.read_text(encoding="utf-8")
        try:
            new, done, left = translate_svg(svg, _translations(app))
        except ValueError as e:
            logger.warning(f"figure_i18n: {e}", location=docname)
            continue
        figures += 1
        labels_done += len(done)
        missing += left
        if not done:
            continue
        target = path.with_name(f"{path.stem}.{language}.svg")
        if not target.exists() or target.read_text(encoding="utf-8") != new:
            target.write_text(new, encoding="utf-8")
        image["uri"] = uri[: -len(".svg")] + f".{language}.svg"
    stats[docname] = (figures, labels_done, missing)


def _report(app, exception):
    from sphinx.util import logging

    if exception or not _is_translated_build(app):
        return
    stats = getattr(app.env, "book_figure_stats", {})
    figures = sum(s[0] for s in stats.values())
    done = sum(s[1] for s in stats.values())
    missing = sorted({m for s in stats.values() for m in s[2]})
    logging.getLogger(__name__).info(
        f"figure_i18n: {figures} figures, {done} labels translated, {len(missing)} labels without a translation"
        + (f" (run tools/update_translations.py and translate them in {CATALOG}): {missing[:5]}" if missing else ""))


def _catalog_changed(app, env, added, changed, removed):
    """Re-read every page when figures.po changed since the last build (an incremental
    build would otherwise keep the old figures of the pages it does not read again)."""
    if not _is_translated_build(app):
        return []
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in _catalog_paths(app))
    if getattr(env, "book_figure_catalog_stamp", None) == stamp:
        return []
    env.book_figure_catalog_stamp = stamp
    return sorted(env.found_docs - set(added) - set(changed))


def _purge(app, env, docname):
    getattr(env, "book_figure_stats", {}).pop(docname, None)


def _merge(app, env, docnames, other):
    env.__dict__.setdefault("book_figure_stats", {}).update(
        {d: s for d, s in getattr(other, "book_figure_stats", {}).items() if d in docnames})


def setup(app):
    # priority 400: before Sphinx's ImageCollector (500), which copies the file the node names
    app.connect("doctree-read", _translate_figures, priority=400)
    app.connect("env-get-outdated", _catalog_changed)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("build-finished", _report)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
