"""Every listing of the original study notebook in the book is an exact excerpt of it.

A ``{code-block}`` whose ``:caption:`` contains the word "original" is checked
against the seed file (``../shared/seed/000_36606d8b2bdf7b4c.txt`` beside the
repository, or the folder in ``CNNLIB_SEED_DIR``).  The rules (caption syntax,
whitespace, the ``...`` omission line, code against output against markdown)
are in the docstring of ``tools/seed_quotes.py``.  Example of a block that
passes::

    ```{code-block} python
    :caption: The original notebook, In [94]
    x_train = x_train.astype('float32')
    x_test = x_test.astype('float32')
    # x_train /= 255
    ...
    x_train, t_train = x_train[:6000], t_train[:6000]
    ```

Without the seed folder the checks against it are skipped (with the reason);
the checker's own tests run on a small made-up seed and always run.
"""

import json
import os
from pathlib import Path

import pytest

from tools import seed_quotes as q

BOOK = q.REPO / "book"
BOOK_FILES = sorted(BOOK.glob("*.ipynb")) + sorted(p for p in BOOK.glob("*.md") if p.name != "status.md")

# In file order: the Chainer section (1, 2), scratch LeNet (91-95), Keras AlexNet on
# MNIST (296-300), scratch AlexNet on CIFAR-10 (357-361), Keras AlexNet on CIFAR-10 (1-5).
EXPECTED_CELLS = [1, 2, 91, 93, 94, 95, 296, 297, 299, 300, 357, 358, 359, 360, 361, 1, 2, 3, 4, 5]


@pytest.fixture(scope="session")
def seed():
    path = q.seed_file()
    if not path.is_file():
        if os.environ.get(q.SEED_DIR_VAR):
            pytest.fail(f"{q.SEED_DIR_VAR}={os.environ[q.SEED_DIR_VAR]} has no {q.SEED_NAME}")
        pytest.skip(
            f"the original notebook is not at {path} (../shared/seed beside the repository): "
            f"the listings of the original cannot be checked here; set {q.SEED_DIR_VAR} to its folder"
        )
    return q.parse_seed(path.read_text(encoding="utf-8"))


def _book_blocks():
    blocks = q.quote_blocks(BOOK_FILES)
    if not blocks:
        return [pytest.param(None, id="no-quote-blocks", marks=pytest.mark.skip(
            reason="0 blocks: no {code-block} with 'original' in its :caption: in book/*.ipynb or book/*.md"))]
    seen, params = {}, []
    for b in blocks:
        seen[b.id] = seen.get(b.id, 0) + 1
        params.append(pytest.param(b, id=b.id if seen[b.id] == 1 else f"{b.id} #{seen[b.id]}"))
    return params


# ------------------------------------------------------------------ the book
@pytest.mark.parametrize("block", _book_blocks())
def test_book_quotes_the_original_verbatim(block, seed):
    q.check_block(block, seed)


def test_seed_parses_into_its_cells(seed):
    assert seed.numbers() == EXPECTED_CELLS


def test_seed_split_into_code_output_and_markdown(seed):
    """Pins the code/output split of the real seed (see seed_quotes.split_code_output)."""
    cell = {(c.number, c.line): c for c in seed.cells}
    by_number = {}
    for c in seed.cells:
        by_number.setdefault(c.number, []).append(c)
    c95 = by_number[95][0]
    assert c95.code[0] == "from lenet import lenet"
    assert c95.code[-1].strip() == "print('max_test_acc :',max(test_acc_list))"
    assert c95.output[0].startswith("| epoch 1 | iter 375 / 375 | loss 2.3025")
    assert len(c95.output) == 13
    assert by_number[93][0].code == ["x_train.shape"] and by_number[93][0].output == ["(60000, 1, 28, 28)"]
    assert by_number[300][0].output[0] == "Epoch 1/50" and by_number[300][0].output[-1] == "acc: 95.40%"
    assert by_number[2][0].output == [] and by_number[2][0].code[-1].strip().startswith("return F.softmax_cross_entropy")
    assert by_number[1][1].output == ["Using TensorFlow backend."]
    assert by_number[5][0].code[0] == "# テストデータで検証" and by_number[5][0].output == ["acc: 31.00%"]
    assert len(cell) == len(EXPECTED_CELLS)
    headings = [l.strip() for sec in seed.markdown for l in sec if l.strip().startswith("#")]
    assert "# mnistをAlexNet (keras)で学習" in headings
    assert not any(l.strip().startswith("# 0〜1") for l in headings)  # a code comment, not markdown


