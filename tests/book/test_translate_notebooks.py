"""The Japanese notebooks (issue 25): cnnbook.translate.translate_notebook turns each chapter of
book/ into Japanese with the catalogs the Japanese website uses (locale/ja/LC_MESSAGES/).

* every chapter translates with nothing missing, and every msgid of its catalog is used by some
  piece of the notebook (the pieces found here are the ones Sphinx's gettext extracted);
* only the Markdown text changes: code cells keep their source and outputs (the SVG figures get
  their words from figures.po, the alt texts from figures-alt.po), and the MyST markup the
  converters need survives (glue/doc/ref roles, (label)= targets, :label: options, directive
  fences, display formulas' delimiters);
* the translated prose is Japanese;
* a catalog with one msgstr removed (or a changed English sentence) gives that piece in
  ``missing`` and leaves its English in place; a missing catalog is a clear error.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from cnnbook import translate

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
CATALOGS = ROOT / "locale" / "ja" / "LC_MESSAGES"
STEMS = sorted(p.stem for p in BOOK.glob("*.ipynb"))

sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
import figure_i18n  # noqa: E402

# Characters of Japanese text: kana, CJK ideographs, Japanese punctuation and full-width forms.
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
# Measured 2026-12-07 on the 19 chapters: the Japanese share of the prose's letters is 0.88 to 0.96
# per chapter (08_chainer_to_keras, with the most English names and titles, the lowest); the
# English notebooks have at most 0.006.  A chapter left half in English falls well below 0.7.
JAPANESE_SHARE_AT_LEAST = 0.7


@pytest.fixture(scope="module")
def books():
    """stem -> (English notebook, Japanese notebook, missing, msgids used); translated once."""
    out = {}
    for stem in STEMS:
        nb = nbformat.read(BOOK / f"{stem}.ipynb", as_version=4)
        used: set = set()
        new, missing = translate.translate_notebook(nb, stem, used=used)
        out[stem] = (nb, new, missing, used)
    return out


def test_the_book_has_its_chapters():
    assert len(STEMS) >= 19 and {"performance", "scaling", "01_why_cnns"} <= set(STEMS)
    assert {"intro", "glossary", "references", "teachers"} <= set(PAGES)


@pytest.mark.parametrize("stem", STEMS)
def test_every_piece_is_translated(books, stem):
    _, new, missing, _ = books[stem]
    assert missing == []
    assert new.metadata["cnnbook"] == {"lang": "ja", "source": f"book/{stem}.ipynb"}


@pytest.mark.parametrize("stem", STEMS)
def test_every_message_of_the_catalog_is_used(books, stem):
    """The segmentation matches Sphinx's: no msgid of the page's catalog is left over."""
    _, _, _, used = books[stem]
    messages = translate.catalog(CATALOGS / "book" / f"{stem}.po")
    assert sorted(set(messages) - used) == []


PAGES = sorted(p.stem for p in BOOK.glob("*.md") if (CATALOGS / "book" / f"{p.stem}.po").exists())


def _toc_captions() -> set[str]:
    """The part captions of _toc.yml: Sphinx extracts them into the root page's catalog."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return {part["caption"] for part in toc.get("parts", []) if part.get("caption")}


@pytest.mark.parametrize("stem", PAGES)
def test_markdown_pages_translate_as_one_cell(stem):
    """The reader's edition translates the pages the notebooks link to (glossary, references,
    ...) as one-cell notebooks: nothing missing, every message used (the root page's toc
    captions aside, which are not in its text)."""
    source = (BOOK / f"{stem}.md").read_text(encoding="utf-8")
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])
    used: set = set()
    new, missing = translate.translate_notebook(page, stem, used=used)
    assert missing == []
    assert sorted(set(translate.catalog(CATALOGS / "book" / f"{stem}.po")) - used - _toc_captions()) == []
    if stem != "references":  # bibliographic entries stay as published (Japanese share 0.16)
        assert japanese_share(new) >= JAPANESE_SHARE_AT_LEAST  # measured: glossary 0.76, intro 0.90, teachers 0.88
    assert japanese_share(page) < 0.05


