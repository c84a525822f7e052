"""Check the book's listings of the original study notebook against the seed file.

Used by ``tests/test_seed_quotes.py``; no pytest in here, so the functions can be
tried by hand::

    .venv/bin/python -c "import sys; from tools import seed_quotes as q; \
        print(q.parse_seed(q.seed_file().read_text()).numbers())"

The rules (CONTRIBUTING.md, "Quoting the original"; issue 9)
-------------------------------------------------------------

A *quote block* is a MyST ``{code-block}`` (or its aliases ``{code}`` and
``{sourcecode}``) in a markdown cell of ``book/*.ipynb`` or in ``book/*.md``,
fenced with 3+ backticks, 3+ tildes or 3+ colons, whose ``:caption:`` contains
the word "original" (any case).  Its caption must also say what it quotes:

* ``In [n]`` (exactly one): the code of seed cell ``n``;
* ``In [n]`` and the word "output": the printed output of cell ``n``;
* the word "markdown" and no ``In [n]``: the seed's markdown text (its
  headings and prose), one markdown section per block.

A caption with "original" and neither an ``In [n]`` nor "markdown" is an error.
A number that occurs twice in the seed (``In [1]``, ``In [2]``: the Chainer
imports and the Keras CIFAR-10 section) matches either cell; one block is
checked against one cell.

The body (options and surrounding blank lines removed) must be an excerpt:
its lines appear as one contiguous run of lines of that cell, in order.  Lines
are compared after collapsing every run of whitespace to one space and
stripping both ends, so indentation and trailing spaces do not matter but
every token and the presence of a space between two tokens does
(``batch_size =16`` is not ``batch_size = 16``).  A blank line matches only a
blank (or whitespace-only) line.

A block that quotes less than the whole cell (code or output) says so: its
caption contains the word "excerpt" (for example "The original notebook,
In [94] (excerpt)"); without that word the body must be the whole code, or the
whole output, of the cell.

Omission: a line that is ``...`` and nothing else (after stripping) separates
two excerpts of the same cell.  Each run must match, in order, and at least
one line of the cell must lie between two runs (``...`` claims an omission).
``...`` may not start or end a block, nor follow another ``...``.

Splitting the seed
------------------

The seed is a plain-text export: ``In [n]:`` header lines, each followed by the
cell's code, a blank line and its printed output, if any.  Markdown is the text
before the first header and the run of heading lines (``#``, ``##``, ...) and
blank lines just before each header and at the end of the file.  A cell's code is the longest prefix that
ends at a blank line (or at the end of the cell) and compiles as Python (IPython
``%magic`` and ``!shell`` lines count as statements); the rest is its output.
One exception: when that leaves nothing but a last paragraph that is a Python
literal after an expression (``x_train.shape`` then ``(60000, 1, 28, 28)``),
the literal is the echoed value, i.e. output.  ``tests/test_seed_quotes.py``
pins the resulting split of the real seed.
"""

import ast
import json
import os
import re
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_NAME = "000_36606d8b2bdf7b4c.txt"
SEED_DIR_VAR = "CNNLIB_SEED_DIR"

HEADER = re.compile(r"^In \[(\d+)\]:\s*$")
IN_NUMBER = re.compile(r"\bIn\s*\[\s*(\d+)\s*\]")
WORD_ORIGINAL = re.compile(r"\boriginal\b", re.IGNORECASE)
WORD_OUTPUT = re.compile(r"\boutputs?\b", re.IGNORECASE)
WORD_MARKDOWN = re.compile(r"\bmarkdown\b", re.IGNORECASE)
WORD_EXCERPT = re.compile(r"\bexcerpt\b", re.IGNORECASE)
CODE_DIRECTIVES = ("code-block", "code", "sourcecode")
OMISSION = "..."


# ------------------------------------------------------------------ the seed
def seed_dir():
    """``$CNNLIB_SEED_DIR``, else ``../shared/seed`` beside the repository."""
    env = os.environ.get(SEED_DIR_VAR)
    return Path(env) if env else REPO.parent / "shared" / "seed"


def seed_file():
    return seed_dir() / SEED_NAME


def _trimmed(lines):
    """Normalized lines without leading and trailing blank ones: what a whole cell's quote must equal."""
    out = [normalize(l) for l in lines]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def normalize(line):
    """Runs of whitespace collapsed to one space, both ends stripped."""
    return " ".join(line.split())


@dataclass
class Cell:
    number: int
    line: int  # 1-based line of the "In [n]:" header in the seed file
    code: list
    output: list


@dataclass
class Seed:
    cells: list
    markdown: list = field(default_factory=list)  # sections, each a list of lines

    def numbers(self):
        return [c.number for c in self.cells]

    def cells_numbered(self, n):
        return [c for c in self.cells if c.number == n]


