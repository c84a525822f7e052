"""Headless-Chromium checks of the Japanese edition (_build/html/ja/).

Run after building the book (tools/build_book.sh builds both editions):

    .venv/bin/python -m pytest tests/site/test_site_ja.py

Same server, Chromium flags and fixtures as tests/site/test_site.py (the server
serves _build/html, so the language switch is followed across both sites).
Screenshots go to _build/screenshots/ja_*.png.  Without a built Japanese site the
tests are skipped.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_site import (  # noqa: E402,F401  (fixtures are used by name)
    SITE,
    chromium,
    dump_dom,
    final_url,
    parse,
    screenshot,
    server,
    site,
)

JA = SITE / "ja"
JA_TITLE = "畳み込みニューラルネットワーク"

# (path under _build/html, text expected in the page's <h1>)
PAGES = [
    pytest.param("ja/index.html", JA_TITLE, id="ja-index"),
    pytest.param("ja/book/02_convolution.html", "畳み込み", id="ja-02_convolution"),
    pytest.param("ja/book/04_pooling.html", "プーリング", id="ja-04_pooling"),
]

# A chapter term, the page that must be found, a Japanese word of that page's title.
SEARCHES = [
    pytest.param("プーリング", "book/04_pooling.html", id="pooling"),
    pytest.param("畳み込み", "book/02_convolution.html", id="convolution"),
    pytest.param("ミニバッチ", "book/06_minibatch.html", id="minibatch"),
    # Whole glossary terms: indexed as noun compounds (tools/sphinx/book_i18n.py CompoundJanomeSplitter).
    pytest.param("畳み込み層", "book/glossary.html", id="convolution-layer"),
    pytest.param("誤差逆伝播法", "book/glossary.html", id="backpropagation"),
]


@pytest.fixture(scope="session")
def ja_site(site: Path) -> Path:
    if not (JA / "index.html").is_file():
        pytest.skip("the Japanese edition is not built: run tools/build_book.sh first")
    return JA


@pytest.mark.parametrize("path, title", PAGES)
def test_ja_page_renders(ja_site, chromium, server, path, title):
    url = final_url(server, path)
    dom = dump_dom(chromium, url)
    page = parse(dom)
    text = " ".join(page.text)

    assert re.search(r'<html[^>]*\slang="ja"', dom), f"{path}: <html lang> is not ja"
    assert any(title in h for h in page.h1), f"{path}: no <h1> containing {title!r}: {page.h1}"
    # Japanese prose, not English with a Japanese title.
    kana = len(re.findall(r"[\u3040-\u30ff]", text))
    assert kana > 200, f"{path}: only {kana} kana characters in the prose"

    assert "<mjx-container" in dom, f"{path}: no MathJax output (mjx-container)"
    for raw in ("\\(", "\\[", "$$"):
        assert raw not in text, f"{path}: raw TeX {raw!r} left in the rendered text"

    figures = [src for src in page.images if "_images/" in src]
    assert figures, f"{path}: no <img> figure"
    with urllib.request.urlopen(urllib.parse.urljoin(url, figures[0]), timeout=10) as resp:
        assert resp.status == 200 and len(resp.read()) > 100

    shot = screenshot(chromium, url, path.replace("/", "_").removesuffix(".html"))
    print(f"screenshot: {shot}")


def _switch_href(html_text: str) -> str | None:
    m = re.search(r'<a class="language-switch-link"[^>]*href="([^"]+)"', html_text)
    return m.group(1) if m else None


def test_language_switch_on_every_page_both_ways(ja_site):
    """Every English page links to the same page in Japanese and back, by a relative link
    that resolves to an existing file."""
    problems = []
    en_pages = [p for p in SITE.joinpath("book").rglob("*.html")]
    assert en_pages
    for en in en_pages:
        rel = en.relative_to(SITE)
        ja = JA / rel
        for page, other in ((en, ja), (ja, en)):
            if not page.is_file():
                problems.append(f"{page.relative_to(SITE)}: missing")
                continue
            href = _switch_href(page.read_text(encoding="utf-8"))
            if href is None:
                problems.append(f"{page.relative_to(SITE)}: no language switch")
            elif href.startswith(("/", "http:", "https:")):
                problems.append(f"{page.relative_to(SITE)}: switch is not relative: {href}")
            elif (page.parent / href).resolve() != other.resolve():
                problems.append(f"{page.relative_to(SITE)}: switch goes to {href}, not {other.relative_to(SITE)}")
    assert not problems, "\n".join(problems)


def test_language_switch_is_followed_by_the_browser(ja_site, chromium, server):
    """Clicking through: the English chapter's switch leads to the Japanese one, whose switch leads back."""
    en_url = urllib.parse.urljoin(server, "book/04_pooling.html")
    dom = dump_dom(chromium, en_url)
    ja_url = urllib.parse.urljoin(en_url, _switch_href(dom))
    assert ja_url == urllib.parse.urljoin(server, "ja/book/04_pooling.html")
    ja_dom = dump_dom(chromium, ja_url)
    assert any("プーリング" in h for h in parse(ja_dom).h1)
    assert urllib.parse.urljoin(ja_url, _switch_href(ja_dom)) == en_url


GLUED = re.compile(r'<span class="(?:output text_plain|pasted-text)[^"]*">')


def test_glued_figures_survive_translation(ja_site):
    """Every glued figure of an English page is pasted into its Japanese page too
    (a translation that lost a {glue} role, or a role that no longer resolves)."""
    problems = []
    for en in sorted(SITE.joinpath("book").glob("*.html")):
        ja = JA / en.relative_to(SITE)
        n_en = len(GLUED.findall(en.read_text(encoding="utf-8")))
        n_ja = len(GLUED.findall(ja.read_text(encoding="utf-8"))) if ja.is_file() else -1
        if n_en != n_ja:
            problems.append(f"{en.name}: {n_en} glued figures in English, {n_ja} in Japanese")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("term, target", SEARCHES)
def test_ja_search_finds_chapter(ja_site, chromium, server, term, target):
    """The Japanese site's search page (Sphinx JS + searchindex.js, Janome splitter) lists the chapter."""
    url = urllib.parse.urljoin(server, "ja/search.html?q=" + urllib.parse.quote(term))
    dom = dump_dom(chromium, url)
    results = dom.split('id="search-results"', 1)[-1]
    assert f'href="{target}' in results, f"search for {term} did not list {target}"


def test_ja_search_index_has_whole_words(ja_site):
    """The splitter keeps 畳み込み and プーリング whole and also indexes the compound 畳み込み層."""
    raw = (JA / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    assert index.get("envversion") is not None
    for term, doc in (("畳み込み", "book/02_convolution"), ("プーリング", "book/04_pooling"),
                      ("畳み込み層", "book/glossary"), ("過学習", "book/glossary")):
        # A word of a page's title is indexed as a title term of that page, not a body term.
        docs = []
        for key in ("terms", "titleterms"):
            found = index[key].get(term, [])
            docs += found if isinstance(found, list) else [found]
        assert docs, f"{term} is not a term of the Japanese search index"
        assert index["docnames"].index(doc) in docs, f"{term} does not point to {doc}"
