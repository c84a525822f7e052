"""Code a student is told to run, runs (issue 19).

Every fenced ``python`` block shown inside an ``{exercise}`` or ``{solution}``
directive of a chapter (a markdown cell of book/*.ipynb) is executed in its
chapter's namespace: the chapter's own code cells run first, top to bottom, in
one kernel (nbclient, in memory; the notebook file is not written), then the
chapter's snippets, in the order the page shows them.  Cells tagged
``solution-run`` (the hidden runs behind a solution's figures) are left out, as
the student edition leaves them out: a snippet must run in the namespace a
student has, and the exercise's own run need not be paid twice.  A renamed variable
(chapter 1's exercise once used ``y_train`` where the chapter defines
``t_train``) fails here, although nbval never runs a snippet.

Only chapters that show snippets are executed (today chapters 1-3, about 30 s
together), so the test costs little CI time.

Conventions for a snippet that must not simply run (documented in CONTRIBUTING.md):

* **Pseudo-code**: its first line is the comment ``# pseudo-code`` (the reader
  sees it), or its fence names another language (```` ```text ````).  It is
  not executed.
* **Expected errors**: a MyST comment line directly above the fence (readers
  do not see it, so it does not give the answer away):

  - ``% snippet: raises ValueError``: the snippet as a whole must raise that
    exception (name of a builtin or of any class in the chapter's namespace);
  - ``% snippet: every line raises ValueError``: each line is run on its own
    and each must raise it (an exercise that says "run each line").

Any other error, and an expected error that does not come, fails the test with
the chapter, the exercise and the snippet's first line.  book/*.md pages have no
namespace to run in: a python snippet in one of their exercises fails the test
unless it is marked as pseudo-code.
"""

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"

DIRECTIVE_OPEN = re.compile(r"^\s*(`{3,}|:{3,})\{(exercise|solution)\}\s*(.*)$")
FENCE_OPEN = re.compile(r"^\s*(`{3,}|~{3,})\s*([^\s`]*)")
MARKER = re.compile(r"^\s*%\s*snippet:\s*(?P<every>every line\s+)?raises\s+(?P<error>[A-Za-z_][\w.]*)\s*$")
PSEUDO = re.compile(r"^\s*#\s*pseudo-?code\b", re.IGNORECASE)


def snippets_in_markdown(text):
    """``[{"directive", "title", "code", "language", "expect", "every_line"}]`` of one markdown text.

    A directive is open from its opening fence to the line that repeats that
    fence alone; code fences inside it are collected.
    """
    out = []
    lines = text.splitlines()
    directive = None
    k = 0
    while k < len(lines):
        line = lines[k]
        if directive is None:
            m = DIRECTIVE_OPEN.match(line)
            if m:
                directive = {"fence": m.group(1), "kind": m.group(2), "title": m.group(3).strip()}
            k += 1
            continue
        if line.strip() == directive["fence"]:
            directive = None
            k += 1
            continue
        f = FENCE_OPEN.match(line)
        inner = f and (directive["fence"].startswith(":") or len(f.group(1)) < len(directive["fence"]))
        if inner and not f.group(2).startswith("{"):  # a code fence (a nested {figure} etc. is not code)
            fence, language, start = f.group(1), f.group(2), k
            body = []
            k += 1
            while k < len(lines) and lines[k].strip() != fence:
                body.append(lines[k])
                k += 1
            above = next((lines[j] for j in range(start - 1, -1, -1) if lines[j].strip()), "")
            marker = MARKER.match(above)
            out.append({
                "directive": directive["kind"], "title": directive["title"], "language": language,
                "code": "\n".join(body) + "\n",
                "expect": marker.group("error") if marker else None,
                "every_line": bool(marker and marker.group("every")),
            })
        k += 1
    return out


def runnable(snippet):
    return snippet["language"] in ("python", "python3", "ipython", "ipython3", "py") and not PSEUDO.match(
        next((line for line in snippet["code"].splitlines() if line.strip()), ""))


