"""The reader's edition: the book's notebooks as JupyterLab shows them, in English or in Japanese.

The chapters in ``book/`` are the single source: MyST Markdown that Jupyter Book renders, with
roles and directives JupyterLab does not know.  This module writes a copy of every chapter for
JupyterLab with jupyterlab-myst (pinned in requirements.txt), code and outputs unchanged:

* a glued figure (``{glue:}`name```, ``{glue:text}`name```) becomes the inline expression
  ``{eval}`cnnlib.glued("name", default=...)```, with the value stored in the book in the
  cell's ``user_expressions`` metadata: JupyterLab shows the stored value when the notebook
  opens, and the reader's own value once they run the chapter and then the Markdown cell
  (``cnnlib.glued`` returns what this session glued; in Japanese in Japanese form);
* ``{doc}`` and ``{ref}`` become Markdown links to the other notebook with its title (a
  section's title, or "Exercise N"), and ``(label)=`` targets go;
* an ``{exercise}`` becomes an admonition titled "Exercise N (title)", numbered as on the
  website, and its ``{solution}`` a collapsed dropdown ("Solution to Exercise N (title)");
  ``{code-block}`` becomes a plain fenced block; ``{note}`` and the other admonitions stay;
* the website's hidden inputs (``hide-input``, ``hide-cell``) start collapsed, and the cells
  the website removes (``remove-cell``: the runs behind a solution's figures) start
  collapsed, input and output, since the chapter needs them to run.

``--lang ja`` starts from the Japanese catalogs (:mod:`cnnbook.translate`, the website's
translation), so the prose, the titles and the figures' labels are Japanese; the chapter's
first cell that imports cnnlib also ends with ``cnnlib.set_language("ja")``, so the exercise
checks answer in Japanese on any Jupyter (as in the Japanese student edition).

    python -m cnnbook.reader _build/notebooks/en
    python -m cnnbook.reader --lang ja _build/notebooks/ja

``tools/build_book.sh`` writes both; ``bash tools/lab.sh [ja]`` opens them.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

from cnnlib.claims import JAPANESE_SCRIPT, japanese_figure

from .classroom import _copy_extras, with_language
from .markdown import _ADMONITIONS, _FENCE, _ROLE, _TARGET, _TITLED, BookText, _options

__all__ = ["reader_notebook", "reader_edition", "FLAVOURS"]

# lab: for JupyterLab with jupyterlab-myst (bash tools/lab.sh, Binder); portable: plain Markdown that
# any Jupyter renders (Colab, VS Code, Notebook, GitHub), with the stored figures only
FLAVOURS = ("lab", "portable")

# the notebook's MyST front matter (lab flavour): equations unnumbered, as on the website
_FRONT_MATTER = "---\nnumbering:\n  equation: false\n---\n"
# Sphinx's Japanese titles of the admonitions, as the Japanese site shows them
_JA_ADMONITIONS = {"note": "注釈", "tip": "ヒント", "warning": "警告", "important": "重要"}
_COLLAPSE_INPUT = {"hide-input", "hide-cell", "remove-cell", "remove-input"}
_COLLAPSE_OUTPUT = {"hide-cell", "hide-output", "remove-cell", "remove-output"}


def _anchor(title):
    """JupyterLab's id for a heading: its text with spaces as hyphens."""
    return title.strip().replace(" ", "-")


