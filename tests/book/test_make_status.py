"""tools/make_status.py: the status page lists what failed (from pytest's junit
file), the machine, and each notebook's nbval time against the budget."""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("make_status", REPO / "tools" / "make_status.py")
ms = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ms)

# Modelled on real pytest 8 / nbval output: colour codes escaped as "#x1B", the
# message attribute truncated, the full report in the element text.
JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="1" failures="3" skipped="1" tests="7" time="754.2">
<testcase classname="tests.package.test_layers" name="test_relu_forward" time="0.01" />
<testcase classname="tests.package.test_layers" name="test_relu_backward[float32]" time="0.02">
<failure message="AssertionError: gradients differ&#10;assert 0.1 &lt; 1e-07">&gt; assert err &lt; 1e-7
E   AssertionError: gradients differ</failure></testcase>
<testcase classname="tests.package.test_models" name="test_skipped" time="0.0"><skipped message="no data" /></testcase>
<testcase classname="tests.package.test_datasets" name="test_load" time="0.0"><error message="failed on setup with &quot;OSError: no file&quot;">OSError: no file</error></testcase>
<testcase classname="book.09_alexnet_keras_mnist.ipynb" name="Cell 7" time="201.0"><failure message="#x1B[91mNotebook cell execution failed#x1B[0m&#10;#x1B[94mCell 7: Cell outputs differ&#10;&#10;Input:&#10;#x1B[0mhistory = model.fit(...)&#10;[+3 more lines; full report in element text]">#x1B[91mNotebook cell execution failed#x1B[0m
#x1B[94mCell 7: Cell outputs differ

Input:
#x1B[0mhistory = model.fit(...)

#x1B[94mTraceback:#x1B[0m
#x1B[94m mismatch 'stdout'#x1B[91m

 assert reference_output == test_output failed:
</failure></testcase>
<testcase classname="book.09_alexnet_keras_mnist.ipynb" name="Cell 12" time="9.5"><failure message="#x1B[91mNotebook cell execution failed#x1B[0m&#10;#x1B[94mCell 12: Cell execution caused an exception&#10;[+9 more lines]">#x1B[91mNotebook cell execution failed#x1B[0m
#x1B[94mCell 12: Cell execution caused an exception

Input:
#x1B[0m_ = claim("acc", acc, at_least=0.97)

