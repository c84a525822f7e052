"""MyST markup of the book turned into the plain Markdown JupyterLab shows (student edition, course).

The site renders ``{exercise}`` directives, ``{glue}`` values and ``{doc}``/``{ref}``/``{term}``
roles; JupyterLab shows them as raw text.  :class:`BookText` knows the whole book (glued
values, page titles, labels) and rewrites one notebook's markdown cells:

* ``{exercise}`` blocks become "**Exercise N.** title" and their text (``{solution}`` blocks are
  removed before); ``{note}``/``{admonition}`` become quoted paragraphs; ``{code-block}`` a
  plain fenced block;
* ``{glue:}`` and ``{glue:text}`` become the value stored in the book's notebooks;
* ``{doc}`` becomes the page's title, ``{ref}`` the section's title or "Exercise N", ``{term}``
  its text; ``(label)=`` targets and directive options disappear.
"""

import ast
import re
from pathlib import Path

import nbformat

from cnnlib.claims import JAPANESE_SCRIPT

__all__ = ["BookText"]

_GLUE_PREFIX = "application/papermill.record/"
_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
                    re.MULTILINE | re.DOTALL)
_OPTION = re.compile(r"^:([\w-]+):[ \t]*(.*)$")
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")
_TARGET = re.compile(r"^\((?P<label>[\w.-]+)\)=[ \t]*\n", re.MULTILINE)
_TITLED = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
# a space between Japanese text and a 「quoted title」 (the catalogs keep the English spaces around roles)
_JA_QUOTE_SPACE = re.compile(rf"(?<=[{JAPANESE_SCRIPT}]) (?=「)|(?<=」) (?=[{JAPANESE_SCRIPT}])")
_ADMONITIONS = {"note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important", "admonition": ""}


def _options(body):
    """``(options, rest)``: a directive's ``:name: value`` lines at its top, and its text."""
    options, lines = {}, body.split("\n")
    while lines and _OPTION.match(lines[0]):
        key, value = _OPTION.match(lines[0]).groups()
        options[key] = value
        lines.pop(0)
    return options, "\n".join(lines).strip("\n")


