"""setup()'s version note: the tested versions the package knows are requirements.txt's pins,
it prints nothing on the tested stack and one line naming what differs elsewhere."""

import re
from importlib import metadata
from pathlib import Path

import pytest

from cnnlib import notebook, tested_stack

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"


def _pins():
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_tested_versions_are_the_requirements_pins():
    pins = _pins()
    for name, version in tested_stack.TESTED.items():
        assert pins.get(name) == version, (
            f"cnnlib/tested_stack.py says {name} {version}, requirements.txt pins {pins.get(name)}: "
            "change both together"
        )


def test_this_environment_is_the_tested_stack():
    # CI installs requirements.txt, so setup() must be silent here (nbval compares its output)
    for name, version in tested_stack.TESTED.items():
        assert metadata.version(name) == version


def test_setup_prints_nothing_on_the_tested_stack(capsys):
    notebook.setup(seed=0)
    assert capsys.readouterr() == ("", "")


def test_a_differing_runtime_gets_one_line_and_nothing_is_reinstalled(monkeypatch, capsys):
    fake = {"numpy": "2.0.2", "tensorflow": "2.19.0", "keras": "3.15.1"}

    def version(dist):
        if dist in fake:
            return fake[dist]
        raise metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(tested_stack.metadata, "version", version)
    note = notebook.version_note(keras=True)
    assert note.count("\n") == 0
    assert "numpy 2.0.2 (tested: 2.4.6)" in note and "tensorflow 2.19.0 (tested: 2.21.0)" in note
    assert "keras" not in note  # Keras is the tested version
    assert "figures may move" in note
    # scratch chapters compare numpy only
    assert "tensorflow" not in notebook.version_note(keras=False)
    notebook.setup(seed=0)
    out = capsys.readouterr().out
    assert out == notebook.version_note(keras=False) + "\n"


def test_setup_never_installs_anything():
    source = Path(notebook.__file__).read_text()
    assert "pip" not in source and "subprocess" not in source


@pytest.mark.parametrize("keras", [False, True])
def test_an_uninstalled_package_is_not_a_difference(monkeypatch, keras):
    def version(dist):
        raise metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(tested_stack.metadata, "version", version)
    assert notebook.version_note(keras=keras) == ""