#x1B[94mTraceback:#x1B[0m
#x1B[31mAssertionError#x1B[39m                 Traceback (most recent call last)
Cell In[12], line 1
AssertionError: acc = 96.2% is not at least 97%
</failure></testcase>
<testcase classname="book.01_why_cnns.ipynb" name="Cell 0" time="5.0" />
</testsuite></testsuites>
"""

NOTEBOOKS = {
    "finished": "2026-11-30 06:00:00 UTC",
    "notebooks": {
        "book/01_why_cnns.ipynb": {"seconds": 5.0, "outcome": "passed"},
        "book/09_alexnet_keras_mnist.ipynb": {"seconds": 634.0, "outcome": "failed"},
    },
}

SLOW = {"cpu": {"model": "AMD EPYC 7B13", "avx512f": False, "cores": 2},
        "step": {"keras_alexnet_step_ms": 820.4, "batch": 128, "steps": 5}}


@pytest.fixture
def status(tmp_path):
    (tmp_path / "junit.xml").write_text(JUNIT)
    (tmp_path / "notebooks.json").write_text(json.dumps(NOTEBOOKS))
    (tmp_path / "claims.jsonl").write_text(json.dumps(
        {"name": "acc", "text": "96.2%", "at_least": 0.97, "passed": False, "notebook": "09_alexnet_keras_mnist.ipynb"}) + "\n")
    return tmp_path


def test_read_junit_counts_and_failures(status):
    j = ms.read_junit(status / "junit.xml")
    assert (j["tests"], j["failures"], j["errors"], j["skipped"]) == (7, 3, 1, 1)
    assert j["failed"] == [
        ("tests/package/test_layers.py::test_relu_backward[float32]", "failure", "AssertionError: gradients differ assert 0.1 < 1e-07"),
        ("tests/package/test_datasets.py::test_load", "error", 'failed on setup with "OSError: no file"'),
        ("book/09_alexnet_keras_mnist.ipynb::Cell 7", "failure",
         "Notebook cell execution failed Cell 7: Cell outputs differ - mismatch 'stdout'"),
        ("book/09_alexnet_keras_mnist.ipynb::Cell 12", "failure",
         "Notebook cell execution failed Cell 12: Cell execution caused an exception"
         " - AssertionError: acc = 96.2% is not at least 97%"),
    ]


def test_read_junit_missing_or_broken(tmp_path):
    assert ms.read_junit(tmp_path / "junit.xml") is None
    (tmp_path / "junit.xml").write_text("<testsuites><testsuite")  # a run killed mid-write
    j = ms.read_junit(tmp_path / "junit.xml")
    assert j["errors"] == 1 and "unreadable" in j["failed"][0][2]


def test_page_lists_failures_machine_and_budget(status):
    text = ms.page(status, SLOW)
    assert "AMD EPYC 7B13" in text and "AVX-512 (avx512f): no" in text
    assert "**820 ms**" in text
    assert "7 tests (unit tests and notebook cells): 2 passed, 3 failed, 1 errors, 1 skipped" in text
    assert "book/09_alexnet_keras_mnist.ipynb::Cell 7 [failure]: Notebook cell execution failed" in text
    assert "book/09_alexnet_keras_mnist.ipynb::Cell 12 [failure]:" in text
    assert "tests/package/test_datasets.py::test_load [error]" in text
    # per-notebook time beside the machine's Keras step, against the slow machine's 20 min
    assert "| 09_alexnet_keras_mnist.ipynb | failed | 634.0 | 53 % |" in text
    assert "nbval time (s), Keras step 820 ms" in text
    assert "budget 20 min 00 s, this run is **within** it" in text
    assert "`acc` = 96.2% (≥ 97%, FAILED)" in text


def test_fast_machine_gets_the_fast_budget(status):
    fast = {"cpu": {"model": "Intel Xeon", "avx512f": True, "cores": 2}, "step": {"error": "ImportError: no keras"}}
    text = ms.page(status, fast)
    assert "budget 8 min 00 s, this run is **OVER** it" in text
    assert "not measured (ImportError: no keras)" in text


def test_page_before_any_run(tmp_path):
    text = ms.page(tmp_path, SLOW)
    assert "No test results: no test run on this machine yet" in text
    assert "have not been re-executed by nbval on this machine yet" in text


def test_main_without_measuring(status, capsys):
    (status / "machine.json").write_text(json.dumps(SLOW))
    ms.main(["--no-measure", "--status-dir", str(status), "--out", str(status / "status.md")])
    out = capsys.readouterr().out
    assert "Keras AlexNet step (batch 128): 820 ms" in out
    assert "CPU: AMD EPYC 7B13 (2 cores, avx512f: no)" in out
    assert "book/09_alexnet_keras_mnist.ipynb::Cell 7" in out
    assert "::Cell 7 [failure]" in (status / "status.md").read_text()


def test_cpu_info(tmp_path):
    f = tmp_path / "cpuinfo"
    f.write_text("processor\t: 0\nmodel name\t: AMD EPYC  7B13 64-Core Processor\nflags\t\t: fpu avx2 avx512f\n\n"
                 "processor\t: 1\nmodel name\t: AMD EPYC  7B13 64-Core Processor\nflags\t\t: fpu avx2 avx512f\n")
    info = ms.cpu_info(f)
    assert info["model"] == "AMD EPYC 7B13 64-Core Processor" and info["avx512f"] is True
    f.write_text("model name\t: X\nflags\t\t: fpu avx2 avx512_bf16\n")
    assert ms.cpu_info(f)["avx512f"] is False


TIMING_JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2" time="30.0">
<testcase classname="book.performance.ipynb" name="Cell 10" time="12.0"><failure message="AssertionError: ratio">AssertionError</failure></testcase>
<testcase classname="book.scaling.ipynb" name="Cell 3" time="7.0" />
</testsuite></testsuites>
"""


def test_the_timing_run_is_counted_with_the_main_run(status):
    # tools/test.sh runs the appendices that time the machine in a second pytest run
    (status / "junit-timing.xml").write_text(TIMING_JUNIT)
    j = ms.read_all_junit(status)
    assert (j["tests"], j["failures"], j["errors"], j["skipped"]) == (9, 4, 1, 1)
    text = ms.page(status, SLOW)
    assert "9 tests (unit tests and notebook cells): 3 passed, 4 failed, 1 errors, 1 skipped" in text
    assert "book/performance.ipynb::Cell 10 [failure]" in text


def test_budget_counts_the_wall_time_of_parallel_runs(status):
    # two notebooks at a time (pytest-xdist), then the timing appendices alone:
    # the budget is wall time, not the sum of the notebooks' own times
    record = dict(NOTEBOOKS, runs=[
        {"notebooks": ["book/01_why_cnns.ipynb", "book/09_alexnet_keras_mnist.ipynb"], "workers": 2,
         "wall_seconds": 400.0},
        {"notebooks": ["book/performance.ipynb"], "workers": 1, "wall_seconds": 20.0},
    ])
    (status / "notebooks.json").write_text(json.dumps(record))
    assert ms.nbval_wall_seconds(record) == 420.0
    assert ms.nbval_wall_seconds(NOTEBOOKS) == 639.0  # a record from one sequential run
    fast = {"cpu": {"model": "Intel Xeon", "avx512f": True, "cores": 2}, "step": {"keras_alexnet_step_ms": 200.0}}
    text = ms.page(status, fast)
    assert "**7 min 00 s** (420 s; wall time: 2 notebooks 2 at a time in 400 s, then 1 alone in 20 s" in text
    assert "add up to 639 s" in text
    assert "budget 8 min 00 s, this run is **within** it (88 %)" in text


