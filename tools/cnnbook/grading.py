"""The course's grader: each coding exercise graded in a fresh process, in case groups.

An exercise (``cnnbook.exercises``, one module per chapter) is a list of case groups, each
worth some points: the cases of the check the students run themselves, split where a
mistake shows in some cases only (windows that overlap, for example), and hidden cases
drawn from the course's secret (``course_secret``, written with the course and never
published), so that the cases differ from course to course and the public code of this
package does not give them away.

:func:`grade` takes the definitions out of a submitted notebook's answer cells
(:func:`answer_source`: imports, functions, classes and constants; every other statement
is dropped, and one that changes a module's attribute is reported), starts
``sandbox.py`` with them in a fresh Python that has numpy only (cnnlib switched off, or
only the functions the exercise asks for), and calls the student's function there on the
cases.  The comparison with the expected values runs here, in the grader's own process,
with cnnlib's checks and numpy as installed: what the student's kernel did to numpy, to
``cnnlib.checks`` or to builtins cannot reach it.

The lines a student reads (one per case group, and the checks' diagnoses in them) are in the
language :func:`grade` is given (``lang``, from the course's ``c.GradeAnswers.language``), else
in cnnlib's (:mod:`cnnlib.i18n`); their Japanese is in ``cnnbook/messages_ja.py``.  The flags
for the teacher stay in English.
"""

import ast
import base64
import builtins
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import pickle
import re
import secrets
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from cnnlib import i18n

_ = i18n.translator("cnnbook")  # the student's lines in English here, in Japanese from cnnbook/messages_ja.py

__all__ = ["Group", "Exercise", "exercise", "EXERCISES", "find", "answer_source", "grade", "Result",
           "course_rng", "new_secret", "read_secret", "SECRET_FILE", "REFUSAL_WORDS"]

SECRET_FILE = "course_secret"
REFUSAL_WORDS = "calls cnnlib's own implementation"
SANDBOX = Path(__file__).with_name("sandbox.py")


# ----------------------------------------------------------------------------- the secret

def new_secret():
    """A new course secret (64 hex digits)."""
    return secrets.token_hex(32)


def read_secret(course_dir="."):
    """The secret of the course in ``course_dir``; a clear error if it is missing."""
    path = Path(course_dir) / SECRET_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the course's hidden cases are drawn from it. Run nbgrader from the "
            f"course folder, or restore the file from your backup (a new secret changes the cases)")
    return path.read_text(encoding="utf-8").strip()


