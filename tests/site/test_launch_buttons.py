"""The website's Binder and Colab buttons open the chapter's reader's edition, in the page's language.

tools/sphinx/reader_launch.py rewrites sphinx-book-theme's launch URLs; tools/build_book.sh writes
the portable flavour into the site (what Colab opens from the published branch) and postBuild writes
the lab flavour into Binder's image.  Read from the built files (no browser needed).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))
LINK = re.compile(r'href="(https://(?:mybinder\.org|colab\.research\.google\.com)/[^"]+)"')


def _links(page: Path) -> dict[str, str]:
    links = {}
    for url in LINK.findall(page.read_text(encoding="utf-8")):
        links["binder" if "mybinder" in url else "colab"] = url.replace("&amp;", "&")
    return links


@pytest.fixture(scope="module")
def site():
    if not (SITE / "book" / "04_pooling.html").exists():
        pytest.skip("the site is not built: run tools/build_book.sh")
    return SITE


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_chapter_launches_its_reader_edition(site, lang):
    pages = site / ("ja/book" if lang == "ja" else "book")
    for stem in CHAPTERS:
        links = _links(pages / f"{stem}.html")
        assert set(links) == {"binder", "colab"}, f"{lang}/{stem}: launch buttons {sorted(links)}"
        urlpath = parse_qs(urlparse(links["binder"]).query)["urlpath"][0]
        assert urlpath == f"lab/tree/_build/notebooks/{lang}/{stem}.ipynb", (lang, stem, urlpath)
        assert (ROOT / "_build" / "notebooks" / lang / f"{stem}.ipynb").exists(), "the lab flavour postBuild writes"
        colab = urlparse(links["colab"]).path
        assert colab.endswith(f"/blob/gh-pages/notebooks/{lang}/{stem}.ipynb"), (lang, stem, colab)
        published = site / "notebooks" / lang / f"{stem}.ipynb"
        meta = json.loads(published.read_text(encoding="utf-8"))["metadata"]["cnnbook"]
        assert meta == {**meta, "edition": "reader", "flavour": "portable", "lang": lang}, (published, meta)


def test_postbuild_writes_the_reader_editions():
    text = (ROOT / "postBuild").read_text()
    assert '"$PY" -m cnnbook.reader _build/notebooks/en' in text
    assert '"$PY" -m cnnbook.reader --lang ja _build/notebooks/ja' in text
