"""Accessibility audit of every page of both sites with axe-core, in headless Chromium.

axe-core is installed from npm at the exact version tools/fetch_axe.sh pins
(into .cache/npm-axe, never committed) and injected into each page over the DevTools
protocol (tests/site/cdp.py); nothing is fetched from a CDN.  Every page of
_build/html and of its Japanese edition _build/html/ja is served on 127.0.0.1 and
audited with axe's default rules (WCAG 2.x A/AA and best practices).

The report goes to _build/status/axe.json (the status page shows it):

    {"axe_version": "4.11.0", "pages": 46, "redirects": ["index.html", "ja/index.html"],
     "counts": {"critical": 0, "serious": 0, "moderate": 3, "minor": 0},   # violated nodes by impact
     "rules": {"region": {"impact": "moderate", "help": "...", "nodes": 3, "pages": 2}, ...},
     "by_page": {"book/02_convolution.html": {"moderate": 1}, ...}}

The test fails on any violation of impact "serious" or "critical".
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, find_chromium, serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
AXE = ROOT / ".cache" / "npm-axe" / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "_build" / "status" / "axe.json"
IMPACTS = ("critical", "serious", "moderate", "minor")


def site_pages():
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts)


@pytest.fixture(scope="module")
def served():
    if not (SITE / "index.html").is_file():
        pytest.skip("the book is not built: run tools/build_book.sh first")
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed ({AXE}): run tools/fetch_axe.sh", pytrace=False)
    chromium = find_chromium()
    with serve(SITE) as base:
        yield chromium, base


REDIRECT = re.compile(r"<meta[^>]+http-equiv=[\"']?refresh", re.IGNORECASE)


def is_redirect(page):
    """A redirect stub (index.html): its target is audited as a page of its own.  Read from the
    file, not the loaded page: a stub navigates away at once, and asking the page itself raced
    with that navigation ("Inspected target navigated or closed", CI run of 2026-12-07)."""
    return bool(REDIRECT.search((SITE / page).read_text(encoding="utf-8", errors="replace")))


def audit(browser, url, source):
    browser.open(url)
    browser.js("document.fonts ? document.fonts.ready.then(() => true) : true")
    if not browser.js("typeof axe !== 'undefined'"):
        browser.js(source)
    return browser.js("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
                      "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})))")


def audit_all(chromium, base, pages, source):
    """{page: violations or None} for ``pages``, with one Chromium."""
    with Browser(chromium, timeout=180) as browser:
        return {page: None if is_redirect(page) else audit(browser, base + page, source) for page in pages}


def test_no_serious_or_critical_accessibility_violation_on_any_page(served):
    chromium, base = served
    source = AXE.read_text(encoding="utf-8")
    pages = site_pages()
    assert len(pages) > 20, f"only {len(pages)} pages built"
    # two browsers, each auditing every other page: axe is CPU-bound and the machine has two cores
    with ThreadPoolExecutor(2) as pool:
        results = {}
        for part in pool.map(lambda k: audit_all(chromium, base, pages[k::2], source), range(2)):
            results.update(part)
    redirects = sorted(p for p, r in results.items() if r is None)
    counts = dict.fromkeys(IMPACTS, 0)
    rules, by_page, bad = {}, {}, []
    for page in pages:
        for v in results[page] or []:
            impact = v["impact"] or "minor"
            counts[impact] += len(v["nodes"])
            rule = rules.setdefault(v["id"], {"impact": impact, "help": v["help"], "nodes": 0, "pages": 0})
            rule["nodes"] += len(v["nodes"])
            rule["pages"] += 1
            by_page.setdefault(page, {}).setdefault(impact, 0)
            by_page[page][impact] += len(v["nodes"])
            if impact in ("serious", "critical"):
                bad.append(f"{page}: {v['id']} ({impact}) {v['help']}: {v['nodes'][:3]}")
    version = json.loads((AXE.parent / "package.json").read_text())["version"]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"axe_version": version, "pages": len(pages) - len(redirects), "redirects": redirects,
                                  "counts": counts,
                                  "rules": rules, "by_page": by_page}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert not bad, f"{len(bad)} serious/critical axe violations on {len(pages)} pages:\n" + "\n".join(bad[:40])
