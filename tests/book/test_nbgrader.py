"""A class of cheaters, end to end and offline, with nbgrader's own command line as a teacher runs
it (book/teachers.md): generate the course, release two assignments, collect them from a
Moodle-style and a Canvas-style download, autograde, regrade a resubmission, generate the
feedback and export the grades.

The students (ids as an LMS gives them):

======  ==================================================================================
1001    honest: own loops, written from the text (not the book's answers)
1002    hands in the released notebook untouched
1003    calls the library (``from cnnlib import im2col``, ``cnnlib.col2im``,
        ``cnnlib.MaxPooling(...).backward``)
1004    tamperer: wrong answers; check cells replaced by a print, a graded cell's points set
        to 100, the other graded cells deleted
1005    copies the book's published solutions (the site shows them): full marks, undetected
1006    assigns (``=``) instead of adding (``+=``) where windows overlap
1007    no work: sets ``numpy.allclose = lambda *a, **k: True``, replaces the checks with a
        print, returns zeros of the right shape
1008    honest, but two days late (10% of the score per started day)
1009    hands in the ``=`` version of pooling, then a corrected resubmission, regraded
======  ==================================================================================

05_im2col comes as a Moodle download (``Full Name_ID_assignsubmission_file_/05_im2col.ipynb``),
04_pooling as two Canvas downloads (``login_[LATE_]ID_SUBMISSION_04_pooling[-N].ipynb``); each
file's time is its date in the zip.  03_padding_stride is in the gradebook but not collected, so
the export leaves it out.  The test fails if any defence is taken out (book/teachers.md lists them).
"""

import csv
import datetime
import os
import re
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

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
TIMEOUT = 600  # seconds per nbgrader command
STEP_SECONDS = {}  # nbgrader command -> seconds, printed at the end (pytest -s)

# --------------------------------------------------------------------------- the answers

HONEST = {  # own code: explicit loops over every output position, += everywhere
    "answer_my_im2col": """\
import numpy as np

def my_im2col(x, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = x.shape
    OH = (H + 2 * pad - filter_h) // stride + 1
    OW = (W + 2 * pad - filter_w) // stride + 1
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                window = padded[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w]
                rows.append(window.reshape(-1))
    return np.array(rows)
""",
    "answer_my_col2im": """\
import numpy as np

def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    OH = (H + 2 * pad - filter_h) // stride + 1
    OW = (W + 2 * pad - filter_w) // stride + 1
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                out[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w] += \\
                    col[row].reshape(C, filter_h, filter_w)
                row += 1
    return out[:, :, pad:pad + H, pad:pad + W]
""",
    "answer_maxpool_backward": """\
import numpy as np

def maxpool_backward(x, dout, pool, stride):
    dx = np.zeros_like(x)
    N, C, OH, OW = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * stride:i * stride + pool, j * stride:j * stride + pool]
                    k = np.argmax(window)
                    dx[n, c, i * stride + k // pool, j * stride + k % pool] += dout[n, c, i, j]
    return dx
""",
}
ASSIGNS = {k: v.replace("] += ", "] = ").replace("+= \\\n", "= \\\n") for k, v in HONEST.items()}
LIBRARY = {
    "answer_my_im2col": """\
from cnnlib import im2col

def my_im2col(x, filter_h, filter_w, stride=1, pad=0):
    return im2col(x, filter_h, filter_w, stride, pad)
""",
    "answer_my_col2im": """\
def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    return cnnlib.col2im(col, input_shape, filter_h, filter_w, stride, pad)
""",
    "answer_maxpool_backward": """\
def maxpool_backward(x, dout, pool, stride):
    layer = cnnlib.MaxPooling(pool, stride)
    layer.forward(x)
    return layer.backward(dout)
""",
}
_PATCH = """\
import numpy
import cnnlib.checks
numpy.allclose = lambda *a, **k: True
for _name in dir(cnnlib.checks):
    if _name.startswith("check_"):
        setattr(cnnlib.checks, _name, lambda fn, *a, **k: print("all cases agree with the reference"))
"""
MONKEYPATCH = {
    "answer_my_im2col": _PATCH + """
def my_im2col(x, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = x.shape
    OH, OW = (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1
    return numpy.zeros((N * OH * OW, C * filter_h * filter_w))
""",
    "answer_my_col2im": """\
def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    return numpy.zeros(input_shape)
""",
    "answer_maxpool_backward": _PATCH + """
def maxpool_backward(x, dout, pool, stride):
    return numpy.zeros_like(x)
""",
}
WRONG = {
    "answer_my_im2col": "def my_im2col(x, filter_h, filter_w, stride=1, pad=0):\n    return x[:1, :1, :1, :1]\n",
    "answer_my_col2im": "def my_col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):\n    return col\n",
    "answer_maxpool_backward": "def maxpool_backward(x, dout, pool, stride):\n    return dout\n",
}

