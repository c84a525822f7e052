"""Headless-Chromium checks of the built site (_build/html).

Run after building the book:

    tools/build_book.sh
    tools/install_chromium.sh      # once, installs Debian's chromium
    .venv/bin/python -m pytest tests/site

The site is served by `python -m http.server` on 127.0.0.1 and Chromium is
started with every other host unresolvable, so a page that still needed a CDN
(MathJax, require.js, fonts, ...) would fail here.  Screenshots are written to
_build/screenshots/ for a human to look at.

Without a built site the tests are skipped.  Without chromium they are skipped,
except under CI=true, where they fail.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import FLAGS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
BOOK_TITLE = "Convolutional neural networks, from scratch and in Keras"
INSTALL_HINT = "chromium is not installed: run tools/install_chromium.sh"

# Pages to check: (path under _build/html, text expected in the page's <h1>
# heading).  Adding a page is one line.  index.html redirects to book/intro.html.
PAGES = [
    pytest.param("index.html", BOOK_TITLE, id="index"),
    pytest.param("book/07_lenet_scratch_mnist.html", "LeNet from scratch on MNIST", id="07_lenet_scratch_mnist"),
    pytest.param("book/05_im2col.html", "im2col", id="05_im2col"),
]

# cdp.FLAGS (headless, offline but for 127.0.0.1) less the DevTools port: this test reads dumps
CHROMIUM_FLAGS = [f for f in FLAGS if not f.startswith("--remote-debugging-port")] + [
    # Let MathJax and the search page's JS finish before the DOM is dumped.
    "--virtual-time-budget=10000",
]
CHROMIUM_TIMEOUT = 120  # seconds per Chromium run


# --------------------------------------------------------------------------
# fixtures


def _find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.skip("the book is not built: run tools/build_book.sh first")
    return SITE


@pytest.fixture(scope="session")
def chromium() -> str:
    path = _find_chromium()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    return path


@pytest.fixture(scope="session")
def server(site: Path):
    """Serve _build/html on a free 127.0.0.1 port; yields the base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):  # up to ~10 s for the server to come up
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("python -m http.server exited early", pytrace=False)
                time.sleep(0.1)
        else:
            pytest.fail("python -m http.server did not start", pytrace=False)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _run_chromium(chromium: str, url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT)
    if res.returncode != 0:
        pytest.fail(f"chromium exited {res.returncode}:\n{res.stderr[-2000:]}", pytrace=False)
    return res.stdout


def dump_dom(chromium: str, url: str) -> str:
    """The DOM after the page's scripts (MathJax) ran."""
    return _run_chromium(chromium, url, "--dump-dom")