def notebook_snippets(nb):
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            found += snippets_in_markdown("".join(cell["source"]))
    return found


CHECK = '''\
import traceback as _tb
def _snippet_check(code, expect, every_line, label):
    ns = get_ipython().user_ns
    def expected():
        import builtins
        return getattr(builtins, expect, None) or eval(expect, ns)
    parts = [line for line in code.splitlines() if line.strip()] if every_line else [code]
    for part in parts:
        try:
            exec(compile(part, label, "exec"), ns)
        except BaseException as error:
            if expect is not None and isinstance(error, expected()):
                continue
            raise
        if expect is not None:
            raise AssertionError(f"{label}: expected {expect} from {part.strip().splitlines()[0]!r}, but it ran")
'''


def run_with_snippets(path, snippets, timeout=900):
    """Execute the notebook at ``path`` in memory, then each snippet; ``(chapter_errors, [(snippet, error)])``."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if "solution-run" not in c.get("metadata", {}).get("tags", [])]
    n_chapter = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    for i, s in enumerate(snippets):
        label = f"<{path.name} {s['directive']} {s['title'] or i}>"
        nb.cells.append(nbformat.v4.new_code_cell(
            f"_snippet_check({s['code']!r}, {s['expect']!r}, {s['every_line']!r}, {label!r})"))
    # the kernel's environment as tools/run_notebooks.sh gives it (one OpenBLAS thread: on 2 busy cores a
    # second one makes chapter 1's exercise several times slower)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    nbclient.NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}}).execute(env=env)

    def error_of(cell):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out['ename']}: {out['evalue']}"
        return None

    chapter_errors = [(i, error_of(c)) for i, c in enumerate(nb.cells[:n_chapter + 1]) if error_of(c)]
    results = [(s, error_of(c)) for s, c in zip(snippets, nb.cells[n_chapter + 1:])]
    return chapter_errors, results


def chapters_with_snippets():
    out = []
    for path in sorted(BOOK.glob("*.ipynb")):
        snippets = [s for s in notebook_snippets(json.loads(path.read_text(encoding="utf-8"))) if runnable(s)]
        if snippets:
            out.append(pytest.param(path, snippets, id=path.name))
    return out


_RUNS = {}


def historical_probe(path, snippets):
    """Chapter 1's exercise with the name it had before the fix (y_train for t_train), or None."""
    if path.name != "01_why_cnns.ipynb":
        return None
    uses_t_train = [s for s in snippets if "t_train" in s["code"]]
    return dict(uses_t_train[0], code=uses_t_train[0]["code"].replace("t_train", "y_train")) if uses_t_train else None


def chapter_run(path, snippets):
    """One execution per chapter, shared by the tests: its snippets, then chapter 1's broken-on-purpose probe."""
    if path not in _RUNS:
        probe = historical_probe(path, snippets)
        chapter_errors, results = run_with_snippets(path, snippets + ([probe] if probe else []))
        _RUNS[path] = (chapter_errors, results[:len(snippets)], results[len(snippets):])
    return _RUNS[path]


def check_chapter(path, snippets, shared=False):
    chapter_errors, results = (chapter_run(path, snippets)[:2] if shared else run_with_snippets(path, snippets))
    assert not chapter_errors, f"{path.name}: the chapter's own cells failed before its snippets ran: {chapter_errors}"
    failed = [(s, e) for s, e in results if e]
    assert not failed, f"{path.name}: {len(failed)} exercise snippet(s) do not run in the chapter's namespace:\n" + \
        "\n".join(f"  - {s['directive']} {s['title']!r}, snippet starting {s['code'].splitlines()[0]!r}: {e}"
                  for s, e in failed)


@pytest.mark.slow
@pytest.mark.parametrize("path, snippets", chapters_with_snippets())
def test_exercise_snippets_run_in_their_chapter(path, snippets):
    check_chapter(path, snippets, shared=True)