def test_real_seed_quote_and_mistakes(seed):
    """The checker on the real seed: In [2]'s real line passes, the book's old invented one fails."""
    real = q.Block("t", "The original notebook, In [2] (excerpt)", ["self.conv1 = L.Convolution2D(None, 6, 5, stride=1)"], {})
    q.check_block(real, seed)
    invented = q.Block("t", "The original notebook, In [2] (excerpt)", ["self.conv1 = L.Convolution2D(1, 6, 5)"], {})
    with pytest.raises(q.QuoteError):
        q.check_block(invented, seed)
    out = q.Block("t", "The original notebook, In [95], output (excerpt)",
                  ["| epoch 11 | iter 375 / 375 | loss 2.2983 | train_acc 0.2090 | test_acc 0.2110"], {})
    q.check_block(out, seed)
    md = q.Block("t", "The original notebook, markdown", ["# mnistをAlexNet (keras)で学習"], {})
    q.check_block(md, seed)
    # In [1] occurs twice: the Keras CIFAR-10 one matches too
    q.check_block(q.Block("t", "original, In [1] (excerpt)", ["(x_train, t_train), (x_test, t_test) =cifar10.load_data()"], {}), seed)


# ---------------------------------------------------- the checker, made-up seed
TOY_SEED = """\
# Title

Some prose.

In [1]:
import numpy as np
%matplotlib inline

x = np.zeros(3)
for i in range(3):
    x[i] = i

print(x)

[0. 1. 2.]

## A heading

In [7]:
x.shape

(3,)

In [1]:
import keras
y = 2

Using TensorFlow backend.
"""


@pytest.fixture
def toy():
    return q.parse_seed(TOY_SEED)


def block(caption, body):
    return q.Block("toy.ipynb, cell 0", caption, body.strip("\n").splitlines(), {})


def test_toy_seed_parses(toy):
    assert toy.numbers() == [1, 7, 1]
    assert toy.cells[0].output == ["[0. 1. 2.]"]
    assert toy.cells[0].code[-1] == "print(x)"
    assert toy.cells[1].code == ["x.shape"] and toy.cells[1].output == ["(3,)"]
    assert toy.markdown == [["# Title", "", "Some prose."], ["## A heading"]]


PASSING = [
    ("original, In [1] (excerpt)", "x = np.zeros(3)\nfor i in range(3):\n    x[i] = i"),
    # indentation and runs of spaces do not matter; trailing spaces neither
    ("The original notebook, In [1] (excerpt)", "  x  =  np.zeros(3)   \nfor i in range(3):\nx[i] = i"),
    # omission between two excerpts of the same cell
    ("The ORIGINAL notebook, In [1] (EXCERPT)", "import numpy as np\n...\nprint(x)"),
    ("original, In [1], excerpt", "import numpy as np\n    ...\nfor i in range(3):\n...\nprint(x)"),
    ("The original notebook, In [1], output", "[0. 1. 2.]"),
    ("The original notebook, In [7], output", "(3,)"),
    # In [1] occurs twice: the second cell matches
    ("The original notebook, In [1]", "import keras\ny = 2"),
    ("The original notebook, markdown", "## A heading"),
    ("The original notebook, markdown", "# Title\n\nSome prose."),
    ("The original's In[ 7 ]", "x.shape"),
]


@pytest.mark.parametrize("caption, body", PASSING)
def test_checker_accepts_exact_excerpts(toy, caption, body):
    q.check_block(block(caption, body), toy)


