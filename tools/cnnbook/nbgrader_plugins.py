"""nbgrader plugins of the course (``nbgrader_config.py`` names them; book/teachers.md explains them).

* :class:`GradeAnswers` (autograde): scores every graded exercise with :mod:`cnnbook.grading`,
  in a fresh process, from the answer cells' source, never from the student's kernel; writes a
  one-line reason per case group into the grade cell; flags tampering (grade cells deleted,
  locked cells or points edited, module attributes changed, library calls) in the gradebook
  and in ``flags/<assignment>/<student>.json``.  ``c.GradeAnswers.language = "ja"`` (a course
  generated with ``--lang ja`` sets it) writes the student's lines in Japanese.
* :class:`PlainFeedback` (generate_feedback): error outputs shortened to their last line,
  file paths of the grader's machine removed.
* :class:`ZipTimesExtractor` and :class:`LmsCollector` (zip_collect): the downloads of Moodle
  and Canvas, with each submission's time taken from its date in the zip.
* :class:`LatePenalty`: a percentage of the score per started day after the due date.
* :class:`CourseExport` (export): only assignments with submissions, and two more columns,
  ``needs_manual_grade`` and ``flags``.
"""

import datetime
import json
import math
import os
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin, LateSubmissionPlugin
from nbgrader.plugins.zipcollect import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Float, List, Unicode

from cnnlib import i18n

from . import grading

GRADE_PREFIX = "grade_"


def _course_root(resources):
    url = resources.get("nbgrader", {}).get("db_url", "")
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):]).parent
    return Path.cwd()


def _flags_path(root, assignment, student):
    return Path(root) / "flags" / assignment / f"{student}.json"


# ------------------------------------------------------------------------------ autograde

class RestoreCells(OverwriteCells):
    """nbgrader's OverwriteCells, but a deleted graded cell is put back after the nearest cell
    before it that is still there, whatever its kind (nbgrader 0.9 needs a graded or answer cell
    right before it, and fails on the submission otherwise)."""

    def add_missing_grade_cells(self, nb, resources):
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source.source_cells]
        cells = {cell.name: cell for cell in source.source_cells}
        solutions = {cell.name for cell in source.solution_cells}
        for grade in source.grade_cells:
            present = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
            if grade.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade.name)
            cell = self.missing_cell_transform(cells[grade.name], grade.max_score, is_solution=grade.name in solutions)
            before = order[: order.index(grade.name)]
            at = max((present.index(name) for name in before if name in present), default=-1)
            nb.cells.insert(at + 1, cell)
        return nb, resources


