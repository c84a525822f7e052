"""The reader's edition (issue 25): ``python -m cnnbook.reader [--lang en|ja] [--flavour lab|portable] OUTDIR``
writes every chapter of book/ for JupyterLab with jupyterlab-myst (``lab``) or for any Jupyter
(``portable``).  Each of the four editions is generated once per session into a tmp folder (~6 s for
all four) and checked chapter by chapter against the book's own notebooks:

* no MyST is left that jupyterlab-myst would not render (``lab``: only ``{eval}`` roles,
  ``:::{admonition}`` boxes with a ``:class:`` and the front matter that turns equation numbers
  off), none at all in ``portable``; every link points at a file of the edition (and at a heading
  of it) or at the web; the Markdown pages the chapters link to come along;
* every glued figure is an ``{eval}`` expression with the book's stored value in the cell's
  ``user_expressions`` (Japanese form in Japanese), one per glue role, outside math;
  ``portable`` writes the stored value into the text;
* exercises are numbered as the website numbers them (through the whole book in _toc.yml order;
  compared with the built pages, English and Japanese, when the sites are built), solutions are
  collapsed boxes titled as on the site;
* code cells, outputs and ids are the book's (the Japanese edition's first cell importing cnnlib
  also sets the checks' language); hidden cells start collapsed;
* the Japanese edition is Japanese (nothing untranslated, prose mostly Japanese, 注釈, the
  Japanese titles in link texts);
* bad input is a clear error (a copy of a chapter stands in for book/: a broken guard must not
  write into the book);
* and in a real kernel: an expression run before any cell gives the stored value, and after the
  code cells of a deterministic chapter (04_pooling, marked slow: ~8 s) every expression gives
  the figure this run glued, which is the stored one.

Each check was seen to fail on a generator broken on purpose (see the session 28 report of E).
"""

from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

import cnnlib
from cnnbook import reader
from cnnlib import claims

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
STEMS = sorted(p.stem for p in BOOK.glob("*.ipynb"))
EDITIONS = [(lang, flavour) for lang in ("en", "ja") for flavour in ("lab", "portable")]
EDITION_IDS = [f"{lang}-{flavour}" for lang, flavour in EDITIONS]
GLUE_PREFIX = "application/papermill.record/"

WORDS = {"en": {"exercise": "Exercise", "solution": "Solution to {exercise}", "note": "Note"},
         "ja": {"exercise": "演習", "solution": "{exercise}の解答", "note": "注釈"}}


# ------------------------------------------------------------------ the book and the editions
def _markdown(nb):
    return [c for c in nb.cells if c.cell_type == "markdown"]


@pytest.fixture(scope="session")
def book():
    """stem -> the book's notebook, as stored in book/."""
    return {stem: nbformat.read(BOOK / f"{stem}.ipynb", as_version=4) for stem in STEMS}


@pytest.fixture(scope="session")
def stored(book):
    """name -> the ``text/plain`` glued value stored in the book's outputs (what the site shows)."""
    values = {}
    for nb in book.values():
        for cell in nb.cells:
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                name = out.get("metadata", {}).get("scrapbook", {}).get("name")
                text = out.get("data", {}).get(GLUE_PREFIX + "text/plain")
                if name and text is not None:
                    values[name] = text
    return values


class Edition:
    def __init__(self, lang, flavour, folder, summary):
        self.lang, self.flavour, self.folder, self.summary = lang, flavour, folder, summary
        self.notebooks = {p.stem: nbformat.read(p, as_version=4) for p in folder.glob("*.ipynb")}
        self.words = WORDS[lang]

    def title(self, stem):
        """The first ``#`` heading of a notebook (or a Markdown page) of this edition."""
        if stem in self.notebooks:
            text = "\n".join(c.source for c in _markdown(self.notebooks[stem]))
        else:
            text = (self.folder / f"{stem}.md").read_text(encoding="utf-8")
        return re.search(r"^#\s+(.+)$", text, re.M).group(1).strip()


@pytest.fixture(scope="session")
def generate(tmp_path_factory):
    """``generate(lang, flavour)``: that edition, written on first use (once per session; ~1-2.5 s each)."""
    written = {}

    def get(lang, flavour):
        if (lang, flavour) not in written:
            folder = tmp_path_factory.mktemp(f"reader-{lang}-{flavour}")
            summary = reader.reader_edition(BOOK, folder, lang=lang, flavour=flavour)
            written[lang, flavour] = Edition(lang, flavour, folder, summary)
        return written[lang, flavour]

    return get


@pytest.fixture(params=EDITIONS, ids=EDITION_IDS)
def edition(request, generate):
    return generate(*request.param)


def test_the_book_has_its_chapters():
    assert len(STEMS) >= 19 and {"01_why_cnns", "04_pooling", "performance", "scaling"} <= set(STEMS)


