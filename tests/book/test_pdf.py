"""The PDFs of the book, the English _build/pdf/book.pdf and the Japanese _build/pdf/book-ja.pdf
(both written by tools/build_pdf.sh), read back with poppler-utils (pdftotext, pdfinfo, pdfimages,
pdffonts, pdftohtml).  Every test runs on both editions: every chapter's title (the Japanese one
from its catalog), formulas rendered by MathJax (no TeX left in the text), the figures, a sane
number of pages, every training log line of the stored outputs complete (not clipped at the
page's edge nor hidden in a scroll box), and the link to the PDF on every page of its site.  The
Japanese PDF also: its paragraphs are the catalogs' Japanese text, extractable as text; a real
Japanese font is embedded and sets every Japanese character (no tofu: no glyph missing).
Skips, saying why, when a PDF was not built (or is older than its sources) or poppler-utils is
missing.  BOOK_PDF / BOOK_PDF_JA: check another file as the English / Japanese PDF."""

import html
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
CATALOGS = ROOT / "locale" / "ja" / "LC_MESSAGES"
# edition -> (the PDF, its environment override, its site, the PDF's name in that site's root)
EDITIONS = {
    "en": (ROOT / "_build" / "pdf" / "book.pdf", "BOOK_PDF", SITE, "book.pdf"),
    "ja": (ROOT / "_build" / "pdf" / "book-ja.pdf", "BOOK_PDF_JA", SITE / "ja", "book-ja.pdf"),
}
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell", "hide-output"}
LOG_LINE = re.compile(r"^\s*(?:epoch\s+\d+\s*/\s*\d+\b.*|\d+/\d+ - \d+s - .*loss.*)$", re.IGNORECASE)
# Hiragana, katakana, CJK ideographs, CJK punctuation and full-width forms
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# Font families that set Japanese (the build uses fonts-ipafont-gothic, tools/install_chromium.sh)
JAPANESE_FONT = re.compile(
    r"IPA|Noto\w*CJK|Noto\w*JP|SourceHan|Source Han|Takao|VL-?P?Gothic|Hiragino|YuGothic|YuMincho|Meiryo|MS-?P?Gothic|MS-?P?Mincho|UDEV|WenQuanYi|Droid\w*Fallback",
    re.IGNORECASE,
)


def _pdf_path(lang):
    path, env, _, _ = EDITIONS[lang]
    return Path(os.environ.get(env) or path)


def _stale(lang):
    """The chapters, pages or (Japanese) catalogs changed since the PDF was printed (an old PDF
    is not this book's)."""
    pdf = _pdf_path(lang)
    if not pdf.is_file() or EDITIONS[lang][1] in os.environ:
        return []
    sources = list((ROOT / "book").glob("*.ipynb")) + list((ROOT / "book").glob("*.md"))
    sources += [ROOT / "_toc.yml", ROOT / "_static" / "custom.css"]
    if lang == "ja":
        sources += list(CATALOGS.rglob("*.po"))
    return [p.name for p in sources if p.is_file() and p.stat().st_mtime > pdf.stat().st_mtime]


pytestmark = [
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdfimages", "pdffonts", "pdftohtml")),
        reason="poppler-utils (pdftotext, pdfinfo, pdfimages, pdffonts, pdftohtml) not installed: apt-get install poppler-utils",
    ),
]


@pytest.fixture(scope="module", params=sorted(EDITIONS))
def edition(request):
    """"en" or "ja"; skips when that PDF was not built or is older than its sources."""
    lang = request.param
    pdf = _pdf_path(lang)
    if not pdf.is_file():
        pytest.skip(f"{pdf} not built: run bash tools/build_pdf.sh --lang {lang}")
    stale = _stale(lang)
    if stale:
        pytest.skip(f"{pdf} is older than {stale[:3]}: run bash tools/build_pdf.sh --lang {lang}")
    return lang


@pytest.fixture(scope="module")
def pdf(edition):
    return _pdf_path(edition)


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def _source(name):
    for suffix in (".ipynb", ".md"):
        if (ROOT / (name + suffix)).is_file():
            return ROOT / (name + suffix)
    raise FileNotFoundError(name)