def course_rng(secret, *names):
    """A random generator for one exercise's hidden cases, from the course secret and names."""
    digest = hashlib.sha256("\0".join([secret, *names]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


# ----------------------------------------------------------------------------- exercises

@dataclasses.dataclass
class Group:
    """Cases worth ``points``: ``run(fn, **functions)`` raises (with the reason) if one fails."""

    title: str
    points: float
    run: object


@dataclasses.dataclass
class Exercise:
    assignment: str  # the notebook's name, e.g. "05_im2col"
    function: str  # the function the exercise asks for (its solution cell defines it first)
    groups: object  # groups(rng) -> [Group, ...]
    uses: tuple = ()  # other functions of the answer the cases call (e.g. dense_params)
    block: bool = True  # cnnlib cannot be imported by the answer
    refuse: tuple = ()  # with block=False: the library functions switched off
    preload: tuple = ()  # modules the sandbox imports before the answer (trusted)
    adapters: str = ""  # source of trusted helpers run in the sandbox around the call
    adapter: str = None  # the helper (defined in ``adapters``) that calls the function
    timeout: float = 120.0  # seconds per call

    @property
    def points(self):
        return sum(g.points for g in self.groups(course_rng("", self.assignment, self.function)))


EXERCISES = {}


def exercise(assignment, function, **options):
    """Register ``groups(rng)`` as the grader of ``function`` in ``assignment``."""
    def register(groups):
        EXERCISES[(assignment, function)] = Exercise(assignment, function, groups, **options)
        return groups
    return register


def find(assignment, function):
    """The registered exercise, or None (importing ``cnnbook.exercises`` registers them all)."""
    from . import exercises  # noqa: F401

    return EXERCISES.get((assignment, function))


# ------------------------------------------------------------------- the student's answer

_MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)


def _literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _tampering(node):
    """What ``node`` changes in other objects (module attributes, setattr), or None."""
    for sub in ast.walk(node):
        targets = []
        if isinstance(sub, (ast.Assign, ast.Delete)):
            targets = sub.targets
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
            targets = [sub.target]
        if any(isinstance(t, (ast.Attribute, ast.Subscript)) and isinstance(_root(t), ast.Name) for t in targets):
            return ast.unparse(sub).splitlines()[0][:80]
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in ("setattr", "delattr"):
            return ast.unparse(sub)[:80]
    return None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def answer_cells(nb):
    """The cells a student writes in: solution cells and cells the student added."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") or not (meta.get("locked") or meta.get("grade")):
            cells.append(cell)
    return cells


def answer_source(nb):
    """``(source, notes)``: the definitions of the answer cells, and what was left out that
    changes other objects (``numpy.allclose = ...``), as notes for the teacher."""
    kept, notes = [], []
    for cell in answer_cells(nb):
        text = _MAGIC.sub("", cell.source)
        try:
            tree = ast.parse(text)
        except SyntaxError as e:
            notes.append(f"a cell does not parse (SyntaxError, line {e.lineno}): it was left out")
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                kept.append(ast.unparse(node))
            elif (isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets)
                  and (_literal(node.value) or isinstance(node.value, ast.Name))):  # constants, aliases
                kept.append(ast.unparse(node))
            else:
                changed = _tampering(node)
                if changed:
                    notes.append(f"changes another object: `{changed}`")
    return "\n\n".join(kept) + "\n", notes


# ----------------------------------------------------------------------- the sandbox

def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__num__" in value:
        return int(value["__num__"]) if value["int"] else float(value["__num__"])
    if "__nd__" in value:
        return np.load(io.BytesIO(base64.b64decode(value["__nd__"])), allow_pickle=False)
    if "__npscalar__" in value:
        return _decode(value["__npscalar__"])[()]
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    raise ValueError("unknown value from the sandbox")


_PASS_THROUGH = {"NotImplementedError", "ValueError", "TypeError", "IndexError", "KeyError",
                 "ZeroDivisionError", "AttributeError", "NameError", "RuntimeError", "AssertionError"}


class Sandbox:
    """A fresh Python running the answer's definitions; ``proxy(name)`` calls into it."""

    def __init__(self, source, ex):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="3")
        self.timeout = ex.timeout
        self.proc = subprocess.Popen([sys.executable, "-I", str(SANDBOX)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                     cwd=os.path.dirname(SANDBOX))
        self._send({"source": source, "block": ex.block, "refuse": list(ex.refuse),
                    "preload": list(ex.preload), "adapters": ex.adapters})
        problems = self._receive(max(self.timeout, 300))["ready"]
        self.refused = any(REFUSAL_WORDS in p for p in problems)  # the flag reads the English
        self.problems = [sandbox_message(p) for p in problems]

    def _send(self, message):
        data = pickle.dumps(message)
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()

    def _read(self, n, deadline):
        data = b""
        fd = self.proc.stdout.fileno()
        while len(data) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.close()
                raise TimeoutError(_("your function did not return within {seconds:.0f} s", seconds=self.timeout))
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise RuntimeError(_("your code ended the Python process that runs it (exit or a crash)"))
            data += chunk
        return data

    def _receive(self, timeout):
        deadline = time.monotonic() + timeout
        (n,) = struct.unpack(">I", self._read(4, deadline))
        return json.loads(self._read(n, deadline))

    def call(self, name, *args, adapter=None, **kwargs):
        self._send({"call": name, "args": args, "kwargs": kwargs, "adapter": adapter})
        reply = self._receive(self.timeout)
        if "error" in reply:
            kind, message = reply["error"]
            self.refused = self.refused or REFUSAL_WORDS in message
            message = sandbox_message(message)
            cls = getattr(builtins, kind) if kind in _PASS_THROUGH else RuntimeError
            raise cls(message if kind in _PASS_THROUGH else f"{kind}: {message}")
        return _decode(reply["result"])

    def proxy(self, name, adapter=None):
        def call(*args, **kwargs):
            return self.call(name, *args, adapter=adapter, **kwargs)
        call.__name__ = name
        return call

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()


# The sandbox (numpy only, no cnnlib) writes its messages in English: they are translated here,
# in the grader's process, by their templates (sandbox.py's own wording; a test keeps them equal).
SANDBOX_MESSAGES = (
    "this answer calls cnnlib's own implementation ({what}): write the computation yourself",
    "your notebook does not define the function {name}",
    "the result cannot be sent back: {error}",
    "the result is a {kind}: return numbers, arrays, lists, tuples or dicts",
    "the result is nested too deeply",
    "an array of Python objects",
)
_SANDBOX_LINE = "line {n}: {message}"


def _pattern(template):
    parts = re.split(r"\{(\w+)\}", template)  # text, field, text, ..., text; a field at the end takes the rest
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*{'?' if parts[i + 1] else ''})"
                              for i, p in enumerate(parts)))