def screenshot(chromium: str, url: str, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / f"{name}.png"
    out.unlink(missing_ok=True)
    _run_chromium(chromium, url, f"--screenshot={out}", "--window-size=1280,2000")
    assert out.is_file() and out.stat().st_size > 10_000, f"no usable screenshot {out}"
    return out


# --------------------------------------------------------------------------
# helpers


class _Page(html.parser.HTMLParser):
    """Visible prose text (outside code, scripts, styles, MathJax output),
    <h1> headings and <img> sources of a page."""

    SKIP = {"script", "style", "pre", "code", "textarea", "noscript", "mjx-container"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []
        self.images: list[str] = []
        self.h1: list[str] = []
        self._h1 = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")
        if tag == "h1":
            self._h1 += 1
            self.h1.append("")
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "h1" and self._h1:
            self._h1 -= 1
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.text.append(data)
            if self._h1:
                self.h1[-1] += data


def final_url(server: str, path: str) -> str:
    """URL of `path` after a meta-refresh redirect (index.html -> book/intro.html)."""
    url = urllib.parse.urljoin(server, path)
    file = SITE / path
    html_text = file.read_text(encoding="utf-8") if file.is_file() else ""
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', html_text, re.IGNORECASE)
    return urllib.parse.urljoin(url, m.group(1)) if m else url


def parse(dom: str) -> _Page:
    page = _Page()
    page.feed(dom)
    return page


# --------------------------------------------------------------------------
# rendered pages


@pytest.mark.parametrize("path, title", PAGES)
def test_page_renders(chromium, server, path, title):
    url = urllib.parse.urljoin(server, path)
    dom = dump_dom(chromium, url)
    page = parse(dom)
    text = " ".join(page.text)

    assert any(title in h for h in page.h1), f"{path}: no <h1> containing {title!r}: {page.h1}"

    # MathJax ran: at least one rendered formula, and no TeX left in the prose.
    assert "<mjx-container" in dom, f"{path}: no MathJax output (mjx-container)"
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in text, f"{path}: raw TeX {raw!r} left in the rendered text"

    # At least one content figure (Sphinx copies figures and notebook output
    # images to _images/), and it is actually served.
    figures = [src for src in page.images if "_images/" in src]
    assert figures, f"{path}: no <img> figure"
    img_url = urllib.parse.urljoin(final_url(server, path), figures[0])
    with urllib.request.urlopen(img_url, timeout=10) as resp:
        assert resp.status == 200 and len(resp.read()) > 100, f"{img_url} not served"

    shot = screenshot(chromium, url, path.replace("/", "_").removesuffix(".html"))
    print(f"screenshot: {shot}")


def test_search_finds_japanese_glossary_term(chromium, server):
    """Sphinx search (JS + searchindex.js) finds 畳み込み on the glossary page."""
    url = urllib.parse.urljoin(server, "search.html?q=" + urllib.parse.quote("畳み込み"))
    dom = dump_dom(chromium, url)
    results = dom.split('id="search-results"', 1)[-1]
    assert 'href="book/glossary.html' in results, "search for 畳み込み did not list the glossary"


# --------------------------------------------------------------------------
# static checks of the built files (no browser needed)

REMOTE_ASSET = re.compile(
    r"""<(?:script[^>]*\ssrc|link[^>]*\srel="(?:stylesheet|preload|modulepreload)"[^>]*\shref)"""
    r"""\s*=\s*["'](?:https?:)?//""",
    re.IGNORECASE,
)


def test_no_remote_assets(site):
    """No page loads a script or stylesheet from another host (CDN)."""
    offenders = []
    for page in site.rglob("*.html"):
        for m in REMOTE_ASSET.finditer(page.read_text(encoding="utf-8")):
            offenders.append(f"{page.relative_to(site)}: {m.group(0)}")
    assert not offenders, "remote assets:\n" + "\n".join(offenders[:20])


def test_mathjax_is_local(site):
    intro = (site / "book" / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<script[^>]+src="\.\./_static/mathjax/tex-mml-chtml\.js', intro)
    # Loaded once, not every file of the MathJax bundle.
    assert len(re.findall(r'src="[^"]*_static/mathjax/', intro)) == 1
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_search_index_has_japanese_terms(site):
    raw = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    glossary = index["docnames"].index("book/glossary")
    hits = {t: d for t, d in index["terms"].items() if "畳み込み" in t}
    assert hits, "no term containing 畳み込み in searchindex.js"
    assert any(d == glossary or (isinstance(d, list) and glossary in d) for d in hits.values())


def test_training_logs_are_one_scrolling_block(site):
    """A Keras log (one stdout output per line in the notebook) is shown as one
    block (nb_merge_streams), and the long ones scroll (cell tag scroll-output)."""
    page = (site / "book" / "12_overfitting.html").read_text(encoding="utf-8")
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)
    # the chapter's longest run (BEST_EPOCHS = 30) and its 12-epoch runs, each one block from Epoch 1/N to N/N
    whole_logs = [b for b in blocks
                  if (m := re.search(r"Epoch 1/(\d+)", b)) and int(m.group(1)) >= 10 and f"Epoch {m.group(1)}/{m.group(1)}" in b]
    assert whole_logs, "no output block holds a whole Keras log of 10 epochs or more: are the streams merged?"
    scrolling = re.findall(r'<div class="cell tag_scroll-output', page)
    assert len(scrolling) >= len(whole_logs), f"{len(whole_logs)} long logs but {len(scrolling)} scrolling cells"


DOUBLED_WORD = re.compile(r"(?i)\b(Exercise|Solution)\s+(?:<[^>]+>\s*)+\1\b|(演習|解答)\s*(?:<[^>]+>\s*)+\2")


def test_no_doubled_exercise_word(site):
    """A cross-reference to an exercise renders its own word ("Exercise 12", "演習 12"),
    so the prose must not write it before the reference ("Exercise Exercise 12")."""
    offenders = []
    for page in sorted(site.rglob("*.html")):
        for m in DOUBLED_WORD.finditer(page.read_text(encoding="utf-8")):
            offenders.append(f"{page.relative_to(site)}: {re.sub(r'<[^>]+>', '', m.group(0))!r}")
    assert not offenders, "the word doubled before an exercise reference (drop it from the prose):\n" + "\n".join(offenders[:20])
