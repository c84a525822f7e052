"""Accessible pages: every image of the built site says what it shows.

Figures made by notebook cells get their alt text from the cell's metadata
(``mystnb: image: alt:``); markdown figures from their ``:alt:`` option. A
missing or empty alt, or one that is only a file name or a generic word, fails.
Runs on the built HTML (``scripts/build_book.sh``); skipped without it.
"""

import html.parser
import re
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parents[2] / "_build" / "html"
GENERIC = {"image", "figure", "png", "plot", "output", "picture", "img", "graph", "chart"}


class Images(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def pages():
    if not (SITE / "index.html").exists():
        pytest.skip(f"no built site at {SITE}: run scripts/build_book.sh first")
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts)


def meaningful(alt):
    alt = (alt or "").strip()
    if len(alt) < 8 or alt.lower() in GENERIC:  # characters: Japanese has no spaces
        return False
    return not re.fullmatch(r"[\w./-]+\.(png|jpe?g|svg|gif)", alt)


def test_every_image_has_a_meaningful_alt_text():
    missing = []
    counted = 0
    for page in pages():
        parser = Images()
        parser.feed(page.read_text(encoding="utf-8"))
        for img in parser.images:
            counted += 1
            if not meaningful(img.get("alt")):
                missing.append(f"{page.relative_to(SITE)}: <img src={img.get('src')!r} alt={img.get('alt')!r}>")
    assert counted > 40, f"only {counted} images found in the built site"
    assert not missing, f"{len(missing)} of {counted} images lack a meaningful alt text:\n" + "\n".join(missing[:30])


@pytest.mark.parametrize("alt, ok", [(None, False), ("", False), ("png", False), ("figure", False), ("Colab logo", True), ("a1b2.png", False),
                                     ("The first 10 MNIST training images.", True)])
def test_meaningful(alt, ok):
    assert meaningful(alt) is ok
