"""The Japanese edition's exercises, glued figures and formulas (tools/sphinx/, issue 23 items 4-5).

- every exercise title of the chapters is a message of its page's catalog, translated;
- sphinx-exercise speaks the termbase's word for "exercise" on the Japanese build;
- a small Sphinx project built three ways (gettext, English, Japanese; each in its own
  process, as sphinx-exercise's words are process-wide) shows what a reader sees: the
  title extracted, "演習 1 タイトル", "演習 1「タイトル」の解答", a cross-reference "演習 1",
  a display formula with its \\text{} translated; and the English build as sphinx-exercise
  makes it;
- glued figures in Japanese form (2×10³¹, 972倍) and closed up to the Japanese around them,
  on Japanese pages only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.pofile import read_po
from docutils import nodes

ROOT = Path(__file__).resolve().parents[2]
SPHINX_EXT = ROOT / "tools" / "sphinx"
CATALOGS = ROOT / "locale" / "ja" / "LC_MESSAGES" / "book"
sys.path.insert(0, str(SPHINX_EXT))

import exercise_i18n  # noqa: E402
import glue_text  # noqa: E402

EXERCISE = re.compile(r"^[`:]{3,}\{exercise\}[ \t]*(\S[^\n]*)$", re.M)


def exercise_titles() -> dict[str, list[str]]:
    """page -> the titles of its exercises (the {exercise} argument), from book/*.ipynb and *.md."""
    titles = {}
    for path in sorted((ROOT / "book").iterdir()):
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        elif path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
        else:
            continue
        found = [t.strip() for t in EXERCISE.findall(text)]
        if found:
            titles[path.stem] = found
    return titles


def test_every_exercise_title_is_a_translated_message_of_its_page():
    titles = exercise_titles()
    assert sum(map(len, titles.values())) >= 30
    problems = []
    for page, page_titles in titles.items():
        po = CATALOGS / f"{page}.po"
        if not po.exists():
            continue  # a page without a catalog yet shows English throughout
        with po.open("rb") as f:
            messages = {m.id: m for m in read_po(f) if m.id}
        for title in page_titles:
            m = messages.get(title)
            if m is None:
                problems.append(f"{page}: {title!r} is not a message (run tools/update_translations.py)")
            elif not m.string or m.fuzzy:
                problems.append(f"{page}: {title!r} is {'fuzzy' if m.string else 'untranslated'}")
    assert not problems, "\n".join(problems)


def test_sphinx_exercise_says_the_termbase_word_for_exercise():
    yaml = pytest.importorskip("yaml")
    termbase = ROOT / "locale" / "ja" / "termbase.yml"
    if not termbase.exists():
        pytest.skip("no termbase")
    concepts = yaml.safe_load(termbase.read_text(encoding="utf-8"))["concepts"]
    word = next(c["ja"] for c in concepts if c["en"] == "exercise")
    assert exercise_i18n.WORDS["ja"]["Exercise"] == word


# --------------------------------------------------------------------------
# glued figures


@pytest.mark.parametrize(
    "glued, japanese",
    [
        ("2e+31", "2×10³¹"),
        ("3e-06", "3×10⁻⁶"),
        ("1e-03", "1×10⁻³"),
        ("4.5e-16", "4.5×10⁻¹⁶"),
        ("0e+00", "0"),
        ("5.0e+00", "5.0"),
        ("1e+10", "1×10¹⁰"),
        ("972×", "972倍"),
        ("1.24×", "1.24倍"),
        ("1,000×", "1,000倍"),
        ("97.8%", "97.8%"),
        ("0.1118", "0.1118"),
        ("28×28", "28×28"),
        ("Adam", "Adam"),
        ("se-03", "se-03"),
    ],
)
def test_japanese_figure(glued, japanese):
    assert glue_text.japanese_figure(glued) == japanese


def _paragraph(before, glued, after, cls="pasted-text"):
    paragraph = nodes.paragraph()
    paragraph += nodes.Text(before)
    pasted = nodes.inline("", "", nodes.Text(glued), classes=[cls])
    if cls == "text_plain":  # {glue:}: myst-nb's mime bundle, resolved by a later post-transform
        pasted["classes"].insert(0, "output")
        bundle = nodes.container(nb_element="mime_bundle")
        bundle += nodes.container("", pasted, mime_type="text/plain")
        pasted = bundle
    paragraph += pasted
    paragraph += nodes.Text(after)
    doc = nodes.document(None, None)
    doc += paragraph
    return doc, paragraph


@pytest.mark.parametrize(
    "language, before, glued, after, expected",
    [
        ("ja", "損失は ", "'2e+31'", " 分の1になった。", "損失は2×10³¹分の1になった。"),
        ("ja", "ループより ", "'972×'", " 速かった。", "ループより972倍速かった。"),
        ("ja", "正解率は ", "'97.8%'", "（シード0）", "正解率は97.8%（シード0）"),
        ("ja", "optimizer ", "'Adam'", " を使う", "optimizer Adam を使う"),  # a word keeps its spaces
        ("ja", "x = ", "'3e-06'", " and", "x = 3×10⁻⁶ and"),  # Latin on both sides: spaces stay
        ("en", "the loss fell ", "'2e+31'", " times", "the loss fell 2e+31 times"),
        ("en", "im2col was ", "'972×'", " faster", "im2col was 972× faster"),
    ],
)
def test_glued_figures_on_japanese_pages_only(language, before, glued, after, expected):
    doc, paragraph = _paragraph(before, glued, after, cls="text_plain" if "×" in glued else "pasted-text")
    app = SimpleNamespace(config=SimpleNamespace(language=language))
    glue_text._strip_quotes(app, doc)
    assert paragraph.astext() == expected


def test_formatting_a_figure_twice_changes_nothing():
    """Figures glued from another page are done in a post-transform, after the page's own
    figures were done at doctree-read: the second pass must leave those as they are."""
    doc, paragraph = _paragraph("損失は ", "'2e+31'", " 分の1", cls="text_plain")
    app = SimpleNamespace(config=SimpleNamespace(language="ja"))
    glue_text._strip_quotes(app, doc)
    once = paragraph.astext()
    glue_text._strip_quotes(app, doc)
    assert paragraph.astext() == once == "損失は2×10³¹分の1"


@pytest.mark.parametrize(
    "footer, pagename, expected",
    [
        ('<a href="../book.pdf">PDF</a>', "book/05_im2col", '<a href="../book.pdf">PDF</a>'),
        ('<a href="../book.pdf">PDF</a>', "search", '<a href="book.pdf">PDF</a>'),
        ('<a href="../book.pdf">PDF</a>', "genindex", '<a href="book.pdf">PDF</a>'),
        ('<a href="../../book-ja.pdf">PDF</a>', "book/05_im2col", '<a href="../../book-ja.pdf">PDF</a>'),
        ('<a href="../../book-ja.pdf">PDF</a>', "search", '<a href="../book-ja.pdf">PDF</a>'),
        ('<a href="https://x.org/a.pdf">x</a> <a href="#top">t</a>', "search",
         '<a href="https://x.org/a.pdf">x</a> <a href="#top">t</a>'),
    ],
)
def test_the_footer_links_from_every_page_to_the_pdf(footer, pagename, expected):
    """The footer's links are written for a chapter (book/x.html); the site's root pages need them one folder less up."""
    import book_i18n

    assert book_i18n.footer_for_page(footer, pagename) == expected


# --------------------------------------------------------------------------
# a small book, built for real

CONF = f"""
import sys
sys.path.insert(0, {str(SPHINX_EXT)!r})
extensions = ["myst_nb", "sphinx_exercise", "glue_text", "book_i18n", "exercise_i18n"]
myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath"]
locale_dirs = ["locale"]
gettext_compact = False
nb_execution_mode = "off"
"""

INDEX = """\
# A chapter

Try {ref}`ex-count` first, then {ref}`ex-plain`.

$$
y = x \\quad \\text{(training)}
$$

```{exercise} Counting parameters by hand
:label: ex-count
Count them.
```

```{solution} ex-count
:class: dropdown
Like this.
```

```{exercise}
:label: ex-plain
No title.
```

```{solution} ex-plain
Like that.
```
"""

PO = r'''msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"

msgid "Counting parameters by hand"
msgstr "パラメータ数を手で数える"

msgid "Try {ref}`ex-count` first, then {ref}`ex-plain`."
msgstr "まず {ref}`ex-count`、次に {ref}`ex-plain` を解く。"

msgid ""
"\n"
"y = x \\quad \\text{(training)}\n"
msgstr ""
"\n"
"y = x \\quad \\text{（訓練時）}\n"
'''


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    src = tmp_path_factory.mktemp("book")
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "locale" / "ja" / "LC_MESSAGES").mkdir(parents=True)
    (src / "locale" / "ja" / "LC_MESSAGES" / "index.po").write_text(PO, encoding="utf-8")
    out = {}
    for name, args in (("gettext", ["-b", "gettext"]), ("en", ["-b", "html"]), ("ja", ["-b", "html", "-D", "language=ja"])):
        build = src / "_build" / name
        result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-W", *args, str(src), str(build)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        out[name] = build
    return out


def _titles(html: str) -> list[str]:
    found = re.findall(r'<p class="admonition-title">(.*?)</p>', html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip() for t in found]


def test_the_gettext_builder_extracts_the_exercise_title(small_book):
    pot = (small_book["gettext"] / "index.pot").read_text(encoding="utf-8")
    assert 'msgid "Counting parameters by hand"' in pot


def test_japanese_exercises_read_in_japanese_word_order(small_book):
    html = (small_book["ja"] / "index.html").read_text(encoding="utf-8")
    assert _titles(html) == [
        "演習 1 パラメータ数を手で数える",
        "演習 1「パラメータ数を手で数える」の解答",
        "演習 2",
        "演習 2の解答",
    ]
    # the solution's title links to its exercise; a cross-reference reads 演習 N, no English word
    assert '<a class="reference internal" href="#ex-count">演習 1「パラメータ数を手で数える」</a>の解答' in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "まず 演習 1、次に 演習 2 を解く。" in text
    for english in ("Exercise", "Solution", "Counting", "練習"):
        assert english not in text


def test_a_japanese_display_formula_shows_its_translated_text(small_book):
    html = (small_book["ja"] / "index.html").read_text(encoding="utf-8")
    assert "y = x \\quad \\text{（訓練時）}" in html
    assert "\\[::\\]" not in html  # what Sphinx's Locale transform makes of it under MyST


def test_a_translated_doctree_does_not_carry_other_documents(small_book):
    """A translated node must not keep the throwaway document its msgstr was parsed in: that
    document's settings hold the whole build environment, pickled into every doctree."""
    import pickle

    with (small_book["ja"] / ".doctrees" / "index.doctree").open("rb") as f:
        doctree = pickle.load(f)
    foreign = [n for n in doctree.findall() if n.__dict__.get("_document") not in (None, doctree)]
    assert not foreign, foreign[:3]


def test_the_english_build_is_sphinx_exercise_s_own(small_book):
    html = (small_book["en"] / "index.html").read_text(encoding="utf-8")
    assert _titles(html) == [
        "Exercise 1 (Counting parameters by hand)",
        "Solution to Exercise 1 (Counting parameters by hand)",
        "Exercise 2",
        "Solution to Exercise 2",
    ]
    assert "y = x \\quad \\text{(training)}" in html


def test_the_built_footer_reaches_the_pdf_from_root_and_chapter_pages(tmp_path):
    """sphinx-book-theme's extra_footer, as _config.yml writes it, on a chapter and on search.html."""
    (tmp_path / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(SPHINX_EXT)!r})\n"
        "extensions = ['myst_nb', 'book_i18n']\nnb_execution_mode = 'off'\n"
        "html_theme = 'sphinx_book_theme'\n"
        "html_theme_options = {'extra_footer': '<p><a href=\"../book.pdf\">PDF of the book</a></p>'}\n",
        encoding="utf-8")
    (tmp_path / "index.md").write_text("# Home\n\n```{toctree}\nbook/ch\n```\n", encoding="utf-8")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "ch.md").write_text("# A chapter\n\nText.\n", encoding="utf-8")
    out = tmp_path / "_build"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(tmp_path), str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pdf_links = {page: re.findall(r'href="([^"]*book\.pdf)"', (out / page).read_text(encoding="utf-8"))
                 for page in ("book/ch.html", "search.html", "genindex.html", "index.html")}
    assert pdf_links == {"book/ch.html": ["../book.pdf"], "search.html": ["book.pdf"],
                         "genindex.html": ["book.pdf"], "index.html": ["book.pdf"]}