def test_every_chapter_is_written(edition, book):
    assert sorted(edition.notebooks) == STEMS
    assert sorted(edition.summary) == [f"{stem}.ipynb" for stem in STEMS]
    for stem in STEMS:
        nb, old = edition.notebooks[stem], book[stem]
        assert nb.metadata["cnnbook"] == {"edition": "reader", "flavour": edition.flavour, "lang": edition.lang,
                                          "source": f"book/{stem}.ipynb"}
        assert nb.metadata["kernelspec"] == old.metadata["kernelspec"]
        assert [(c.cell_type, c.get("id")) for c in nb.cells] == [(c.cell_type, c.get("id")) for c in old.cells]
        nbformat.validate(nb)
    # the figures the chapters show from files come along
    assert (edition.folder / "data").is_dir() or not (BOOK / "data").is_dir()


# ------------------------------------------------------------------ 1. no MyST left
FORBIDDEN = {
    "glue role": re.compile(r"\{glue"),
    "doc role": re.compile(r"\{doc\}"),
    "ref role": re.compile(r"\{ref\}"),
    "numref role": re.compile(r"\{numref\}"),
    "term role": re.compile(r"\{term\}"),
    "exercise": re.compile(r"\{exercise\}"),
    "solution": re.compile(r"\{solution\}"),
    "(label)= target": re.compile(r"^\([\w.-]+\)=[ \t]*$", re.M),
    ":label:": re.compile(r"^[ \t>]*:label:", re.M),
}
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")
DIRECTIVE = re.compile(r"^[ \t>]*(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}(?P<arg>.*)$", re.M)
OPTION = re.compile(r"^[ \t>]*:(?P<name>[\w-]+):[ \t]", re.M)
CLOSE = re.compile(r"^(?P<fence>:{3,})[ \t]*$")
ADMONITION_CLASSES = {"tip", "dropdown", "note", "warning", "important"}


# the lab flavour's one other piece of MyST: front matter at the top of the first Markdown cell that
# turns jupyterlab-myst's equation numbers off (the website does not number them)
FRONT_MATTER = re.compile(r"\A---\n(?P<yaml>.*?)\n---\n", re.S)


def _texts(edition, stem):
    """The Markdown of one notebook of the edition, cell by cell (without the lab flavour's front matter)."""
    return [FRONT_MATTER.sub("", c.source, count=1) if i == 0 and edition.flavour == "lab" else c.source
            for i, c in enumerate(_markdown(edition.notebooks[stem]))]


def _pages(edition):
    """The Markdown pages the edition writes beside the notebooks (references.md, ...)."""
    return {p.name: p.read_text(encoding="utf-8") for p in edition.folder.glob("*.md")}


def _myst_problems(edition, text):
    problems = [f"{name}: {m.group(0)!r}" for name, pattern in FORBIDDEN.items() for m in pattern.finditer(text)]
    roles = [m.group(0) for m in ROLE.finditer(text)]
    if edition.flavour == "portable":
        problems += [f"role {r!r}" for r in roles]
        problems += [f"directive {m.group(0)!r}" for m in DIRECTIVE.finditer(text)]
        problems += [f"option {m.group(0)!r}" for m in OPTION.finditer(text)]
        return problems
    problems += [f"role {r!r}" for r in roles if not r.startswith("{eval}`")]
    lines, stack = text.split("\n"), []
    for i, line in enumerate(lines):
        opened, closed = DIRECTIVE.match(line), CLOSE.match(line)
        if opened:
            if opened.group("name") != "admonition" or not opened.group("fence").startswith(":"):
                problems.append(f"directive {line!r}")
            option = re.match(r"^:class: (\S+)$", lines[i + 1] if i + 1 < len(lines) else "")
            if not option or option.group(1) not in ADMONITION_CLASSES:
                problems.append(f"admonition without a :class: {line!r}")
            if not opened.group("arg").strip():
                problems.append(f"admonition without a title {line!r}")
            stack.append(opened.group("fence"))
        elif closed:
            if not stack or stack.pop() != closed.group("fence"):
                problems.append(f"unbalanced fence at line {i}: {line!r}")
        elif OPTION.match(line) and not (line.startswith(":class: ") and i and DIRECTIVE.match(lines[i - 1])):
            problems.append(f"option {line!r}")
    problems += [f"unclosed admonition {fence}" for fence in stack]
    return problems


@pytest.mark.parametrize("stem", STEMS)
def test_no_myst_left_that_the_flavour_cannot_render(generate, stem):
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        for i, text in enumerate(_texts(edition, stem)):
            assert _myst_problems(edition, text) == [], (lang, flavour, stem, i, text[:200])
        if flavour == "lab":  # the boxes are there: the role/directive checks above did see something
            assert sum(t.count("{eval}`") for t in _texts(edition, stem)) == edition.summary[f"{stem}.ipynb"]["expressions"]


def test_front_matter_turns_equation_numbers_off_in_lab_only(edition):
    for stem in STEMS:
        cells = _markdown(edition.notebooks[stem])
        found = FRONT_MATTER.match(cells[0].source)
        if edition.flavour == "lab":
            assert found and yaml.safe_load(found.group("yaml")) == {"numbering": {"equation": False}}, stem
            assert cells[0].source[found.end():].startswith("# ")  # the chapter's title right after it
        else:
            assert not found, stem
        assert not any(FRONT_MATTER.match(c.source) for c in cells[1:]), stem


