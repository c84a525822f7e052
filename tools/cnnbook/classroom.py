"""Classroom tools: ``python -m cnnbook.classroom student-edition OUTDIR``.

The student edition is a copy of the book's notebooks for handing out:

* every code cell tagged ``solution`` becomes a stub: each function it defines
  keeps its signature and docstring, and its body raises
  ``NotImplementedError`` with a hint (from the cell's ``hint`` metadata, if
  any); other code in the cell is replaced by one such ``raise``;
* the ``{solution}`` blocks of the exercises are removed, and the MyST markup
  (exercises, glued values, cross-references) becomes plain Markdown
  (:mod:`cnnbook.markdown`), as JupyterLab shows it;
* all outputs and execution counts are cleared.

The check cells that follow each exercise (``cnnlib.checks.check_*``) stay,
so a student runs them on their own answer.

``student-edition --format nbgrader OUTDIR`` writes an nbgrader course instead
(``OUTDIR/nbgrader_config.py``, ``OUTDIR/course_secret`` and
``OUTDIR/source/<chapter>/<chapter>.ipynb``, one assignment per chapter with
coding exercises): each solution cell keeps the reference answer between
``### BEGIN SOLUTION`` / ``### END SOLUTION``, the check cell after it stays
(locked, for the students), and a graded cell follows it, scored by the
course's grader (:mod:`cnnbook.grading`, :mod:`cnnbook.nbgrader_plugins`) in a
fresh process, on the check's cases and on hidden cases drawn from the
course's secret.  Every other cell is locked.  The book's appendix "For
teachers" (``book/teachers.md``) gives the steps.

``--lang ja`` writes either in Japanese: the prose from the book's Japanese catalogs
(:class:`cnnbook.markdown.BookText` with ``lang="ja"``), the stubs' comments and hints and the
graded cells' text from ``cnnbook/messages_ja.py``; the chapter's first cell that imports cnnlib
gains ``cnnlib.set_language("ja")``, so the checks answer in Japanese in any Jupyter, and the
course's ``nbgrader_config.py`` sets ``c.GradeAnswers.language = "ja"`` for the feedback.
"""

import argparse
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from cnnlib import i18n

from .grading import _
from .markdown import BookText

__all__ = [
    "stub_source",
    "strip_solutions",
    "student_notebook",
    "student_edition",
    "with_language",
    "solution_region_source",
    "nbgrader_notebook",
    "nbgrader_course",
    "CourseExists",
    "main",
]
SOLUTION_TAG = "solution"
# A cell that only computes figures an experiment's solution quotes (hidden on the site with
# remove-cell): the student edition and the nbgrader course leave it out, answer and all.
SOLUTION_RUN_TAG = "solution-run"
_HIDING_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell", SOLUTION_TAG}

# ```{solution} ... ``` (any number of backticks >= 3) or :::{solution} ... ::: blocks
_SOLUTION_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.MULTILINE | re.DOTALL
)


def stub_source(source, hint=None):
    """The stub that replaces a solution cell's ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    defs = [node for node in (tree.body if tree else []) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    lines = [_("# Exercise: write your answer here, then run the check cell below.")]
    hint = _(hint) if hint else hint  # the book's hints are in the catalog too
    src_lines = source.splitlines()
    for node in tree.body if tree else []:  # imports stay: the student's code may need them
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.extend(src_lines[node.lineno - 1 : node.end_lineno])
    if not defs:
        message = hint or _("write this cell")
        lines.append(f"raise NotImplementedError({message!r})")
        return "\n".join(lines)
    for node in defs:
        if isinstance(node, ast.ClassDef):
            lines.append(f"class {node.name}:")
            lines.append(f"    raise NotImplementedError({(hint or _('write the class {name}', name=node.name))!r})")
            lines.append("")
            continue
        body_start = node.body[0]
        has_doc = (
            isinstance(body_start, ast.Expr)
            and isinstance(body_start.value, ast.Constant)
            and isinstance(body_start.value.value, str)
        )
        header_end = (body_start.end_lineno if has_doc else body_start.lineno - 1)
        first = node.lineno - 1 if not node.decorator_list else node.decorator_list[0].lineno - 1
        header = src_lines[first:header_end]
        indent = " " * (body_start.col_offset)
        lines.extend(header)
        message = hint or _("write {name}", name=node.name)
        lines.append(f"{indent}raise NotImplementedError({message!r})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def strip_solutions(markdown):
    """Remove the ``{solution}`` directive blocks from a markdown cell's text."""
    return _SOLUTION_BLOCK.sub("", markdown)