class _Converter:
    """Rewrites one notebook's Markdown cells (see the module's docstring)."""

    def __init__(self, text: BookText, stem: str, start: int, pages=None, flavour="lab"):
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {flavour!r}")
        self.text, self.stem, self.count, self.flavour = text, stem, start, flavour
        self.pages = pages or {}  # label -> the Markdown page (references.md) that defines it
        self.words = text.words
        self.expressions = []  # the current cell's inline expressions and their stored values
        self.exercise_titles = {}  # label -> "Exercise N (title)" of this notebook

    def _number(self, label):
        found = self.text.labels.get(label)
        return found if isinstance(found, tuple) else None

    def _exercise_name(self, n):
        return f"{self.words['exercise']} {n}"

    def _link(self, shown, stem, anchor=""):
        if stem == self.stem and not anchor:
            return shown
        return f"[{shown}]({stem}.ipynb{'#' + anchor if anchor else ''})"

    def _glue(self, name):
        stored = self.text._glue(name)  # the book's stored value, as the student edition shows it
        lang = ', lang="ja"' if self.text.lang == "ja" else ""
        # __import__: the expression works in a kernel that has run nothing yet (the stored value)
        expression = f"__import__(\"cnnlib\").glued({json.dumps(name)}, default={json.dumps(stored, ensure_ascii=False)}{lang})"
        if self.text.lang == "ja":
            stored = japanese_figure(stored)
        if self.flavour == "portable":  # no inline expressions outside jupyterlab-myst: the stored value
            return stored
        self.expressions.append({"expression": expression,
                                 "result": {"status": "ok", "data": {"text/plain": repr(stored)}, "metadata": {}}})
        return f"{{eval}}`{expression}`"

    def role(self, match):
        role, target = match.group("role"), match.group("text")
        if role == "eval":  # already converted (a directive's body is converted before the cell)
            return match.group(0)
        titled = _TITLED.match(target)
        shown, target = (titled.group("text"), titled.group("target")) if titled else (None, target)
        if role in ("glue", "glue:", "glue:any", "glue:text"):
            name = target.split("::")[-1]  # a figure glued on another page: its name
            if role == "glue:text" and ":" in name:
                name = name.split(":")[0]
            return self._glue(name)
        if role == "doc":
            stem = Path(target).stem
            page = self.text.page_files.get(stem)
            if page:  # a Markdown page of the book (glossary.md): the edition carries it
                return f"[{shown or self.text.titles.get(stem, stem)}]({page})"
            if stem not in self.text.notebooks:  # a page not there to link to (status.md before a build)
                return shown or self.text.titles.get(stem, stem)
            return self._link(shown or self.text.titles.get(stem, stem), stem)
        if role in ("ref", "numref"):
            if target in self.pages:  # an entry of a Markdown page (references.md): a link to that page
                return f"[{shown or target.replace('-', ' ')}]({self.pages[target]})"
            stem = self.text.where.get(target, self.stem)
            number = self._number(target)
            if number:
                page, n = number
                name = shown or self._exercise_name(self.text.offsets.get(page, 0) + n)
                if page != self.stem and not shown:
                    name = self.words["of"].format(exercise=name, page=self.text.titles.get(page, page))
                return self._link(name, page)
            title = self.text.labels.get(target) or target.replace("-", " ")
            return self._link(shown or title, stem, _anchor(title))
        if role == "math":
            return f"${target}$"
        return shown or target  # {term}, {abbr}, ...

    def directive(self, m):
        name, arg = m.group("name"), m.group("arg").strip()
        options, body = _options(m.group("body"))
        body = self.markdown(body)
        if name == "exercise":
            self.count += 1
            title = self._exercise_name(self.count) + (self._title(arg))
            if options.get("label"):
                self.exercise_titles[options["label"]] = (self._exercise_name(self.count), arg)
            return self._box(title, body, "tip")
        if name == "solution":
            number, title = self.exercise_titles.get(arg, (self._exercise_name(self.count), ""))
            if title:
                number += f"「{title}」" if self.text.lang == "ja" else f" ({title})"
            return self._box(self.words["solution"].format(exercise=number), body, "dropdown", collapsed=True)
        if name == "code-block":
            return f"```{arg}\n{body}\n```\n"
        if name in _ADMONITIONS:
            words = _JA_ADMONITIONS if self.text.lang == "ja" else _ADMONITIONS
            title = arg or words.get(name) or options.get("class", "note").capitalize()
            return self._box(title, body, options.get("class") or (name if name != "admonition" else "note"))
        return f"{body}\n"

    def _box(self, title, body, cls, collapsed=False):
        """An admonition: jupyterlab-myst's (``lab``), or Markdown any Jupyter renders (``portable``:
        a quoted block with a bold title, and a closed ``<details>`` for what the site collapses)."""
        if self.flavour == "portable":
            if collapsed:
                return f"<details>\n<summary>{title}</summary>\n\n{body}\n\n</details>\n"
            # every formula on one line: renderers take math out before the Markdown, so the quote's
            # "> " would land inside a formula that spans lines (found by D2's test)
            body = _MATH.sub(lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), body)
            quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
            return f"> **{title}**\n>\n{quoted}\n"
        fence = ":" * max(3, max((len(f) for f in _colons(body)), default=0) + 1)
        return f"{fence}{{admonition}} {title}\n:class: {cls}\n\n{body}\n{fence}\n"

    def _title(self, arg):
        if not arg:
            return ""
        return f" {arg}" if self.text.lang == "ja" else f" ({arg})"

    def link(self, m):
        """``[text](label)``, MyST's link to a target: to the page or notebook that defines it."""
        shown, target = m.group(1), m.group(2)
        if target in self.pages:
            return f"[{shown}]({self.pages[target]})"
        if target in self.text.where:
            stem = self.text.where[target]
            title = self.text.labels.get(target)
            return self._link(shown, stem, _anchor(title) if isinstance(title, str) else "")
        return m.group(0)

    def markdown(self, source):
        if self.text.lang == "ja":  # a glued figure closes up to the Japanese around it, as on the site
            source = _JA_SPACE_BEFORE.sub("", _JA_SPACE_AFTER.sub(r"\1", source))
        source = _FENCE.sub(self.directive, source)
        source = _TARGET.sub("", source)
        source = _LABEL_LINK.sub(self.link, source)
        return _ROLE.sub(self.role, source)