def test_the_markdown_pages_have_no_myst_left(edition):
    pages = _pages(edition)
    assert "references.md" in pages
    for name, text in pages.items():
        assert _myst_problems(edition, text) == [], (name, text[:200])


def test_the_myst_check_can_fail(generate):
    """The check above sees what it forbids (a guard against a check that accepts everything)."""
    lab, portable = generate("en", "lab"), generate("en", "portable")
    assert _myst_problems(lab, "see {doc}`02_convolution`")
    assert _myst_problems(lab, "(sec-x)=\n## A")
    assert _myst_problems(lab, ":::{note}\nText\n:::")
    assert _myst_problems(lab, ":::{admonition} A\nText\n:::")  # no :class:
    assert _myst_problems(lab, "::::{admonition} A\n:class: tip\n\nText\n:::")  # unbalanced
    assert _myst_problems(lab, "```{code-block} python\nx\n```")
    assert _myst_problems(portable, "{eval}`cnnlib.glued(\"x\")`")
    assert _myst_problems(portable, ":::{admonition} A\n:class: tip\n\nText\n:::")
    assert not _myst_problems(lab, "::::{admonition} A\n:class: tip\n\n:::{admonition} B\n:class: note\n\nT\n:::\n::::")


LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*$", re.M)


def _anchors(edition, stem):
    """JupyterLab's ids of a notebook's headings: the heading's text with spaces as hyphens."""
    return {m.group(1).replace(" ", "-") for text in _texts(edition, stem) for m in HEADING.finditer(text)}


def _link_problems(edition, text):
    problems = []
    for m in LINK.finditer(text):
        target = m.group("target")
        if re.match(r"https?://", target):
            continue
        path, _, anchor = target.partition("#")
        if not path or not (edition.folder / path).is_file():
            problems.append(f"no file {path!r} in the edition: {m.group(0)}")
        elif anchor and (not path.endswith(".ipynb") or anchor not in _anchors(edition, Path(path).stem)):
            problems.append(f"no heading #{anchor} in {path}: {m.group(0)}")
    return problems


@pytest.mark.parametrize("stem", STEMS)
def test_links_point_into_the_edition(generate, stem):
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        problems = [p for text in _texts(edition, stem) for p in _link_problems(edition, text)]
        assert problems == [], (lang, flavour, stem)


def test_links_of_the_markdown_pages_point_into_the_edition(edition):
    for name, text in _pages(edition).items():
        assert _link_problems(edition, text) == [], name


def test_links_cover_the_books_kinds(generate):
    """Chapters, sections (anchors), the references page and the web are all linked to somewhere."""
    edition = generate("en", "lab")
    kinds = Counter()
    for stem in STEMS:
        for text in _texts(edition, stem):
            for m in LINK.finditer(text):
                t = m.group("target")
                kinds["web" if t.startswith("http") else "anchor" if "#" in t else Path(t).suffix] += 1
    assert kinds["anchor"] >= 5 and kinds[".ipynb"] >= 100 and kinds[".md"] >= 20 and kinds["web"] >= 10, kinds
    assert _link_problems(edition, "[x](02_convolution.ipynb#No-such-heading) [y](nothing.ipynb)") != []


# ------------------------------------------------------------------ 2. glued figures
def _glue_names(source):
    """The names of the glue roles in a cell of the book, in order."""
    names = []
    for m in ROLE.finditer(source):
        role, target = m.group("role"), m.group("text")
        if role.startswith("glue"):
            name = re.sub(r"^.*<(.+)>$", r"\1", target).split("::")[-1]
            names.append(name.split(":")[0] if role == "glue:text" else name)
    return names


def _expected_text(stored_text, lang):
    """The ``text/plain`` a kernel gives for the glued text (a str) in this language."""
    value = str(ast.literal_eval(stored_text))
    return repr(claims.japanese_figure(value) if lang == "ja" else value)


