"""Show glued strings without their Python quotes, and, on the Japanese pages, in Japanese form.

``cnnlib.claim`` glues each measured figure as a string ('97.8%'); myst-nb pastes
a glued value's text/plain, which for a string is its repr, quotes included.
This transform strips the quotes of pasted inline strings, so the prose reads
"reaches 97.8%" while the notebook keeps the repr that nbval's sanitizer masks.

The Japanese edition (``language: ja``) shows the same stored value as a Japanese
sentence needs it (:func:`japanese_figure`): E-notation as a power of ten
(``2e+31`` -> ``2×10³¹``, ``3e-06`` -> ``3×10⁻⁶``), a ratio as 倍 (``972×`` -> ``972倍``),
and no Latin space between the figure and the Japanese words around it
("ループより 972× 速かった" -> "ループより972倍速かった"; the catalogs keep a space
around roles, which MyST needs).  The value is the one validated run's: only its
spelling changes, and only on the Japanese pages; the English pages are unchanged.
"""

import re

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

# one definition for the site and the reader's edition of the notebooks (python -m cnnbook.reader)
from cnnlib.claims import JAPANESE_SCRIPT, japanese_figure  # noqa: F401  (test_sphinx_i18n uses japanese_figure from here)

# straight quotes, or the curly ones docutils' smart-quotes transform made of them
_QUOTED = re.compile(r"""^(?:'(.*)'|"(.*)"|\u2018(.*)\u2019|\u201c(.*)\u201d)$""", re.DOTALL)

# a figure, as opposed to a word: digits, signs, separators, units the book glues
_FIGURE = re.compile(r"^[-+−]?[\d.,]+(?:[×%倍]|×10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)?(?:\s?[%倍])?$")
# Japanese script and full-width punctuation: no Latin space between these and a figure
_JAPANESE = re.compile(f"[{JAPANESE_SCRIPT}]")


def _pasted(node) -> bool:
    # {glue:text} gives class "pasted-text"; {glue:} renders text/plain inline as "text_plain"
    classes = node.get("classes", [])
    return any(c.startswith("pasted") or c == "text_plain" for c in classes)


def _strip_quotes(app, doctree):
    japanese = (app.config.language or "en").startswith("ja")
    for node in list(doctree.findall(nodes.inline)):
        if not _pasted(node):
            continue
        for text in list(node.findall(nodes.Text)):
            m = _QUOTED.match(text.astext())
            inner = next(g for g in m.groups() if g is not None) if m else text.astext()
            if japanese:
                inner = japanese_figure(inner)
            if inner != text.astext():
                text.parent.replace(text, nodes.Text(inner))
        if japanese:
            _close_up(node)


def _wrapper(node) -> bool:
    """A node myst-nb wraps a pasted value in: a pasted inline, or ({glue:}) the mime bundle's
    containers, which a post-transform later replaces by the chosen mime type's content."""
    if isinstance(node, nodes.inline):
        return _pasted(node)
    return isinstance(node, nodes.container) and (
        node.get("nb_element") == "mime_bundle" or "mime_type" in node.attributes)


def _outermost_pasted(node):
    while node.parent is not None and _wrapper(node.parent):
        node = node.parent
    return node


def _close_up(node) -> None:
    """Drop the Latin space between a pasted figure and Japanese text on either side of it."""
    if not _FIGURE.match(node.astext().strip()):
        return
    node = _outermost_pasted(node)
    parent = node.parent
    if parent is None:
        return
    index = parent.index(node)
    if index > 0 and isinstance(parent[index - 1], nodes.Text):
        before = parent[index - 1].astext()
        if before.endswith(" ") and _JAPANESE.match(before.rstrip(" ")[-1:] or "a"):
            parent.replace(parent[index - 1], nodes.Text(before.rstrip(" ")))
    if index + 1 < len(parent) and isinstance(parent[index + 1], nodes.Text):
        after = parent[index + 1].astext()
        if after.startswith(" ") and _JAPANESE.match(after.lstrip(" ")[:1] or "a"):
            parent.replace(parent[index + 1], nodes.Text(after.lstrip(" ")))


class PastedFromOtherPages(SphinxPostTransform):
    """The same for figures glued from another page ({glue:text}`12_overfitting.ipynb::best_acc`),
    which myst-nb pastes only in a post-transform (ReplacePendingGlueReferences, 5).  Running
    again over the values already done at doctree-read changes nothing."""

    default_priority = 6

    def run(self, **kwargs) -> None:
        _strip_quotes(self.app, self.document)


def setup(app):
    app.connect("doctree-read", _strip_quotes)
    app.add_post_transform(PastedFromOtherPages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