def test_pages_have_no_runnable_exercise_snippets():
    for page in sorted(BOOK.glob("*.md")):
        found = [s for s in snippets_in_markdown(page.read_text(encoding="utf-8")) if runnable(s)]
        assert not found, f"{page.name}: python snippets in exercises have no chapter namespace to run in; " \
            "move the exercise into a chapter or mark the snippet '# pseudo-code'"


# ------------------------------------------------------------------ the mechanism itself
EXERCISE = """\
````{{exercise}} A synthetic exercise
:label: ex-synthetic

Run

{marker}```python
{code}
```
````

```{{solution}} ex-synthetic
:class: dropdown
It prints 3.
```
"""


def test_snippets_are_found_with_their_markers():
    text = EXERCISE.format(marker="% snippet: every line raises ValueError\n", code="int('a')\nfloat('b')")
    (s,) = snippets_in_markdown(text)
    assert (s["directive"], s["language"], s["expect"], s["every_line"]) == ("exercise", "python", "ValueError", True)
    assert s["code"] == "int('a')\nfloat('b')\n"
    (s,) = snippets_in_markdown(EXERCISE.format(marker="", code="# pseudo-code\nfor batch in data: step(batch)"))
    assert s["expect"] is None and not runnable(s)
    assert snippets_in_markdown("```python\nprint(1)\n```\n") == []  # outside an exercise: not a snippet
    (s,) = snippets_in_markdown(":::{solution} ex\n```python\nx = 1\n```\n:::\n")
    assert s["directive"] == "solution" and runnable(s)


def synthetic(tmp_path, code, marker=""):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("t_train = [7, 2, 1]"),
                nbformat.v4.new_markdown_cell(EXERCISE.format(marker=marker, code=code))]
    path = tmp_path / "01_synthetic.ipynb"
    nbformat.write(nb, path)
    return path, [s for s in notebook_snippets(json.loads(path.read_text())) if runnable(s)]


def test_the_test_fails_when_a_snippet_is_broken_on_purpose(tmp_path):
    """The historical bug, in small: the chapter defines t_train, the exercise uses y_train."""
    check_chapter(*synthetic(tmp_path, "print(len(t_train))"))
    with pytest.raises(AssertionError, match=r"NameError: name 'y_train' is not defined"):
        check_chapter(*synthetic(tmp_path, "print(len(y_train))"))
    # expected errors: they must come, and only they
    check_chapter(*synthetic(tmp_path, "int('a')\nfloat('b')", marker="% snippet: every line raises ValueError\n"))
    with pytest.raises(AssertionError, match="expected ValueError from \"float\\('1'\\)\", but it ran"):
        check_chapter(*synthetic(tmp_path, "int('a')\nfloat('1')", marker="% snippet: every line raises ValueError\n"))
    with pytest.raises(AssertionError, match="NameError"):
        check_chapter(*synthetic(tmp_path, "y_train[0]", marker="% snippet: raises IndexError\n"))
    # pseudo-code is not run
    assert synthetic(tmp_path, "# pseudo-code\nfor batch in y_train: step(batch)")[1] == []


@pytest.mark.slow
def test_chapter_1s_historical_bug_is_caught():
    """Chapter 1's exercise with the name it had before the fix (y_train) fails in the chapter's namespace
    (run in the same kernel as chapter 1's snippets, after them)."""
    path = BOOK / "01_why_cnns.ipynb"
    snippets = [s for s in notebook_snippets(json.loads(path.read_text(encoding="utf-8"))) if runnable(s)]
    assert historical_probe(path, snippets), "chapter 1's exercise no longer uses t_train: update this test"
    chapter_errors, _, probe_results = chapter_run(path, snippets)
    assert not chapter_errors
    ((probe, error),) = probe_results
    assert error and error.startswith("NameError: name 'y_train' is not defined"), error