# a space between Japanese text and a glued figure, before or after it (the Japanese site closes it up)
_JA_SPACE_BEFORE = re.compile(rf"(?<=[{JAPANESE_SCRIPT}]) (?=\{{glue)")
_JA_SPACE_AFTER = re.compile(rf"(\{{glue[\w:-]*\}}`[^`]*`) (?=[{JAPANESE_SCRIPT}])")
# a formula, display or inline (no code span inside)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$`]+?\$", re.DOTALL)
# a Markdown link whose target is a bare label (no file, no scheme, no anchor)
_LABEL_LINK = re.compile(r"\[([^\]]*)\]\(([A-Za-z][\w-]*)\)")


def _page_labels(book_dir):
    """``{label: page.md}``: the targets the book's Markdown pages (references, glossary) define."""
    labels = {}
    for page in sorted(Path(book_dir).glob("*.md")):
        for m in _TARGET.finditer(page.read_text(encoding="utf-8")):
            labels[m.group("label")] = page.name
    return labels


def _colons(text):
    return re.findall(r"^(:{3,})", text, re.MULTILINE)


def reader_notebook(nb, stem, text: BookText, start=0, pages=None, flavour="lab"):
    """The reader's edition of one notebook (a new ``NotebookNode``; ``nb`` is not changed).

    ``start``: the exercises before this notebook in the book; ``pages``: ``{label: page.md}``
    of the Markdown pages a link may point to."""
    nb = nbformat.from_dict(nb)  # deep copy
    convert = _Converter(text, stem, start, pages, flavour)
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if cell.cell_type == "markdown":
            convert.expressions = []
            cell.source = convert.markdown(cell.source)
            if convert.expressions:
                cell.metadata["user_expressions"] = convert.expressions
        elif cell.cell_type == "code":
            jupyter = {}
            if tags & _COLLAPSE_INPUT:
                jupyter["source_hidden"] = True
            if tags & _COLLAPSE_OUTPUT and cell.get("outputs"):
                jupyter["outputs_hidden"] = True
            if jupyter:
                cell.metadata.setdefault("jupyter", {}).update(jupyter)
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if flavour == "lab" and first is not None:
        # jupyterlab-myst numbers display equations; the website does not (MyST front matter, not shown)
        first.source = _FRONT_MATTER + first.source
    nb.metadata.setdefault("cnnbook", {}).update({"edition": "reader", "flavour": flavour, "lang": text.lang,
                                                  "source": f"book/{stem}.ipynb"})
    return nb


