"""The widgets on the built chapters, in both languages (the cells' stored outputs, no kernel).

For each chapter that shows a widget: the page served on 127.0.0.1 (every other
host unresolvable), the widget mounted with no script error, its labels in the
page's language, a step of its animation working, and, with print media, the
still frame the PDF shows (grids drawn, step/play bar hidden).  Screenshots:
_build/screenshots/site-<chapter>-<kind>-<lang>.png.  Skipped without a built site.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, find_chromium, serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"

# chapter page -> the kinds of widget it shows, in page order
CHAPTERS = {
    "book/02_convolution.html": ["dot"],
    "book/03_padding_stride.html": ["explorer"],
    "book/04_pooling.html": ["pooling"],
    "book/05_im2col.html": ["im2col"],
    "book/06a_inside_a_conv_layer.html": ["volume", "dot", "explorer"],
    "book/07_lenet_scratch_mnist.html": ["network"],
}
LABELS = {"en": "Step", "ja": "1歩進む"}


@pytest.fixture(scope="module")
def served():
    if not (SITE / "index.html").is_file():
        pytest.skip("the book is not built: run tools/build_book.sh first")
    chromium = find_chromium()
    with serve(SITE) as base, Browser(chromium) as browser:
        yield browser, base


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_the_chapters_widgets_work_on_the_website(served, chapter, lang):
    browser, base = served
    if lang == "ja" and not (SITE / "ja" / chapter).is_file():
        pytest.fail(f"no Japanese page ja/{chapter}: run tools/build_book.sh (it builds both editions)", pytrace=False)
    browser.open(base + ("ja/" if lang == "ja" else "") + chapter)
    # (the theme declares THEBE_JS_URL twice on every page, with or without a widget: not ours)
    errors = [e for e in browser.load_events if e["method"] == "Runtime.exceptionThrown"
              and "THEBE_JS_URL" not in json.dumps(e)]
    assert not errors, f"script errors on {chapter}: {errors[:2]}"
    found = browser.js("Array.from(document.querySelectorAll('.cnnw')).map(e => [e.dataset.kind, e.dataset.mounted, e.dataset.lang])")
    assert [f[0] for f in found] == CHAPTERS[chapter], f"{chapter}: widgets {found}"
    for k, (kind, mounted, shown_lang) in enumerate(found):
        assert mounted == "1" and shown_lang == lang, (chapter, kind, mounted, shown_lang)
        root = f"document.querySelectorAll('.cnnw')[{k}]"
        if kind == "network":  # no animation: choosing a unit is the interaction
            browser.js(f"(() => {{ const c = {root}.querySelector('[id$=\"-I\"]'); c.value = '3'; c.dispatchEvent(new Event('change')); }})()")
            assert browser.js(f"JSON.parse({root}.dataset.unit)[2]") == 3
        else:
            assert browser.js(f"{root}.querySelector('.cnnw-step').textContent") == LABELS[lang]
            before = browser.js(f"{root}.dataset.frame")
            browser.js(f"{root}.querySelector('.cnnw-step').click()")
            assert int(browser.js(f"{root}.dataset.frame")) == int(before) + 1
            browser.js(f"{root}.querySelector('.cnnw-reset').click()")
        name = Path(chapter).stem
        shot = browser.screenshot(SCREENSHOTS / f"site-{name}-{kind}-{lang}.png", f"document.querySelectorAll('.cnnw')[{k}]")
        assert shot.stat().st_size > 5000
        # printed (the PDF): the starting frame's grids, no buttons
        browser.send("Emulation.setEmulatedMedia", media="print")
        try:
            if kind != "network":
                assert browser.js(f"getComputedStyle({root}.querySelector('.cnnw-player')).display") == "none"
            assert browser.js(f"{root}.querySelectorAll('svg').length") >= 2
        finally:
            browser.send("Emulation.setEmulatedMedia", media="")