# ------------------------------------------------------------------ claims and their margins (issue 19)
def test_bound_margins_in_points_and_relative():
    # chapter 7 on the AMD EPYC machine: 97.56 % against 97 %: thin, 0.56 points
    m, verdict = ms.bound_margins({"at_least": 0.97}, [0.9756], percent=True)
    assert verdict == "THIN" and m["at_least"]["margin"] == pytest.approx(0.56)
    assert ms.bound_margins({"at_least": 0.97}, [0.99, 0.985], percent=True)[1] == "OK"
    m, verdict = ms.bound_margins({"at_least": 0.97}, [0.99, 0.965], percent=True)
    assert verdict == "FAILS" and m["at_least"]["worst"] == 0.965 and m["at_least"]["margin"] == pytest.approx(-0.5)
    assert ms.bound_margins({"below": 0.5}, [0.5], percent=True)[1] == "FAILS"  # below is strict
    assert ms.bound_margins({"at_most": 0.5}, [0.5], percent=True)[1] == "THIN"
    # not a percentage: relative to the bound (2.30 against at least 2.29 is 0.4 % of it)
    m, verdict = ms.bound_margins({"at_least": 2.29, "at_most": 3.0}, [2.30], percent=False)
    assert verdict == "THIN" and m["at_least"]["normalized"] == pytest.approx(0.01 / 2.29)
    assert m["at_most"]["verdict"] == "OK"
    assert ms.bound_margins({"at_most": 1e-3}, [1e-14], percent=False)[1] == "OK"
    assert ms.bound_margins({}, [3.0], percent=False) == ({}, "UNBOUNDED")
    assert ms.bound_margins({"at_least": 1}, [None], percent=False) == ({}, "NO VALUES")


CLAIMS = [
    {"name": "wide", "value": 0.99, "text": "99.0%", "at_least": 0.9, "passed": True, "notebook": "07.ipynb"},
    {"name": "thin", "value": 0.9756, "text": "97.6%", "at_least": 0.97, "passed": True, "notebook": "07.ipynb"},
    {"name": "loss", "value": 2.30, "text": "2.30", "at_least": 2.29, "passed": True, "notebook": "06.ipynb"},
    {"name": "free", "value": 5.0, "text": "5", "passed": True, "notebook": "06.ipynb"},
]


def test_claims_are_listed_thinnest_first_with_the_sweep_range():
    sweep = {"chapters": {"07.ipynb": {"machine": "Intel Xeon", "claims": {
        "thin": {"values": {"1": 0.972, "2": 0.981, "3": 0.968}}}}}}
    lines = ms.claims_margin_section(CLAIMS, sweep)
    rows = [line for line in lines if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == ["loss", "thin", "wide", "free"]
    assert "| `thin` | 07.ipynb | 97.6% | ≥ 97% | +0.56 points | THIN |" in rows[1]
    assert "96.80% to 98.10% over seeds 1, 2, 3 (Intel Xeon); worst margin -0.20 points, **FAILS**" in rows[1]
    assert "+0.01 (0.4 % of the bound) | THIN" in rows[0]
    assert "| UNBOUNDED | — |" in rows[3]
    assert any("**2** of 4 claims are thin or failed" in line for line in lines)


def test_page_shows_the_margins_section(status, tmp_path):
    (status / "claims.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CLAIMS))
    text = ms.page(status, SLOW, sweep_path=tmp_path / "no-sweep.json")
    assert "## Claims: margins to their bounds" in text
    assert text.index("`loss`") < text.index("`thin`") < text.index("`wide`")
    assert "No figures recorded" in ms.page(tmp_path / "empty", SLOW, sweep_path=tmp_path / "no-sweep.json")


def test_accessibility_audit_of_the_previous_build(tmp_path):
    assert "Not run yet on this machine" in "\n".join(ms.accessibility_section(tmp_path))
    (tmp_path / "axe.json").write_text(json.dumps({
        "axe_version": "4.11.0", "pages": 46, "counts": {"critical": 0, "serious": 0, "moderate": 23, "minor": 6},
        "rules": {"region": {"impact": "moderate", "help": "All page content should be contained by landmarks",
                             "nodes": 23, "pages": 23},
                  "list": {"impact": "minor", "help": "lists", "nodes": 6, "pages": 2}}}))
    text = "\n".join(ms.accessibility_section(tmp_path))
    assert "axe-core 4.11.0, 46 pages" in text and "critical **0**, serious **0**, moderate 23, minor 6" in text
    assert "previous site build" in text
    assert text.index("| region | moderate | 23 | 23 |") < text.index("| list | minor | 6 | 2 |")