def _title_source(path):
    """The page's `# title` line, as written (the message its catalog translates)."""
    if path.suffix == ".ipynb":
        lines = [l for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown" for l in c.source.splitlines()]
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
    return next(l[2:].strip() for l in lines if l.startswith("# "))


def _catalog(name):
    """The Japanese catalog of a page (book/02_convolution -> locale/ja/.../book/02_convolution.po):
    {English: Japanese} of its translated messages (not fuzzy, as the build uses them)."""
    po = CATALOGS / f"{name}.po"
    if not po.is_file():
        return {}
    with po.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def _title(name, lang="en"):
    """The page's title as printed: the English heading, or its translation on a Japanese page
    (the English one where the catalog has none, as the Japanese build shows it)."""
    title = _title_source(_source(name))
    if lang == "ja":
        title = _catalog(name).get(title) or title
    return re.sub(r"[`*_]", "", title)


def _shown_outputs(path):
    """The outputs of the cells the website and the PDF show."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and not HIDDEN_OUTPUT_TAGS & set(cell.metadata.get("tags", [])):
            yield from cell.get("outputs", [])


def _squash(text):
    """Unicode-normalised, without any whitespace (a line wrapped by the printer still matches),
    measured values masked (losses, accuracies, timings: a chapter re-run between the build and
    this test changes them, not the shape of its log)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\d+\.\d+", "#", text)
    text = re.sub(r"\b\d+(?:ms|s)\b", "#s", text)
    text = re.sub(r"[^\S\n]+", "", text)  # line ends stay, as one "\n"
    return re.sub(r"\n+", "\n", text).strip("\n")


def _no_space(text):
    """Unicode-normalised, without any whitespace: Japanese has no spaces, so the printer
    breaks its lines between any two characters."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _run(*command, timeout=120):
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=timeout).stdout


@pytest.fixture(scope="module")
def pdf_text(pdf):
    return _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")


@pytest.fixture(scope="module")
def pdf_layout_text(pdf):
    """The text line by line as printed (plain pdftotext reads a log's aligned fields as columns)."""
    return _run("pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-")


def test_every_chapter_title_is_in_the_pdf(edition, pdf_text):
    if edition == "ja":
        text = _no_space(pdf_text)
        missing = [title for title in (_title(f, "ja") for f in _toc_files()) if _no_space(title) not in text]
    else:
        text = " ".join(unicodedata.normalize("NFKC", pdf_text).split())
        missing = [title for title in (_title(f) for f in _toc_files()) if " ".join(title.split()) not in text]
    assert not missing, f"titles missing from the {edition} PDF: {missing}"


def test_formulas_are_rendered(edition, pdf_text):
    for raw in (r"\(", r"\)", "$$", r"\begin{", r"\frac"):
        at = pdf_text.find(raw)
        assert at < 0, f"raw TeX {raw!r} in the {edition} PDF (MathJax did not render): ...{pdf_text[max(0, at - 80):at + 80]}..."


def _figure_outputs():
    """The data of every figure the chapters show (PNG or JPEG, or SVG: cnnlib.notebook.setup()
    stores the figures as SVG with their words as text)."""
    return [
        out["data"]
        for f in _toc_files()
        if _source(f).suffix == ".ipynb"
        for out in _shown_outputs(_source(f))
        if {"image/png", "image/jpeg", "image/svg+xml"} & set(out.get("data", {}))
    ]


def _figure_translations():
    """{English label: Japanese} of the figures' catalog (tools/sphinx/figure_i18n.py), finished entries."""
    po = CATALOGS / "figures.po"
    if not po.is_file():
        return {}
    with po.open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def _label_lines(svg, translations):
    """The lines of a SVG figure's labels as the edition prints them (the Japanese build sets a
    label's translation in its place), without the labels with a formula (drawn glyph by glyph)."""
    sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
    try:
        from figure_i18n import label_texts, lookup  # the build's own rules (template msgids: "filter {0}")
    finally:
        sys.path.pop(0)
    lines = []
    for label in label_texts(svg):
        text = lookup(translations, label) or label
        if "$" not in text:
            lines += [line for line in text.split("\n") if line.strip()]
    return lines


def test_figures_are_in_the_pdf(edition, pdf, pdf_text):
    """Every figure is printed: a raster figure (PNG, or a SVG with an embedded image, e.g. imshow)
    is one more image in the PDF; a SVG figure's words (in the Japanese PDF, their translations)
    are in the PDF's text, as text."""
    figures = _figure_outputs()
    assert len(figures) > 20, f"only {len(figures)} figures in the chapters"
    listing = _run("pdfimages", "-list", str(pdf))
    images = sum(1 for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"])
    rasters = sum(1 for data in figures if {"image/png", "image/jpeg"} & set(data) or "<image" in data.get("image/svg+xml", ""))
    assert images >= rasters, f"{images} images in the {edition} PDF, but the chapters show {rasters} raster figures"
    translations = _figure_translations() if edition == "ja" else {}
    text = _no_space(pdf_text)
    svgs = [data["image/svg+xml"] for data in figures if "image/svg+xml" in data and not {"image/png", "image/jpeg"} & set(data)]
    missing = {}
    for number, svg in enumerate(svgs):
        lines = _label_lines(svg, translations)
        absent = [line for line in lines if _no_space(line) not in text]
        if absent:
            missing[number] = absent
    assert not missing, f"{edition} PDF: words of {len(missing)} of {len(svgs)} SVG figures not in its text (figure: words): {dict(list(missing.items())[:5])}"


def test_page_count_is_sane(edition, pdf):
    pages = int(re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", str(pdf), timeout=60), re.MULTILINE).group(1))
    assert 100 <= pages <= 1500, f"{pages} pages in the {edition} PDF"


def test_every_training_log_line_is_complete(edition, pdf_layout_text):
    """Each epoch line of the stored outputs (scratch `epoch N/M  loss ...  (N s)`, Keras
    `Epoch N/M` and its `N/N - Ns - ... loss: ...` line) appears whole in the PDF, as often as
    the chapters print it: a line cut at the page's right edge, or lost in a box that scrolls
    on screen, would be missing."""
    want = Counter()
    for f in _toc_files():
        if _source(f).suffix != ".ipynb":
            continue
        for out in _shown_outputs(_source(f)):
            if out.get("output_type") == "stream":
                want.update(_squash(l) for l in out.get("text", "").splitlines() if LOG_LINE.match(l))
    assert sum(want.values()) > 100, "expected the chapters' training logs"
    squashed = _squash(pdf_layout_text)
    short = {}
    for line, n in want.items():
        # the printer may wrap a long line anywhere (a line end between any two characters);
        # not followed by a digit: "Epoch1/2" must not count inside "Epoch1/25"
        pattern = "\n?".join(re.escape(ch) for ch in line) + r"(?!\d)"
        found = len(re.findall(pattern, squashed))
        if found < n:
            short[line] = (found, n)
    assert not short, f"training log lines cut or missing in the {edition} PDF (found, expected): {dict(list(short.items())[:10])}"


def test_every_page_links_the_pdf(edition, pdf):
    """The footer of every page of the edition's site (built by tools/build_book.sh: the chapters in
    book/ and the root's search and index pages) links its PDF, and the link leads to the PDF that
    tools/build_pdf.sh copied into the site (a redirect page, e.g. index.html, has no footer)."""
    site, name = EDITIONS[edition][2], EDITIONS[edition][3]
    pages = sorted((site / "book").glob("*.html"))
    if not pages:
        pytest.skip(f"the {edition} site is not built ({site / 'book'}): run bash tools/build_book.sh")
    pages += [p for p in sorted(site.glob("*.html")) if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8").lower()]
    target = (SITE / name).resolve()  # both PDFs sit at the root of the English site
    wrong = {}
    for page in pages:
        links = re.findall(r'<a [^>]*href="([^"]*\.pdf)"', page.read_text(encoding="utf-8"))
        if not any((page.parent / link).resolve() == target for link in links):
            wrong[str(page.relative_to(site))] = links
    assert not wrong, f"{edition} pages without a link to {target.relative_to(ROOT)} (their .pdf links): {dict(list(wrong.items())[:5])}"
    assert target.is_file(), f"{target.relative_to(ROOT)} missing: tools/build_pdf.sh copies it there after the site is built"
    assert target.stat().st_size == pdf.stat().st_size, f"{target.relative_to(ROOT)} is not the PDF just built ({pdf})"


# --- the Japanese PDF only ---------------------------------------------------------------

MARKUP = re.compile(r"[`*_\[\]{}$<>\\|#]")


def _page_source_lines(name):
    path = _source(name)
    if path.suffix == ".ipynb":
        return [l for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown" for l in c.source.splitlines()]
    return path.read_text(encoding="utf-8").splitlines()


def _prose_messages():
    """(page, English, Japanese) of every translated message of plain prose, at least 20
    characters of Japanese: no markup, glue or math (whose printed text differs from the
    catalog's), not a heading (its section number and fonts reorder pdftotext's reading), not a
    table cell (pdftotext reads a table's columns side by side), not a directive's option
    (a figure's alt text is not printed)."""
    out = []
    for name in _toc_files():
        catalog = _catalog(name)
        skipped = " ".join(
            " ".join(l.split()) for l in _page_source_lines(name) if l.lstrip().startswith(("|", "#", ":"))
        )
        for english, japanese in catalog.items():
            english = " ".join(english.split())
            if MARKUP.search(english) or MARKUP.search(japanese) or len(japanese) < 20:
                continue
            if english in skipped:
                continue
            out.append((name, english, japanese))
    return out


@pytest.fixture(scope="module")
def ja(edition):
    if edition != "ja":
        pytest.skip("a check of the Japanese PDF")


def test_japanese_text_is_extractable(ja, pdf_text):
    """Every translated paragraph of plain prose is in the PDF as Japanese text, as the catalog
    has it, and its English original is not (the PDF is the Japanese edition)."""
    messages = _prose_messages()
    assert len(messages) > 100, f"only {len(messages)} plain translated paragraphs found in the catalogs"
    text = _no_space(pdf_text)
    missing = [(name, japanese[:40]) for name, _, japanese in messages if _no_space(japanese) not in text]
    assert not missing, f"{len(missing)} of {len(messages)} Japanese paragraphs not found in the PDF's text: {missing[:5]}"
    english_text = " ".join(unicodedata.normalize("NFKC", pdf_text).split())
    english = [(name, en[:40]) for name, en, _ in messages if len(en) >= 40 and en in english_text]
    assert not english, f"English originals of translated paragraphs in the Japanese PDF: {english[:5]}"
    assert len(JAPANESE.findall(pdf_text)) > 50_000


def _fonts(pdf):
    """(name without its subset prefix, type, embedded) of every font of the PDF (pdffonts)."""
    rows = []
    for line in _run("pdffonts", str(pdf)).splitlines()[2:]:
        match = re.match(r"^(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line)
        assert match, f"unexpected pdffonts line: {line!r}"
        rows.append((re.sub(r"^[A-Z]{6}\+", "", match[1]), match[2], match[4] == "yes"))
    return rows


def test_a_japanese_font_is_embedded(ja, pdf):
    fonts = _fonts(pdf)
    japanese = [(name, kind) for name, kind, embedded in fonts if embedded and JAPANESE_FONT.search(name)]
    assert japanese, f"no Japanese font embedded in the PDF (pdffonts: {sorted({f[0] for f in fonts})}); install fonts-ipafont-gothic"


@pytest.fixture(scope="module")
def drawn_runs(pdf):
    """(font family, text) of every text run the PDF draws with a glyph (pdftohtml -xml): a
    character set in a font without its glyph is drawn as the empty box (.notdef) and left out
    here, while pdftotext still extracts it (from the font's ToUnicode map)."""
    xml = _run("pdftohtml", "-xml", "-i", "-q", "-stdout", str(pdf), timeout=300)
    families = dict(re.findall(r'<fontspec id="(\d+)"[^>]*family="([^"]*)"', xml))
    runs = []
    for font, text in re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml, re.DOTALL):
        runs.append((re.sub(r"^[A-Z]{6}\+", "", families[font]), html.unescape(re.sub(r"<[^>]+>", "", text))))
    return runs


def test_no_tofu(ja, pdf_text, drawn_runs):
    """Every Japanese character of the text is drawn with a real glyph (no empty boxes), in a
    Japanese font; pdftohtml names a Type 3 font (Chromium's synthetic bold of a Japanese font,
    drawn as outlines) "Times"."""
    # the same glyph of IPAGothic reads as 〜 (wave dash) in pdftohtml, as ～ (full-width tilde) in pdftotext
    fold = str.maketrans("～", "〜")
    extracted = Counter(JAPANESE.findall(pdf_text.translate(fold)))
    drawn = Counter(ch for _, text in drawn_runs for ch in JAPANESE.findall(text.translate(fold)))
    missing = extracted - drawn
    assert not missing, (
        f"{sum(missing.values())} of {sum(extracted.values())} Japanese characters have no glyph in the PDF "
        f"(tofu), e.g. {''.join(list(missing)[:20])!r}: install a Japanese font (fonts-ipafont-gothic)"
    )
    by_font = Counter()
    for family, text in drawn_runs:
        by_font[family] += len(JAPANESE.findall(text))
    wrong = {family: n for family, n in by_font.items() if n and not JAPANESE_FONT.search(family) and family != "Times"}
    assert not wrong, f"Japanese characters set in fonts that are not Japanese: {wrong}"
    assert sum(n for family, n in by_font.items() if JAPANESE_FONT.search(family)) > 0.9 * sum(by_font.values())
