"""Claims: every figure the book's prose states is measured, asserted, glued and recorded.

A chapter writes::

    claim("lenet_test_acc", acc, at_least=0.97)

which (1) fails the cell, and so nbval, unless ``acc >= 0.97``; (2) glues the
formatted value under that name for the prose (``{glue:}`lenet_test_acc```);
and (3) appends the figure to ``$CNNLIB_CLAIMS`` (a JSON-lines file, if that
variable is set) for the status page.
"""

import json
import os
import time

__all__ = ["claim", "ClaimFailed"]


class ClaimFailed(AssertionError):
    """A measured figure missed the bound the book states."""


def _format(value, fmt):
    return fmt.format(value) if fmt else f"{value}"


def claim(name, value, *, at_least=None, below=None, at_most=None, fmt="{:.1%}", glue=True):
    """Assert ``value`` against its bounds, glue it for the prose, record it; returns ``value``.

    ``fmt`` formats the glued text (default: a percentage with one decimal,
    e.g. ``'97.8%'``); the bounds are checked on the unrounded value.
    """
    value = float(value)
    text = _format(value, fmt)
    problems = []
    if at_least is not None and not value >= at_least:
        problems.append(f"at least {_format(at_least, fmt)}")
    if at_most is not None and not value <= at_most:
        problems.append(f"at most {_format(at_most, fmt)}")
    if below is not None and not value < below:
        problems.append(f"below {_format(below, fmt)}")
    record = {
        "name": name,
        "value": value,
        "text": text,
        "at_least": at_least,
        "at_most": at_most,
        "below": below,
        "passed": not problems,
        "notebook": os.environ.get("CNNLIB_NOTEBOOK"),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    path = os.environ.get("CNNLIB_CLAIMS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    if problems:
        raise ClaimFailed(f"{name} = {text} ({value!r}), but the book says it is {' and '.join(problems)}")
    if glue:
        from myst_nb import glue as _glue

        _glue(name, text, display=False)
    return value
