"""Figures one chapter takes from another must match what that chapter stored.

Chapter 12 compares its remedies with chapter 11's corrected AlexNet without
training it again: ``BASELINE_ACC`` in chapter 12 must be the test accuracy
chapter 11's stored run glued (``keras_cifar_test_acc_10k``), to the digit the
book prints.
"""

import ast
import json
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1] / "book"


def stored_glue(notebook, name):
    """The text a notebook's stored outputs glue under ``name`` (e.g. ``'36.0%'``)."""
    nb = json.loads((BOOK / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == name:
                (text,) = out["data"].values()
                return ast.literal_eval(text)
    raise AssertionError(f"{notebook} stores no glued value named {name!r}: re-run it")


def assigned_constant(notebook, name):
    """The value a notebook's code assigns to ``name`` (a literal)."""
    nb = json.loads((BOOK / notebook).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]).replace("%", "#"))):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
                return ast.literal_eval(node.value)
    raise AssertionError(f"{notebook} assigns no {name}")


def test_stored_glue_reads_a_value():
    assert stored_glue("11_alexnet_keras_cifar10.ipynb", "keras_cifar_test_acc_10k").endswith("%")


def test_chapter12_baseline_is_chapter11s_stored_result():
    chapter11 = stored_glue("11_alexnet_keras_cifar10.ipynb", "keras_cifar_test_acc_10k")
    baseline = assigned_constant("12_overfitting.ipynb", "BASELINE_ACC")
    assert f"{baseline:.1%}" == chapter11, (
        f"chapter 12's BASELINE_ACC = {baseline} prints as {baseline:.1%}, but chapter 11's stored run "
        f"glues {chapter11}: set BASELINE_ACC to chapter 11's figure and re-run chapter 12"
    )


def test_chapter13_quotes_chapter12s_best():
    """Chapter 13 compares its last network with chapter 12's best recipe without re-training it."""
    best = stored_glue("12_overfitting.ipynb", "best_acc")
    quoted = assigned_constant("13_modern_cnns.ipynb", "CH12_BEST_ACC")
    assert f"{quoted:.1%}" == best, (
        f"chapter 13's CH12_BEST_ACC = {quoted} prints as {quoted:.1%}, but chapter 12's stored run "
        f"glues {best}: set CH12_BEST_ACC to chapter 12's figure and re-run chapter 13")