def _markdown(cell, text, stem, count):
    if text is None:
        cell.source = strip_solutions(cell.source)
        return count
    cell.source, count = text.plain(strip_solutions(cell.source), stem, count)
    return count


def student_notebook(nb, text=None, stem=""):
    """A student copy of one notebook (a new ``NotebookNode``; ``nb`` is not changed).

    ``text`` (a :class:`cnnbook.markdown.BookText`) turns the MyST markup into plain Markdown.
    """
    nb = nbformat.from_dict(nb)  # deep copy
    nb.cells = [c for c in nb.cells if SOLUTION_RUN_TAG not in c.get("metadata", {}).get("tags", [])]
    stubs, count = 0, 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "code":
            if SOLUTION_TAG in tags:
                cell.source = stub_source(cell.source, cell.metadata.get("hint"))
                cell.metadata["tags"] = [t for t in tags if t not in _HIDING_TAGS] + ["exercise"]
                stubs += 1
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            count = _markdown(cell, text, stem, count)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and not c.source.strip())]
    return nb, stubs


# files a chapter reads or shows by a relative path
_EXTRA_FOLDERS = ("data", "images")


def _copy_extras(book_dir, text, dest):
    for folder in _EXTRA_FOLDERS:
        if (book_dir / folder).is_dir() and f"{folder}/" in text:
            shutil.copytree(book_dir / folder, dest / folder, dirs_exist_ok=True)


LANGUAGES = tuple(i18n.LANGUAGES)
# the line the Japanese editions add to a chapter's first cell that imports cnnlib
_SET_LANGUAGE = 'cnnlib.set_language("{lang}")  # チェックと採点のメッセージを日本語で表示する\n'


def _language(lang):
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}: the editions are written in {', '.join(LANGUAGES)}")
    return lang


def _source_notebook(path, text, lang):
    """The book's notebook ``path`` in ``lang`` (the translated one from ``text`` for Japanese),
    with the language set in its first cell that imports cnnlib."""
    if lang == "en":
        return nbformat.read(path, as_version=4)
    return with_language(text.notebook(path.stem), lang)


def with_language(nb, lang):
    """A copy of ``nb`` whose first code cell that imports cnnlib ends with
    ``cnnlib.set_language(lang)``, so that its checks answer in ``lang`` in any Jupyter (English:
    ``nb`` unchanged, as a copy)."""
    nb = nbformat.from_dict(nb)  # deep copy
    if _language(lang) == "en":
        return nb
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"^\s*(import cnnlib|from cnnlib)", cell.source, re.MULTILINE):
            head = "" if re.search(r"^\s*import cnnlib\s*$", cell.source, re.MULTILINE) else "import cnnlib\n"
            cell.source = cell.source.rstrip("\n") + "\n" + head + _SET_LANGUAGE.format(lang=lang)
            break
    return nb


def student_edition(book_dir, out_dir, lang="en"):
    """Write the student edition of every notebook in ``book_dir`` to ``out_dir`` in ``lang``
    (``"en"`` or ``"ja"``); returns a summary."""
    lang = _language(lang)
    with i18n.language(lang):
        return _student_edition(Path(book_dir), Path(out_dir), lang)


