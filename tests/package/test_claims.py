"""claim(): passes or raises ClaimFailed naming the figure, glues the text, records JSON lines."""

import json
import math

import pytest

from cnnlib import claim
from cnnlib.claims import ClaimFailed


def test_a_claim_that_holds_returns_the_value(monkeypatch):
    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    assert claim("acc", 0.978, at_least=0.97, glue=False) == 0.978
    assert claim("loss", 2.5, at_least=2.29, at_most=2.5, fmt="{:.4f}", glue=False) == 2.5
    assert claim("cifar", 0.49, below=0.5, glue=False) == 0.49
    assert claim("anything", 3, glue=False) == 3.0  # no bounds: recorded, never fails


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(value=0.95, at_least=0.97), r"^lenet_test_acc = 95\.0% \(0\.95\), but the book says it is at least 97\.0%$"),
        (dict(value=0.5, below=0.5), r"^lenet_test_acc = 50\.0% \(0\.5\), but the book says it is below 50\.0%$"),
        (dict(value=0.99, at_least=0.2, at_most=0.9), r"but the book says it is at most 90\.0%$"),
        (dict(value=0.1, at_least=0.2, below=0.05), r"it is at least 20\.0% and below 5\.0%$"),
        (dict(value=math.nan, at_least=0.2), r"= nan% \(nan\), but the book says it is at least 20\.0%"),
    ],
    ids=["at_least", "below is strict", "at_most", "two bounds", "NaN"],
)
def test_a_claim_that_fails_names_the_figure(monkeypatch, kwargs, message):
    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    value = kwargs.pop("value")
    with pytest.raises(ClaimFailed, match=message):
        claim("lenet_test_acc", value, glue=False, **kwargs)
    assert issubclass(ClaimFailed, AssertionError)  # a failed claim fails the cell, and nbval


def test_claims_are_recorded_as_json_lines(monkeypatch, tmp_path):
    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv("CNNLIB_CLAIMS", str(path))
    monkeypatch.setenv("CNNLIB_NOTEBOOK", "book/07_lenet.ipynb")
    claim("stall_loss", 2.3012, at_least=2.29, fmt="{:.4f}", glue=False)
    with pytest.raises(ClaimFailed):
        claim("acc", 0.5, at_least=0.9, glue=False)  # a failure is recorded too
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["name"] for r in rows] == ["stall_loss", "acc"]
    assert rows[0] | {"time": None} == {
        "name": "stall_loss", "value": 2.3012, "text": "2.3012", "at_least": 2.29, "at_most": None,
        "below": None, "passed": True, "notebook": "book/07_lenet.ipynb", "time": None,
    }  # fmt: skip
    assert rows[1]["passed"] is False and rows[1]["text"] == "50.0%"
    assert len(rows[0]["time"]) == len("2026-01-01T00:00:00")


def test_nothing_is_written_without_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    monkeypatch.chdir(tmp_path)
    claim("acc", 0.98, at_least=0.97, glue=False)
    assert list(tmp_path.iterdir()) == []


def test_glue_receives_the_formatted_text(monkeypatch):
    from cnnlib import claims

    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    glued = []
    monkeypatch.setattr(claims, "_glue", lambda name, text: glued.append((name, text)))
    claim("lenet_test_acc", 0.9781, at_least=0.97)
    claim("stall_loss", 2.30125, fmt="{:.3f}")
    assert glued == [("lenet_test_acc", "97.8%"), ("lenet_test_acc_bound", "97.0%"), ("stall_loss", "2.301")]
    with pytest.raises(ClaimFailed):
        claim("acc", 0.1, at_least=0.5)
    assert len(glued) == 3  # a failed claim glues nothing


def test_bounds_are_glued_in_the_claims_format(monkeypatch):
    """The prose quotes a bound through its glue, so it can never differ from the bound asserted."""
    from cnnlib import claims

    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    glued = []
    monkeypatch.setattr(claims, "_glue", lambda name, text: glued.append((name, text)))
    claim("cifar", 0.49, below=0.5)
    claim("loss", 2.3012, at_least=2.29, at_most=2.5, fmt="{:.2f}")
    claim("epoch", 12, at_least=6, below=40, at_most=39, fmt="{:.0f}")
    assert glued == [
        ("cifar", "49.0%"), ("cifar_bound", "50.0%"),
        ("loss", "2.30"), ("loss_at_least", "2.29"), ("loss_at_most", "2.50"),
        ("epoch", "12"), ("epoch_at_least", "6"), ("epoch_at_most", "39"), ("epoch_below", "40"),
    ]  # fmt: skip


def test_outside_a_kernel_claim_glues_nothing_and_prints_nothing(monkeypatch, capsys):
    monkeypatch.delenv("CNNLIB_CLAIMS", raising=False)
    claim("lenet_test_acc", 0.9781, at_least=0.97)  # no IPython shell here, no myst_nb needed
    assert capsys.readouterr() == ("", "")


def test_glue_glues_a_recorded_figure_with_no_bound(monkeypatch, tmp_path):
    """cnnlib.claims.glue: a figure read from a record is glued as it is, never asserted nor recorded."""
    from cnnlib import claims

    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv("CNNLIB_CLAIMS", str(path))
    glued = []
    monkeypatch.setattr(claims, "_glue", lambda name, text: glued.append((name, text)))
    claims.glue("control_small_cosine", "39.0%")
    claims.glue("runs", 2)
    assert glued == [("control_small_cosine", "39.0%"), ("runs", "2")]
    assert not path.exists()  # not a claim: nothing for the status page's margins
