"""The book's notebooks in another language, from the catalogs the translated website uses.

The Japanese website is built from the English notebooks by Sphinx's gettext: each
translatable piece of a page (a paragraph, a heading, a list item's paragraph, a table
cell, a display formula, an exercise's or admonition's title, a code block's caption, a
figure's alt text) is a message of ``locale/<lang>/LC_MESSAGES/book/<stem>.po``, whose msgid is the piece's
MyST source with its line breaks made spaces (Sphinx's ``extract_messages``: the
node's rawsource, which myst-parser sets to the block's inline source; a formula's
msgid keeps its line breaks).  :func:`translate_notebook` finds the same pieces in
each Markdown cell, with the markdown-it parser myst-parser builds (the extensions of
``_config.yml``), and puts each msgstr where its English was:

* a paragraph or heading becomes one line, its prefix (list marker, ``>``, indentation,
  ``#``) kept;
* a table cell, a directive's title (``{exercise}``, ``{admonition}``), a code
  block's ``:caption:`` and a figure's ``:alt:`` are replaced inside their line;
* a display formula keeps its ``$$`` (and label) and gets the translated LaTeX (the
  words of its ``\\text{...}``, tools/sphinx/book_i18n.py TranslateMathBlocks);
* directive bodies (``{exercise}``, ``{solution}``, ``{note}``, ...; nested fences too)
  are parsed like a page of their own, as myst-parser does.

Everything else stays as it is: roles (``{glue}``, ``{doc}``, ``{ref}``), ``(label)=``
targets, directive fences and options, code blocks, so that the converters of
:mod:`cnnbook.markdown` and :mod:`cnnbook.reader` work on the translated notebook as on
the English one.  Code cells keep their source and outputs, except the figures: the
words of each ``image/svg+xml`` output are translated from ``figures.po`` with the
Japanese site's own functions (tools/sphinx/figure_i18n.py), and the alt text of a
figure (cell metadata ``mystnb.image.alt``) from ``figures-alt.po``.

A piece without a finished translation (untranslated, fuzzy, or a msgid the catalog
does not have: a sign that the notebook changed since the catalog was updated, or that
the segmentation here differs from Sphinx's) keeps its English and is listed in
``missing``.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["translate_notebook", "pieces", "catalog", "Piece"]

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale"
FIGURE_I18N = ROOT / "tools" / "sphinx" / "figure_i18n.py"
FIGURES_CATALOG = "figures.po"
ALT_CATALOG = "figures-alt.po"

# _config.yml parse.myst_enable_extensions
MYST_EXTENSIONS = {"colon_fence", "dollarmath", "amsmath", "deflist", "substitution", "tasklist"}
# Directives whose argument is a title (a message of its own); {solution}'s is a label.
TITLED_DIRECTIVES = {"exercise", "exercise-start", "admonition", "topic", "sidebar"}
# Directives whose body is not Markdown (literal text; only their :caption: is a message).
LITERAL_DIRECTIVES = {"code-block", "code", "sourcecode", "code-cell", "math", "literalinclude", "raw",
                      "glue:math", "eval-rst", "solution-end", "exercise-end"}
# Directives whose :alt: is an image's alt text (a message: Sphinx extracts an image's alt).
IMAGE_DIRECTIVES = {"figure", "image"}
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):(?P<value>.*)$")
_DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[\w:-]+)\}(?P<arg>.*)$", re.DOTALL)
_PREFIX_CHARS = set(" \t>*+-#0123456789.)")
_LIST_MARKER = re.compile(r"[*+-]|\d+[.)]")


@dataclass
class Piece:
    """One translatable piece of a Markdown cell, where it is in the cell's lines."""

    kind: str  # paragraph, heading, cell, math, title, caption, alt
    msgid: str  # what Sphinx extracts (its catalog's msgid)
    start: int  # the cell's lines [start, end) that hold it
    end: int
    source: str  # its source text as it stands in the line(s) (first line for paragraphs)


@functools.lru_cache(maxsize=1)
def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions=MYST_EXTENSIONS), RendererHTML)


def _message(text: str) -> str:
    return text.replace("\n", " ").strip()


def _split_options(lines: list[str]) -> int:
    """How many lines at the top of a directive's body are its options (``:key: value``
    lines, or a ``---`` YAML block)."""
    if lines and lines[0].strip() == "---":
        for k in range(1, len(lines)):
            if lines[k].strip() == "---":
                return k + 1
        return 0
    k = 0
    while k < len(lines) and _OPTION.match(lines[k]):
        k += 1
    return k


