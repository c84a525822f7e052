"""Claims: every figure the book's prose states is measured, asserted, glued and recorded.

A chapter writes::

    claim("lenet_test_acc", acc, at_least=0.97)

which (1) fails the cell, and so nbval, unless ``acc >= 0.97``; (2) glues the
formatted value under that name for the prose (``{glue:}`lenet_test_acc```),
and the bound under ``lenet_test_acc_bound`` (``{glue:}`lenet_test_acc_bound```
reads "97.0%"), so that the prose never types a bound the code may no longer
assert; and (3) appends the figure to ``$CNNLIB_CLAIMS`` (a JSON-lines file, if
that variable is set) for the status page.  With ``CNNLIB_CLAIMS_RECORD_ONLY=1``
a missed bound is recorded (``"passed": false``) but not raised, so that
tools/seed_sweep.py can run a chapter to its end under other seeds.

The bounds' glue names: ``NAME_bound`` when the claim has one bound; with two
or more, one per bound, ``NAME_at_least``, ``NAME_at_most`` and ``NAME_below``.

Gluing needs no myst-nb (a reader's runtime has none): the cell's output is the
display message that ``myst_nb.glue(name, text, display=False)`` sends, built
here from IPython alone, so the stored notebooks and the book's build see the
same bytes (tests/book/test_claim_output.py compares the two in a kernel).
"""

import json
import os
import re
import time

__all__ = ["claim", "glue", "glued", "japanese_figure", "ClaimFailed"]

# myst_nb.ext.glue.GLUE_PREFIX: the mime prefix of a value glued with display=False
GLUE_PREFIX = "application/papermill.record/"


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
    if problems and os.environ.get("CNNLIB_CLAIMS_RECORD_ONLY") != "1":
        raise ClaimFailed(f"{name} = {text} ({value!r}), but the book says it is {' and '.join(problems)}")
    if glue:
        _glue(name, text)
        for bound_name, bound in bound_glue(name, at_least=at_least, at_most=at_most, below=below).items():
            _glue(bound_name, _format(bound, fmt))
    return value


def bound_glue(name, *, at_least=None, at_most=None, below=None):
    """``{glue name: bound}`` for a claim's bounds: ``NAME_bound`` alone, or one name per bound.

    >>> bound_glue("acc", at_least=0.97)
    {'acc_bound': 0.97}
    >>> bound_glue("loss", at_least=2.29, at_most=2.5)
    {'loss_at_least': 2.29, 'loss_at_most': 2.5}
    """
    given = {kind: bound for kind, bound in
             (("at_least", at_least), ("at_most", at_most), ("below", below)) if bound is not None}
    if len(given) == 1:
        return {f"{name}_bound": next(iter(given.values()))}
    return {f"{name}_{kind}": bound for kind, bound in given.items()}


def glue_message(name, text, formatter=None):
    """``(data, metadata)`` of the display message that glues ``text`` under ``name``.

    The same as ``myst_nb.glue(name, text, display=False)`` (myst-nb 1.x): the
    text's mime bundle from IPython's display formatter, each key prefixed with
    :data:`GLUE_PREFIX`, and the scrapbook metadata myst-nb reads when it builds
    the page.  ``formatter``: the kernel's ``display_formatter`` (default: a
    plain ``repr``, which is what IPython's formatter gives for a ``str``).
    """
    if formatter is None:
        bundle, metadata = {"text/plain": repr(text)}, {}
    else:
        bundle, metadata = formatter.format(text)
    metadata = dict(metadata)
    metadata["scrapbook"] = dict(name=name, mime_prefix=GLUE_PREFIX)
    return {GLUE_PREFIX + k: v for k, v in bundle.items()}, metadata


def glue(name, text):
    """Glue ``text`` under ``name`` for the prose, with no bound: a figure this run does not measure.

    For a figure read from a recorded file (a script's JSON that a chapter shows, such as
    chapter 12's controls); a figure the chapter measures goes through :func:`claim`.  Outside an
    IPython kernel it does nothing.
    """
    _glue(name, str(text))


# What this Python session glued, by name: the reader's edition of a chapter (python -m cnnbook.reader)
# shows each glued figure in its prose as the inline expression cnnlib.glued("name"), which
# jupyterlab-myst evaluates when the reader runs the Markdown cell after the chapter's code.
_GLUED = {}


def glued(name, *, default=None, lang=None):
    """The text glued under ``name`` in this session, as the reader's edition of the prose shows it.

    ``default``: what to show when nothing is glued under ``name`` yet (the reader's edition passes
    the value stored in the book, so a Markdown cell run before the code still reads sensibly).
    ``lang="ja"``: the figure in Japanese form (:func:`japanese_figure`), as the Japanese site
    writes it.

    >>> _GLUED["demo_acc"] = "97.8%"
    >>> glued("demo_acc"), glued("demo_speedup", default="972×", lang="ja")
    ('97.8%', '972倍')
    """
    text = _GLUED.get(name, default)
    if text is None:
        raise KeyError(f"nothing is glued under {name!r} in this session yet: run the chapter's cells "
                       f"above this one first (Run > Run All Above Selected Cell)")
    if lang not in (None, "en", "ja"):
        raise ValueError(f"lang must be 'en' or 'ja', not {lang!r}")
    return japanese_figure(text) if lang == "ja" else text


# a number in E-notation as Python's "{:e}" / "{:.0e}" writes it
_E_NOTATION = re.compile(r"(?<![\w.])([-+]?\d+(?:\.\d+)?)e([-+]?)0*(\d+)(?![\w.])")
# a ratio: a number followed by the multiplication sign ("972×", "1.24×", "1,000×")
_RATIO = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)×(?![\w\d])")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# Japanese script and full-width punctuation (a regex character class's inside): Japanese prose puts no
# Latin space between these and a figure (the Japanese site and the Japanese editions close it up)
JAPANESE_SCRIPT = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"


def japanese_figure(text: str) -> str:
    """A glued figure as Japanese prose writes it (the Japanese site and reader's edition).

    >>> japanese_figure("2e+31"), japanese_figure("3e-06"), japanese_figure("1e-03"), japanese_figure("0e+00")
    ('2×10³¹', '3×10⁻⁶', '1×10⁻³', '0')
    >>> japanese_figure("972×"), japanese_figure("1.24×"), japanese_figure("97.8%")
    ('972倍', '1.24倍', '97.8%')
    >>> japanese_figure("28×28 pixels")
    '28×28 pixels'
    """

    def power(m):
        if float(m.group(1)) == 0 or int(m.group(3)) == 0:  # 0e+00, 5e+00: no power of ten to show
            return m.group(1)
        sign = "-" if m.group(2) == "-" else ""
        return f"{m.group(1)}×10{(sign + m.group(3)).translate(_SUPERSCRIPT)}"

    return _RATIO.sub(r"\1倍", _E_NOTATION.sub(power, text))


def _glue(name, text):
    """Send the glue message in an IPython kernel; outside one there is no page to glue into."""
    _GLUED[name] = text
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    data, metadata = glue_message(name, text, shell.display_formatter)
    display(data, raw=True, metadata=metadata)
