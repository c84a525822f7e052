"""The Japanese edition's Sphinx side (locale/ja/, scripts/build_book_ja.sh).

1. A link to the same page in the other language, on every page.
2. Glued figures inside translated messages.

1.
The English site is _build/html/, the Japanese one _build/html/ja/ (built from
the same sources with ``language: ja``; scripts/build_book_ja.sh).  Both are
built with this extension, which puts one plain relative link at the top of
each page's body: no JavaScript, no absolute URL, so it works from a file://
copy, from a local server and from any place the site is published under.

English page ``book/x.html``        -> ``../ja/book/x.html``
Japanese page ``ja/book/x.html``    -> ``../../book/x.html``

2. Sphinx translates a paragraph by parsing its msgstr as a small Markdown
document of its own (myst-nb parses it as plain MyST).  myst-nb's ``{glue:}`` /
``{glue:text}`` roles look the key up in the *current document's* notebook data
(``document["nb_renderer"]``), which that small document lacks, so every glued
figure in a translation would fail with "No key ... found in glue data".  The
notebook's renderer is also kept in ``env.temp_data`` while its page is read
(myst-nb drops it from the document at the end of parsing, before Sphinx's
Locale transform runs), and the roles fall back to it when their own document
has none.  Nothing changes for English pages (their roles
always find ``nb_renderer``).
"""

from __future__ import annotations

import html

from docutils import nodes
from myst_nb.core.variables import RetrievalError
from myst_nb.ext.glue import directives as glue_directives
from myst_nb.ext.glue import roles as glue_roles
from myst_nb.ext.glue import utils as glue_utils
from myst_nb import sphinx_ as mystnb_sphinx
from sphinx.application import Sphinx

_ENV_KEY = "book_i18n_nb_renderer"
_original_retrieve = glue_utils.retrieve_glue_data
_original_load_renderer = mystnb_sphinx.load_renderer
_original_parse = mystnb_sphinx.Parser.parse

# language -> (link text, path from this site's root to the other site's root)
_OTHER = {
    "en": ("日本語", "ja/"),
    "ja": ("English", "../"),
}
_LABEL = {"en": "Language", "ja": "言語"}


def language_switch_html(language: str, pagename: str, suffix: str = ".html") -> str:
    lang = "ja" if (language or "en").startswith("ja") else "en"
    text, other_root = _OTHER[lang]
    up = "../" * pagename.count("/")  # from this page to its site's root
    href = f"{up}{other_root}{pagename}{suffix}"
    other = "ja" if lang == "en" else "en"
    return (
        f'<div class="language-switch" style="text-align:right;font-size:0.9em;margin-bottom:0.5em">'
        f'{_LABEL[lang]}: <a class="language-switch-link" hreflang="{other}" lang="{other}" '
        f'href="{html.escape(href)}">{text}</a></div>\n'
    )


def _inject(app: Sphinx, pagename, templatename, context, doctree):
    if app.builder.format != "html" or "body" not in context:
        return
    suffix = context.get("file_suffix") or ".html"
    context["body"] = language_switch_html(app.config.language, pagename, suffix) + context["body"]


_created: list = []  # the renderer myst-nb creates while parsing the current notebook


def _recording_load_renderer(name: str):
    """myst-nb's load_renderer; the renderer it makes is remembered."""
    cls = _original_load_renderer(name)

    def make(*args, **kwargs):
        renderer = cls(*args, **kwargs)
        _created.append(renderer)
        return renderer

    return make


def _parse(self, inputstring, document):
    """myst-nb's Parser.parse; afterwards the notebook's renderer stays in
    env.temp_data, which Sphinx clears once the page is read."""
    if document.current_source.endswith("<translated>"):
        return _original_parse(self, inputstring, document)  # a translated message
    _created.clear()
    try:
        return _original_parse(self, inputstring, document)
    finally:
        env = getattr(document.settings, "env", None)
        if env is not None and _created:
            env.temp_data[_ENV_KEY] = _created[-1]
        _created.clear()


def retrieve_glue_data(document: nodes.document, key: str):
    try:
        return _original_retrieve(document, key)
    except RetrievalError:
        env = getattr(document.settings, "env", None)
        renderer = env.temp_data.get(_ENV_KEY) if env is not None else None
        if renderer is None or "nb_renderer" in document:
            raise
        # A translated message of the page whose renderer is stashed: its data.
        stand_in = nodes.document(document.settings, document.reporter)
        stand_in["nb_renderer"] = renderer
        return _original_retrieve(stand_in, key)


def setup(app: Sphinx):
    app.connect("html-page-context", _inject)
    mystnb_sphinx.load_renderer = _recording_load_renderer
    mystnb_sphinx.Parser.parse = _parse
    for module in (glue_roles, glue_directives):
        module.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": True, "parallel_write_safe": True}
