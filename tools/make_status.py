"""Write book/status.md: the machine and versions in use and, after a test run,
what failed, every notebook's nbval time against the time budget, and every
figure the chapters asserted (cnnlib.claim).

Inputs (written by tools/test.sh's pytest runs, all in _build/status/):
  junit.xml       pytest --junitxml: counts and the failed tests/notebook cells
                  (junit-timing.xml: the same for the run of the timing appendices)
  notebooks.json  tools/pytest_book.py: per-notebook nbval time and outcome, and each
                  nbval run's wall time (the chapters run two at a time)
  claims.jsonl    cnnlib.claims: the asserted figures
and, if present, records/seed_sweep.json (tools/seed_sweep.py): each claim's
range over other seeds, shown beside this run's margin.
Without them the page says the notebooks have not been checked on this machine yet.

The machine: the CPU model (/proc/cpuinfo "model name"), whether it has
AVX-512 (flag avx512f), and the time of one Keras AlexNet training step
(cnnlib.keras_models.build_alexnet on 32x32x3, batch 128 of random data, SGD,
SparseCategoricalCrossentropy(from_logits=True); 2 warm-up steps, median of 5
train_on_batch steps; TensorFlow threads as cnnlib.notebook.setup(keras=True)
sets them for the chapters), so every run time on the page can be read against
the machine that produced it.  The measurement is kept in machine.json.

    python tools/make_status.py               # measure, then write the page
    python tools/make_status.py --no-measure  # reuse machine.json if there is one
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATUS = ROOT / "_build" / "status"
PAGE = ROOT / "book" / "status.md"

# Issue 9: re-executing the whole book with nbval takes at most 20 min on the
# slower machine of the project's kind (AMD EPYC, AVX2 only, 2 cores; a Keras
# AlexNet step there took 0.82 s at batch 128), about 7-8 min where Keras runs
# 3-4 times faster (an AVX-512 machine).
BUDGET_SLOW_S = 20 * 60
BUDGET_FAST_S = 8 * 60
SLOW_MACHINE_STEP_MS = 820
STEP_BATCH = 128


# ------------------------------------------------------------------ machine
def cpu_info(cpuinfo="/proc/cpuinfo"):
    """{'model': 'AMD EPYC ...', 'avx512f': bool, 'cores': n}; model 'unknown' off Linux."""
    model, flags = None, set()
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model is None:
            model = " ".join(value.split())
        elif key == "flags" and not flags:
            flags = set(value.split())
    return {"model": model or platform.processor() or "unknown", "avx512f": "avx512f" in flags,
            "cores": os.cpu_count()}


def measure_keras_alexnet_step(batch=STEP_BATCH, warmup=2, steps=5):
    """Median wall time (ms) of one ``train_on_batch`` of the Keras AlexNet, and the
    TensorFlow thread settings it ran with."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    import cnnlib.notebook

    cnnlib.notebook.setup(seed=0, keras=True)  # the chapters' TensorFlow threads and seed
    import keras
    import tensorflow as tf

    from cnnlib.keras_models import build_alexnet

    model = build_alexnet(input_shape=(32, 32, 3))
    model.compile(optimizer=keras.optimizers.SGD(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.random((batch, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    for _ in range(warmup):
        model.train_on_batch(x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return {
        "keras_alexnet_step_ms": round(statistics.median(times) * 1e3, 1),
        "fastest_step_ms": round(min(times) * 1e3, 1),
        # other work on the machine slows the step: the 1-minute load average says how busy it was
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "batch": batch,
        "steps": steps,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def machine(status_dir, measure=True):
    """CPU and Keras step time; measured now (and saved) or read back from machine.json."""
    path = Path(status_dir) / "machine.json"
    info = {"cpu": cpu_info()}
    if measure:
        try:
            info["step"] = measure_keras_alexnet_step()
        except Exception as e:  # the page is still written, saying why
            info["step"] = {"error": f"{type(e).__name__}: {e}"}
        info["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info, indent=2))
    elif path.exists():
        info = json.loads(path.read_text())
    return info


def step_text(info):
    step = info.get("step") or {}
    if "keras_alexnet_step_ms" in step:
        return f"{step['keras_alexnet_step_ms']:.0f} ms"
    return f"not measured ({step['error']})" if "error" in step else "not measured"


def step_detail(info):
    """'fastest 1180 ms; load average 8.2 on 2 cores' (empty when not measured)."""
    step, parts = info.get("step") or {}, []
    if step.get("fastest_step_ms") is not None:
        parts.append(f"fastest {step['fastest_step_ms']:.0f} ms")
    if step.get("load_average") is not None:
        parts.append(f"load average {step['load_average']:g} on {info['cpu'].get('cores')} cores")
    return "; ".join(parts)


# -------------------------------------------------------------- test results
def read_junit(path):
    """Counts and failures of a pytest --junitxml file, or None if there is none.

    Returns {'tests', 'failures', 'errors', 'skipped', 'seconds', 'failed': [(test, kind, message)]}
    where test reads like a pytest node id ('book/09_alexnet_keras_mnist.ipynb::Cell 7').
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        return {"tests": 0, "failures": 0, "errors": 1, "skipped": 0, "seconds": 0.0,
                "failed": [(str(path.name), "error", f"unreadable junit file: {e}")]}
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    out = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "seconds": 0.0, "failed": []}
    for suite in suites:
        for key in ("tests", "failures", "errors", "skipped"):
            out[key] += int(suite.get(key, 0))
        out["seconds"] += float(suite.get("time", 0))
        for case in suite.iter("testcase"):
            for kind in ("failure", "error"):
                for el in case.findall(kind):
                    message = _summary(el.get("message") or "", el.text or "")
                    out["failed"].append((_node_id(case), kind, message))
    return out


def read_all_junit(status_dir):
    """:func:`read_junit` of ``junit.xml`` and ``junit-timing.xml`` together (None if neither exists)."""
    parts = [j for j in (read_junit(Path(status_dir) / n) for n in ("junit.xml", "junit-timing.xml")) if j]
    if not parts:
        return None
    out = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "seconds": 0.0, "failed": []}
    for j in parts:
        for key in out:
            out[key] += j[key]
    return out


def nbval_wall_seconds(record):
    """Wall time of the nbval runs in ``notebooks.json``: the sum of its runs' wall times,
    or, for a record without them (one sequential run), the sum of the notebooks' times."""
    runs = record.get("runs")
    if runs:
        return sum(r["wall_seconds"] for r in runs)
    return sum(v["seconds"] for v in record["notebooks"].values())


# colour codes: raw, or as pytest's junit writer escapes the ESC character
_ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")


def _summary(message, text):
    """A failure on one line, colour codes removed: the first paragraph of the
    message, and for nbval (whose message is 'Notebook cell execution failed /
    Cell 7: Cell outputs differ / Input: <source> / Traceback: ...') what
    differed ("mismatch 'stdout'") or the exception's last line, taken from the
    full report (junit truncates the message attribute)."""
    message, text = _ANSI.sub("", message), _ANSI.sub("", text)
    out = []
    for line in (l.strip() for l in (message or text).splitlines()):
        if not line:
            if out:
                break
            continue
        if line.startswith("Input:") or re.match(r"^\[\+\d+ more lines", line):  # junit's truncation mark
            break
        out.append(line)
    for source in (text, message):
        lines = [l.strip() for l in source.splitlines()]
        if "Traceback:" not in lines:
            continue
        tb = [l for l in lines[lines.index("Traceback:") + 1 :] if l]
        detail = next((l for l in tb if l.startswith("mismatch")), None)
        detail = detail or next((l for l in reversed(tb) if re.match(r"^\w+(Error|Exception|Interrupt|Exit): ", l)), None)
        if detail:
            out.append("- " + detail)
            break
    return " ".join(out)


def _node_id(case):
    """'book.09_alexnet_keras_mnist.ipynb' + 'Cell 7' -> 'book/09_alexnet_keras_mnist.ipynb::Cell 7'."""
    classname, name = case.get("classname", ""), case.get("name", "")
    for suffix in (".ipynb",):
        if classname.endswith(suffix):
            return classname[: -len(suffix)].replace(".", "/") + suffix + "::" + name
    parts = classname.split(".")
    # tests.test_layers.TestRelu -> tests/test_layers.py::TestRelu
    for i in range(len(parts), 0, -1):
        if (ROOT / Path(*parts[:i])).with_suffix(".py").exists():
            return "/".join(parts[:i]) + ".py::" + "::".join(parts[i:] + [name])
    return f"{classname}::{name}" if classname else name


# --------------------------------------------------------------------- page
def pinned_versions():
    rows = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        name = re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0]
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        pin = line[len(name):] or "(unpinned)"
        rows.append((name, pin, installed))
    return rows


def _bound(c):
    """A claim's bounds as the reader sees its value: '≥ 97%' for a percentage, '≤ 0.5' otherwise."""
    show = (lambda b: f"{100 * b:g}%") if is_percent(c.get("text")) else (lambda b: f"{b:g}")
    parts = []
    if c.get("at_least") is not None:
        parts.append(f"≥ {show(c['at_least'])}")
    if c.get("at_most") is not None:
        parts.append(f"≤ {show(c['at_most'])}")
    if c.get("below") is not None:
        parts.append(f"< {show(c['below'])}")
    return ", ".join(parts) or "—"


# A claim is thin when its value is within 1 percentage point of a percentage bound,
# or within 10 % of the bound's size for any other claim (tools/seed_sweep.py uses the same rule).
THIN_POINTS = 1.0
THIN_RELATIVE = 0.10
SEED_SWEEP = ROOT / "records" / "seed_sweep.json"


def is_percent(text):
    """Whether a claim's glued text is a percentage ('97.8%')."""
    return bool(text) and str(text).strip().endswith("%")


def bound_margins(bounds, values, percent):
    """``(margins, verdict)``: per bound kind, the worst of ``values`` and its margin to the bound.

    ``bounds``: ``{"at_least": b, "at_most": b, "below": b}`` (missing or None: no such bound).
    A margin is positive inside the bound; for a percentage it is in points, otherwise in the
    claim's units.  ``normalized`` puts both on one scale for sorting: the margin as a fraction
    (points / 100) for a percentage, the margin relative to the bound's size otherwise.
    Verdict: FAILS, THIN, OK, or UNBOUNDED (no bound), or NO VALUES.
    """
    values = [v for v in values if v is not None]
    if not values:
        return {}, "NO VALUES"
    rank = {"UNBOUNDED": 0, "OK": 1, "THIN": 2, "FAILS": 3}
    out, verdict = {}, "UNBOUNDED"
    for kind in ("at_least", "at_most", "below"):
        bound = bounds.get(kind)
        if bound is None:
            continue
        worst = min(values) if kind == "at_least" else max(values)
        raw = worst - bound if kind == "at_least" else bound - worst
        failed = raw < 0 or (kind == "below" and raw == 0)
        if percent:
            margin, normalized = 100 * raw, raw
            thin = margin < THIN_POINTS
        else:
            margin = raw
            normalized = raw / abs(bound) if bound else raw
            thin = raw < THIN_RELATIVE * abs(bound) or raw == 0
        v = "FAILS" if failed else "THIN" if thin else "OK"
        out[kind] = {"bound": bound, "worst": worst, "margin": margin, "normalized": normalized, "verdict": v}
        if rank[v] > rank[verdict]:
            verdict = v
    return out, verdict


def _number(value, percent):
    return f"{100 * value:.2f}%" if percent else f"{value:.4g}"


def margin_text(margins, percent):
    """The thinnest margin, as the reader should see it: '+0.56 points' or '+0.0099 (0.4 % of the bound)'."""
    if not margins:
        return "—"
    m = min(margins.values(), key=lambda m: m["normalized"])
    if percent:
        return f"{m['margin']:+.2f} points"
    return f"{m['margin']:+.4g} ({100 * m['normalized']:.1f} % of the bound)"


def claims_margin_section(claims, sweep=None):
    """The page's table of every claim of this run with its margin to its bound, thinnest first."""
    lines = ["", "## Claims: margins to their bounds", ""]
    if not claims:
        return lines + ["No figures recorded: the notebooks have not been re-executed on this machine yet "
                        "(`_build/status/claims.jsonl` is written by the nbval run)."]
    sweep_claims = {}
    for name, chapter in ((sweep or {}).get("chapters") or {}).items():
        for claim_name, entry in (chapter.get("claims") or {}).items():
            sweep_claims[claim_name] = (chapter, entry)
    rows = []
    for c in claims:
        percent = is_percent(c.get("text"))
        bounds = {k: c.get(k) for k in ("at_least", "at_most", "below")}
        margins, verdict = bound_margins(bounds, [c.get("value")], percent)
        key = min((m["normalized"] for m in margins.values()), default=float("inf"))
        seeds = "—"
        if c["name"] in sweep_claims:
            chapter, entry = sweep_claims[c["name"]]
            vals = [v for v in entry.get("values", {}).values() if v is not None]
            if vals:
                sm, sv = bound_margins(bounds, vals, percent)
                seeds = (f"{_number(min(vals), percent)} to {_number(max(vals), percent)} over seeds "
                         f"{', '.join(sorted(entry['values']))} ({chapter.get('machine', '?')}); "
                         f"worst margin {margin_text(sm, percent)}" + (f", **{sv}**" if sv in ("THIN", "FAILS") else ""))
        rows.append((key, c, percent, margins, verdict, seeds))
    rows.sort(key=lambda r: r[0])
    thin = sum(1 for r in rows if r[4] in ("THIN", "FAILS"))
    lines += [
        f"Every figure this run asserted, with the distance of its value to its bound, thinnest first: "
        f"in percentage points for a percentage, otherwise in the claim's units and as a share of the bound. "
        f"THIN: within {THIN_POINTS:g} point, or within {100 * THIN_RELATIVE:.0f} % of the bound. "
        f"Keras takes another trajectory from the same seed on another CPU, so read this table after a run on "
        f"a new machine: **{thin}** of {len(rows)} claims are thin or failed on this one. "
        f"The last column is the range over other seeds from `records/seed_sweep.json` "
        f"(`tools/seed_sweep.py`), with the machine it ran on.",
        "",
        "| claim | notebook | value | bound | margin | verdict | other seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, c, percent, margins, verdict, seeds in rows:
        lines.append(f"| `{c['name']}` | {c.get('notebook') or '?'} | {c.get('text')} | {_bound(c)} | "
                     f"{margin_text(margins, percent)} | {verdict} | {seeds} |")
    return lines


def accessibility_section(status_dir):
    """The axe-core audit of the built site (tests/site/test_axe.py writes axe.json).  tools/test.sh
    builds and audits the site after this page is written, so the page shows the previous build's audit."""
    path = Path(status_dir) / "axe.json"
    lines = ["", "## Accessibility audit", ""]
    if not path.exists():
        return lines + ["Not run yet on this machine (`tests/site/test_axe.py` writes `_build/status/axe.json` "
                        "when the site is built and audited)."]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return lines + [f"`_build/status/axe.json` is not readable ({exc})."]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))
    counts = data.get("counts", {})
    lines.append(
        f"The audit of the previous site build ({when}; the site is built and audited after this page is "
        f"written): axe-core {data.get('axe_version', '?')}, {data.get('pages', '?')} pages, violated nodes by "
        f"impact: critical **{counts.get('critical', 0)}**, serious **{counts.get('serious', 0)}**, "
        f"moderate {counts.get('moderate', 0)}, minor {counts.get('minor', 0)} "
        f"(the test fails on any critical or serious one).")
    rules = data.get("rules") or {}
    if rules:
        lines += ["", "| rule | impact | nodes | pages | what it asks |", "|---|---|---:|---:|---|"]
        lines += [f"| {name} | {r.get('impact')} | {r.get('nodes')} | {r.get('pages')} | {r.get('help', '')} |"
                  for name, r in sorted(rules.items(), key=lambda kv: -(kv[1].get("nodes") or 0))]
    return lines


def read_sweep(path=SEED_SWEEP):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _budget(info):
    fast = info["cpu"].get("avx512f")
    return (BUDGET_FAST_S, "a fast AVX-512 machine") if fast else (BUDGET_SLOW_S, "the slower AVX2-only machine")


def _minutes(seconds):
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def page(status_dir, info, sweep_path=SEED_SWEEP):
    status_dir = Path(status_dir)
    cpu = info["cpu"]
    step = step_text(info)
    lines = [
        "# Status",
        "",
        "This page is generated by `tools/make_status.py` at the end of every test run "
        "(`bash tools/test.sh`, which CI runs), whether the run passed or failed: "
        "what the last run used, what failed and what it measured.",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on Python "
        f"{platform.python_version()} ({platform.machine()}).",
        "",
        "## Machine",
        "",
        f"- CPU: {cpu['model']}, {cpu.get('cores')} cores visible, "
        f"AVX-512 (avx512f): {'yes' if cpu.get('avx512f') else 'no'}",
        f"- Keras AlexNet training step (batch {STEP_BATCH}, 32×32×3, median of "
        f"{(info.get('step') or {}).get('steps', 5)} `train_on_batch` steps after 2 warm-up steps, "
        f"TensorFlow threads as in the chapters): **{step}**"
        + (f" ({step_detail(info)}; other work on the machine slows it)" if step_detail(info) else ""),
        "",
        f"For comparison: on the slower machine of the project's kind (AMD EPYC, AVX2 only, 2 cores) "
        f"this step took about {SLOW_MACHINE_STEP_MS} ms; Keras runs 3-4 times faster on an AVX-512 one.",
        "",
        "## Package versions",
        "",
        "| package | pinned | installed |",
        "|---|---|---|",
    ]
    lines += [f"| {n} | `{p}` | {v} |" for n, p, v in pinned_versions()]

    junit = read_all_junit(status_dir)
    lines += ["", "## Last test run", ""]
    if junit is None:
        lines.append("No test results: no test run on this machine yet, or the last one stopped before pytest "
                     "wrote `_build/status/junit.xml` (its output is in `_build/status/pytest.log`).")
    else:
        bad = junit["failures"] + junit["errors"]
        lines.append(
            f"{junit['tests']} tests (unit tests and notebook cells): "
            f"{junit['tests'] - bad - junit['skipped']} passed, {junit['failures']} failed, "
            f"{junit['errors']} errors, {junit['skipped']} skipped, in {_minutes(junit['seconds'])}."
        )
        if junit["failed"]:
            lines += ["", "What failed (test [failure or error]: the first lines of its message):", "", "```text"]
            for test, kind, message in junit["failed"]:
                text = f"{test} [{kind}]: {message}".replace("```", "'''")
                lines.append(text if len(text) <= 300 else text[:297] + "...")
            lines.append("```")

    notebooks = status_dir / "notebooks.json"
    claims_file = status_dir / "claims.jsonl"
    lines += ["", "## Notebooks", ""]
    if not notebooks.exists():
        lines.append("The notebooks have not been re-executed by nbval on this machine yet.")
    else:
        record = json.loads(notebooks.read_text())
        claims = [json.loads(l) for l in claims_file.read_text().splitlines() if l.strip()] if claims_file.exists() else []
        by_nb = {}
        for c in claims:
            by_nb.setdefault(c.get("notebook") or "?", []).append(c)
        total = nbval_wall_seconds(record)
        own = sum(v["seconds"] for v in record["notebooks"].values())
        budget, where = _budget(info)
        verdict = "within" if total <= budget else "OVER"
        how = ""
        if any(r.get("workers", 1) > 1 for r in record.get("runs", [])):
            how = (
                " wall time: " + ", then ".join(
                    f"{len(r['notebooks'])} notebooks {r['workers']} at a time in {r['wall_seconds']:.0f} s"
                    if r.get("workers", 1) > 1 else f"{len(r['notebooks'])} alone in {r['wall_seconds']:.0f} s"
                    for r in record["runs"]
                ) + f" (the notebooks' own times below add up to {own:.0f} s)"
            )
        lines += [
            f"Last nbval run finished {record['finished']}; all notebooks together took "
            f"**{_minutes(total)}** ({total:.0f} s{';' if how else ''}{how}) on this machine "
            f"(Keras AlexNet step {step}); "
            f"{len(record['notebooks'])} of the {len(list((ROOT / 'book').glob('*.ipynb')))} notebooks in `book/` ran.",
            "",
            f"Budget (issue 9): the whole book in at most {_minutes(BUDGET_SLOW_S)} on the slower "
            f"AVX2-only machine (Keras step ≈ {SLOW_MACHINE_STEP_MS} ms), about 7-8 min on a fast AVX-512 one. "
            f"This machine is counted as {where}: budget {_minutes(budget)}, this run is **{verdict}** it "
            f"({100 * total / budget:.0f} %).",
            "",
            f"| notebook | outcome | nbval time (s), Keras step {step} | share of the {budget // 60} min budget "
            f"| figures asserted |",
            "|---|---|---|---|---|",
        ]
        for path, nb in record["notebooks"].items():
            name = Path(path).name
            figures = "; ".join(
                f"`{c['name']}` = {c['text']} ({_bound(c)}{'' if c['passed'] else ', FAILED'})"
                for c in by_nb.get(name, [])
            )
            lines.append(f"| {name} | {nb['outcome']} | {nb['seconds']:.1f} | {100 * nb['seconds'] / budget:.0f} % "
                         f"| {figures or '—'} |")
    claims = [json.loads(l) for l in claims_file.read_text().splitlines() if l.strip()] if claims_file.exists() else []
    lines += claims_margin_section(claims, read_sweep(sweep_path))
    lines += accessibility_section(status_dir)
    lines += translations_section(status_dir)
    return "\n".join(lines) + "\n"


# --- Japanese edition (issue 12): the per-page catalog report of tools/update_translations.py ---


def translations_section(status_dir):
    """Table of translated/untranslated/fuzzy messages per page, from translations.json if present."""
    path = Path(status_dir) / "translations.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    t = data["totals"]
    lines = ["", "## Japanese edition", "",
             f"Catalogs in `locale/{data['language']}/LC_MESSAGES/` (`tools/update_translations.py`): "
             f"{t['translated']} of {t['messages']} messages translated, **{t['untranslated']} untranslated**, "
             f"**{t['fuzzy']} fuzzy** (English changed since translation). Both show in English on the "
             f"Japanese site (`_build/html/ja/`). Obsolete entries (`#~`, English that is gone): "
             f"**{t.get('obsolete', 0)}** (the update script purges them)."]
    termbase = ROOT / "locale" / data["language"] / "termbase.yml"
    if termbase.exists():
        concepts = termbase.read_text(encoding="utf-8").count("\n- en:")
        lines += ["", f"Terminology: {concepts} concepts in `{termbase.relative_to(ROOT)}`, one Japanese term each; "
                      "`tests/book/test_termbase.py` fails on any avoided variant in any catalog (its result is "
                      "among the tests above)."]
    lines += ["", "| page | messages | translated | untranslated | fuzzy | obsolete |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {p} | {c['messages']} | {c['translated']} | {c['untranslated']} | {c['fuzzy']} "
              f"| {c.get('obsolete', '—')} |"
              for p, c in data["pages"].items()]
    return lines


def refresh_translations_report(status_dir):
    """Recount the catalogs (reads locale/ only, no build) so the section is current."""
    if Path(status_dir) != STATUS or not (ROOT / "locale").is_dir():
        return
    try:
        sys.path.insert(0, str(ROOT / "tools"))
        import update_translations
        update_translations.report()
    except Exception as exc:  # the report is informative; the status page must still be written
        print(f"translation report not refreshed: {exc}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-measure", action="store_true", help="do not time the Keras step (reuse machine.json)")
    ap.add_argument("--status-dir", type=Path, default=STATUS)
    ap.add_argument("--out", type=Path, default=PAGE)
    args = ap.parse_args(argv)
    info = machine(args.status_dir, measure=not args.no_measure)
    cpu = info["cpu"]
    print(f"CPU: {cpu['model']} ({cpu.get('cores')} cores, avx512f: {'yes' if cpu.get('avx512f') else 'no'})")
    detail = step_detail(info)
    print(f"Keras AlexNet step (batch {STEP_BATCH}): {step_text(info)}" + (f" ({detail})" if detail else ""))
    refresh_translations_report(args.status_dir)
    args.out.write_text(page(args.status_dir, info))
    junit = read_all_junit(args.status_dir)
    if junit and junit["failed"]:
        print(f"{len(junit['failed'])} failed (listed on the page):")
        for test, kind, message in junit["failed"]:
            print(f"  {test} [{kind}]: {message[:150]}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
