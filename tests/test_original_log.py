"""Chapter 7 plots the original's printed log next to its own run; the numbers it
types in (ORIGINAL_LOG) must be the seed's, digit for digit."""

import ast
import json
import re
from pathlib import Path

import pytest

import seed_quotes

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