class BookText:
    """The book's glued values, titles and labels, to rewrite its notebooks' markdown.

    ``lang="ja"``: every notebook is first translated from the Japanese catalogs
    (:func:`cnnbook.translate.translate_notebook`), so titles, link texts and exercise words
    are Japanese; :meth:`notebook` gives the translated notebook, and :attr:`untranslated`
    lists, per notebook, the pieces the catalogs did not translate.
    """

    WORDS = {"en": {"exercise": "Exercise", "solution": "Solution to {exercise}", "of": "{exercise} of “{page}”"},
             "ja": {"exercise": "演習", "solution": "{exercise}の解答", "of": "「{page}」の{exercise}"}}

    def __init__(self, book_dir, lang="en", locale_dir=None):
        if lang not in self.WORDS:
            raise ValueError(f"lang must be one of {', '.join(self.WORDS)}, not {lang!r}")
        self.lang, self.words = lang, self.WORDS[lang]
        self.glue, self.titles, self.labels = {}, {}, {}
        self.where = {}  # label -> the notebook (stem) that defines it
        self.exercises = {}  # stem -> number of {exercise} blocks
        self.notebooks, self.untranslated = {}, {}
        self.offsets = {}  # stem -> exercises before it in the book (the reader's edition sets it: exercise_offsets)
        self.page_files = {}  # stem -> the Markdown page a {doc} names (the reader's edition carries them)
        self.missing = set()  # glued names no notebook's outputs hold
        for path in sorted(Path(book_dir).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            if lang != "en":
                from .translate import translate_notebook

                nb, self.untranslated[path.stem] = translate_notebook(nb, path.stem, lang=lang, locale_dir=locale_dir)
            self.notebooks[path.stem] = nb
            exercises = 0
            for cell in nb.cells:
                if cell.cell_type == "code":
                    for out in cell.get("outputs", []):
                        name = out.get("metadata", {}).get("scrapbook", {}).get("name")
                        text = out.get("data", {}).get(_GLUE_PREFIX + "text/plain")
                        if name and text is not None:
                            self.glue[name] = text
                    continue
                if cell.cell_type != "markdown":
                    continue
                heading = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
                if heading and path.stem not in self.titles:
                    self.titles[path.stem] = heading.group(1).strip()
                for m in _TARGET.finditer(cell.source):
                    after = re.match(r"\s*#+\s+(.+)", cell.source[m.end():])
                    if after:
                        self.labels[m.group("label")] = after.group(1).strip()
                        self.where[m.group("label")] = path.stem
                for m in _FENCE.finditer(cell.source):
                    if m.group("name") == "exercise":
                        exercises += 1
                        label = _options(m.group("body"))[0].get("label")
                        if label:
                            self.labels[label] = (path.stem, exercises)
                            self.where[label] = path.stem
            self.exercises[path.stem] = exercises

    def notebook(self, stem):
        """The notebook ``stem`` as this edition starts from (translated when ``lang`` is not English)."""
        return self.notebooks[stem]

    def exercise_offsets(self, toc):
        """``{stem: n}``: how many exercises come before each notebook in the book's order.

        ``toc``: the book's ``_toc.yml``; the website numbers exercises through the whole book
        in its order (sphinx-exercise), so chapter 4's first exercise is Exercise 11 there.
        """
        order = re.findall(r"^\s*-?\s*file:\s*(?:\S*/)?([\w-]+)\s*$", Path(toc).read_text(encoding="utf-8"), re.MULTILINE)
        offsets, n = {}, 0
        for stem in order + sorted(set(self.exercises) - set(order)):
            if stem in self.exercises and stem not in offsets:
                offsets[stem] = n
                n += self.exercises[stem]
        return offsets

    def _glue(self, name, fmt=None):
        if name not in self.glue:  # a chapter stored without its outputs: say so, do not stop
            self.missing.add(name)
            return "(a figure the online book shows)"
        text = self.glue[name]
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        if fmt and isinstance(value, (int, float)):
            return format(value, fmt)
        return str(value)

    def _role(self, match, stem):
        role, text = match.group("role"), match.group("text")
        titled = _TITLED.match(text)
        shown, target = (titled.group("text"), titled.group("target")) if titled else (None, text)
        if role in ("glue", "glue:", "glue:any", "glue:text"):
            name, _, fmt = target.partition(":") if role == "glue:text" else (target, "", "")
            return self._glue(name, fmt or None)
        if role == "doc":
            return shown or self._quoted(self.titles.get(Path(target).stem, target))
        if role in ("ref", "numref"):
            if shown:
                return shown
            found = self.labels.get(target)
            if isinstance(found, tuple):
                page, n = found
                exercise = f"{self.words['exercise']} {n}"
                return exercise if page == stem else self.words["of"].format(exercise=exercise, page=self.titles.get(page, page))
            return self._quoted(found or target.replace("-", " "))
        if role == "math":
            return f"${target}$"
        return shown or target  # {term}, {abbr}, ...

    def _quoted(self, title):
        """A page's or section's title in running text: in 「」 in Japanese, where nothing else marks it."""
        return f"「{title}」" if self.lang == "ja" else title

    def plain(self, markdown, stem, start=0):
        """``(text, exercises)``: ``markdown`` of notebook ``stem`` in plain Markdown; exercises
        are numbered from ``start + 1``."""
        count = [start]

        def directive(m):
            name, arg = m.group("name"), m.group("arg").strip()
            options, body = _options(m.group("body"))
            body = _FENCE.sub(directive, body)
            if name == "exercise":
                count[0] += 1
                title = f" {arg}" if arg else ""
                return f"**{self.words['exercise']} {count[0]}.**{title}\n\n{body}\n"
            if name == "solution":
                return ""
            if name == "code-block":
                return f"```{arg}\n{body}\n```\n"
            if name in _ADMONITIONS:
                title = arg or _ADMONITIONS[name] or options.get("class", "note").capitalize()
                quoted = "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
                return f"> **{title}.**\n>\n{quoted}\n"
            return f"{body}\n"

        text = _FENCE.sub(directive, markdown)
        text = _TARGET.sub("", text)
        text = _ROLE.sub(lambda m: self._role(m, stem), text)
        if self.lang == "ja":  # 「title」 closes up to the Japanese around it
            text = _JA_QUOTE_SPACE.sub("", text)
        return text, count[0]
