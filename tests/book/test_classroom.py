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


# ------------------------------------------------------------------------- the Japanese edition

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
IM2COL_WRONG_ORDER = """\
def my_im2col(x, filter_h, filter_w, stride=1, pad=0):
    col = cnnlib.im2col(x, filter_h, filter_w, stride, pad)   # columns as (FH, FW, C), not (C, FH, FW)
    C = x.shape[1]
    return col.reshape(len(col), C, filter_h * filter_w).transpose(0, 2, 1).reshape(len(col), -1)
"""


def _run_cells(sources, tmp_path):
    """Run cells in a fresh Python without CNNLIB_LANG, as a student's kernel would: (rc, stdout, stderr)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "cells.py"
    script.write_text("\n\n".join(sources), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CNNLIB_LANG"}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_japanese_student_edition(tmp_path, capsys):
    """--lang ja: the prose from the Japanese catalogs in plain Markdown, Japanese stubs, and the
    chapter's own first cell sets the checks' language, so a student's wrong answer is diagnosed in
    Japanese and a right one passes in Japanese with nothing set by the student."""
    out = tmp_path / "ja"
    assert main(["student-edition", str(out), "--book", str(BOOK), "--lang", "ja"]) == 0
    assert "student edition written to" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.ipynb")) == sorted(p.name for p in BOOK.glob("*.ipynb"))
    nb = nbformat.read(out / "05_im2col.ipynb", as_version=4)
    prose = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert prose[0].startswith("# im2col") and JAPANESE.search(prose[0]), prose[0][:200]
    assert re.search(r"\*\*演習 \d+\.\*\*", "\n".join(prose)) and "**Exercise" not in "\n".join(prose)
    for path in out.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert not RAW_MYST.search(cell.source), (path.name, RAW_MYST.search(cell.source).group(0))
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = next(s for s in code if "import cnnlib" in s)
    assert setup.rstrip().endswith('cnnlib.set_language("ja")  # チェックと採点のメッセージを日本語で表示する')
    stubs = [s for s in code if s.startswith("# 演習：ここに解答を書き、下のチェックセルを実行する。")]
    assert len(stubs) == 2 and "raise NotImplementedError('my_im2colを書く')" in stubs[0], stubs
    check = next(s for s in code if "check_im2col(my_im2col)" in s)

    rc, stdout, stderr = _run_cells([setup, "import numpy as np", IM2COL_WRONG_ORDER, check], tmp_path)
    assert rc != 0 and "CheckFailed: im2col、x (2, 3, 5, 5)、フィルター3x3、ストライド1、パディング1：" in stderr, stderr[-2000:]
    assert "列目（チャンネル" in stderr and "values are wrong" not in stderr, stderr[-2000:]
    reference = next(c.source for c in nbformat.read(BOOK / "05_im2col.ipynb", as_version=4).cells
                     if "solution" in c.metadata.get("tags", []) and "def my_im2col" in c.source)
    rc, stdout, stderr = _run_cells([setup, "import numpy as np", reference, check], tmp_path)
    assert rc == 0 and stdout == "im2col：5ケースすべてで参照実装と一致した\n", (stdout, stderr[-2000:])
    rc, stdout, stderr = _run_cells([setup, stubs[0], check], tmp_path)
    assert "im2col：関数がまだ書かれていない（NotImplementedError: my_im2colを書く）。" in stderr, stderr[-2000:]


def test_the_english_edition_stays_english(tmp_path):
    out = tmp_path / "en"
    student_edition(BOOK, out)
    nb = nbformat.read(out / "05_im2col.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "set_language" not in code and "# Exercise: write your answer here" in code and not JAPANESE.search(code)
    assert "**Exercise 1.**" in "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
