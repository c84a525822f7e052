"""The PDF of the book (_build/pdf/book.pdf, written by tools/build_pdf.sh), read back with
poppler-utils (pdftotext, pdfinfo, pdfimages): every chapter's title, formulas rendered by
MathJax (no TeX left in the text), the figures, a sane number of pages, and every training log
line of the stored outputs complete (not clipped at the page's edge nor hidden in a scroll box).
Skips, saying why, when the PDF was not built or poppler-utils is missing."""

import os
import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PDF = Path(os.environ.get("BOOK_PDF") or ROOT / "_build" / "pdf" / "book.pdf")  # BOOK_PDF: check another file
HIDDEN_OUTPUT_TAGS = {"remove-output", "remove-cell", "hide-output"}
LOG_LINE = re.compile(r"^\s*(?:epoch\s+\d+\s*/\s*\d+\b.*|\d+/\d+ - \d+s - .*loss.*)$", re.IGNORECASE)

def _stale():
    """The chapters or pages changed since the PDF was printed (an old PDF is not this book's)."""
    if not PDF.is_file() or "BOOK_PDF" in os.environ:
        return []
    sources = list((ROOT / "book").glob("*.ipynb")) + list((ROOT / "book").glob("*.md"))
    sources += [ROOT / "_toc.yml", ROOT / "_static" / "custom.css"]
    return [p.name for p in sources if p.is_file() and p.stat().st_mtime > PDF.stat().st_mtime]


pytestmark = [
    pytest.mark.skipif(not PDF.is_file(), reason=f"{PDF} not built: run bash tools/build_pdf.sh"),
    pytest.mark.skipif(bool(_stale()), reason=f"{PDF} is older than {_stale()[:3]}: run bash tools/build_pdf.sh"),
    pytest.mark.skipif(
        not all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdfimages")),
        reason="poppler-utils (pdftotext, pdfinfo, pdfimages) not installed: apt-get install poppler-utils",
    ),
]


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


def _title(path):
    if path.suffix == ".ipynb":
        lines = [l for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown" for l in c.source.splitlines()]
    else:
        lines = path.read_text(encoding="utf-8").splitlines()
    title = next(l[2:].strip() for l in lines if l.startswith("# "))
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


def _pdftotext(*options):
    return subprocess.run(
        ["pdftotext", *options, "-enc", "UTF-8", str(PDF), "-"], capture_output=True, text=True, check=True, timeout=120
    ).stdout


@pytest.fixture(scope="module")
def pdf_text():
    return _pdftotext()


@pytest.fixture(scope="module")
def pdf_layout_text():
    """The text line by line as printed (plain pdftotext reads a log's aligned fields as columns)."""
    return _pdftotext("-layout")


def test_every_chapter_title_is_in_the_pdf(pdf_text):
    text = " ".join(unicodedata.normalize("NFKC", pdf_text).split())
    missing = [title for title in (_title(_source(f)) for f in _toc_files()) if " ".join(title.split()) not in text]
    assert not missing, f"titles missing from the PDF: {missing}"


def test_formulas_are_rendered(pdf_text):
    for raw in (r"\(", r"\)", "$$", r"\begin{", r"\frac"):
        at = pdf_text.find(raw)
        assert at < 0, f"raw TeX {raw!r} in the PDF (MathJax did not render): ...{pdf_text[max(0, at - 80):at + 80]}..."


def test_figures_are_in_the_pdf():
    listing = subprocess.run(["pdfimages", "-list", str(PDF)], capture_output=True, text=True, check=True, timeout=120).stdout
    images = sum(1 for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"])
    expected = sum(
        1
        for f in _toc_files()
        if _source(f).suffix == ".ipynb"
        for out in _shown_outputs(_source(f))
        if {"image/png", "image/jpeg"} & set(out.get("data", {}))
    )
    assert expected > 20
    assert images >= expected, f"{images} images in the PDF, but the chapters show {expected} figures"


def test_page_count_is_sane():
    info = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True, check=True, timeout=60).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert 100 <= pages <= 1500, f"{pages} pages"


def test_every_training_log_line_is_complete(pdf_layout_text):
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
    assert not short, f"training log lines cut or missing in the PDF (found, expected): {dict(list(short.items())[:10])}"
