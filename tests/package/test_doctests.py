"""The examples in cnnlib's docstrings (``>>>``) run, so the README's test command checks them.

One test per module of the package, found by walking it, so a new module's
examples are run without anyone listing it here.  ``keras_models`` imports
TensorFlow, hence the ``keras`` marker on its test.
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import cnnlib

MODULES = sorted(m.name for m in pkgutil.iter_modules(cnnlib.__path__, "cnnlib."))


def test_the_package_has_examples_to_run():
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for name in MODULES if name != "cnnlib.keras_models"
                   for t in finder.find(importlib.import_module(name)))
    assert examples >= 5, f"only {examples} docstring examples found in {MODULES}: did the walk miss modules?"


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.keras) if n == "cnnlib.keras_models" else n for n in MODULES]
)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, globs={"np": np, **vars(module)}, optionflags=doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed (run: python -m doctest -v {module.__file__})"