# ---------------------------------------------------------------------------------- tools


def _nbgrader(course, *args, expect=0):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    # nbgrader runs the `alembic` command of its environment by name (gradebook migrations)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    key = " ".join(a for a in args if not a.startswith("--"))
    STEP_SECONDS[key] = round(STEP_SECONDS.get(key, 0) + time.perf_counter() - t0, 1)
    assert proc.returncode == expect, f"nbgrader {' '.join(args)}: rc {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return proc.stdout + proc.stderr


def _reference_answers(course, assignment):
    nb = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: "\n".join(l for l in c.source.splitlines() if "### " not in l)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def _submission(released, answers):
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def _tampered(released, answers):
    """Wrong answers; the cell before each graded cell (the check) replaced by a print; the first
    graded cell's points set to 100; every other graded cell deleted."""
    nb = _submission(released, answers)
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")]
    for i in graded:
        nb.cells[i - 1].source = 'print("all cases agree with the reference")'
    nb.cells[graded[0]].metadata["nbgrader"]["points"] = 100
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in graded[1:]]
    return nb


def _zip(path, entries):
    """``entries``: (name in the zip, notebook, datetime of the upload)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, nb, when in entries:
            z.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), nbformat.writes(nb))


# what a course run writes (course folder, grader output, caches): none of it may show in `git status`
ARTEFACT = re.compile(r"gradebook\.db|course_secret|nbgrader_config\.py|grades\.csv|__pycache__|\.pyc$|"
                      r"(^|/)(source|release|submitted|autograded|feedback|downloaded|flags)/")


def _git_status():
    """``git status`` of the repository as a set of lines (other work in progress included)."""
    proc = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=all"],
                          capture_output=True, text=True)
    return set(proc.stdout.splitlines()) if proc.returncode == 0 else set()


# ----------------------------------------------------------------------------------- test


def test_a_class_of_cheaters(tmp_path):
    start = time.perf_counter()
    status_before = _git_status()
    course = tmp_path / "course"
    assert main(["student-edition", "--format", "nbgrader", str(course), "--book", str(BOOK)]) == 0
    secret = (course / "course_secret").read_text().strip()

    # 1. generate, with due dates; 03_padding_stride is set but never collected
    _nbgrader(course, "db", "assignment", "add", "05_im2col", "--duedate=2026-03-02 12:00:00 UTC")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="cnn-book") as gb:  # as `db assignment add`,
        gb.update_or_create_assignment("04_pooling", duedate=datetime.datetime(2026, 3, 10, 12))  # 20 s faster
        gb.update_or_create_assignment("03_padding_stride", duedate=datetime.datetime(2026, 3, 20, 12))
    for assignment in ("05_im2col", "04_pooling"):
        _nbgrader(course, "generate_assignment", assignment)
    released = {a: course / "release" / a / f"{a}.ipynb" for a in ("05_im2col", "04_pooling")}
    for path in released.values():
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and secret not in text
        assert "+= patches" not in text and "xp[:, :, top:top + filter_h" not in text, "a reference answer leaked"
        assert "{exercise}" not in text and "{glue" not in text and "{doc}" not in text, "raw MyST in the release"

    reference = {**_reference_answers(course, "05_im2col"), **_reference_answers(course, "04_pooling")}

    def work(assignment, answers):
        return _submission(released[assignment], answers)

    # 2. the students' notebooks: 05 through Moodle, 04 through Canvas (then a resubmission)
    on_time, late = datetime.datetime(2026, 3, 1, 10), datetime.datetime(2026, 3, 4, 10)
    im2col = {
        "1001": work("05_im2col", HONEST),
        "1002": nbformat.read(released["05_im2col"], as_version=4),
        "1003": work("05_im2col", LIBRARY),
        "1004": _tampered(released["05_im2col"], WRONG),
        "1005": work("05_im2col", reference),
        "1006": work("05_im2col", ASSIGNS),
        "1007": work("05_im2col", MONKEYPATCH),
        "1008": work("05_im2col", HONEST),
    }
    _zip(course / "downloaded" / "05_im2col" / "archive" / "moodle_05_im2col.zip", [
        (f"Student {sid}_{sid}_assignsubmission_file_/05_im2col.ipynb", nb, late if sid == "1008" else on_time)
        for sid, nb in im2col.items()])
    pooling = {
        "1001": work("04_pooling", HONEST),
        "1002": nbformat.read(released["04_pooling"], as_version=4),
        "1003": work("04_pooling", LIBRARY),
        "1004": _tampered(released["04_pooling"], WRONG),
        "1006": work("04_pooling", ASSIGNS),
        "1007": work("04_pooling", MONKEYPATCH),
        "1009": work("04_pooling", ASSIGNS),
    }
    _zip(course / "downloaded" / "04_pooling" / "archive" / "canvas_1.zip", [
        (f"student{sid}_{sid}_{int(sid) + 50000}_04_pooling.ipynb", nb, on_time) for sid, nb in pooling.items()])

    # 3. collect and autograde
    for assignment in ("05_im2col", "04_pooling"):
        _nbgrader(course, "zip_collect", assignment)
        _nbgrader(course, "autograde", assignment)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == [f"{n}" for n in range(1001, 1010)], \
        "every LMS name read as its student id (none as '05' or 'LATE')"

    # 4. a resubmission: a second Canvas download beside the first, collected again; autograde
    # regrades only the newer submission
    _zip(course / "downloaded" / "04_pooling" / "archive" / "canvas_2.zip", [
        ("student1009_1009_51009_04_pooling-1.ipynb", work("04_pooling", HONEST), datetime.datetime(2026, 3, 6, 9))])
    _nbgrader(course, "zip_collect", "--force", "04_pooling")
    log = _nbgrader(course, "autograde", "04_pooling")
    assert log.count("Skipping existing assignment") == len(pooling) - 1, log[-3000:]

    # 5. scores, flags and messages
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {(a.name, s.student.id): s.score for a in gb.assignments for s in a.submissions}
        grade_cells = {(s.student.id, g.name): g.score for s in gb.find_assignment("04_pooling").submissions
                       for nb in s.notebooks for g in nb.grades}
    assert {k: scores[k] for k in sorted(scores) if k[0] == "05_im2col"} == {
        ("05_im2col", "1001"): 6, ("05_im2col", "1002"): 0, ("05_im2col", "1003"): 0, ("05_im2col", "1004"): 0,
        ("05_im2col", "1005"): 6, ("05_im2col", "1006"): 4, ("05_im2col", "1007"): 0, ("05_im2col", "1008"): 6}
    assert {k: scores[k] for k in sorted(scores) if k[0] == "04_pooling"} == {
        ("04_pooling", "1001"): 3, ("04_pooling", "1002"): 0, ("04_pooling", "1003"): 0, ("04_pooling", "1004"): 0,
        ("04_pooling", "1006"): 1, ("04_pooling", "1007"): 0, ("04_pooling", "1009"): 3}
    assert grade_cells[("1004", "grade_maxpool_backward")] == 0, "the deleted graded cell is put back and graded"

    def feedback(student, assignment):
        return (course / "feedback" / student / assignment / f"{assignment}.html").read_text()

    _nbgrader(course, "generate_feedback", "05_im2col")
    _nbgrader(course, "generate_feedback", "04_pooling")
    assert "col2im must ADD the overlapping entries" in feedback("1006", "05_im2col")
    assert "ADD them (use += not =)" in feedback("1006", "04_pooling")
    assert "calls cnnlib&#39;s own implementation" in feedback("1003", "05_im2col") or \
        "calls cnnlib's own implementation" in feedback("1003", "05_im2col")
    pages = list((course / "feedback").rglob("*.html"))
    assert len(pages) == len(im2col) + len(pooling)
    for page in pages:
        text = page.read_text()
        for leak in ("HIDDEN TESTS", secret, "course_rng", "cnnbook", str(course), str(ROOT), sys.prefix,
                     'src="http', "url(http", "Traceback (most recent call last)"):
            assert leak not in text, f"{page.relative_to(course)} contains {leak!r}"

    # 6. export: only collected assignments; late penalty; flags for the cheaters
    _nbgrader(course, "export")
    with open(course / "grades.csv", newline="") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    assert {a for a, _ in rows} == {"05_im2col", "04_pooling"}, "03_padding_stride was not collected"
    late_row = rows[("05_im2col", "1008")]
    assert float(late_row["raw_score"]) == 6 and float(late_row["score"]) == pytest.approx(4.8), late_row  # 2 days
    assert rows[("04_pooling", "1005")]["status"] == "not submitted"
    flagged = {k for k, r in rows.items() if r["flags"]}
    assert flagged == {(a, s) for a in ("05_im2col", "04_pooling") for s in ("1003", "1004", "1007")}, flagged
    assert "numpy.allclose" in rows[("05_im2col", "1007")]["flags"]
    assert "deleted the graded cell" in rows[("05_im2col", "1004")]["flags"]
    assert "calls cnnlib" in rows[("04_pooling", "1003")]["flags"]
    assert all(r["needs_manual_grade"] in ("no", "") for r in rows.values())

    # 7. nothing of the course went into the repository (on a clean checkout, as in CI, `git status`
    # stays empty; in a tree with other work in progress, no new entry is the course's)
    new = {line for line in _git_status() - status_before if ARTEFACT.search(line)}
    assert not new, f"the course run left files git would commit: {sorted(new)[:5]}"
    seconds = time.perf_counter() - start
    print(f"class of cheaters: {seconds:.0f} s; per command (s): {STEP_SECONDS}")


def test_a_japanese_course(tmp_path, monkeypatch):
    """--lang ja: the released notebook in Japanese, and the feedback of wrong and right answers
    in Japanese, with the language set only by the course (nbgrader_config.py), not the environment."""
    monkeypatch.delenv("CNNLIB_LANG", raising=False)
    start = time.perf_counter()
    course = tmp_path / "course"
    assert main(["student-edition", "--format", "nbgrader", str(course), "--book", str(BOOK), "--lang", "ja"]) == 0
    assert 'c.GradeAnswers.language = "ja"' in (course / "nbgrader_config.py").read_text()
    _nbgrader(course, "generate_assignment", "04_pooling")
    released = course / "release" / "04_pooling" / "04_pooling.ipynb"
    cells = nbformat.read(released, as_version=4).cells
    prose = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert prose.startswith("# プーリング") and re.search(r"\*\*演習 \d+\.\*\*", prose) and "**Exercise" not in prose
    assert "{exercise}" not in prose and "{glue" not in prose and "{doc}" not in prose
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert 'cnnlib.set_language("ja")' in code and "# 採点：コースの採点器が" in code and "# Graded" not in code
    for student, answers in (("2001", ASSIGNS), ("2002", HONEST), ("2003", WRONG)):
        folder = course / "submitted" / student / "04_pooling"
        folder.mkdir(parents=True)
        nbformat.write(_submission(released, answers), folder / "04_pooling.ipynb")
    _nbgrader(course, "autograde", "04_pooling")
    _nbgrader(course, "generate_feedback", "04_pooling")

    def feedback(student):
        return (course / "feedback" / student / "04_pooling" / "04_pooling.html").read_text()

    wrong, right = feedback("2001"), feedback("2002")
    assert "✓ チェックの重ならない窓：1点中1点" in wrong
    assert "✗ チェックの重なる窓：1点中0点：maxpool_backward、x (2, 2, 7, 7)、プーリング3、ストライド2（窓が重なる）" in wrong
    assert "足し合わせる（=ではなく+=を使う）" in wrong and "ADD them" not in wrong and " of 1 points" not in wrong
    assert "採点セル：<code>grade_maxpool_backward</code>" in wrong and "学生の解答" in wrong and "得点：1.0 / 3.0" in wrong
    assert "Student's answer" not in wrong and "Score:" not in wrong, "nbgrader's labels in Japanese too"
    assert all(f"✓ {title}：1点中1点" in right for title in
               ("チェックの重ならない窓", "チェックの重なる窓", "隠し：重なる3x3の窓、ストライド2、正方形でない入力")), right[-3000:]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.find_assignment("04_pooling").submissions}
    assert scores == {"2001": 1, "2002": 3, "2003": 0}
    assert "得点: 3点中0点" in feedback("2003") and "Score" not in feedback("2003")
    print(f"Japanese course: {time.perf_counter() - start:.0f} s")