def _student_edition(book_dir, out_dir, lang):
    notebooks = sorted(p for p in book_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {book_dir}: pass the book's folder with --book")
    if out_dir.resolve() == book_dir.resolve():
        raise ValueError("the student edition must go to another folder than the book itself")
    out_dir.mkdir(parents=True, exist_ok=True)
    text = BookText(book_dir, lang=lang)
    summary = {}
    for path in notebooks:
        raw = path.read_text(encoding="utf-8")
        nb, stubs = student_notebook(_source_notebook(path, text, lang), text, path.stem)
        nbformat.write(nb, out_dir / path.name)
        _copy_extras(book_dir, raw, out_dir)
        summary[path.name] = stubs
    _warn_missing(text)
    return summary


def _warn_missing(text):
    if text.missing:
        print(f"warning: glued values missing from the book's stored outputs (re-execute their chapters): "
              f"{', '.join(sorted(text.missing))}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# The nbgrader course: ``python -m cnnbook.classroom student-edition --format nbgrader OUTDIR``
# --------------------------------------------------------------------------------------------

GRADE_PREFIX = "grade_"

_GRADE_CELL = """\
# Graded: the course's grader runs your {function} on the cases of the check above and on hidden
# cases, in a fresh Python{library}, and gives points per group of cases.
# Your feedback lists each group and why it passed or not.  Nothing to do in this cell.
"""  # its Japanese: cnnbook/messages_ja.py


def _nbgrader_meta(cell, grade_id, *, grade=False, solution=False, locked=True, points=None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
        "cell_type": cell.cell_type,
    }
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def solution_region_source(source, hint=None):
    """``source`` with nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION`` around each
    function's body (the signature and docstring stay for the student; imports stay as they are).
    Other top-level statements are wrapped whole."""
    tree = ast.parse(source)
    lines = source.splitlines()
    begin, end = {}, {}  # line index -> indentation of the marker put before / after that line
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                       and isinstance(body[0].value.value, str))
            if has_doc and len(body) > 1:
                body = body[1:]
            first = body[0].lineno - 1
            begin[first] = " " * body[0].col_offset
            end[node.end_lineno - 1] = " " * body[0].col_offset
        else:
            begin[node.lineno - 1] = ""
            end[node.end_lineno - 1] = ""
    out = []
    for i, line in enumerate(lines):
        if i in begin:
            if hint:
                out.append(begin[i] + _("# Hint: {hint}", hint=_(hint)))
            out.append(f"{begin[i]}### BEGIN SOLUTION")
        out.append(line)
        if i in end:
            out.append(f"{end[i]}### END SOLUTION")
    return "\n".join(out) + "\n"


def _first_definition(source):
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
    return None


def nbgrader_notebook(nb, stem, text=None):
    """The nbgrader *source* version of one chapter (a new notebook; ``nb`` is not changed).

    Returns ``(notebook, exercises)``: ``exercises`` lists, per coding exercise, the function
    name, the grade id of its graded cell and its points.
    """
    from . import grading

    nb = nbformat.from_dict(nb)  # deep copy
    cells, exercises = [], []
    used_ids = set()
    count = 0

    def unique(grade_id):
        base, n = grade_id, 1
        while grade_id in used_ids:
            n += 1
            grade_id = f"{base}_{n}"
        used_ids.add(grade_id)
        return grade_id

    pending = None  # the exercise whose check cell comes next
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_RUN_TAG in tags:
            continue
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            count = _markdown(cell, text, stem, count)
            if not cell.source.strip():
                continue
            cells.append(_nbgrader_meta(cell, unique(f"md_{i}")))
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        cell.outputs, cell.execution_count = [], None
        if SOLUTION_TAG in tags:
            name = _first_definition(cell.source) or f"cell{i}"
            cell.source = solution_region_source(cell.source, cell.metadata.get("hint"))
            cell.metadata["tags"] = [t for t in tags if t not in _HIDING_TAGS] + ["exercise"]
            cells.append(_nbgrader_meta(cell, unique(f"answer_{name}"), solution=True, locked=False))
            pending = name
            continue
        cells.append(_nbgrader_meta(cell, unique(f"cell_{i}")))
        if pending is not None:  # the check cell right after a solution: the graded cell follows it
            name, pending = pending, None
            ex = grading.find(stem, name)
            if ex is None:
                raise LookupError(f"{stem}: the exercise {name!r} has no grader: add one to cnnbook.exercises")
            library = (_(" with numpy only (cnnlib switched off)") if ex.block
                       else _(" (cnnlib's own implementation of it switched off)") if ex.refuse else "")
            graded = nbformat.v4.new_code_cell(_(_GRADE_CELL, function=name, library=library))
            grade_id = unique(f"{GRADE_PREFIX}{name}")
            cells.append(_nbgrader_meta(graded, grade_id, grade=True, points=ex.points))
            exercises.append({"function": name, "grade_id": grade_id, "points": ex.points})
    nb.cells = cells
    return nb, exercises


NBGRADER_CONFIG = """\
\"\"\"nbgrader configuration of the course written by `python -m cnnbook.classroom student-edition
--format nbgrader` (the book's appendix "For teachers" gives the steps). Edit it freely: the
generator does not overwrite it without --force.\"\"\"

import os

import cnnbook
import nbgrader

c = get_config()  # noqa: F821 (nbgrader defines it)

c.CourseDirectory.course_id = "cnn-book"

# With RUN_NOTEBOOKS (below), autograde re-runs each notebook from the top; chapters 7-12 train
# networks (minutes per cell on two CPU cores), so a cell may run 30 minutes before it fails.
c.Execute.timeout = 1800

# The language of the students' feedback (the grader's lines): "en" or "ja" (cnnlib.i18n).
c.GradeAnswers.language = "{language}"

# Grading: the course's grader scores each exercise in a fresh Python from the answer cells'
# source (never from the student's kernel), on the check's cases and on hidden cases drawn from
# ./course_secret, and flags tampering (flags/<assignment>/<student>.json, the `flags` column of
# grades.csv). Graded cells a student deleted are put back and graded.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "cnnbook.nbgrader_plugins.RestoreCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# The grade does not need the notebook to run, so by default autograde does not run it (a few
# seconds per student). True: run every notebook from the top first, so the feedback shows the
# outputs too (the chapters 7-12 then take minutes per student; the grade is the same).
RUN_NOTEBOOKS = False
c.Autograde.autograde_preprocessors = [
    *(["nbgrader.preprocessors.Execute"] if RUN_NOTEBOOKS else []),
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "cnnbook.nbgrader_plugins.GradeAnswers",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Late submissions: {late_percent:g}% of the score per started day after the due date (set the due
# date with `nbgrader db assignment add NAME --duedate="YYYY-MM-DD HH:MM:SS UTC"`).
c.AssignLatePenalties.plugin_class = "cnnbook.nbgrader_plugins.LatePenalty"
c.LatePenalty.percent_per_day = {late_percent:g}

# Feedback: no hidden-test text, one line per error, no paths of this machine, no MathJax from a CDN.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "cnnbook.nbgrader_plugins.PlainFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.HTMLExporter.template_name = "cnnbook_feedback"
c.HTMLExporter.extra_template_basedirs = [
    os.path.join(os.path.dirname(cnnbook.__file__), "templates"),
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
]
# the page: index.html.j2 (nbgrader's, in English) or feedback_ja.html.j2 (its labels in Japanese)
c.HTMLExporter.template_file = "{feedback_page}"

# zip_collect: the LMS download, one zip or several (a resubmission: add the new download beside
# the old and run `nbgrader zip_collect --force NAME`; the newer file of a student wins).
# Each file's time is its date in the zip. Patterns tried in turn (the notebook must be the
# assignment's own): Moodle  "Jane Doe_4711_assignsubmission_file_/05_im2col.ipynb",
# Canvas  "doejane_LATE_4711_123456_05_im2col-1.ipynb", plain  "s4711_05_im2col.ipynb".
c.ZipCollectApp.extractor_plugin = "cnnbook.nbgrader_plugins.ZipTimesExtractor"
c.ZipCollectApp.collector_plugin = "cnnbook.nbgrader_plugins.LmsCollector"
c.ZipTimesExtractor.zip_timezone_hours = 0  # hours east of UTC of the dates in your LMS's zips

# export: only assignments collected so far, with needs_manual_grade and flags columns
c.ExportApp.plugin_class = "cnnbook.nbgrader_plugins.CourseExport"
"""

# What a course folder holds that must never be published (student data, answers, the secret).
COURSE_GITIGNORE = """\
# Written by cnnbook.classroom: student data and the course's secret stay private.
course_secret
gradebook.db
downloaded/
submitted/
autograded/
feedback/
flags/
grades.csv
.ipynb_checkpoints/
"""


class CourseExists(FileExistsError):
    """The course folder already has a course; the message says what --force would overwrite."""


def _inside_repository_unignored(path):
    """The repository ``path`` would be published with, if it is in one and not ignored by git."""
    probe = path if path.exists() else next((p for p in path.parents if p.exists()), path)
    try:
        top = subprocess.run(["git", "-C", str(probe), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if top.returncode != 0:
        return None
    ignored = subprocess.run(["git", "-C", top.stdout.strip(), "check-ignore", "-q", str(path.resolve() / "gradebook.db")],
                             capture_output=True, timeout=30)
    return None if ignored.returncode == 0 else top.stdout.strip()


def nbgrader_course(book_dir, out_dir, force=False, late_percent=10, lang="en"):
    """Write an nbgrader course directory: ``nbgrader_config.py``, ``course_secret`` (kept if
    present), ``.gitignore`` and ``source/<assignment>/``, one assignment per chapter with
    coding exercises, in ``lang`` (``"en"`` or ``"ja"``: the notebooks and the feedback).
    Returns ``{assignment: exercises}``.

    Refuses a folder inside a git repository that does not ignore it, and, without ``force``,
    a folder that already holds a course (it would overwrite its configuration and sources).
    """
    lang = _language(lang)
    with i18n.language(lang):
        return _nbgrader_course(Path(book_dir), Path(out_dir), force, late_percent, lang)


def _nbgrader_course(book_dir, out_dir, force, late_percent, lang):
    from . import grading

    notebooks = sorted(book_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {book_dir}: pass the book's folder with --book")
    if out_dir.resolve() == book_dir.resolve() or book_dir.resolve() in out_dir.resolve().parents:
        raise ValueError("the nbgrader course must go to another folder than the book itself")
    repository = _inside_repository_unignored(out_dir.resolve())
    if repository:
        raise ValueError(
            f"{out_dir} is inside the git repository {repository} and not ignored by it: the course "
            f"will hold reference answers, student ids and grades. Write it outside the repository, "
            f"or to course/ (the book's .gitignore ignores it)")
    existing = [p for p in [out_dir / "nbgrader_config.py", *sorted((out_dir / "source").glob("*/*.ipynb"))] if p.exists()]
    if existing and not force:
        raise CourseExists(
            f"{out_dir} already holds a course; generating it again would overwrite "
            + ", ".join(str(p.relative_to(out_dir)) for p in existing[:4])
            + (f" and {len(existing) - 4} more" if len(existing) > 4 else "")
            + " (your changes to the configuration, e.g. a zip_collect pattern, and cells added with "
              "'Create Assignment' would be lost). Pass --force to overwrite them; the gradebook, "
              "submissions and course_secret are kept. After changing a released assignment, run "
              "`nbgrader generate_assignment --force NAME` and hand out the new release")
    out_dir.mkdir(parents=True, exist_ok=True)
    text = BookText(book_dir, lang=lang)
    summary = {}
    for path in notebooks:
        raw = path.read_text(encoding="utf-8")
        nb, exercises = nbgrader_notebook(_source_notebook(path, text, lang), path.stem, text)
        if not exercises:
            continue
        assignment = out_dir / "source" / path.stem
        assignment.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, assignment / path.name)
        _copy_extras(book_dir, raw, assignment)
        summary[path.stem] = exercises
    _warn_missing(text)
    (out_dir / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        late_percent=late_percent, language=lang, feedback_page="index.html.j2" if lang == "en" else f"feedback_{lang}.html.j2"), encoding="utf-8")
    secret = out_dir / grading.SECRET_FILE
    if not secret.exists():
        secret.write_text(grading.new_secret() + "\n", encoding="utf-8")
        secret.chmod(0o600)
    ignore = out_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(COURSE_GITIGNORE, encoding="utf-8")
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnnbook.classroom", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    se = sub.add_parser("student-edition", help="write the notebooks with solutions replaced by stubs")
    se.add_argument("outdir", help="folder to write the student notebooks (or the nbgrader course) to")
    se.add_argument("--book", default="book", help="folder of the book's notebooks (default: ./book)")
    se.add_argument(
        "--format",
        choices=("notebooks", "nbgrader"),
        default="notebooks",
        help="notebooks: stubs for self-study (default); nbgrader: a course directory for nbgrader",
    )
    se.add_argument("--force", action="store_true",
                    help="nbgrader: overwrite an existing course's nbgrader_config.py and sources")
    se.add_argument("--lang", choices=LANGUAGES, default="en",
                    help="the language of the notebooks, the checks' messages and the feedback (default: en)")
    args = parser.parse_args(argv)
    if args.format == "nbgrader":
        try:
            course = nbgrader_course(args.book, args.outdir, force=args.force, lang=args.lang)
        except (FileNotFoundError, FileExistsError, ValueError, LookupError) as e:
            parser.exit(2, f"error: {e}\n")
        for assignment, exercises in course.items():
            points = sum(e["points"] for e in exercises)
            names = ", ".join(e["function"] for e in exercises)
            print(f"source/{assignment}: {len(exercises)} exercise(s) ({names}), {points:g} points")
        print(f"nbgrader course written to {args.outdir} (next: cd {args.outdir} && nbgrader generate_assignment NAME)")
        print(f"keep {Path(args.outdir) / 'course_secret'} private and backed up: the hidden cases are drawn from it")
        return 0
    try:
        summary = student_edition(args.book, args.outdir, lang=args.lang)
    except (FileNotFoundError, ValueError, KeyError) as e:
        parser.exit(2, f"error: {e}\n")
    for name, stubs in summary.items():
        print(f"{name}: {stubs} exercise stub(s)")
    print(f"student edition written to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