def sandbox_message(message):
    """A message of the sandbox (English) in the grader's language."""
    if i18n.get_language() == "en":
        return message
    line = _pattern(_SANDBOX_LINE).fullmatch(message)
    if line:
        return _(_SANDBOX_LINE, n=line["n"], message=sandbox_message(line["message"]))
    for template in SANDBOX_MESSAGES:
        message = _pattern(template).sub(lambda m, t=template: _(t, **m.groupdict()), message)
    return message


# ------------------------------------------------------------------------------ grading

@dataclasses.dataclass
class Result:
    score: float
    points: float
    lines: list  # one line per case group
    flags: list  # for the teacher: library calls, changed objects

    def text(self):
        return "\n".join(self.lines)


def _reason(e):
    text = str(e).strip() or type(e).__name__
    if not isinstance(e, AssertionError) and not str(e).startswith(type(e).__name__):
        text = f"{type(e).__name__}: {text}"
    return " ".join(text.split())[:400]


def grade(ex, source, secret, notes=(), lang=None):
    """Grade the answer ``source`` (from :func:`answer_source`) on ``ex``'s case groups; the
    student's lines in ``lang`` (``"en"``, ``"ja"``; None: cnnlib's language, :mod:`cnnlib.i18n`)."""
    with i18n.language(lang):
        return _grade(ex, source, secret, notes)


def _grade(ex, source, secret, notes):
    groups = ex.groups(course_rng(secret, ex.assignment, ex.function))
    total = sum(g.points for g in groups)
    flags = list(notes)
    lines, score = [], 0.0
    sandbox, refused = None, False
    try:
        sandbox = Sandbox(source, ex)
        functions = {name: sandbox.proxy(name) for name in ex.uses}
        functions[ex.function] = sandbox.proxy(ex.function, ex.adapter)
        problems = sandbox.problems
    except (TimeoutError, RuntimeError, OSError) as e:
        functions, problems = None, [_reason(e)]
    if problems:
        lines.append(_("note: running the definitions of your answer cells: {problem}", problem=problems[0]))
    for g in groups:
        if functions is None:
            lines.append(_("✗ {title}: 0 of {points:g} points: {reason}", title=g.title, points=g.points, reason=problems[0]))
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                g.run(functions[ex.function], **{k: v for k, v in functions.items() if k != ex.function})
        except TimeoutError as e:
            lines.append(_("✗ {title}: 0 of {points:g} points: {reason}", title=g.title, points=g.points, reason=_reason(e)))
            refused = refused or sandbox.refused
            sandbox.close()
            functions = None
            problems = [str(e)]
        except Exception as e:  # noqa: BLE001 (a failed case says why; nothing else is shown)
            lines.append(_("✗ {title}: 0 of {points:g} points: {reason}", title=g.title, points=g.points, reason=_reason(e)))
        else:
            score += g.points
            lines.append(_("✓ {title}: {points:g} of {points:g} points", title=g.title, points=g.points))
    if sandbox is not None:
        refused = refused or sandbox.refused
        sandbox.close()
    if refused or any(REFUSAL_WORDS in line for line in lines):
        flags.append(f"{ex.function}: calls cnnlib's own implementation (switched off while graded)")
    return Result(round(score, 6), total, lines, flags)
