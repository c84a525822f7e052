"""Chapter 7 plots the original's printed log next to its own run; the numbers it
types in (ORIGINAL_LOG) must be the seed's, digit for digit."""

import ast
import json
import re
from pathlib import Path

import pytest

from tools import seed_quotes

CHAPTER = Path(__file__).resolve().parent.parent / "book" / "07_lenet_scratch_mnist.ipynb"
LINE = re.compile(r"\| epoch (\d+) \| iter 375 / 375 \| loss (\d\.\d{4}) \| train_acc (\d\.\d{4})(?: \| test_acc (\d\.\d{4}))?")


def chapter_log():
    cells = json.loads(CHAPTER.read_text())["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and "ORIGINAL_LOG = {" in source:
            tree = ast.parse(source)
            for node in tree.body:
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "ORIGINAL_LOG":
                    return ast.literal_eval(node.value)
    raise AssertionError("no ORIGINAL_LOG = {...} in chapter 7")


def seed_log():
    if not seed_quotes.seed_file().exists():
        pytest.skip(f"the original notebook is not at {seed_quotes.seed_file()} (set CNNLIB_SEED_DIR)")
    seed = seed_quotes.parse_seed(seed_quotes.seed_file().read_text())
    (cell,) = seed.cells_numbered(95)
    rows = [LINE.match(line.strip()) for line in cell.output]
    rows = [m.groups() for m in rows if m]
    assert [int(r[0]) for r in rows] == list(range(1, 14)), "expected the 13 printed epochs of In [95]"
    return {
        "loss": [float(r[1]) for r in rows],
        "train_acc": [float(r[2]) for r in rows],
        "test_acc": [float(r[3]) for r in rows if r[3] is not None],
    }


def test_chapter_7_transcribes_the_original_log_exactly():
    assert chapter_log() == seed_log()


def prose_log_figures(chapter):
    """The four-decimal figures (0.1582, 2.2773, ...) a chapter's prose writes, outside math and code."""
    cells = json.loads((CHAPTER.parent / chapter).read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    text = re.sub(r"```.*?```", "", text, flags=re.S)          # listings are checked by test_seed_quotes
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", text, flags=re.S)  # math: ln 10 = 2.3026 and the like
    found = re.findall(r"(?<![\d.])\d\.\d{4}(?!\d)", text)
    return {x for x in found if float(x) >= 0.01}                # not learning rates such as 0.0001


@pytest.mark.parametrize("chapter, number", [("07_lenet_scratch_mnist.ipynb", 95), ("10_alexnet_scratch_cifar10.ipynb", 361)])
def test_log_figures_in_the_prose_are_the_originals(chapter, number):
    """A figure the prose quotes from the original's log (epoch 10's 0.1582, epoch 13's 0.1712) is in that log."""
    if not seed_quotes.seed_file().exists():
        pytest.skip(f"the original notebook is not at {seed_quotes.seed_file()} (set CNNLIB_SEED_DIR)")
    seed = seed_quotes.parse_seed(seed_quotes.seed_file().read_text())
    (cell,) = seed.cells_numbered(number)
    logged = set(re.findall(r"\d\.\d{4}", "\n".join(cell.output)))
    figures = prose_log_figures(chapter)
    assert figures, f"{chapter} quotes no figure of the log: the pattern no longer finds them"
    assert figures <= logged, f"{chapter} quotes {sorted(figures - logged)}, which In [{number}]'s log does not print"