class GradeAnswers(NbGraderPreprocessor):
    """Score the exercises out of the student's kernel; flag tampering."""

    language = Unicode("", help="the language of the students' feedback: en or ja "
                                "(empty: the environment variable CNNLIB_LANG, else English)").tag(config=True)

    def preprocess(self, nb, resources):
        with i18n.language(self.language or None):
            return self._preprocess(nb, resources)

    def _preprocess(self, nb, resources):
        info = resources["nbgrader"]
        root = _course_root(resources)
        notebook, assignment, student = info["notebook"], info["assignment"], info["student"]
        secret = grading.read_secret(root)
        source, notes = grading.answer_source(nb)
        flags = list(notes) + self._tampering(root, info)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            if cell.cell_type != "code" or not utils.is_grade(cell) or not grade_id.startswith(GRADE_PREFIX):
                continue
            ex = grading.find(notebook, grade_id[len(GRADE_PREFIX):])
            if ex is None:
                raise ValueError(f"{notebook}: no grader for the cell {grade_id} (cnnbook.exercises)")
            result = grading.grade(ex, source, secret)  # in the language set above
            flags.extend(f for f in result.flags if f not in flags)
            points = float(cell.metadata["nbgrader"]["points"])
            score = points * result.score / result.points if result.points else 0.0
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=result.text() + "\n")]
            if score <= 0:
                zero, name = grading._("0 of {points:g} points", points=points), grading._("Score")
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename=name, evalue=zero, traceback=[f"{name}: {zero}"]))
            elif score < points:
                cell.outputs.append(nbformat.v4.new_output(
                    "execute_result", data={"text/plain": f"{score:g}"}, execution_count=cell.get("execution_count")))
        path = _flags_path(root, assignment, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"notebook": notebook, "flags": flags}, indent=1), encoding="utf-8")
        with Gradebook(info["db_url"]) as gb:
            try:
                submitted = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                submitted = None
            if submitted is not None:
                submitted.flagged = bool(flags)
                gb.db.commit()
        for flag in flags:
            self.log.warning("%s, %s: %s", student, assignment, flag)
        return nb, resources

    def _tampering(self, root, info):
        """What the submitted notebook (as handed in) changed in the cells nbgrader restores."""
        path = Path(root) / "submitted" / info["student"] / info["assignment"] / f"{info['notebook']}.ipynb"
        if not path.is_file():
            return []
        submitted = nbformat.read(path, as_version=4)
        cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in submitted.cells}
        found = []
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            points = {g.name: g.max_score for g in source.grade_cells}
            for cell in source.source_cells:
                mine = cells.get(cell.name)
                if cell.name in points and mine is None:
                    found.append(f"deleted the graded cell {cell.name} (put back and graded)")
                elif mine is not None and cell.name in points and float(mine.metadata["nbgrader"].get("points", 0)) != points[cell.name]:
                    found.append(f"changed the points of {cell.name} (restored)")
                elif cell.locked and mine is not None and utils.compute_checksum(mine) != cell.checksum:
                    found.append(f"edited the locked cell {cell.name} (restored)")
                elif cell.locked and mine is None and cell.cell_type == "code":
                    found.append(f"deleted the locked cell {cell.name}")
        return found


# ------------------------------------------------------------------------------- feedback

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PATH = re.compile(r"(?:/[\w.@+-]+){2,}/")


class PlainFeedback(NbGraderPreprocessor):
    """Feedback a student can read: one line per error, no paths of the grader's machine."""

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {_PATH.sub('', _ANSI.sub('', output.evalue))}"]
                output.evalue = _PATH.sub("", output.evalue)
            elif output.output_type == "stream":
                output.text = _PATH.sub("", output.text)
        return cell, resources


# ---------------------------------------------------------------------------- zip_collect

class ZipTimesExtractor(ExtractorPlugin):
    """Extract each archive into its own folder, keeping every file's date from the zip."""

    zip_timezone_hours = Float(0.0, help="the time zone of the dates in the LMS's zip, in hours east of UTC").tag(config=True)

    def extract(self, archive_path, extracted_path):
        tz = datetime.timezone(datetime.timedelta(hours=self.zip_timezone_hours))
        for archive in sorted(Path(archive_path).rglob("*")):
            if not archive.is_file():
                continue
            if archive.suffix != ".zip":
                dest = Path(extracted_path) / archive.name
                shutil.copy2(archive, dest)
                continue
            folder = (Path(extracted_path) / archive.stem).resolve()
            self.log.info("Extracting from: %s", archive)
            with zipfile.ZipFile(archive) as z:
                for member in z.infolist():
                    if member.is_dir():
                        continue
                    dest = (folder / member.filename).resolve()
                    if folder not in dest.parents:
                        self.log.warning("Skipping %s: outside the archive's folder", member.filename)
                        continue
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(z.read(member))
                    stamp = datetime.datetime(*member.date_time, tzinfo=tz).timestamp()
                    os.utime(dest, (stamp, stamp))


MOODLE = r".*/[^/]*_(?P<student_id>\d+)_assignsubmission_file_/(?P<file_id>[^/]+?)\.ipynb$"
CANVAS = r".*/[^/_]+_(?:LATE_)?(?P<student_id>\d+)_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$"
PLAIN = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+?)\.ipynb$"