def _parse_expression(expression):
    """``(name, default, lang)`` of ``cnnlib.glued("name", default=..., lang=...)``; fails on anything else."""
    call = ast.parse(expression, mode="eval").body
    # cnnlib.glued(...), or __import__("cnnlib").glued(...) (which needs no import cell run first)
    assert isinstance(call, ast.Call) and ast.unparse(call.func) in ("cnnlib.glued", "__import__('cnnlib').glued"), expression
    assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant), expression
    keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert set(keywords) <= {"default", "lang"}, expression
    return call.args[0].value, keywords.get("default"), keywords.get("lang")


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("stem", STEMS)
def test_glued_figures_are_inline_expressions_with_the_stored_values(generate, book, stored, stem, lang, monkeypatch):
    edition = generate(lang, "lab")
    monkeypatch.setattr(claims, "_GLUED", {})  # nothing glued here: an expression gives its default
    total = 0
    for old, cell in zip(_markdown(book[stem]), _markdown(edition.notebooks[stem])):
        names = _glue_names(old.source)
        evals = re.findall(r"\{eval\}`([^`]*)`", cell.source)
        entries = cell.metadata.get("user_expressions", [])
        assert len(evals) == len(names) == len(entries), (stem, old.source[:120])
        # jupyterlab-myst shows an expression's result found by its exact text
        assert Counter(e["expression"] for e in entries) == Counter(evals)
        found = []
        for entry in entries:
            name, default, elang = _parse_expression(entry["expression"])
            found.append(name)
            assert name in stored, f"{name} is glued in the prose but no output of the book stores it"
            assert elang == ("ja" if lang == "ja" else None)
            assert default == str(ast.literal_eval(stored[name]))
            result = entry["result"]
            assert result["status"] == "ok" and set(result["data"]) == {"text/plain"}
            assert result["data"]["text/plain"] == _expected_text(stored[name], lang)
            if lang == "en":
                assert result["data"]["text/plain"] == stored[name]  # exactly the site's value
            # what the expression gives before the chapter has run: the stored value
            assert repr(eval(entry["expression"], {"cnnlib": cnnlib})) == result["data"]["text/plain"]
        assert Counter(found) == Counter(names)
        # jupyterlab-myst evaluates a role in the text, not inside math (it would show the raw role there)
        math = re.findall(r"\$\$.*?\$\$|(?<!\\)\$[^$\n]+\$", cell.source, re.S)
        assert not [m for m in math if "{eval}" in m], (stem, math)
        total += len(names)
    assert edition.summary[f"{stem}.ipynb"]["expressions"] == total
    for cell in edition.notebooks[stem].cells:
        if cell.cell_type != "markdown":
            assert "user_expressions" not in cell.metadata


def test_the_book_glues_figures_in_its_prose(generate):
    edition = generate("en", "lab")
    assert sum(s["expressions"] for s in edition.summary.values()) >= 300
    # a Japanese figure differs from the English in some cells (倍, ×10ⁿ): the conversion is applied
    ja = generate("ja", "lab")
    results = [e["result"]["data"]["text/plain"] for nb in ja.notebooks.values() for c in _markdown(nb)
               for e in c.metadata.get("user_expressions", [])]
    assert any("倍" in r or "×10" in r for r in results)


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("stem", STEMS)
def test_portable_flavour_writes_the_stored_figures(generate, book, stored, stem, lang):
    edition = generate(lang, "portable")
    for old, cell in zip(_markdown(book[stem]), _markdown(edition.notebooks[stem])):
        assert "user_expressions" not in cell.metadata
        wanted = Counter(ast.literal_eval(_expected_text(stored[name], lang)) for name in _glue_names(old.source))
        for value, n in wanted.items():
            assert cell.source.count(value) >= n, (stem, value, cell.source[:200])
    assert edition.summary[f"{stem}.ipynb"]["expressions"] == 0


# ------------------------------------------------------------------ 4. exercises
EXERCISE_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{exercise\}(?P<arg>[^\n]*)\n(?P<options>(?::[\w-]+:.*\n)*)", re.M)
SOLUTION_FENCE = re.compile(r"^(`{3,}|:{3,})\{solution\}[ \t]*(?P<label>\S*)", re.M)
REF = re.compile(r"\{(?:ref|numref)\}`(?P<label>[\w.-]+)`")