FAILING = [
    ("one token changed", "original, In [1]", "x = np.zeros(4)\nfor i in range(3):"),
    ("space added between tokens", "original, In [1]", "x = np.zeros( 3)"),
    ("lines out of order", "original, In [1]", "for i in range(3):\nx = np.zeros(3)"),
    ("excerpts out of order", "original, In [1]", "print(x)\n...\nimport numpy as np"),
    ("'...' with nothing omitted", "original, In [1]", "x = np.zeros(3)\n...\nfor i in range(3):"),
    ("'...' first", "original, In [1]", "...\nprint(x)"),
    ("'...' last", "original, In [1]", "print(x)\n..."),
    ("a line left out without '...'", "original, In [1]", "import numpy as np\nx = np.zeros(3)"),
    ("blank line dropped", "original, In [1]", "%matplotlib inline\nx = np.zeros(3)"),
    ("wrong cell number", "original, In [7]", "x = np.zeros(3)"),
    ("cell not in the seed", "original, In [8]", "x.shape"),
    ("no In number", "The original notebook", "x = np.zeros(3)"),
    ("two In numbers", "original, In [1] and In [7]", "x.shape"),
    ("code quoted as output", "original, In [1], output", "print(x)"),
    ("output quoted as code", "original, In [1]", "[0. 1. 2.]"),
    ("mixes the two In [1] cells", "original, In [1]", "print(x)\n...\nimport keras"),
    ("markdown across sections", "original, markdown", "Some prose.\n...\n## A heading"),
    ("markdown changed", "original, markdown", "## A Heading"),
    ("no output in that cell", "original, In [1], output", "import keras"),
    # a part of a cell must say "excerpt" in its caption (the book once captioned part of In [94] as the cell)
    ("part of a cell without 'excerpt'", "original, In [1]", "x = np.zeros(3)\nfor i in range(3):\n    x[i] = i"),
]


@pytest.mark.parametrize("why, caption, body", FAILING, ids=[f[0] for f in FAILING])
def test_checker_rejects(toy, why, caption, body):
    with pytest.raises(q.QuoteError):
        q.check_block(block(caption, body), toy)


# -------------------------------------------------------- finding the blocks
MARKDOWN = """\
Text before.

```{code-block} python
:caption: The original notebook, In [1] (excerpt)
:emphasize-lines: 2

x = np.zeros(3)
for i in range(3):
```

:::{code-block} python
:caption: The original notebook, In [7], output
(3,)
:::

````{code-block} python
---
caption: The original notebook, In [1] (excerpt)
---
print(x)
````

````{note}
```{code} python
:caption: original, In [7]
x.shape
```
````

````md
```{code-block} python
:caption: The original notebook, In [99]
shown as an example of the syntax, not a quote
```
````

```{code-block} python
:caption: Our own version
x = 1
```

```python
# a plain fence
```
"""


def test_finds_every_form_of_block():
    blocks = q.find_blocks(MARKDOWN, "toy.md")
    assert [b.caption for b in blocks] == [
        "The original notebook, In [1] (excerpt)",
        "The original notebook, In [7], output",
        "The original notebook, In [1] (excerpt)",
        "original, In [7]",
        "Our own version",
    ]
    assert blocks[0].body == ["x = np.zeros(3)", "for i in range(3):"]
    assert blocks[0].options["emphasize-lines"] == "2"
    assert blocks[1].body == ["(3,)"]
    assert blocks[2].body == ["print(x)"]
    assert blocks[3].body == ["x.shape"]


def test_notebook_blocks_get_their_own_ids(tmp_path, toy):
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": "```{code-block} python\n:caption: original, In [7]\nnot checked\n```",
             "outputs": [], "execution_count": None},
            {"cell_type": "markdown", "metadata": {}, "source": MARKDOWN.splitlines(keepends=True)},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    path = tmp_path / "toy.ipynb"
    path.write_text(json.dumps(nb))
    blocks = q.quote_blocks([path])
    assert [b.id for b in blocks] == [
        "toy.ipynb, cell 1: The original notebook, In [1] (excerpt)",
        "toy.ipynb, cell 1: The original notebook, In [7], output",
        "toy.ipynb, cell 1: The original notebook, In [1] (excerpt)",
        "toy.ipynb, cell 1: original, In [7]",
    ]
    for b in blocks:
        q.check_block(b, toy)


def test_error_message_points_at_the_line(toy):
    with pytest.raises(q.QuoteError, match=r"np.zeros\(4\)"):
        q.check_block(block("original, In [1]", "x = np.zeros(4)"), toy)
    with pytest.raises(q.QuoteError, match=r"In \[n\]"):
        q.check_block(block("The original notebook", "x = 1"), toy)


def test_seed_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(q.SEED_DIR_VAR, raising=False)
    assert q.seed_dir() == Path(q.REPO).parent / "shared" / "seed"
    monkeypatch.setenv(q.SEED_DIR_VAR, str(tmp_path))
    assert q.seed_file() == tmp_path / q.SEED_NAME