def _without_svg(output):
    output = nbformat.from_dict(output)
    output.get("data", {}).pop("image/svg+xml", None)
    return output


@pytest.mark.parametrize("stem", STEMS)
def test_code_cells_and_outputs_are_kept(books, stem):
    nb, new, _, _ = books[stem]
    assert [c.cell_type for c in new.cells] == [c.cell_type for c in nb.cells]
    assert [c.get("id") for c in new.cells] == [c.get("id") for c in nb.cells]
    assert new.metadata["kernelspec"] == nb.metadata["kernelspec"]
    for old, cell in zip(nb.cells, new.cells):
        if cell.cell_type != "code":
            continue
        assert cell.source == old.source
        assert cell.execution_count == old.execution_count
        assert [_without_svg(o) for o in cell.outputs] == [_without_svg(o) for o in old.outputs]
        assert [bool(o.get("data", {}).get("image/svg+xml")) for o in cell.outputs] == \
               [bool(o.get("data", {}).get("image/svg+xml")) for o in old.outputs]
    assert nb == nbformat.read(BOOK / f"{stem}.ipynb", as_version=4)  # the input is not changed


MARKUP = {
    "glue role": re.compile(r"\{glue[\w:]*\}`[^`]*`"),
    "doc role": re.compile(r"\{doc\}`[^`]*`"),
    "ref role": re.compile(r"\{ref\}`[^`]*`"),
    "other role": re.compile(r"\{(?!glue|doc\}|ref\})[\w:-]+\}`[^`]*`"),
    "target": re.compile(r"^\([\w.-]+\)=\s*$", re.M),
    ":label:": re.compile(r"^\s*:label:.*$", re.M),
    "directive fence": re.compile(r"^\s*(?:`{3,}|:{3,})\{[\w-]+\}", re.M),
    "fence": re.compile(r"^\s*(?:`{3,}|:{3,})", re.M),
    "$$": re.compile(r"\$\$"),
    "link": re.compile(r"\]\([^)\s]+\)"),
}


@pytest.mark.parametrize("stem", STEMS)
def test_myst_markup_survives(books, stem):
    nb, new, _, _ = books[stem]
    for old, cell in zip(nb.cells, new.cells):
        if cell.cell_type != "markdown":
            continue
        for name, pattern in MARKUP.items():
            before, after = pattern.findall(old.source), pattern.findall(cell.source)
            if name in ("glue role", "doc role", "ref role", "other role", "link"):
                before, after = sorted(before), sorted(after)  # a translation may reorder them
            assert after == before, (name, old.source[:80])
        # options, code inside directives and comments stay line for line
        assert _kept_lines(cell.source) == _kept_lines(old.source)


_KEPT = re.compile(r"^[ \t]*(?::[\w-]+:|%|`{3,}|:{3,}).*$", re.M)
_TITLED = re.compile(r"^([ \t]*(?:`{3,}|:{3,})\{(?:exercise|admonition)\}).*$")


def _kept_lines(source: str) -> list[str]:
    """The lines a translation keeps as they are: directive fences (a title argument aside),
    options (a caption or alt text aside), code fences and comments."""
    return [_TITLED.sub(r"\1", line) for line in _KEPT.findall(source)
            if not line.lstrip().startswith((":caption:", ":alt:"))]


def _prose(source: str) -> str:
    """A Markdown cell's words: without code blocks, code, math, roles, options and targets."""
    text = re.sub(r"^(\s*`{3,})(?!\{(?!code-block))[^\n]*\n.*?^\1\s*$", "", source, flags=re.M | re.S)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\$[^$\n]*\$", "", text)
    text = re.sub(r"^\s*(?:`{3,}|:{3,})\{[\w-]+\}.*$|^\s*:[\w-]+:.*$|^\(.*\)=$", "", text, flags=re.M)
    return re.sub(r"\]\([^)]*\)", "]", text)