@pytest.fixture(scope="session")
def exercises(book):
    """The website's numbering, worked out here from _toc.yml and the book's exercise directives:
    ``(numbers, labels)``: stem -> [(number, title)], label -> (stem, number)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    order = [Path(ch["file"]).name for part in toc["parts"] for ch in part["chapters"]]
    numbers, labels, n = {}, {}, 0
    for stem in [s for s in order if s in book] + sorted(set(book) - set(order)):
        numbers[stem] = []
        for cell in _markdown(book[stem]):
            for m in EXERCISE_FENCE.finditer(cell.source):
                n += 1
                numbers[stem].append((n, m.group("arg").strip()))
                label = re.search(r"^:label:\s*(\S+)", m.group("options"), re.M)
                if label:
                    labels[label.group(1)] = (stem, n)
    return numbers, labels


def test_exercises_are_numbered_through_the_book(exercises):
    numbers, _ = exercises
    assert [n for n, _ in numbers["01_why_cnns"]] == [1, 2, 3]
    assert [n for n, _ in numbers["04_pooling"]] == [11, 12, 13, 14]
    assert sum(len(v) for v in numbers.values()) >= 60


def _exercise_boxes(edition, text):
    """``[(number, title)]`` of the exercise boxes in a cell, as the flavour writes them."""
    word = re.escape(edition.words["exercise"])
    if edition.flavour == "lab":
        pattern = rf"^:{{3,}}\{{admonition\}} {word} (\d+)(.*)\n:class: tip$"
    else:
        pattern = rf"^> \*\*{word} (\d+)(.*)\*\*$"
    return [(int(n), title.strip()) for n, title in re.findall(pattern, text, re.M)]


def _solution_boxes(edition, text):
    if edition.flavour == "lab":
        return re.findall(r"^:{3,}\{admonition\} (.+)\n:class: dropdown$", text, re.M)
    assert "<details open" not in text
    return re.findall(r"^<details>\n<summary>(.+)</summary>\n", text, re.M)


def _solution_title(edition, number, title):
    exercise = f"{edition.words['exercise']} {number}"
    if title:
        exercise += f"「{title}」" if edition.lang == "ja" else f" ({title})"
    return edition.words["solution"].format(exercise=exercise)


@pytest.mark.parametrize("stem", STEMS)
def test_exercises_and_solutions_are_numbered_as_on_the_website(generate, book, exercises, stem):
    numbers, labels = exercises
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        boxes, solutions, expected_solutions = [], [], []
        for old, cell in zip(_markdown(book[stem]), _markdown(edition.notebooks[stem])):
            found = _exercise_boxes(edition, cell.source)
            boxes += found
            titles = dict(boxes)
            solutions += _solution_boxes(edition, cell.source)
            for m in SOLUTION_FENCE.finditer(old.source):
                number = labels[m.group("label")][1] if m.group("label") in labels else boxes[-1][0]
                expected_solutions.append(_solution_title(edition, number, titles[number].strip("()")
                                                          if lang == "en" else titles[number]))
            # a reference to an exercise names it with the website's number
            for m in REF.finditer(old.source):
                if m.group("label") in labels:
                    assert f"{edition.words['exercise']} {labels[m.group('label')][1]}" in cell.source, \
                        (lang, flavour, stem, m.group(0))
        assert [n for n, _ in boxes] == [n for n, _ in numbers[stem]], (lang, flavour)
        if lang == "en":
            assert boxes == [(n, f"({t})" if t else "") for n, t in numbers[stem]], (lang, flavour)
        else:
            assert all(t for n, t in boxes if dict(numbers[stem])[n]), boxes  # titled where the book titles
        assert solutions == expected_solutions, (lang, flavour)
        assert edition.summary[f"{stem}.ipynb"]["exercises"] == len(numbers[stem])


def test_every_solution_is_collapsed(generate, book):
    """Each ``{solution}`` of the book becomes one collapsed box in each flavour."""
    n_solutions = sum(len(SOLUTION_FENCE.findall(c.source)) for nb in book.values() for c in _markdown(nb))
    assert n_solutions >= 40
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        boxes = sum(len(_solution_boxes(edition, t)) for stem in STEMS for t in _texts(edition, stem))
        assert boxes == n_solutions, (lang, flavour)


SITE = {"en": ROOT / "_build" / "html" / "book", "ja": ROOT / "_build" / "ja" / "_build" / "html" / "book"}


def _site_exercises(page, lang):
    """``{number: title}`` of the exercises of a built page (sphinx-exercise's captions)."""
    word = WORDS[lang]["exercise"]
    found = re.findall(rf'<span class="caption-number">{word} (\d+) </span>(.*?)</p>', page.read_text(encoding="utf-8"), re.S)
    return {int(n): html.unescape(re.sub(r"<[^>]+>", "", title)).strip() for n, title in found}


def _plain_title(title):
    """A Markdown title as the site's caption text reads (no code or emphasis marks)."""
    title = re.sub(r"[`*]", "", title).replace("\\", "")
    return title.translate(str.maketrans("’‘“”", "''\"\"")).strip()


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("stem", STEMS)
def test_exercise_numbers_match_the_built_site(generate, stem, lang):
    page = SITE[lang] / f"{stem}.html"
    if not page.exists():
        pytest.skip(f"the {lang} site is not built ({page.relative_to(ROOT)} is missing: "
                    f"bash tools/build_book{'_ja' if lang == 'ja' else ''}.sh)")
    site = _site_exercises(page, lang)
    for flavour in ("lab", "portable"):
        edition = generate(lang, flavour)
        boxes = dict(b for t in _texts(edition, stem) for b in _exercise_boxes(edition, t))
        assert set(boxes) == set(site), (flavour, sorted(boxes), sorted(site))
        for n, title in boxes.items():
            if "$" not in title:  # math is rendered differently on the site
                assert _plain_title(title) == _plain_title(site[n]), (flavour, n)


# ------------------------------------------------------------------ 5. cells
HIDE_INPUT = {"hide-input", "hide-cell", "remove-cell", "remove-input"}
HIDE_OUTPUT = {"hide-cell", "hide-output", "remove-cell", "remove-output"}


IMPORTS_CNNLIB = re.compile(r"^\s*(import cnnlib|from cnnlib)", re.M)
# what the Japanese edition appends to the first cell that imports cnnlib (cnnbook.classroom.with_language)
SET_LANGUAGE = re.compile(r'\n(import cnnlib\n)?cnnlib\.set_language\("ja"\)([ \t]+#[^\n]*)?\n?\Z')


def _without_svg(output):
    output = nbformat.from_dict(output)
    output.get("data", {}).pop("image/svg+xml", None)
    return output


def _other_metadata(cell, lang):
    """A cell's metadata but JupyterLab's display state (and, in Japanese, the figure's alt text,
    which the catalogs translate)."""
    metadata = nbformat.from_dict({k: v for k, v in cell.metadata.items() if k != "jupyter"})
    if lang == "ja":
        metadata.get("mystnb", {}).get("image", {}).pop("alt", None)
    return metadata


@pytest.mark.parametrize("stem", STEMS)
def test_code_cells_are_the_books_and_hidden_ones_start_collapsed(generate, book, stem):
    hidden = 0
    imports = [i for i, c in enumerate(book[stem].cells) if c.cell_type == "code" and IMPORTS_CNNLIB.search(c.source)]
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        for i, (old, cell) in enumerate(zip(book[stem].cells, edition.notebooks[stem].cells)):
            if cell.cell_type != "code":
                continue
            if lang == "ja" and imports and i == imports[0]:  # the checks answer in Japanese on any Jupyter
                added = SET_LANGUAGE.search(cell.source)
                assert added and cell.source[:added.start()] == old.source.rstrip("\n"), cell.source[-200:]
                compile(TransformerManager().transform_cell(cell.source), f"{stem} cell {i}", "exec")  # valid Python
            else:
                assert cell.source == old.source
            assert cell.execution_count == old.execution_count
            if lang == "en":
                assert cell.outputs == old.outputs
            else:  # the figures' words are Japanese; everything else is the book's
                assert [_without_svg(o) for o in cell.outputs] == [_without_svg(o) for o in old.outputs]
            tags = set(old.metadata.get("tags", []))
            jupyter = cell.metadata.get("jupyter", {})
            assert jupyter.get("source_hidden", False) == bool(tags & HIDE_INPUT), (stem, tags, old.source[:80])
            assert jupyter.get("outputs_hidden", False) == bool(tags & HIDE_OUTPUT and old.outputs), (stem, tags)
            hidden += bool(jupyter.get("source_hidden"))
            assert _other_metadata(cell, lang) == _other_metadata(old, lang)
    assert nbformat.read(BOOK / f"{stem}.ipynb", as_version=4) == book[stem]  # the book is not changed
    if stem == "04_pooling":
        assert hidden >= 4 * 3  # the setup cell, a solution, the solution's runs


# ------------------------------------------------------------------ 6. Japanese
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
# test_translate_notebooks.py measured the Japanese share of the prose's letters at 0.88 to 0.96 per
# chapter (08_chainer_to_keras the lowest); English notebooks at most 0.006.
JAPANESE_SHARE_AT_LEAST = 0.7


def _prose(source):
    """A Markdown cell's words: without code, math, roles, box fences and options, link targets."""
    text = re.sub(r"^(\s*`{3,})[^\n]*\n.*?^\1\s*$", "", source, flags=re.M | re.S)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\$[^$\n]*\$", "", text)
    text = re.sub(r"^[ \t>]*:{3,}.*$|^[ \t>]*:[\w-]+:.*$|</?(details|summary)>", "", text, flags=re.M)
    return re.sub(r"\]\([^)]*\)", "]", text)


def japanese_share(nb):
    text = "".join(_prose(c.source) for c in _markdown(nb))
    ja, latin = len(JAPANESE.findall(text)), len(LATIN.findall(text))
    return ja / max(1, ja + latin)


@pytest.mark.parametrize("stem", STEMS)
def test_the_japanese_edition_is_japanese(generate, stem):
    for flavour in ("lab", "portable"):
        ja, en = generate("ja", flavour), generate("en", flavour)
        assert ja.summary[f"{stem}.ipynb"]["untranslated"] == []
        assert en.summary[f"{stem}.ipynb"]["untranslated"] == []
        assert japanese_share(en.notebooks[stem]) < 0.05  # the measure tells English from Japanese
        assert japanese_share(ja.notebooks[stem]) >= JAPANESE_SHARE_AT_LEAST, flavour


CATALOGS = ROOT / "locale" / "ja" / "LC_MESSAGES" / "book"


def test_the_markdown_pages_come_along_in_the_editions_language(generate):
    """The pages the chapters link to (glossary, references, ...) are written beside them; in Japanese
    from the site's catalogs (references aside: its entries stay as published)."""
    for flavour in ("lab", "portable"):
        en, ja = _pages(generate("en", flavour)), _pages(generate("ja", flavour))
        assert sorted(en) == sorted(ja) and {"glossary.md", "references.md"} <= set(en)
        for name in en:
            page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(ja[name])])
            english = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(en[name])])
            assert japanese_share(english) < 0.05, name
            if (CATALOGS / name.replace(".md", ".po")).exists() and name != "references.md":
                assert japanese_share(page) >= JAPANESE_SHARE_AT_LEAST, (flavour, name)