def _scan(text: str, base: int, out: list[Piece]) -> None:
    """The pieces of the Markdown ``text``, whose line 0 is line ``base`` of the cell."""
    tokens = _parser().parse(text)
    row = None
    for i, tok in enumerate(tokens):
        if tok.type in ("paragraph_open", "heading_open") and tok.map:
            inline = tokens[i + 1]
            msg = _message(inline.content)
            if msg:
                kind = "heading" if tok.type == "heading_open" else "paragraph"
                out.append(Piece(kind, msg, base + tok.map[0], base + tok.map[1],
                                 inline.content.strip().split("\n")[0]))
        elif tok.type == "tr_open":
            row = tok.map
        elif tok.type in ("th_open", "td_open") and row:
            inline = tokens[i + 1]
            msg = _message(inline.content)
            if msg:
                out.append(Piece("cell", msg, base + row[0], base + row[0] + 1, inline.content.strip()))
        elif tok.type in ("math_block", "math_block_label", "amsmath") and tok.map:
            if tok.content.strip():
                out.append(Piece("math", tok.content, base + tok.map[0], base + tok.map[1], tok.content))
        elif tok.type in ("fence", "colon_fence") and tok.map:
            m = _DIRECTIVE_INFO.match(tok.info.strip())
            if not m:
                continue  # a code block
            name, arg = m.group("name"), m.group("arg").strip()
            if name in TITLED_DIRECTIVES and arg:
                out.append(Piece("title", _message(arg), base + tok.map[0], base + tok.map[0] + 1, arg))
            body = tok.content.split("\n")
            skip = _split_options(body)
            for k in range(skip):
                option = _OPTION.match(body[k])
                key = option.group("key") if option else None
                value = option.group("value").strip() if option else ""
                if value and (key == "caption" or (key == "alt" and name in IMAGE_DIRECTIVES)):
                    out.append(Piece(key, _message(value), base + tok.map[0] + 1 + k,
                                     base + tok.map[0] + 2 + k, value))
            if name in LITERAL_DIRECTIVES:
                continue
            _scan("\n".join(body[skip:]), base + tok.map[0] + 1 + skip, out)


def pieces(source: str) -> list[Piece]:
    """The translatable pieces of one Markdown cell's MyST ``source``, in order."""
    out: list[Piece] = []
    _scan(source, 0, out)
    return out


def _prefix(line: str, text: str) -> int | None:
    """Where ``text`` starts in ``line`` after nothing but a block prefix (indentation,
    ``>``, list markers, ``#``), or None."""
    start = line.find(text)
    while start >= 0:
        if set(line[:start]) <= _PREFIX_CHARS:
            return start
        start = line.find(text, start + 1)
    return None


def _continuation(prefix: str) -> str:
    """The prefix of a block's following lines: its first line's, list markers made spaces."""
    return _LIST_MARKER.sub(lambda m: " " * len(m.group()), prefix.replace("#", " "))


def _apply(source: str, found: list[Piece], translated: dict[int, str]) -> str:
    """``source`` with the pieces ``found[k]`` for k in ``translated`` replaced."""
    lines = source.split("\n")
    new = list(lines)
    dropped: set[int] = set()
    searched: dict[int, int] = {}  # line -> where the next in-line piece is looked for
    for k, piece in enumerate(found):
        text = translated.get(k)
        line = new[piece.start]
        if piece.kind in ("cell", "title", "caption", "alt"):
            # in-line pieces: the first occurrence after the previous piece of the same line
            # (a directive's title after its {name}, a caption after :caption:)
            after = searched.get(piece.start, 0)
            if piece.kind == "title":
                after = max(after, line.find("}") + 1)
            elif piece.kind in ("caption", "alt"):
                after = max(after, line.find(f":{piece.kind}:") + len(piece.kind) + 2)
            at = line.find(piece.source, after)
            if at < 0:
                raise ValueError(f"cannot find {piece.source!r} in line {piece.start}: {line!r}")
            if text is None:
                searched[piece.start] = at + len(piece.source)
                continue
            text = _message(text)
            new[piece.start] = line[:at] + text + line[at + len(piece.source):]
            searched[piece.start] = at + len(text)
            continue
        if text is None:
            continue
        if piece.kind in ("paragraph", "heading"):
            at = _prefix(lines[piece.start], piece.source)
            if at is None:
                raise ValueError(f"cannot find {piece.source!r} at the start of line {piece.start}: "
                                 f"{lines[piece.start]!r}")
            new[piece.start] = lines[piece.start][:at] + _message(text)
        elif piece.kind == "math":
            if text == piece.msgid:
                continue
            first, last = lines[piece.start], lines[piece.end - 1]
            if piece.source.lstrip().startswith("\\begin") and "$$" not in first:  # amsmath
                at = _prefix(first, "\\begin")
                prefix = first[:at]
                block = prefix + text.strip("\n")
            else:
                at = first.find("$$")
                close = last.rfind("$$")
                prefix = first[:at]
                block = prefix + "$$" + text + last[close:]
            cont = _continuation(prefix)
            new[piece.start] = "\n".join([block.split("\n")[0]] + [cont + x if x else cont.rstrip()
                                                                      for x in block.split("\n")[1:]])
        for j in range(piece.start + 1, piece.end):
            dropped.add(j)
    return "\n".join(x for j, x in enumerate(new) if j not in dropped)