def reader_edition(book_dir, out_dir, lang="en", toc=None, flavour="lab"):
    """Write the reader's edition of every notebook in ``book_dir`` to ``out_dir``; returns a summary:
    ``{notebook: {"expressions": n, "exercises": n, "untranslated": [...]}}``."""
    book_dir, out_dir = Path(book_dir), Path(out_dir)
    if not any(book_dir.glob("*.ipynb")):
        raise FileNotFoundError(f"no notebooks in {book_dir}: pass the book's folder with --book")
    if out_dir.resolve() == book_dir.resolve():
        raise ValueError("the reader's edition must go to another folder than the book itself "
                         "(book/ is the source that nbval checks)")
    toc = Path(toc) if toc else book_dir.parent / "_toc.yml"
    text = BookText(book_dir, lang=lang)
    text.offsets = text.exercise_offsets(toc) if toc.exists() else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = _page_labels(book_dir)
    # the Markdown pages (intro, glossary, references, ...): {doc} and label links point at them,
    # so they come along, converted the same way, with their (translated) first heading as title
    md_pages = {}
    for page in sorted(book_dir.glob("*.md")):
        source = page.read_text(encoding="utf-8")
        md_pages[page.stem] = _translate_page(source, page.stem, lang) if lang != "en" else source
        if md_pages[page.stem] is None:  # a page the translation leaves out (status.md): as the site shows it
            md_pages[page.stem] = source
        heading = re.search(r"^#\s+(.+)$", md_pages[page.stem], re.MULTILINE)
        text.titles.setdefault(page.stem, heading.group(1).strip() if heading else page.stem)
    text.page_files = {stem: f"{stem}.md" for stem in md_pages}
    summary = {}
    for stem, nb in text.notebooks.items():
        if lang != "en":  # the exercise checks answer in the edition's language on any Jupyter (Colab, Binder)
            nb = with_language(nb, lang)
        out = reader_notebook(nb, stem, text, text.offsets.get(stem, 0), pages, flavour)
        nbformat.write(out, out_dir / f"{stem}.ipynb")
        summary[f"{stem}.ipynb"] = {
            "expressions": sum(len(c.metadata.get("user_expressions", [])) for c in out.cells),
            "exercises": text.exercises.get(stem, 0),
            "untranslated": text.untranslated.get(stem, []),
        }
    raw = "".join(json.dumps(nb) for nb in text.notebooks.values()) + "".join(md_pages.values())
    for stem, source in md_pages.items():
        (out_dir / f"{stem}.md").write_text(_Converter(text, stem, 0, pages, flavour).markdown(source), encoding="utf-8")
    _copy_extras(book_dir, raw, out_dir)  # data/, images/ where a notebook or page uses them
    if text.missing:
        print(f"warning: glued values missing from the book's stored outputs (re-execute their chapters): "
              f"{', '.join(sorted(text.missing))}", file=sys.stderr)
    return summary


def _translate_page(source, stem, lang):
    """A Markdown page through the same catalogs as the notebooks (as a one-cell notebook)."""
    from .translate import translate_notebook

    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(source)])
    try:
        return translate_notebook(page, stem, lang=lang)[0].cells[0].source
    except FileNotFoundError:  # no catalog: a page the translated site leaves in English (status.md)
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnnbook.reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", help="folder to write the reader's edition to (e.g. _build/notebooks/en)")
    parser.add_argument("--book", default="book", help="folder of the book's notebooks (default: ./book)")
    parser.add_argument("--lang", default="en", choices=sorted(BookText.WORDS),
                        help="en (default) or ja: the Japanese edition, from locale/ja's catalogs")
    parser.add_argument("--flavour", default="lab", choices=FLAVOURS,
                        help="lab (default): for JupyterLab with jupyterlab-myst, glued figures refresh when "
                             "the reader runs the chapter; portable: plain Markdown for Colab and any Jupyter")
    args = parser.parse_args(argv)
    try:
        summary = reader_edition(args.book, args.outdir, lang=args.lang, flavour=args.flavour)
    except (FileNotFoundError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")
    untranslated = sum(len(s["untranslated"]) for s in summary.values())
    expressions = sum(s["expressions"] for s in summary.values())
    print(f"reader's edition ({args.lang}, {args.flavour}): {len(summary)} notebooks, {expressions} glued figures, "
          f"{sum(s['exercises'] for s in summary.values())} exercises"
          + (f", {untranslated} untranslated pieces (shown in English)" if args.lang != "en" else "")
          + f" -> {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
