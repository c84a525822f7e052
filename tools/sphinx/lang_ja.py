"""Mark Japanese words in the English pages with ``lang="ja"``.

Screen readers switch voice and browsers pick a Japanese font only for text
marked as Japanese; the English pages quote the study notebook and the
glossary in Japanese. When an HTML build finishes, every run of Japanese
characters in the text of its pages (navigation included; not inside
``<pre>``, ``<code>``, ``<script>``, ``<style>``, ``<textarea>`` or ``<title>``)
is wrapped in ``<span lang="ja">``; runs already wrapped are left as they are,
so an incremental build can pass over a page again. Builds with
``language = "ja"`` (the Japanese edition, its own folder ``ja/``) are left
alone.
"""

from pathlib import Path

import re

# Hiragana, katakana, CJK ideographs, CJK punctuation and full-width forms
JAPANESE = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")
_TAG = re.compile(r"(<[^>]*>)")
_NAME = re.compile(r"</?\s*([a-zA-Z0-9]+)")
SKIP = {"pre", "code", "script", "style", "textarea", "title"}


def mark_japanese(body):
    """``body`` with each Japanese run in text (not in tags or SKIP elements) wrapped in a lang="ja" span."""
    out, skipping, last_tag = [], [], ""
    for part in _TAG.split(body):
        if part.startswith("<"):
            m = _NAME.match(part)
            name = m.group(1).lower() if m else ""
            if name in SKIP and not part.endswith("/>"):
                if part.startswith("</"):
                    if name in skipping:
                        skipping.remove(name)
                else:
                    skipping.append(name)
            out.append(part)
            last_tag = part
        elif skipping or last_tag == '<span lang="ja">':
            out.append(part)
        else:
            out.append(JAPANESE.sub(lambda m: f'<span lang="ja">{m.group(0)}</span>', part))
    return "".join(out)


def _build_finished(app, exception):
    if exception is not None or app.builder.format != "html" or (app.config.language or "en").startswith("ja"):
        return
    out = Path(app.outdir)
    for page in out.rglob("*.html"):
        if page.relative_to(out).parts[0] in ("ja", "_static"):
            continue
        text = page.read_text(encoding="utf-8")
        marked = mark_japanese(text)
        if marked != text:
            page.write_text(marked, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