def japanese_share(nb) -> float:
    text = "".join(_prose(c.source) for c in nb.cells if c.cell_type == "markdown")
    ja, latin = len(JAPANESE.findall(text)), len(LATIN.findall(text))
    return ja / max(1, ja + latin)


@pytest.mark.parametrize("stem", STEMS)
def test_the_text_is_japanese(books, stem):
    nb, new, _, _ = books[stem]
    assert japanese_share(nb) < 0.05  # the measure tells English from Japanese
    assert japanese_share(new) >= JAPANESE_SHARE_AT_LEAST


@pytest.fixture(scope="module")
def figure_translations():
    return figure_i18n.load_translations(CATALOGS / "figures.po")


def _svgs(nb):
    return [o["data"]["image/svg+xml"] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("data", {}).get("image/svg+xml")]


def test_figures_have_their_words_translated(books, figure_translations):
    """No label figures.po translates is left in English on any figure; most figures change."""
    figures = changed = english_before = 0
    for stem in STEMS:
        nb, new, _, _ = books[stem]
        for old, svg in zip(_svgs(nb), _svgs(new)):
            figures += 1
            changed += svg != old
            english_before += sum(1 for label in figure_i18n.labels(old)
                                  if figure_i18n.lookup(figure_translations, label.text))
            left = [label.text for label in figure_i18n.labels(svg)
                    if figure_i18n.is_label(label.text) and figure_i18n.lookup(figure_translations, label.text)]
            assert left == [], (stem, left)
            assert "IPAPGothic" in svg or svg == old
    assert figures >= 60 and english_before >= 200 and changed >= figures * 0.8, (figures, changed, english_before)


def test_alt_texts_are_translated(books):
    alts = {m: s for m, s in translate.catalog(CATALOGS / "figures-alt.po").items() if s}
    count = 0
    for stem in STEMS:
        nb, new, _, _ = books[stem]
        for old, cell in zip(nb.cells, new.cells):
            alt = old.metadata.get("mystnb", {}).get("image", {}).get("alt")
            if alt:
                count += 1
                assert cell.metadata["mystnb"]["image"]["alt"] == alts[alt]
                assert old.metadata["mystnb"]["image"]["alt"] == alt  # the source is not changed
    assert count >= 60