def _note_boxes(edition, text):
    title = re.escape(edition.words["note"])
    if edition.flavour == "lab":
        return re.findall(rf"^:{{3,}}\{{admonition\}} {title}\n:class: note$", text, re.M)
    return re.findall(rf"^> \*\*{title}\*\*$", text, re.M)


@pytest.mark.parametrize("stem", STEMS)
def test_notes_are_titled_in_the_editions_language(generate, book, stem):
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        for old, cell in zip(_markdown(book[stem]), _markdown(edition.notebooks[stem])):
            notes = len(re.findall(r"^(`{3,}|:{3,})\{note\}", old.source, re.M))
            assert len(_note_boxes(edition, cell.source)) == notes, (lang, flavour, stem)
            if lang == "ja":
                assert not re.search(r"\{admonition\} Note$|^> \*\*Note\*\*$", cell.source, re.M)


def test_the_book_has_notes(book):
    assert sum(len(re.findall(r"^(`{3,}|:{3,})\{note\}", c.source, re.M))
               for nb in book.values() for c in _markdown(nb)) >= 2


@pytest.mark.parametrize("stem", STEMS)
def test_links_to_chapters_are_titled_with_the_chapters_title(generate, book, stem):
    """A bare ``{doc}`other``` is a link titled with the other page's title in the edition's language."""
    for lang, flavour in EDITIONS:
        edition = generate(lang, flavour)
        for old, cell in zip(_markdown(book[stem]), _markdown(edition.notebooks[stem])):
            for m in re.finditer(r"\{doc\}`([^`<>]+)`", old.source):
                target = Path(m.group(1)).stem
                if target == stem:
                    continue
                file = f"{target}.ipynb" if (BOOK / f"{target}.ipynb").exists() else f"{target}.md"
                assert (edition.folder / file).exists(), (lang, flavour, stem, m.group(0))
                link = f"[{edition.title(target)}]({file})"
                assert link in cell.source, (lang, flavour, stem, link)
                if lang == "ja":
                    assert JAPANESE.search(edition.title(target)), edition.title(target)


