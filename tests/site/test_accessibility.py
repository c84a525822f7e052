"""Accessible pages: every image of the built site says what it shows, and the
Japanese words of the English pages are marked lang="ja" (tools/sphinx/lang_ja.py).

Figures made by notebook cells get their alt text from the cell's metadata
(``mystnb: image: alt:``); markdown figures from their ``:alt:`` option. A
missing or empty alt, or one that is only a file name or a generic word, fails.
Runs on the built HTML (``tools/build_book.sh``); skipped without it.
"""

import html.parser
import re
from pathlib import Path

import pytest

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "sphinx"))
from lang_ja import JAPANESE, mark_japanese  # noqa: E402

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
        pytest.skip(f"no built site at {SITE}: run tools/build_book.sh first")
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


class JapaneseOutsideLang(html.parser.HTMLParser):
    """Collects Japanese text that has no lang="ja" ancestor (code and preformatted text aside)."""

    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "col", "source", "area", "base"}

    def __init__(self):
        super().__init__()
        self.stack, self.bad = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not JAPANESE.search(data):
            return
        tags = [t for t, _ in self.stack]
        if "body" not in tags or any(t in ("pre", "code", "script", "style", "textarea", "title") for t in tags):
            return
        if not any((lang or "").startswith("ja") for _, lang in self.stack):
            self.bad.append(data.strip()[:40])


def test_japanese_words_in_english_pages_carry_lang_ja():
    found, bad = 0, []
    for page in pages():
        if page.relative_to(SITE).parts[0] == "ja":
            continue
        text = page.read_text(encoding="utf-8")
        found += text.count('<span lang="ja">')
        parser = JapaneseOutsideLang()
        parser.feed(text)
        bad += [f"{page.relative_to(SITE)}: {b!r}" for b in parser.bad]
    assert found > 50, f"only {found} Japanese runs marked in the English pages"
    assert not bad, f"{len(bad)} Japanese runs without lang='ja':\n" + "\n".join(bad[:20])


def test_mark_japanese():
    got = mark_japanese('<p>a 畳み込み層 b <code>x = "検証"</code> <a title="テスト">c</a></p>')
    assert got == '<p>a <span lang="ja">畳み込み層</span> b <code>x = "検証"</code> <a title="テスト">c</a></p>'


def test_the_japanese_pages_show_the_translated_alt_texts():
    """Figures on the Japanese site carry the alt text of locale/ja/LC_MESSAGES/figures-alt.po."""
    from book_i18n import load_alt_translations

    translations = load_alt_translations(SITE.parents[1] / "locale" / "ja" / "LC_MESSAGES" / "figures-alt.po")
    japanese = set(translations.values())
    english_left, shown = [], 0
    for page in pages():
        if page.relative_to(SITE).parts[0] != "ja":
            continue
        parser = Images()
        parser.feed(page.read_text(encoding="utf-8"))
        for img in parser.images:
            alt = img.get("alt")
            if alt in translations:
                english_left.append(f"{page.relative_to(SITE)}: {alt[:80]!r}")
            shown += alt in japanese
    assert not english_left, "English alt texts with a translation on Japanese pages:\n" + "\n".join(english_left[:20])
    assert shown > 40, f"only {shown} translated alt texts found on the Japanese pages"