class LmsCollector(FileNameCollectorPlugin):
    """Read the student and the notebook from an LMS's file name; the time from the file's date.

    The patterns are tried in turn; a match counts only if the notebook is one of the
    assignment's (so ``05_im2col`` never becomes a student ``05``).
    """

    named_regexps = List(Unicode(), [MOODLE, CANVAS, PLAIN], help="patterns tried in turn").tag(config=True)

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        course = Path(self.parent.coursedir.root) if hasattr(self.parent, "coursedir") else Path.cwd()
        assignment = getattr(self.parent.coursedir, "assignment_id", "") if hasattr(self.parent, "coursedir") else ""
        notebooks = {p.stem for p in (course / "release" / assignment).glob("*.ipynb")} or {assignment}
        for pattern in self.named_regexps:
            match = re.match(pattern, submitted_file)
            if match and match.group("file_id") in notebooks:
                found = match.groupdict()
                if not found.get("timestamp"):
                    mtime = os.path.getmtime(submitted_file)
                    found["timestamp"] = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).isoformat()
                return found
        self.log.error("No pattern matches %s (a notebook of %s): add one to c.LmsCollector.named_regexps",
                       submitted_file, sorted(notebooks))
        return None


# ----------------------------------------------------------------------------- late penalty

class LatePenalty(LateSubmissionPlugin):
    """``percent_per_day`` of the score per started day late, at most ``max_percent``."""

    percent_per_day = Float(10.0, help="penalty per started day late, in percent of the score").tag(config=True)
    max_percent = Float(100.0, help="the largest penalty, in percent of the score").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        days = math.ceil(total_seconds_late / 86400)
        percent = min(self.max_percent, days * self.percent_per_day)
        self.log.info("%s: %d day(s) late, %g%% of the score", student_id, days, percent)
        return score * percent / 100


# ---------------------------------------------------------------------------------- export

class CourseExport(ExportPlugin):
    """grades.csv with the assignments that have submissions, and needs_manual_grade and flags."""

    KEYS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
            "raw_score", "late_submission_penalty", "score", "max_score", "status", "needs_manual_grade", "flags"]

    def export(self, gradebook):
        dest = self.to or "grades.csv"
        root = Path(getattr(getattr(self.parent, "coursedir", None), "root", None) or Path.cwd())
        rows = []
        for assignment in gradebook.assignments:
            if self.assignment and assignment.name not in self.assignment:
                continue
            if not assignment.submissions:
                self.log.info("Leaving out %s: nothing collected yet", assignment.name)
                continue
            for student in gradebook.students:
                if self.student and student.id not in self.student:
                    continue
                row = dict(assignment=assignment.name, duedate=assignment.duedate or "", student_id=student.id,
                           last_name=student.last_name or "", first_name=student.first_name or "",
                           email=student.email or "", max_score=assignment.max_score)
                try:
                    sub = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                               status="not submitted", needs_manual_grade="", flags="")
                else:
                    penalty = sub.late_submission_penalty or 0.0
                    flags = []
                    for nb in sub.notebooks:
                        path = _flags_path(root, assignment.name, student.id)
                        if path.is_file():
                            flags.extend(json.loads(path.read_text(encoding="utf-8"))["flags"])
                        elif nb.flagged:
                            flags.append("flagged in formgrader")
                    row.update(timestamp=sub.timestamp or "", raw_score=sub.score, late_submission_penalty=penalty,
                               score=max(0.0, sub.score - penalty),
                               status="late" if (sub.total_seconds_late or 0) > 0 else "submitted",
                               needs_manual_grade="yes" if sub.needs_manual_grade else "no", flags="; ".join(flags))
                rows.append(row)
        import csv

        with open(dest, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=self.KEYS)
            writer.writeheader()
            writer.writerows(rows)
        self.log.info("Wrote %d rows to %s", len(rows), dest)
