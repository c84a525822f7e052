"""The language of cnnlib's messages: the exercise checks (:mod:`cnnlib.checks`) and the course's grader.

Every message is written in English in the code, as a template with named fields, and goes
through a translator::

    _ = translator("cnnlib")
    raise CheckFailed(_("{name}, {case}: wrong shape {got}, expected {want}", name=..., ...))

In English the template is formatted as it stands (so the English messages are exactly the
ones the book's stored outputs show); in another language the template is looked up in the
package's catalog ``<package>/messages_<lang>.py`` (a dict ``MESSAGES``: English template ->
translated template with the same fields) and the translation is formatted.  A template missing
from the catalog falls back to English; tests/book/test_messages_ja.py fails while one is missing.

The language: :func:`set_language` if called (``cnnlib.set_language("ja")``), else the
environment variable ``CNNLIB_LANG`` (``bash tools/lab.sh ja`` sets it for the kernels), else
English.  Supported: ``en`` and ``ja`` (``ja_JP``, ``ja-JP.UTF-8`` and the like mean ``ja``).
"""

import contextlib
import importlib
import os

__all__ = ["LANGUAGES", "ENVIRONMENT_VARIABLE", "set_language", "get_language", "language", "translator"]

LANGUAGES = {"en": "English", "ja": "Japanese"}
ENVIRONMENT_VARIABLE = "CNNLIB_LANG"
_chosen = None  # set by set_language; None: the environment decides


def _normalise(lang, where):
    text = str(lang).strip()
    code = text.replace("-", "_").split(".")[0].split("_")[0].lower()
    if code not in LANGUAGES:
        supported = ", ".join(f"{k!r} ({v})" for k, v in LANGUAGES.items())
        raise ValueError(f"{where}: unsupported language {text!r}; cnnlib's messages are in {supported}")
    return code


def set_language(lang):
    """Write cnnlib's messages (the checks' lines and errors) in ``lang``: ``"en"`` or ``"ja"``.

    ``None`` goes back to the environment variable ``CNNLIB_LANG`` (English if it is not set).
    Another language raises ``ValueError`` naming the supported ones.
    """
    global _chosen
    _chosen = None if lang is None else _normalise(lang, "cnnlib.set_language")


def get_language():
    """The language of the messages: ``"en"`` or ``"ja"`` (see :func:`set_language`)."""
    if _chosen is not None:
        return _chosen
    env = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    return _normalise(env, f"the environment variable {ENVIRONMENT_VARIABLE}") if env else "en"


@contextlib.contextmanager
def language(lang):
    """``with language("ja"): ...``: messages in ``lang`` inside the block (``None``: unchanged)."""
    global _chosen
    previous = _chosen
    if lang is not None:
        set_language(lang)
    try:
        yield
    finally:
        _chosen = previous


_CATALOGS = {}


def catalog(package, lang):
    """The catalog of ``package`` for ``lang``: ``{English template: translated template}``."""
    key = (package, lang)
    if key not in _CATALOGS:
        _CATALOGS[key] = importlib.import_module(f"{package}.messages_{lang}").MESSAGES
    return _CATALOGS[key]


def translator(package):
    """The function ``_(template, **fields)`` of ``package``: ``template`` (English) in the
    current language, formatted with ``fields`` (``str.format`` syntax); a text without fields
    is returned as it is (braces and all: a hint of the book, say)."""

    def _(template, /, **fields):
        lang = get_language()
        if lang != "en":
            template = catalog(package, lang).get(template, template)
        return template.format(**fields) if fields else template

    _.package = package
    return _
