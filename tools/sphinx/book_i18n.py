"""The Japanese edition's Sphinx side (locale/ja/, tools/build_book_ja.sh).

1. A link to the same page in the other language, on every page.
2. Glued figures inside translated messages.
3. Japanese search (CompoundJanomeSplitter, below).
4. Figures' alt texts from locale/ja/LC_MESSAGES/figures-alt.po.
5. Display formulas whose translation differs (the words of their ``\\text{...}``).
6. The footer's relative links (the PDF) right on every page, the site's root pages included.

1.
The English site is _build/html/, the Japanese one _build/html/ja/ (built from
the same sources with ``language: ja``; tools/build_book_ja.sh).  Both are
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
import re
from pathlib import Path

from docutils import nodes
from myst_nb.core.variables import RetrievalError
from myst_nb.ext.glue import directives as glue_directives
from myst_nb.ext.glue import roles as glue_roles
from myst_nb.ext.glue import utils as glue_utils
from myst_nb import sphinx_ as mystnb_sphinx
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

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


# The footer (_config.yml html.extra_footer, and its Japanese version written by
# tools/update_translations.py) writes its relative links as seen from a chapter, one folder
# deep (book/x.html: "../book.pdf" is the site's root); pages at the root (search.html,
# genindex.html) would follow them out of the site.
_RELATIVE_HREF = re.compile(r'href="(?![a-zA-Z][a-zA-Z0-9+.-]*:|/|#)((?:\.\./)+)([^"]*)"')


def footer_for_page(footer: str, pagename: str) -> str:
    """``footer`` with its ``../``-relative links, written for a page one folder deep, made
    relative to ``pagename``'s own folder.

    >>> footer_for_page('<a href="../book.pdf">PDF</a>', "book/01_why_cnns")
    '<a href="../book.pdf">PDF</a>'
    >>> footer_for_page('<a href="../book.pdf">PDF</a>', "search")
    '<a href="book.pdf">PDF</a>'
    >>> footer_for_page('<a href="../../book-ja.pdf">PDF</a>', "genindex")
    '<a href="../book-ja.pdf">PDF</a>'
    """
    depth = pagename.count("/")
    return _RELATIVE_HREF.sub(lambda m: f'href="{"../" * depth}{m.group(1)[3:]}{m.group(2)}"', footer)


def _inject(app: Sphinx, pagename, templatename, context, doctree):
    # Only the two websites: not singlehtml (the PDF), not epub.
    if app.builder.name != "html":
        return
    if context.get("theme_extra_footer"):
        context["theme_extra_footer"] = footer_for_page(context["theme_extra_footer"], pagename)
    if "body" not in context:
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


def _page_catalog(transform):
    """The translations of the page ``transform`` works on (Sphinx's catalog for that page's
    domain), or ``None`` in an English build or for a page without a catalog."""
    language = transform.config.language or "en"
    if language.startswith("en"):
        return None
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    dirs = [str(Path(transform.env.srcdir, d)) for d in transform.config.locale_dirs]
    domain = docname_to_domain(transform.env.docname, transform.config.gettext_compact)
    catalog, has_catalog = init_locale(dirs, language, domain)
    return catalog if has_catalog else None


class TranslateTocCaptions(SphinxTransform):
    """The part captions of _toc.yml ("Foundations", ...) in the page's catalog.

    sphinx-external-toc inserts the toctrees (priority 100) after Sphinx's Locale
    transform (20) has translated the page, so their captions would stay English in
    the sidebar; the gettext builder does extract them (into the root page's catalog)."""

    default_priority = 105

    def apply(self, **kwargs):
        catalog = _page_catalog(self)
        if catalog is None:
            return
        for node in self.document.findall(addnodes.toctree):
            caption = node.get("caption")
            translated = catalog.gettext(caption) if caption else None
            if translated and translated != caption:
                node["caption"] = translated


class TranslateMathBlocks(SphinxTransform):
    """5. A display formula (``$$...$$``, amsmath) with a translation of its own.

    Its message is the formula's LaTeX; a catalog may translate the words inside its
    ``\\text{...}`` and nothing else (tests/book/test_translation_integrity.py).  Sphinx's
    Locale transform (20) parses the translation of a formula as a reST literal block
    (``::`` and the indented text); MyST reads that as a paragraph "::", so the page
    would show ``\\[::\\]`` instead of the formula.  This transform runs first and puts
    the translated LaTeX in the node itself; Locale then finds no translation for it
    and leaves it alone.  Formulas whose translation is the source are not touched."""

    default_priority = 19

    def apply(self, **kwargs):
        catalog = _page_catalog(self)
        if catalog is None:
            return
        for node in self.document.findall(nodes.math_block):
            if not node.source or not node.get("translatable", True):
                continue
            message = node.rawsource or node.astext()
            translated = catalog.gettext(message)
            if translated and translated != message:
                node.children = []
                node += nodes.Text(translated)
                node.rawsource = translated


# --------------------------------------------------------------------------
# 4. Figures' alt texts: they come from notebook cell metadata (mystnb.image.alt),
# which Sphinx's gettext does not extract; tools/update_translations.py puts them
# in locale/ja/LC_MESSAGES/figures-alt.po, and a non-English build swaps in the
# translation (untranslated or fuzzy ones stay English, like any message).

ALT_CATALOG = "figures-alt.po"


def load_alt_translations(po_path: Path) -> dict[str, str]:
    """English alt text -> its translation, for the finished (not fuzzy, not empty) entries of ``po_path``."""
    from babel.messages.pofile import read_po

    if not po_path.exists():
        return {}
    with po_path.open("rb") as f:
        catalog = read_po(f)
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def translate_alt_texts(doctree: nodes.Node, translations: dict[str, str]) -> int:
    """Replace each image's alt text that has a translation; returns how many were replaced."""
    replaced = 0
    for image in doctree.findall(nodes.image):
        alt = image.get("alt")
        if alt in translations:
            image["alt"] = translations[alt]
            replaced += 1
    return replaced


def _translate_alt(app: Sphinx, doctree, docname):
    language = app.config.language or "en"
    if language.startswith("en"):
        return
    if not hasattr(app, "_book_alt_translations"):
        translations = {}
        for folder in app.config.locale_dirs:
            translations.update(load_alt_translations(Path(app.srcdir, folder, language, "LC_MESSAGES", ALT_CATALOG)))
        app._book_alt_translations = translations
    translate_alt_texts(doctree, app._book_alt_translations)


def _alt_catalog_changed(app: Sphinx, env, added, changed, removed):
    """Re-read every page when figures-alt.po changed since the last build (an incremental
    build would otherwise keep the old alt texts of the pages it does not rewrite)."""
    language = app.config.language or "en"
    if language.startswith("en"):
        return []
    stamp = tuple(
        Path(app.srcdir, folder, language, "LC_MESSAGES", ALT_CATALOG).stat().st_mtime_ns
        if Path(app.srcdir, folder, language, "LC_MESSAGES", ALT_CATALOG).exists() else 0
        for folder in app.config.locale_dirs
    )
    if getattr(env, "book_alt_catalog_stamp", None) == stamp:
        return []
    env.book_alt_catalog_stamp = stamp
    return sorted(env.found_docs - set(added) - set(changed))


def _drop_foreign_documents(app: Sphinx, doctree) -> None:
    """Translated nodes keep a reference to the throwaway document their msgstr was parsed in
    (Sphinx's publish_msgstr), whose settings hold the whole BuildEnvironment: every pickled
    Japanese doctree carried a copy of it (71 MB of doctrees against 8.9 MB in English; found and
    measured by helper O: the Japanese singlehtml build 81 s -> 25 s).  They belong to this page."""
    for node in doctree.findall():
        document = node.__dict__.get("_document")
        if document is not None and document is not doctree:
            node._document = doctree


def setup(app: Sphinx):
    app.connect("doctree-read", _drop_foreign_documents)
    app.add_transform(TranslateTocCaptions)
    app.add_transform(TranslateMathBlocks)
    app.connect("html-page-context", _inject)
    app.connect("env-get-outdated", _alt_catalog_changed)
    app.connect("doctree-resolved", _translate_alt)
    mystnb_sphinx.load_renderer = _recording_load_renderer
    mystnb_sphinx.Parser.parse = _parse
    for module in (glue_roles, glue_directives):
        module.retrieve_glue_data = retrieve_glue_data
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------
# 3. Japanese search: the Japanese site's html_search_options type (tools/update_translations.py).


_ASCII = re.compile(r"[\x00-\x7f]+")
_WORD = re.compile(r"\w+")


class CompoundJanomeSplitter:
    """Janome's words, plus every run of consecutive nouns joined into one word.

    Sphinx's search page looks a query word up in the index and, for words of
    three characters or more, also in every indexed word that *contains* it; a
    Japanese query has no spaces, so it is one word.  Both of Sphinx's Japanese
    splitters index 畳み込み層 only as 畳み込み + 層 (and Janome 過学習 as 過 + 学習),
    (Janome reads 畳み込み as a verb stem, 連用形, which counts as part of a compound here),
    so a search for the glossary term 畳み込み層 or 過学習 found nothing.  Indexing the
    noun compound as well (畳み込み層, 過学習, 誤差逆伝播法, ミニバッチ学習) makes the
    whole term match, and its parts match as before (exactly, or inside the compound).
    """

    def __init__(self, options):
        from sphinx.search.ja import JanomeSplitter

        self._janome = JanomeSplitter(options)

    def split(self, input: str) -> list[str]:
        # ASCII stretches (code, outputs, English not yet translated: most of the text)
        # are split like English, \w+; only the rest goes through Janome, which is slow.
        words: list[str] = []
        pos = 0
        for m in _ASCII.finditer(input):
            if m.start() > pos:
                words += self._split_japanese(input[pos:m.start()])
            words += _WORD.findall(m.group())
            pos = m.end()
        if pos < len(input):
            words += self._split_japanese(input[pos:])
        return words

    def _split_japanese(self, input: str) -> list[str]:
        words: list[str] = []
        run: list[str] = []

        def flush():
            if len(run) > 1:
                words.append("".join(run))
            run.clear()

        for token in self._janome.tokenizer.tokenize(input):
            parts = token.surface.split()
            words.extend(parts)
            pos = token.part_of_speech.split(",")[0]
            # nouns, prefixes (過, 逆) and nominal verb stems (畳み込み in 畳み込み層)
            nominal = pos in ("名詞", "接頭詞") or (pos == "動詞" and token.infl_form == "連用形")
            if nominal and len(parts) == 1 and not token.surface.isascii():
                run.append(token.surface)
            else:
                flush()
        flush()
        return words