# --------------------------------------------------------------------------
# catalogs


def _read_po(path: Path) -> dict[str, str | None]:
    """msgid -> msgstr of the finished entries, None for untranslated or fuzzy ones."""
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        cat = read_po(f)
    return {m.id: (m.string if m.string and not m.fuzzy else None) for m in cat if m.id and isinstance(m.id, str)}


@functools.lru_cache(maxsize=None)
def _cached_po(path: str, mtime_ns: int) -> dict[str, str | None]:
    return _read_po(Path(path))


def catalog(path: Path) -> dict[str, str | None]:
    """A .po file's messages (cached while the file is unchanged): msgid -> msgstr, or None
    for an entry without a finished translation (empty or fuzzy)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"no catalog {path}: the translated notebooks are made from the catalogs of the translated "
            f"website (locale/<lang>/LC_MESSAGES/); run tools/update_translations.py to create or update "
            f"them, or pass locale_dir= pointing at a folder that holds them")
    return _cached_po(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _figure_i18n():
    spec = importlib.util.spec_from_file_location("_cnnbook_figure_i18n", FIGURE_I18N)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _finished(messages: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in messages.items() if v}


# --------------------------------------------------------------------------


def translate_notebook(nb, stem: str, lang: str = "ja", locale_dir=None, *, used: set | None = None):
    """``(new_nb, missing)``: a copy of the book's notebook ``nb`` (``book/<stem>.ipynb``)
    in ``lang``, from ``<locale_dir>/<lang>/LC_MESSAGES/book/<stem>.po`` (the website's
    catalog; default: the repository's ``locale/``), and ``missing``, the English pieces
    left untranslated (their msgids; figure labels and alt texts too), in order.

    ``used``, if given, receives the msgids of ``<stem>.po`` the notebook's pieces used.
    """
    locale_dir = Path(locale_dir) if locale_dir is not None else LOCALE_DIR
    folder = locale_dir / lang / "LC_MESSAGES"
    messages = catalog(folder / "book" / f"{stem}.po")
    new_nb = copy.deepcopy(nb)
    missing: list[str] = []
    labels = alts = None
    for cell in new_nb.cells:
        if cell.cell_type == "markdown":
            source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
            found = pieces(source)
            translated = {}
            for k, piece in enumerate(found):
                text = messages.get(piece.msgid)
                if piece.msgid in messages and used is not None:
                    used.add(piece.msgid)
                if text:
                    translated[k] = text
                else:
                    missing.append(piece.msgid)
            cell.source = _apply(source, found, translated)
        elif cell.cell_type == "code":
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
            if isinstance(alt, str) and alt:
                if alts is None:
                    alts = _finished(catalog(folder / ALT_CATALOG))
                if alt in alts:
                    cell.metadata["mystnb"]["image"]["alt"] = alts[alt]
                else:
                    missing.append(alt)
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                svg = data.get("image/svg+xml")
                if not svg:
                    continue
                if labels is None:
                    labels = _finished(catalog(folder / FIGURES_CATALOG))
                text = svg if isinstance(svg, str) else "".join(svg)
                try:
                    new_svg, _, left = _figure_i18n().translate_svg(text, labels)
                except ValueError as e:  # a translation with another number of lines
                    missing.append(f"figure: {e}")
                    continue
                data["image/svg+xml"] = new_svg
                missing += left
    new_nb.metadata["cnnbook"] = {"lang": lang, "source": f"book/{stem}.ipynb"}
    return new_nb, missing