def test_pieces_in_lists_tables_quotes_and_directives(tmp_path):
    """The kinds of pieces, each replaced in place with its prefix kept (a small catalog)."""
    source = "\n".join([
        "(sec-x)=", "## A heading", "",
        "A paragraph over", "two lines with {doc}`02_convolution`.", "",
        "1. A list item", "   that continues.", "", "   Its second paragraph.",
        "   > A quote", "   > inside it.", "",
        "| head | `code` |", "|---|---|", "| cell one | $x$ |", "",
        "$$", r"a = \text{word}", "$$ (eq-a)", "",
        "````{exercise} A title", ":label: ex-a", "", "Inside the exercise.", "",
        "```{code-block} python", ":caption: A caption", "x = 1  # a comment", "```", "",
        ":::{note}", "A note.", ":::", "````", "",
        "```{solution} ex-a", ":class: dropdown", "", "* The answer", "  is here.", "```", "",
        "```{figure} images/x.png", ":alt: An alt text", ":width: 10px", "", "A caption.", "```",
    ])
    messages = {
        "A heading": "見出し", "A paragraph over two lines with {doc}`02_convolution`.": "段落 {doc}`02_convolution`。",
        "A list item that continues.": "項目。", "Its second paragraph.": "2つ目の段落。",
        "A quote inside it.": "引用。", "head": "見出し列", "`code`": "`code`", "cell one": "セル1",
        "$x$": "$x$", "\n" + r"a = \text{word}" + "\n": "\n" + r"a = \text{語}" + "\n",
        "A title": "題", "Inside the exercise.": "演習の中。", "A caption": "説明", "A note.": "注。",
        "The answer is here.": "答え。", "An alt text": "代替テキスト", "A caption.": "図の説明。",
    }
    _write_po(tmp_path / "ja" / "LC_MESSAGES" / "book" / "x.po", messages)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])
    new, missing = translate.translate_notebook(nb, "x", locale_dir=tmp_path)
    assert missing == []
    assert new.cells[0].source == "\n".join([
        "(sec-x)=", "## 見出し", "",
        "段落 {doc}`02_convolution`。", "",
        "1. 項目。", "", "   2つ目の段落。",
        "   > 引用。", "",
        "| 見出し列 | `code` |", "|---|---|", "| セル1 | $x$ |", "",
        "$$", r"a = \text{語}", "$$ (eq-a)", "",
        "````{exercise} 題", ":label: ex-a", "", "演習の中。", "",
        "```{code-block} python", ":caption: 説明", "x = 1  # a comment", "```", "",
        ":::{note}", "注。", ":::", "````", "",
        "```{solution} ex-a", ":class: dropdown", "", "* 答え。", "```", "",
        "```{figure} images/x.png", ":alt: 代替テキスト", ":width: 10px", "", "図の説明。", "```",
    ])
    assert nb.cells[0].source == source  # the input is not changed


def _write_po(path: Path, messages: dict[str, str], fuzzy: set = frozenset()):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    cat = Catalog(locale="ja")
    for msgid, msgstr in messages.items():
        cat.add(msgid, msgstr, flags=("fuzzy",) if msgid in fuzzy else ())
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, cat)


def _catalog_copy(tmp_path, stem: str, change) -> Path:
    """A locale folder with ``stem``'s catalog changed by ``change(catalog)``."""
    from babel.messages.pofile import read_po, write_po

    folder = tmp_path / "locale"
    shutil.copytree(CATALOGS, folder / "ja" / "LC_MESSAGES")
    po = folder / "ja" / "LC_MESSAGES" / "book" / f"{stem}.po"
    with po.open("rb") as f:
        cat = read_po(f)
    change(cat)
    with po.open("wb") as f:
        write_po(f, cat)
    return folder


def test_a_removed_translation_is_reported_and_left_in_english(tmp_path, books):
    stem = "02_convolution"
    nb, _, _, _ = books[stem]
    removed = {}

    def remove(cat):
        for message in cat:
            if message.id == "What to take away:":
                removed[message.id] = message.string
                message.string = ""
        fuzzy = next(m for m in cat if m.id == "The bias")
        fuzzy.flags.add("fuzzy")

    folder = _catalog_copy(tmp_path, stem, remove)
    new, missing = translate.translate_notebook(nb, stem, locale_dir=folder)
    assert removed and missing == ["What to take away:", "The bias"]
    text = "\n".join(c.source for c in new.cells if c.cell_type == "markdown")
    assert "\nWhat to take away:\n" in text and "### The bias" in text
    assert removed["What to take away:"] not in text


def test_a_changed_sentence_is_reported(tmp_path, books):
    stem = "02_convolution"
    nb, _, _, _ = books[stem]
    nb = nbformat.from_dict(nb)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "What to take away:" in c.source)
    cell.source = cell.source.replace("What to take away:", "What to remember:")
    _, missing = translate.translate_notebook(nb, stem)
    assert missing == ["What to remember:"]


def test_a_missing_catalog_is_a_clear_error(tmp_path, books):
    nb, _, _, _ = books["02_convolution"]
    with pytest.raises(FileNotFoundError, match=r"02_convolution\.po.*update_translations"):
        translate.translate_notebook(nb, "02_convolution", locale_dir=tmp_path)
