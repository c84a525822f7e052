"""Classroom tools: ``python -m cnnlib.classroom student-edition OUTDIR``.

The student edition is a copy of the book's notebooks for handing out:

* every code cell tagged ``solution`` becomes a stub: each function it defines
  keeps its signature and docstring, and its body raises
  ``NotImplementedError`` with a hint (from the cell's ``hint`` metadata, if
  any); other code in the cell is replaced by one such ``raise``;
* the ``{solution}`` blocks of the exercises are removed from the prose;
* all outputs and execution counts are cleared.

The check cells that follow each exercise (``cnnlib.checks.check_*``) stay,
so a student runs them on their own answer.
"""

import argparse
import ast
import re
import shutil
import sys
from pathlib import Path

import nbformat

__all__ = ["stub_source", "strip_solutions", "student_notebook", "student_edition", "main"]

SOLUTION_TAG = "solution"
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
    lines = ["# Exercise: write your answer here, then run the check cell below."]
    src_lines = source.splitlines()
    for node in tree.body if tree else []:  # imports stay: the student's code may need them
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.extend(src_lines[node.lineno - 1 : node.end_lineno])
    if not defs:
        message = hint or "write this cell"
        lines.append(f"raise NotImplementedError({message!r})")
        return "\n".join(lines)
    for node in defs:
        if isinstance(node, ast.ClassDef):
            lines.append(f"class {node.name}:")
            lines.append(f"    raise NotImplementedError({(hint or f'write the class {node.name}')!r})")
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
        message = hint or f"write {node.name}"
        lines.append(f"{indent}raise NotImplementedError({message!r})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def strip_solutions(markdown):
    """Remove the ``{solution}`` directive blocks from a markdown cell's text."""
    return _SOLUTION_BLOCK.sub("", markdown)


def student_notebook(nb):
    """A student copy of one notebook (a new ``NotebookNode``; ``nb`` is not changed)."""
    nb = nbformat.from_dict(nb)  # deep copy
    stubs = 0
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
            cell.source = strip_solutions(cell.source)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and not c.source.strip())]
    return nb, stubs


def student_edition(book_dir, out_dir):
    """Write the student edition of every notebook in ``book_dir`` to ``out_dir``; returns a summary."""
    book_dir, out_dir = Path(book_dir), Path(out_dir)
    notebooks = sorted(p for p in book_dir.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {book_dir}: pass the book's folder with --book")
    if out_dir.resolve() == book_dir.resolve():
        raise ValueError("the student edition must go to another folder than the book itself")
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {}
    for path in notebooks:
        nb, stubs = student_notebook(nbformat.read(path, as_version=4))
        nbformat.write(nb, out_dir / path.name)
        summary[path.name] = stubs
    for extra in ("nbval_sanitize.cfg",):
        if (book_dir / extra).exists():
            shutil.copy(book_dir / extra, out_dir / extra)
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cnnlib.classroom", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    se = sub.add_parser("student-edition", help="write the notebooks with solutions replaced by stubs")
    se.add_argument("outdir", help="folder to write the student notebooks to")
    se.add_argument("--book", default="book", help="folder of the book's notebooks (default: ./book)")
    args = parser.parse_args(argv)
    try:
        summary = student_edition(args.book, args.outdir)
    except (FileNotFoundError, ValueError) as e:
        parser.exit(2, f"error: {e}\n")
    for name, stubs in summary.items():
        print(f"{name}: {stubs} exercise stub(s)")
    print(f"student edition written to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