# ------------------------------------------------------------------ 7. bad input
@pytest.fixture
def small_book(tmp_path):
    """A book folder with one chapter, in tmp: a broken guard must not write into book/ itself."""
    folder = tmp_path / "book"
    folder.mkdir()
    shutil.copy(BOOK / "04_pooling.ipynb", folder)
    return folder


def test_the_book_folder_itself_is_refused(small_book):
    before = sorted((p.name, p.stat().st_mtime_ns) for p in small_book.iterdir())
    with pytest.raises(ValueError, match="another folder than the book"):
        reader.reader_edition(small_book, small_book)
    with pytest.raises(ValueError, match="another folder than the book"):
        reader.reader_edition(small_book, small_book / ".." / "book")
    assert sorted((p.name, p.stat().st_mtime_ns) for p in small_book.iterdir()) == before


def test_an_empty_folder_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no notebooks in .*empty.*--book"):
        reader.reader_edition(tmp_path / "empty", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_bad_values_are_refused(book, small_book, tmp_path):
    with pytest.raises(ValueError, match="flavour must be one of lab, portable, not 'x'"):
        reader.reader_notebook(book["04_pooling"], "04_pooling", None, flavour="x")
    with pytest.raises(ValueError, match="lang must be one of en, ja, not 'fr'"):
        reader.reader_edition(small_book, tmp_path / "out", lang="fr")
    assert not (tmp_path / "out").exists()


def test_the_command_line_says_what_was_wrong(tmp_path, small_book, capsys):
    (tmp_path / "empty").mkdir()
    for argv, message in [(["--book", str(tmp_path / "empty"), str(tmp_path / "out")], "error: no notebooks in "),
                          (["--book", str(small_book), str(small_book)], "error: the reader's edition must go to another folder")]:
        with pytest.raises(SystemExit) as exit_:
            reader.main(argv)
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(message), err
    for argv, message in [(["--flavour", "x", str(tmp_path / "out")], "argument --flavour: invalid choice: 'x'"),
                          (["--lang", "fr", str(tmp_path / "out")], "argument --lang: invalid choice: 'fr'"),
                          ([], "the following arguments are required: outdir")]:
        with pytest.raises(SystemExit) as exit_:
            reader.main(argv)
        assert exit_.value.code == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_module_runs_as_a_command(tmp_path):
    """``python -m cnnbook.reader`` (the line of tools/build_book.sh): exit status 2 and one line."""
    (tmp_path / "empty").mkdir()
    run = subprocess.run([sys.executable, "-m", "cnnbook.reader", "--book", str(tmp_path / "empty"), str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == f"error: no notebooks in {tmp_path / 'empty'}: pass the book's folder with --book\n"


# ------------------------------------------------------------------ 3. fresh values, in a kernel
KERNEL_STEM = "04_pooling"  # fixed digits and filters: every run glues the same figures; ~10 s with Keras
KERNEL_S = 60  # one request (the chapter's longest cell takes ~1 s; TensorFlow's import a few)


@contextmanager
def _kernel(folder):
    """The .venv's python3 kernel (as jupyter lab starts it) in ``folder``, with the book's environment."""
    from jupyter_client import KernelManager

    data = os.environ.get("CNNLIB_DATA") or str(ROOT.parent / "shared" / "datasets")
    if not Path(data).is_dir():
        pytest.skip("no datasets: set CNNLIB_DATA to the folder of the offline MNIST files (CI sets it)")
    env = dict(os.environ, CNNLIB_DATA=data, TF_CPP_MIN_LOG_LEVEL="2", OPENBLAS_NUM_THREADS="1")
    env.pop("CNNLIB_LANG", None)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(folder), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=KERNEL_S)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _execute(kc, code="", user_expressions=None):
    """An execute request as JupyterLab (code) or jupyterlab-myst (empty code, user_expressions) sends it."""
    reply = kc.execute_interactive(code, user_expressions=user_expressions or {}, timeout=KERNEL_S,
                                   output_hook=lambda msg: None, store_history=bool(code))
    return reply["content"]


def _expressions(nb):
    """Per Markdown cell with figures: its expressions, keyed as jupyterlab-myst keys them ("0", "1", ...)."""
    cells = []
    for cell in _markdown(nb):
        evals = re.findall(r"\{eval\}`([^`]*)`", cell.source)
        if evals:
            cells.append((cell, {str(i): e for i, e in enumerate(evals)}))
    return cells


def _stored_result(cell, expression):
    return next(e["result"] for e in cell.metadata["user_expressions"] if e["expression"] == expression)


def test_an_expression_in_a_fresh_kernel_gives_the_stored_value(generate):
    """A reader who runs a Markdown cell before any code cell sees the stored figure, not an error."""
    edition = generate("en", "lab")
    cell, expressions = _expressions(edition.notebooks[KERNEL_STEM])[0]
    with _kernel(edition.folder) as kc:
        reply = _execute(kc, user_expressions=expressions)
    assert reply["status"] == "ok"
    for key, expression in expressions.items():
        result = reply["user_expressions"][key]
        assert result["status"] == "ok", result.get("evalue")
        assert result["data"]["text/plain"] == _stored_result(cell, expression)["data"]["text/plain"]


@pytest.mark.slow
def test_expressions_give_the_readers_own_figures(generate, stored):
    """Run the chapter's code cells of the reader's edition in a kernel, then each Markdown cell's
    expressions as jupyterlab-myst sends them: each is the figure this run glued (the book's stored
    one, for this deterministic chapter), in English and in Japanese form."""
    en, ja = generate("en", "lab"), generate("ja", "lab")
    nb = en.notebooks[KERNEL_STEM]
    code = [c for c in nb.cells if c.cell_type == "code"]
    with _kernel(en.folder) as kc:
        first = _execute(kc, code[0].source)  # the setup cell: cnnlib is imported, nothing glued yet
        assert first["status"] == "ok", first.get("evalue")
        checked = 0
        for cell, expressions in _expressions(nb):  # before the chapter ran: the stored values
            reply = _execute(kc, user_expressions=expressions)
            for key, expression in expressions.items():
                result = reply["user_expressions"][key]
                assert result["status"] == "ok" and result["data"] == _stored_result(cell, expression)["data"]
                checked += 1
        missing = _execute(kc, user_expressions={"0": 'cnnlib.glued("no_such_name")',
                                                 "1": f'cnnlib.glued("{_glue_names_of(nb)[0]}")'})
        for key in ("0", "1"):  # nothing glued yet under either name: no default, a KeyError that says what to do
            assert missing["user_expressions"][key]["status"] == "error"
            assert missing["user_expressions"][key]["ename"] == "KeyError"
            assert "run the chapter's cells above this one first" in missing["user_expressions"][key]["evalue"]
        for cell in code[1:]:
            reply = _execute(kc, cell.source)
            assert reply["status"] == "ok", (cell.source[:200], reply.get("ename"), reply.get("evalue"))
        ja_setup = next(c for c in ja.notebooks[KERNEL_STEM].cells if c.cell_type == "code")
        assert ja_setup.source != code[0].source  # the Japanese edition's setup cell sets the checks' language
        reply = _execute(kc, ja_setup.source)
        assert reply["status"] == "ok", (reply.get("ename"), reply.get("evalue"))
        for edition in (en, ja):
            for cell, expressions in _expressions(edition.notebooks[KERNEL_STEM]):
                names = {key: _parse_expression(e)[0] for key, e in expressions.items()}
                lang = ', lang="ja"' if edition.lang == "ja" else ""
                reference = {f"ref{key}": f'cnnlib.glued("{name}"{lang})' for key, name in names.items()}
                reply = _execute(kc, user_expressions={**expressions, **reference})
                assert reply["status"] == "ok"
                for key, expression in expressions.items():
                    result, session = reply["user_expressions"][key], reply["user_expressions"][f"ref{key}"]
                    assert result["status"] == "ok" and session["status"] == "ok", (result, session)
                    assert result["data"]["text/plain"] == session["data"]["text/plain"]  # this run's figure
                    assert result["data"] == _stored_result(cell, expression)["data"]  # = the book's, here
                    assert result["data"]["text/plain"] == _expected_text(stored[names[key]], edition.lang)
                    checked += 1
    assert checked >= 3 * 12  # 12 figures in 04_pooling's prose, checked before and after, in two languages


def _glue_names_of(nb):
    return [_parse_expression(e["expression"])[0] for c in _markdown(nb) for e in c.metadata.get("user_expressions", [])]
