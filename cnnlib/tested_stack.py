"""The versions the book's stored outputs come from (the pins of requirements.txt).

``requirements.txt`` is not part of the installed package, so the versions that
``cnnlib.notebook.setup()`` compares a reader's runtime with live here;
tests/package/test_tested_stack.py keeps the two in agreement.
"""

from importlib import metadata

__all__ = ["TESTED", "installed_versions", "differences"]

# distribution name in requirements.txt -> version
TESTED = {
    "numpy": "2.4.6",
    "tensorflow-cpu": "2.21.0",
    "keras": "3.15.1",
}

# what a reader's runtime may install instead of the pinned distribution
# (Colab and most machines have "tensorflow", CI has "tensorflow-cpu")
_ALTERNATIVES = {"tensorflow-cpu": ("tensorflow-cpu", "tensorflow", "tensorflow-intel", "tensorflow-macos")}
_SHORT = {"tensorflow-cpu": "tensorflow"}


def installed_versions(names):
    """{short name: installed version} for the pinned distributions ``names`` that are installed."""
    found = {}
    for name in names:
        for dist in _ALTERNATIVES.get(name, (name,)):
            try:
                found[_SHORT.get(name, name)] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def differences(names):
    """[(short name, installed, tested)] for the installed distributions whose version is not the tested one."""
    installed = installed_versions(names)
    return [
        (_SHORT.get(n, n), installed[_SHORT.get(n, n)], TESTED[n])
        for n in names
        if _SHORT.get(n, n) in installed and installed[_SHORT.get(n, n)] != TESTED[n]
    ]