def _strip_blank_ends(lines):
    lines = list(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _is_heading(line):
    return line.strip().startswith("#")


_MAGIC = re.compile(r"^(\s*)(?:%%?[A-Za-z_]|![A-Za-z_/.]).*$")  # %matplotlib inline, !pip ...; not "%(a, b)"


def _python_source(lines):
    return "\n".join(_MAGIC.sub(r"\1pass", l) for l in lines)


def _compiles(lines):
    src = _python_source(lines)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(src + "\n", "<seed cell>", "exec")
        return True
    except (SyntaxError, ValueError):
        return False


def _is_literal(lines):
    try:
        ast.literal_eval(textwrap.dedent("\n".join(lines)).strip())
        return True
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False


def _ends_with_expression(lines):
    src = _python_source(lines)
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return False
    return bool(tree.body) and isinstance(tree.body[-1], ast.Expr)


def split_code_output(lines):
    """(code, output) of one cell's lines; see the module docstring."""
    lines = _strip_blank_ends(lines)
    ends = [i for i, l in enumerate(lines) if not l.strip()] + [len(lines)]
    code_end = 0
    for end in ends:
        if _compiles(lines[:end]):
            code_end = end
    code, output = _strip_blank_ends(lines[:code_end]), _strip_blank_ends(lines[code_end:])
    if not output and code:
        # an echoed value: "x_train.shape" then "(60000, 1, 28, 28)"
        blanks = [i for i, l in enumerate(code) if not l.strip()]
        if blanks:
            last = _strip_blank_ends(code[blanks[-1]:])
            head = _strip_blank_ends(code[: blanks[-1]])
            if last and head and _is_literal(last) and _ends_with_expression(head):
                code, output = head, last
    return code, output


def parse_seed(text):
    """The seed's cells (in file order, numbers may repeat) and markdown sections."""
    lines = text.splitlines()
    headers = [(i, int(m.group(1))) for i, l in enumerate(lines) if (m := HEADER.match(l))]
    if not headers:
        raise ValueError("no 'In [n]:' header lines: this is not the exported study notebook")
    cells, markdown = [], []
    preamble = _strip_blank_ends(lines[: headers[0][0]])
    if preamble:
        markdown.append(preamble)
    for k, (i, n) in enumerate(headers):
        stop = headers[k + 1][0] if k + 1 < len(headers) else len(lines)
        body = lines[i + 1 : stop]
        # the markdown before the next header: trailing heading lines and blanks
        j = len(body)
        while j > 0 and (not body[j - 1].strip() or _is_heading(body[j - 1])):
            j -= 1
        section = _strip_blank_ends(body[j:])
        if section:
            markdown.append(section)
        code, output = split_code_output(body[:j])
        cells.append(Cell(n, i + 1, code, output))
    return Seed(cells, markdown)


# ----------------------------------------------------------- finding blocks
@dataclass
class Block:
    source: str  # e.g. "07_lenet_scratch_mnist.ipynb, cell 5"
    caption: str
    body: list
    options: dict

    @property
    def id(self):
        return f"{self.source}: {self.caption}"


_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")


def _closes(line, fence):
    m = _FENCE.match(line)
    return bool(m) and m.group("fence")[0] == fence[0] and len(m.group("fence")) >= len(fence) and not m.group("info").strip()


def find_blocks(text, source="?"):
    """Every ``{code-block}`` (any depth inside other directives) in a markdown text,
    as Blocks; fenced content of plain code fences is literal and not searched."""
    out = []
    _scan(text.splitlines(), source, out)
    return out


def _scan(lines, source, out):
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, indent = m.group("fence"), m.group("info").strip(), len(m.group("indent"))
        if fence[0] == "`" and "`" in info:  # an inline code span, not a fence
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not _closes(lines[j], fence):
            j += 1
        content = [l[indent:] if l[:indent].strip() == "" else l.lstrip() for l in lines[i + 1 : j]]
        d = re.match(r"^\{([\w:-]+)\}", info)
        if d and d.group(1) in CODE_DIRECTIVES:
            options, body = _directive_options(content)
            out.append(Block(source, options.get("caption", ""), _strip_blank_ends(body), options))
        elif d:
            _scan(content, source, out)  # a container directive (note, admonition, ...)
        i = j + 1


def _directive_options(content):
    options, k = {}, 0
    if content and content[0].strip() == "---":  # YAML block form
        k = 1
        while k < len(content) and content[k].strip() != "---":
            key, _, value = content[k].partition(":")
            options[key.strip()] = value.strip().strip("'\"")
            k += 1
        k += 1
    else:
        while k < len(content) and (m := re.match(r"^\s*:([\w-]+):\s*(.*)$", content[k])):
            options[m.group(1)] = m.group(2).strip()
            k += 1
    return options, content[k:]


def blocks_in_file(path):
    """Quote candidates of one book file: markdown cells of a notebook, or a .md page."""
    path = Path(path)
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        blocks = []
        for idx, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") == "markdown":
                src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                blocks += find_blocks(src, f"{path.name}, cell {idx}")
        return blocks
    return find_blocks(path.read_text(encoding="utf-8"), path.name)


def quote_blocks(paths):
    """The blocks whose caption contains the word "original"."""
    return [b for p in paths for b in blocks_in_file(p) if WORD_ORIGINAL.search(b.caption)]


# ---------------------------------------------------------------- checking
class QuoteError(AssertionError):
    pass


def _runs(body):
    runs, cur = [], []
    for line in body:
        if line.strip() == OMISSION:
            if not cur:
                raise QuoteError("'...' must sit between two excerpts (not first, last or doubled)")
            runs.append(cur)
            cur = []
        else:
            cur.append(line)
    if not cur:
        raise QuoteError("'...' must sit between two excerpts (not first, last or doubled)")
    runs.append(cur)
    return runs


def find_runs(body, lines):
    """Start index in ``lines`` of each run of ``body`` (runs split at ``...``), or
    raise QuoteError naming the first run that does not match."""
    hay = [normalize(l) for l in lines]
    starts, pos = [], 0
    runs = _runs(body)
    for r, run in enumerate(runs):
        needle = [normalize(l) for l in run]
        if r > 0:
            pos += 1  # '...' claims at least one omitted line
        found = next(
            (s for s in range(pos, len(hay) - len(needle) + 1) if hay[s : s + len(needle)] == needle), None
        )
        if found is None and r > 0 and hay[pos - 1 : pos - 1 + len(needle)] == needle:
            raise QuoteError(f"excerpt {r + 1} follows the previous one directly: '...' must mark omitted lines")
        if found is None:
            what = "the block" if len(runs) == 1 else f"excerpt {r + 1} of {len(runs)} (after '...')"
            raise QuoteError(f"{what} is not a contiguous run of the cell's lines{' after the previous excerpt' if r else ''}:\n"
                             + _first_mismatch(needle, hay[pos:]))
        starts.append(found)
        pos = found + len(needle)
    return starts


def _first_mismatch(needle, hay):
    """The best partial alignment, to point at the differing line."""
    best = (0, 0)
    for s in range(len(hay)):
        k = 0
        while k < len(needle) and s + k < len(hay) and hay[s + k] == needle[k]:
            k += 1
        best = max(best, (k, -s))
    k, s = best[0], -best[1]
    if k == 0:
        return f"  no line matches its first line {needle[0]!r}"
    got = hay[s + k] if s + k < len(hay) else "(end of the cell)"
    return f"  {k} line(s) match, then the block has {needle[k]!r}\n  where the seed has {got!r}"


def check_block(block, seed):
    """Raise QuoteError unless ``block`` is an exact excerpt of what its caption names."""
    cap = block.caption
    if not block.body:
        raise QuoteError(f"{block.id}: empty block")
    numbers = IN_NUMBER.findall(cap)
    if WORD_MARKDOWN.search(cap) and not numbers:
        errors = []
        for section in seed.markdown:
            try:
                find_runs(block.body, section)
                return "markdown"
            except QuoteError as e:
                errors.append(str(e))
        raise QuoteError(f"{block.id}: not an excerpt of any one markdown section of the seed")
    if not numbers:
        raise QuoteError(
            f"{block.id}: the caption says 'original' but names no cell: add 'In [n]' "
            f"(or 'markdown' for the seed's headings and prose)"
        )
    if len(numbers) > 1:
        raise QuoteError(f"{block.id}: the caption names {len(numbers)} cells; quote one cell per block")
    n = int(numbers[0])
    candidates = seed.cells_numbered(n)
    if not candidates:
        raise QuoteError(f"{block.id}: the seed has no In [{n}] (it has {sorted(set(seed.numbers()))})")
    part = "output" if WORD_OUTPUT.search(cap) else "code"
    errors = []
    for cell in candidates:
        lines = getattr(cell, part)
        if not lines:
            errors.append(f"In [{n}] (seed line {cell.line}) has no {part}")
            continue
        try:
            find_runs(block.body, lines)
        except QuoteError as e:
            errors.append(f"against In [{n}] {part} (seed line {cell.line}): {e}")
            continue
        if not WORD_EXCERPT.search(cap) and _trimmed(block.body) != _trimmed(lines):
            errors.append(f"against In [{n}] {part} (seed line {cell.line}): the block is only part of it; "
                          f"say '(excerpt)' in the caption, or quote the whole {part}")
            continue
        return f"In [{n}] {part}, seed line {cell.line}"
    raise QuoteError(f"{block.id}: not an exact excerpt\n" + "\n".join(errors))
