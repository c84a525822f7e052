"""The nbgrader course end to end, offline, in a temporary course directory, with nbgrader's
own command line as a teacher runs it (book/teachers.md): generate the chapter 5 assignment
(im2col and col2im), collect three submissions from an LMS-style zip with zip_collect,
autograde them, read the scores from nbgrader's gradebook, generate the feedback and export
the grades.

The three students: ``ref`` hands in the book's reference answers (full marks), ``stub``
hands in the released notebook untouched (zero), and ``lib`` answers the im2col exercise by
calling the library's ``im2col`` under another name, which passes the visible check but not
the hidden test (the col2im answer is right).

Only chapter 5 is autograded here (one notebook, a few seconds per run); the hidden tests of
every chapter are checked in-process by tests/test_nbgrader_hidden.py.
"""

import csv
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed (requirements.txt pins it)")

from nbgrader.api import Gradebook  # noqa: E402

from cnnbook.classroom import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
ASSIGNMENT = "05_im2col"
TIMEOUT = 600  # seconds per nbgrader command
STEP_SECONDS = {}  # nbgrader command -> seconds, printed at the end (pytest -s)

# answers a student may plausibly hand in: passes the visible check, calls the library
LIBRARY_IM2COL = """\
from cnnlib.im2col import im2col as fast_im2col


def my_im2col(x, filter_h, filter_w, stride=1, pad=0):
    return fast_im2col(x, filter_h, filter_w, stride, pad)
"""


def _nbgrader(course, *args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    # nbgrader runs the `alembic` command of its environment by name (gradebook migrations)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    data = ROOT.parent / "shared" / "datasets"
    if "CNNLIB_DATA" not in env and data.is_dir():
        env["CNNLIB_DATA"] = str(data)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    STEP_SECONDS[args[0]] = round(time.perf_counter() - t0, 1)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout + proc.stderr


def _answers(course):
    """The reference answer of each solution cell (grade_id -> source without the markers)."""
    nb = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if "### BEGIN" not in l and "### END" not in l)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def _submission(released, answers):
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def test_nbgrader_course_end_to_end(tmp_path):
    start = time.perf_counter()
    course = tmp_path / "course"
    assert main(["student-edition", "--format", "nbgrader", str(course), "--book", str(BOOK)]) == 0
    assert (course / "nbgrader_config.py").is_file()

    # 1. generate: the student version in release/, solutions and hidden tests removed
    _nbgrader(course, "generate_assignment", ASSIGNMENT)
    released = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    text = released.read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "fast_im2col" not in text
    assert "xp[:, :, top:top + filter_h" not in text, "the reference answer leaked into the release"

    # 2. collect: an LMS download (one zip, files named <student>_<notebook>.ipynb)
    reference = _answers(course)
    submissions = {
        "ref": _submission(released, reference),
        "stub": nbformat.read(released, as_version=4),
        "lib": _submission(released, {**reference, "answer_my_im2col": LIBRARY_IM2COL}),
    }
    archive = course / "downloaded" / ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms_download.zip", "w") as z:
        for student, nb in submissions.items():
            z.writestr(f"{ASSIGNMENT}/{student}_{ASSIGNMENT}.ipynb", nbformat.writes(nb))
    _nbgrader(course, "zip_collect", ASSIGNMENT)
    for student in submissions:
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file(), student

    # 3. autograde (executes each submission; hidden tests put back from the gradebook)
    _nbgrader(course, "autograde", ASSIGNMENT)

    # 4. the scores, from nbgrader's own gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(ASSIGNMENT, s).score for s in submissions}
        max_score = gb.find_assignment(ASSIGNMENT).max_score
        lib_grades = {
            g.name: g.score for g in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "lib").grades
        }
        max_points = {g.name: g.max_score for g in gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "ref").grades}
    assert max_score == 6, max_points
    assert scores["ref"] == max_score, scores
    assert scores["stub"] == 0, scores
    # the library call passes the visible check (2 points) but not the hidden test (0 of 1)
    assert lib_grades == {
        "check_my_im2col": 2,
        "hidden_my_im2col": 0,
        "check_my_col2im": 2,
        "hidden_my_col2im": 1,
    }, lib_grades

    # 5. feedback: one HTML page per student
    _nbgrader(course, "generate_feedback", ASSIGNMENT)
    for student in submissions:
        page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert page.is_file(), student
    lib_page = (course / "feedback" / "lib" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "calls cnnlib" in lib_page, "the feedback shows why the hidden test failed"

    # 6. export: grades.csv, one row per student
    _nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as f:
        rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT}
    assert rows == {"ref": 6.0, "stub": 0.0, "lib": 5.0}, rows
    print(f"nbgrader end to end: {time.perf_counter() - start:.0f} s; per command (s): {STEP_SECONDS}")


def test_course_has_one_assignment_per_chapter_with_coding_exercises(tmp_path, capsys):
    course = tmp_path / "course"
    assert main(["student-edition", "--format", "nbgrader", str(course), "--book", str(BOOK)]) == 0
    out = capsys.readouterr().out
    chapters = sorted(
        p.stem
        for p in BOOK.glob("*.ipynb")
        if any("solution" in c.metadata.get("tags", []) for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code")
    )
    assert sorted(p.name for p in (course / "source").iterdir()) == chapters
    assert "nbgrader course written to" in out
    shutil.rmtree(course)
