"""The student edition: solutions become stubs, the MyST markup plain Markdown, and every
exercise's check works both ways on the book's own notebooks (passes on the reference answer,
fails on the stub); the nbgrader course refuses to overwrite a course or to land unignored in
a repository."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from cnnlib import checks
from cnnbook.classroom import SOLUTION_RUN_TAG, CourseExists, main, nbgrader_course, student_edition, student_notebook, stub_source
from cnnbook.markdown import BookText

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
CHECK_CALL = re.compile(r"(?:cnnlib\.)?(?:checks\.)?(check_\w+)\((\w+)\)")


def _exercise_pairs():
    """(notebook, solution source, check name, function name) for every solution cell followed by a check."""
    pairs = []
    for path in sorted(BOOK.glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        for i, cell in enumerate(cells):
            if cell.cell_type != "code" or "solution" not in cell.metadata.get("tags", []):
                continue
            for later in cells[i + 1 : i + 4]:
                m = CHECK_CALL.search(later.source) if later.cell_type == "code" else None
                if m and hasattr(checks, m.group(1)):
                    pairs.append((path.name, cell.source, m.group(1), m.group(2)))
                    break
    return pairs


PAIRS = _exercise_pairs()


def test_the_book_has_checked_coding_exercises():
    # chapters 2-6 each ask for a piece of the CNN with a check (CONTRIBUTING.md)
    assert len({check for _, _, check, _ in PAIRS}) >= 5, PAIRS


def _run(source, check_name, fn_name):
    namespace = {}
    exec("import numpy as np\nimport cnnlib\n", namespace)
    exec(source, namespace)
    getattr(checks, check_name)(namespace[fn_name])


@pytest.mark.parametrize("nb, source, check_name, fn_name", PAIRS, ids=[f"{p[0]}-{p[2]}" for p in PAIRS])
def test_reference_solution_passes_its_check(nb, source, check_name, fn_name, capsys):
    _run(source, check_name, fn_name)
    assert "agree with the reference" in capsys.readouterr().out


@pytest.mark.parametrize("nb, source, check_name, fn_name", PAIRS, ids=[f"{p[0]}-{p[2]}" for p in PAIRS])
def test_student_stub_fails_its_check(nb, source, check_name, fn_name):
    with pytest.raises(checks.CheckFailed, match="not written yet"):
        _run(stub_source(source), check_name, fn_name)


def test_student_notebook_removes_answers_and_outputs():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: q\nWhy?\n```\n\n```{solution} q\n:class: dropdown\nBecause.\n```\n"),
        nbformat.v4.new_code_cell(
            "def relu(x):\n    '''max(0, x)'''\n    return x * (x > 0)\n",
            metadata={"tags": ["solution", "hide-input"], "hint": "use a mask"},
        ),
        nbformat.v4.new_code_cell("relu(1)", execution_count=3, outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=3)]),
    ]
    before = json.dumps(nb)
    student, stubs = student_notebook(nb)
    assert json.dumps(nb) == before, "the book's notebook must not be changed"
    assert stubs == 1
    md, solution, check = student.cells
    assert "Because" not in md.source and "Why?" in md.source
    assert "return x * (x > 0)" not in solution.source
    assert "raise NotImplementedError('use a mask')" in solution.source
    assert "hide-input" not in solution.metadata["tags"]
    assert check.outputs == [] and check.execution_count is None


def test_student_notebook_leaves_out_the_runs_behind_solutions():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("answer = 0.42  # the figure a solution quotes",
                                          metadata={"tags": ["remove-cell", SOLUTION_RUN_TAG]})]
    student, _ = student_notebook(nb)
    assert [c.source for c in student.cells] == ["x = 1"]


def test_the_books_solution_runs_are_tagged():
    """Every hidden cell that asserts figures (a claim) only the solutions quote is a solution run."""
    tagged = 0
    for path in sorted(BOOK.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            tags = cell.metadata.get("tags", [])
            if cell.cell_type == "code" and "remove-cell" in tags and "claim(" in cell.source:
                assert SOLUTION_RUN_TAG in tags, f"{path.name}: a remove-cell claim cell without {SOLUTION_RUN_TAG}"
            tagged += SOLUTION_RUN_TAG in tags
    assert tagged >= 3


def test_command_writes_every_notebook(tmp_path, capsys):
    out = tmp_path / "student"
    assert main(["student-edition", str(out), "--book", str(BOOK)]) == 0
    written = sorted(p.name for p in out.glob("*.ipynb"))
    assert written == sorted(p.name for p in BOOK.glob("*.ipynb"))
    for path in out.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
                assert "solution" not in cell.metadata.get("tags", []), path.name
                assert SOLUTION_RUN_TAG not in cell.metadata.get("tags", []), path.name
            else:
                assert "{solution}" not in cell.source, path.name
    assert "student edition written to" in capsys.readouterr().out


def test_command_refuses_to_overwrite_the_book(tmp_path):
    with pytest.raises(ValueError, match="another folder"):
        student_edition(BOOK, BOOK)
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        student_edition(tmp_path, tmp_path / "out")


RAW_MYST = re.compile(r"\{(exercise|solution|glue|glue:|glue:text|doc|ref|term|note|admonition|code-block)\}|^:label:|^\([\w.-]+\)=",
                      re.MULTILINE)


def test_student_edition_reads_as_plain_markdown(tmp_path):
    out = tmp_path / "student"
    student_edition(BOOK, out)
    for path in out.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert not RAW_MYST.search(cell.source), (path.name, RAW_MYST.search(cell.source).group(0))
    assert (out / "data" / "full_data_runs.json").is_file(), "the scaling appendix reads it"
    text = nbformat.read(out / "05_im2col.ipynb", as_version=4)
    prose = "\n".join(c.source for c in text.cells if c.cell_type == "markdown")
    assert "**Exercise 1.**" in prose


def test_markdown_roles_and_directives():
    text = BookText(BOOK)
    text.glue.update(speed="'729×'", ratio="0.9876")
    text.titles["02_convolution"] = "Convolution"
    text.labels.update({"ex-a": ("05_im2col", 2), "sec-x": "The section"})
    md = ("(sec-y)=\n## Title\n\n```{exercise} Pad it\n:label: ex-b\nDo {glue:}`speed` and {glue:text}`ratio:.1%`.\n```\n\n"
          "```{solution} ex-b\nSecret.\n```\n\nSee {doc}`02_convolution`, {doc}`the next <03_padding_stride>`, "
          "{ref}`ex-a`, {ref}`sec-x`, {term}`stride <Stride>`.\n\n```{note}\nA note.\n```\n")
    from cnnbook.classroom import strip_solutions
    plain, count = text.plain(strip_solutions(md), "05_im2col")
    assert count == 1
    assert plain == ("## Title\n\n**Exercise 1.** Pad it\n\nDo 729× and 98.8%.\n\n\nSee Convolution, the next, "
                     "Exercise 2, The section, stride.\n\n> **Note.**\n>\n> A note.\n"), plain


def test_course_is_not_overwritten_without_force(tmp_path, capsys):
    course = tmp_path / "course"
    nbgrader_course(BOOK, course)
    secret = (course / "course_secret").read_text()
    (course / "nbgrader_config.py").write_text("# my pattern\n")
    with pytest.raises(CourseExists, match="nbgrader_config.py.*--force"):
        nbgrader_course(BOOK, course)
    with pytest.raises(SystemExit) as stopped:
        main(["student-edition", "--format", "nbgrader", str(course), "--book", str(BOOK)])
    assert stopped.value.code == 2 and "would overwrite nbgrader_config.py" in capsys.readouterr().err
    assert (course / "nbgrader_config.py").read_text() == "# my pattern\n"
    nbgrader_course(BOOK, course, force=True)
    assert "LmsCollector" in (course / "nbgrader_config.py").read_text()
    assert (course / "course_secret").read_text() == secret, "--force keeps the course's secret"
    assert "course_secret" in (course / ".gitignore").read_text()


def test_course_refuses_a_folder_the_repository_would_publish():
    with pytest.raises(ValueError, match="not ignored"):
        nbgrader_course(BOOK, ROOT / "a-course-that-git-would-publish")
    assert not (ROOT / "a-course-that-git-would-publish").exists()
