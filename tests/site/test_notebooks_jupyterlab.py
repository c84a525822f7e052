"""The reader's notebooks as JupyterLab shows them: rendered prose, no MyST left over.

The book's chapters (book/*.ipynb, MyST) are converted into a reader's edition
(``python -m cnnbook.reader --lang en|ja OUTDIR``; tools/build_book.sh writes
_build/notebooks/en and _build/notebooks/ja) that jupyterlab-myst renders.  This test
starts JupyterLab as the README does (``bash tools/lab.sh [ja] [FOLDER] --no-browser
--port=... --ServerApp.port_retries=0 --IdentityProvider.token=... ...``, with its own config,
runtime and workspaces folders, and for English its own settings folder: lab.sh ja sets
one), opens every notebook in one headless Chromium page (tests/site/cdp.py) without
reloading it, and reads the rendered DOM of every Markdown cell:

* no MyST markup shows as text (``{glue``, ``{doc}``, ``{ref}``, ``{eval}``, ``:label:``,
  ``:class:``, ``(label)=`` targets, ``:::``/```` ``` ```` fences, ``$$``, front matter;
  code and math left out), and no role jupyterlab-myst cannot render is in the cell
  (it shows ``{glue:}`name``` as "name" and ``{doc}`x``` as a link to a file "x");
* every glued value (the cell's ``metadata.user_expressions``, which jupyterlab-myst
  shows for ``{eval}``) appears in that cell's rendered text;
* every ``:::{admonition} Exercise N`` / ``演習 N`` is an admonition whose title starts
  with that label and whose body shows; every dropdown (the solutions) is a closed
  ``<details>`` whose body is not visible;
* math is typeset (jupyterlab-myst uses KaTeX; JupyterLab's own renderer MathJax) at
  least as often as the cell has ``$...$``/``$$...$$``;
* every local link points to a file of the served folder;
* Japanese notebooks: the prose is mostly Japanese script (JA_SHARE_AT_LEAST), and
  JupyterLab's menus are Japanese.

One assignment of the Japanese nbgrader course, as ``nbgrader generate_assignment``
releases it to students, is checked the same way (``bash tools/lab.sh ja FOLDER``).
Two tests show that the checker fails when it should: with jupyterlab-myst disabled
(labconfig/page_config.json) chapter 4 reports raw markup, unshown values, exercises and
solutions, and the MyST source book/04_pooling.ipynb (no reader conversion) reports
``{glue``/``{doc}``.

JupyterLab's page exposes ``window.jupyterapp`` (LabApp.expose_app_in_browser, in the
temporary config folder, not on the command line); each notebook is opened with
``docmanager:open`` and closed unsaved, the next one opening in the background while
Python checks the current one.  No kernel is started: the checks are about rendering
(the Notebook widget factory is told not to prefer a kernel; the test asserts that no
session exists).  Every cell is in the DOM: the settings' defaults (overrides.json in a
temporary app settings folder) set windowingMode "none", and the test asserts it per
notebook.  Screenshots of chapter 4 in both languages and of the course assignment,
scrolled to the first exercise and to the first glued value, go to _build/screenshots/
(jupyterlab-*.png) for a human to look at.

Without _build/notebooks (run tools/build_book.sh) or chromium the tests are skipped,
except under CI=true, where they fail.
"""

from __future__ import annotations

import ast
import collections
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
READER = ROOT / "_build" / "notebooks"
SCREENSHOTS = ROOT / "_build" / "screenshots"
IN_CI = os.environ.get("CI", "").lower() == "true"
STARTUP_S, RENDER_S = 90, 60
SCREENSHOT_CHAPTER = "04_pooling"
COURSE_ASSIGNMENT = "04_pooling"
# The share of Japanese script (kana, kanji) among the letters of a Japanese notebook's
# rendered prose (code and math left out).  Measured on the reader's edition of 7 Dec 2026:
# 0.84 for the worst chapter (08_chainer_to_keras: Chainer and Keras names), 0.88-0.95 for the
# others, 0.92 for the course's 04_pooling; an untranslated cell or chapter pulls it towards 0.
JA_SHARE_AT_LEAST = 0.70

# MyST that must not reach the reader as text: (what the failure says, pattern)
RAW_MARKUP = [
    ("{glue", re.compile(r"\{glue")),
    ("{doc}", re.compile(r"\{doc\}")),
    ("{ref}", re.compile(r"\{(?:ref|numref|eq)\}")),
    ("{exercise}", re.compile(r"\{exercise\}")),
    ("{solution}", re.compile(r"\{solution\}")),
    ("{eval}", re.compile(r"\{eval\}")),
    ("{term}", re.compile(r"\{term\}")),
    ("{directive}", re.compile(r"\{(?:note|tip|warning|important|admonition|dropdown|figure|math|cite|code-cell|index)\}")),
    (":label:", re.compile(r":label:")),
    (":class:", re.compile(r":class:")),
    ("(label)= target", re.compile(r"^[ \t]*\([\w:.\-]+\)=[ \t]*$", re.M)),
    ("``` fence", re.compile(r"```")),
    ("::: fence", re.compile(r":::")),
    ("$$", re.compile(r"\$\$")),
]
# Roles jupyterlab-myst does not render as the website does: it shows a {glue} role as the
# glued name (a bare <span>), a {doc}/{ref} as a link to a file named after the label.
UNRENDERED_ROLE = re.compile(r"\{(?P<role>glue(?::\w*)?|doc|ref|numref|eq|term|cite(?::\w+)?)\}`(?P<content>[^`]*)`")
DIRECTIVE = re.compile(r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w-]+)\}(?P<title>[^\n]*)\n(?P<options>(?:[ \t]*:[\w-]+:[^\n]*\n)*)", re.M)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*$", re.S | re.M)
EXERCISE_LABEL = re.compile(r"^(?:Exercise|演習)[ \t]*\d+")
CODE = re.compile(r"^(`{3,}|~{3,})(?!\{).*?^\1[ \t]*$|``.+?``|`[^`\n]+`", re.M | re.S)
MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\$)", re.S)

# ------------------------------------------------------------------------------------ the page

# Collects what a reader sees in every cell of the notebook at ``path``: opens it in the
# running JupyterLab (without a kernel), waits until every Markdown cell is rendered and the
# DOM stops changing, and returns, per cell, its rendered text (all of it, and the visible part;
# code and math left out), the number of typeset formulas, the admonition titles and the
# <details> elements.
COLLECT_JS = r"""
async (path, timeoutMs, next) => {
  const tOpen = performance.now();
  const app = window.jupyterapp;
  await app.restored;
  const factory = app.docRegistry.getWidgetFactory('Notebook');
  if (factory._preferKernel !== undefined) factory._preferKernel = false;  // no kernel: we only read
  const open = (p, activate) => app.commands.execute('docmanager:open', {path: p, factory: 'Notebook', options: {activate}});
  const opening = window.cnnOpening = window.cnnOpening || {};
  const w = await (opening[path] || open(path, true));
  delete opening[path];
  await w.context.ready;
  app.shell.activateById(w.id);
  await w.revealed;
  const nb = w.content;
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const rendered = node => node.querySelector('.myst') || node.querySelector('.jp-MarkdownOutput');
  const SKIP = 'code, pre, script, style, .katex, mjx-container, .MathJax, .jp-InputArea-editor, .jp-InputPrompt, .jp-Toolbar';
  const BLOCK = 'p, li, h1, h2, h3, h4, h5, h6, div, aside, details, summary, td, th, dt, dd, blockquote, figcaption';
  const texts = root => {
    let all = '', visible = '', block = null;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const e = n.parentElement;
      if (!e || e.closest(SKIP)) continue;
      const b = e.closest(BLOCK);
      const data = (block !== null && b !== block ? '\n' : '') + n.data;  // a new paragraph, title, item ...
      block = b;
      all += data;
      if (e.checkVisibility({checkVisibilityCSS: true, opacityProperty: true})) visible += data;
    }
    return [all, visible];
  };
  const t0 = performance.now(), opened = t0 - tOpen;
  let last = null, stable = 0, ready = false;
  while (performance.now() - t0 < timeoutMs) {
    const md = nb.widgets.filter(c => c.model.type === 'markdown');
    ready = md.every(c => !c.model.sharedModel.getSource().trim() || (rendered(c.node) && rendered(c.node).textContent.trim()));
    const sig = md.map(c => { const r = rendered(c.node); return r ? r.innerHTML.length : -1; }).join(',');
    stable = (ready && sig === last) ? stable + 1 : 0;
    last = sig;
    if (stable >= 3) break;  // unchanged for 3 polls (~0.4 s) once every cell has rendered
    await sleep(120);
  }
  const rendering = performance.now() - t0;
  const cells = nb.widgets.map((c, i) => {
    const out = {type: c.model.type};
    if (out.type !== 'markdown') return out;
    const r = rendered(c.node);
    out.found = !!r;
    if (!r) return out;
    out.myst = r.classList.contains('myst');
    [out.all, out.visible] = texts(r);
    out.math = r.querySelectorAll('.katex, mjx-container').length;
    out.titles = Array.from(r.querySelectorAll('.myst-admonition-header-text, .myst-exercise-title, .admonition-title')).map(t => {
      const box = t.closest('aside, details, .admonition');
      const d = t.closest('details');
      const body = box && box.querySelector('.myst-admonition-body, .myst-exercise-body');
      return {text: t.textContent, collapsed: !!(d && !d.open),
              bodyVisible: !!(body && body.checkVisibility({checkVisibilityCSS: true}) && body.getBoundingClientRect().height > 0)};
    });
    out.details = Array.from(r.querySelectorAll('details')).map(d => {
      const s = d.querySelector('summary');
      const body = Array.from(d.children).filter(e => e.tagName !== 'SUMMARY');
      return {summary: s ? s.textContent : '', open: d.open,
              bodyVisible: body.some(e => e.checkVisibility({checkVisibilityCSS: true}) && e.getBoundingClientRect().height > 0)};
    });
    // jupyterlab-myst shows an inline expression's result as a bare <span> holding the text
    out.inline = Array.from(r.querySelectorAll('span')).filter(e => !e.attributes.length && e.childNodes.length === 1
      && e.firstChild.nodeType === Node.TEXT_NODE && !e.closest(SKIP)).map(e => e.textContent);
    out.links = Array.from(r.querySelectorAll('a[href]')).map(a => ({href: a.getAttribute('href'), text: a.textContent}));
    return out;
  });
  // the next notebook opens in the background (a tab not shown) while Python checks this one
  if (next) opening[next] = open(next, false);
  return {id: w.id, ready, stable: stable >= 3, ms: [opened, rendering, performance.now() - t0 - rendering].map(Math.round),
          windowing: nb.notebookConfig.windowingMode, cells};
}
"""




class Lab:
    """``bash tools/lab.sh [ja] [FOLDER] --no-browser ...`` on a free port, with its own
    JupyterLab config, runtime and workspaces folders (and, for English, settings: lab.sh ja
    sets its own), and one Chromium page on it."""

    def __init__(self, tmp: Path, lang: str, folder: Path | None = None, disable_myst: bool = False):
        self.tmp, self.lang, self.folder, self.disable_myst = tmp, lang, folder, disable_myst

    def start(self, browser: Browser):
        tmp = self.tmp
        cfg, appsettings = tmp / "config", tmp / "app-settings"
        (cfg / "labconfig").mkdir(parents=True)
        appsettings.mkdir()
        # The page exposes `window.jupyterapp` (to open notebooks without reloading); the
        # settings' defaults: every cell in the DOM (no windowing), no autosave into the
        # reader's folder, no news toast over the screenshots.
        (cfg / "jupyter_lab_config.json").write_text(json.dumps(
            {"LabApp": {"expose_app_in_browser": True, "app_settings_dir": str(appsettings)}}), encoding="utf-8")
        (appsettings / "overrides.json").write_text(json.dumps({
            "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
            "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
            "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
        }), encoding="utf-8")
        if self.disable_myst:
            (cfg / "labconfig" / "page_config.json").write_text(
                json.dumps({"disabledExtensions": {"jupyterlab-myst": True}}), encoding="utf-8")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.token = secrets.token_hex(16)
        env = dict(os.environ, PY=sys.executable, JUPYTER_CONFIG_DIR=str(cfg), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
                   JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"))
        if self.lang == "en":
            env["JUPYTERLAB_SETTINGS_DIR"] = str(tmp / "settings")
        args = ["bash", "tools/lab.sh"] + (["ja"] if self.lang == "ja" else []) + ([str(self.folder)] if self.folder else [])
        args += ["--no-browser", f"--port={self.port}", "--ServerApp.port_retries=0",
                 f"--IdentityProvider.token={self.token}",
                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        args += ["--allow-root"] if os.geteuid() == 0 else []
        self.log = open(tmp / "lab.log", "wb")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"

        def up():
            try:
                return self.api("/api/status") is not None
            except OSError:
                if self.proc.poll() is not None:
                    pytest.fail(f"lab.sh exited ({self.proc.returncode}):\n" + self.log_tail(), pytrace=False)
                return False

        wait_for(up, STARTUP_S, "jupyter lab (tools/lab.sh) to answer")
        self.browser = browser
        browser.open(f"{self.base}/lab?token={self.token}")
        wait_for(lambda: browser.js("!!(window.jupyterapp && document.querySelector('.lm-MenuBar-itemLabel'))"),
                 STARTUP_S, "JupyterLab's page to start (window.jupyterapp and its menu bar)")
        browser.js("window.jupyterapp.restored")
        return self

    def log_tail(self):
        return (self.tmp / "lab.log").read_text(errors="replace")[-3000:]

    def api(self, path, method="GET"):
        req = urllib.request.Request(self.base + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            body = r.read()
        return json.loads(body) if body else {}

    def collect(self, path: str, next: str | None = None) -> dict:
        """Open ``path`` (relative to the served folder) and read its rendered cells; start opening ``next``."""
        return self.browser.js(f"({COLLECT_JS})({json.dumps(path)}, {RENDER_S * 1000}, {json.dumps(next)})")

    def close(self, page: dict):
        """Close the notebook without saving (nothing the test does changes it; jupyterlab-myst marks it changed)."""
        self.browser.js(f"(() => {{ const w = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === {json.dumps(page['id'])});"
                        " if (w) { w.context.model.dirty = false; w.dispose(); } })()")

    def stop(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


# ------------------------------------------------------------------------------------ the checker


def first_words(source: str, n: int = 8) -> str:
    words = " ".join(source.split()).split(" ")
    text = " ".join(words[:n])
    return text[:80] + ("…" if len(words) > n or len(text) > 80 else "")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def glued_values(cell: dict) -> list[str]:
    """The ``text/plain`` results stored for the cell's inline expressions, without Python's quotes."""
    values = []
    for expr in cell.get("metadata", {}).get("user_expressions", []) or []:
        plain = ((expr.get("result") or {}).get("data") or {}).get("text/plain")
        if plain is None:
            continue
        plain = "".join(plain) if isinstance(plain, list) else plain
        try:
            value = ast.literal_eval(plain)
            plain = value if isinstance(value, str) else plain
        except (ValueError, SyntaxError):
            pass
        values.append(plain)
    return values


def source_of(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def math_spans(source: str) -> int:
    return len(MATH.findall(CODE.sub(" ", source)))


def _is_dropdown(m: re.Match) -> bool:
    return m.group("name") == "dropdown" or bool(re.search(r":class:[^\n]*\bdropdown\b", m.group("options")))


def dropdowns(source: str) -> int:
    """How many collapsed admonitions (the solutions) the cell's MyST asks for."""
    return sum(_is_dropdown(m) for m in DIRECTIVE.finditer(source))


def exercises(source: str) -> list[str]:
    """The labels (``Exercise 11``, ``演習 11``) of the cell's exercise admonitions (not the collapsed solutions)."""
    labels = []
    for m in DIRECTIVE.finditer(source):
        label = EXERCISE_LABEL.match(m.group("title").strip())
        if m.group("name") == "admonition" and label and not _is_dropdown(m):
            labels.append(label.group(0))
    return labels


def japanese_share(text: str) -> tuple[int, int]:
    """(Japanese-script characters, letters) in ``text``: kana, CJK ideographs and the long-vowel mark."""
    letters = japanese = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            o = ord(ch)
            if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF \
                    or 0xF900 <= o <= 0xFAFF or 0xFF66 <= o <= 0xFF9F:
                japanese += 1
    return japanese, letters


def broken_link(href: str, folder: Path | None) -> str | None:
    """The file a local link points to, if it does not exist under ``folder`` (the served folder)."""
    url = urllib.parse.urlsplit(href)
    if url.scheme not in ("", "http", "https") or (url.netloc and not url.netloc.startswith("127.0.0.1")):
        return None
    path = urllib.parse.unquote(url.path)
    for prefix in ("/files/", "/lab/tree/", "/tree/"):
        if path.startswith(prefix):
            path = path[len(prefix):]
            break
    else:
        if url.netloc or path.startswith("/") or not path:
            return None
    if folder is None or (folder / path).exists():
        return None
    return path


def check(name: str, notebook: dict, page: dict, folder: Path | None = None, stats: dict | None = None) -> list[str]:
    """What is wrong with the rendered notebook ``name``: one line per problem (empty: none).

    ``notebook`` is the .ipynb's JSON, ``page`` what COLLECT_JS read from JupyterLab's DOM,
    ``folder`` the folder JupyterLab serves (for the links); ``stats`` (if given) counts what was checked.
    """
    problems = []
    stats = {} if stats is None else stats
    for key in ("markdown cells", "glued values", "exercises", "dropdowns", "formulas", "links"):
        stats.setdefault(key, 0)
    cells = notebook["cells"]
    if not page.get("ready") or not page.get("stable"):
        problems.append(f"{name}: the Markdown cells were not all rendered (or kept changing) after {RENDER_S} s")
    if len(page["cells"]) != len(cells):
        return problems + [f"{name}: JupyterLab shows {len(page['cells'])} cells, the notebook has {len(cells)}"]
    for i, (cell, seen) in enumerate(zip(cells, page["cells"])):
        if cell["cell_type"] != "markdown":
            continue
        source = source_of(cell)
        where = f"{name}, cell {i} «{first_words(source)}»"
        if not seen.get("found"):
            if source.strip():
                problems.append(f"{where}: not rendered (no rendered Markdown in the cell)")
            continue
        text = seen["all"]
        stats["markdown cells"] += 1
        stats["links"] += len(seen.get("links", []))
        for what, pattern in RAW_MARKUP:
            m = pattern.search(text)
            if m:
                snippet = text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
                problems.append(f"{where}: raw markup {what} shows as text: …{snippet}…")
        rendered_text = _norm(text)
        front = FRONT_MATTER.match(source)
        for key in re.findall(r"^[ \t]*([\w-]+):", front.group(1), re.M) if front else []:
            if f"{key}:" in text:
                problems.append(f"{where}: the front matter shows as text ({key}:)")
        for m in UNRENDERED_ROLE.finditer(source):
            role, content = m.group("role"), m.group("content")
            shown = f"shows as «{content}»" if _norm(content) and _norm(content) in rendered_text else "is not rendered"
            problems.append(f"{where}: raw markup {{{role.split(':')[0]}: {m.group(0)} {shown} (jupyterlab-myst does not render it)")
        for link in seen.get("links", []):
            missing = broken_link(link["href"], folder)
            if missing:
                problems.append(f"{where}: the link «{_norm(link['text'])[:40]}» points to {missing}, which does not exist")
        inline = collections.Counter(_norm(t) for t in seen.get("inline", []))
        for value, n in collections.Counter(_norm(v) for v in glued_values(cell)).items():
            stats["glued values"] += n
            if value not in rendered_text:
                problems.append(f"{where}: the glued value {value!r} (user_expressions) is not in the rendered text")
            elif inline[value] < n:
                problems.append(f"{where}: the glued value {value!r} (user_expressions) is in the text but not "
                                f"{n} time(s) as an inline expression's result")
        titles = seen.get("titles", [])
        for label in exercises(source):
            stats["exercises"] += 1
            label = _norm(label)
            shown = [t for t in titles if _norm(t["text"]).startswith(label)]
            if not shown:
                problems.append(f"{where}: exercise {label!r} is not rendered as an admonition titled so "
                                f"(titles: {[_norm(t['text']) for t in titles]})")
            elif not any(not t["collapsed"] and t["bodyVisible"] for t in shown):
                problems.append(f"{where}: exercise {label!r} is collapsed or its body is not visible")
        wanted = dropdowns(source)
        stats["dropdowns"] += wanted
        details = seen.get("details", [])
        if len(details) < wanted:
            problems.append(f"{where}: {wanted} dropdown(s) (solutions) in the source, {len(details)} <details> rendered")
        for d in details:
            if d["open"] or d["bodyVisible"]:
                problems.append(f"{where}: the dropdown «{_norm(d['summary'])[:40]}» is open: its body is visible")
        spans = math_spans(source)
        stats["formulas"] += spans
        if seen.get("math", 0) < spans:
            problems.append(f"{where}: {spans} formula(s) in the source, {seen.get('math', 0)} typeset")
    return problems


def japanese_text(notebook: dict, page: dict) -> str:
    return "\n".join(seen.get("visible", "") for cell, seen in zip(notebook["cells"], page["cells"])
                     if cell["cell_type"] == "markdown")


# ------------------------------------------------------------------------------------ fixtures


def _missing(what):
    if IN_CI:
        pytest.fail(what, pytrace=False)
    pytest.skip(what)


def _chapters(lang):
    folder = READER / lang
    return sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []


def _params():
    params = []
    for lang in ("en", "ja"):
        names = _chapters(lang) or ["(missing)"]
        params += [pytest.param(lang, n, id=f"{lang}-{Path(n).stem}") for n in names]
    return params


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _missing("chromium is not installed: run tools/install_chromium.sh")
    with Browser(chromium, timeout=180) as b:
        b.send("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
        yield b


class Labs:
    """One JupyterLab at a time, kept while the tests ask for the same one."""

    def __init__(self, tmp_factory, browser):
        self.tmp_factory, self.browser, self.key, self.lab = tmp_factory, browser, None, None
        self.seconds, self.t0 = {}, time.monotonic()

    def get(self, key, **kw):
        if self.key != key:
            self.stop()
            t0 = time.monotonic()
            self.lab = Lab(self.tmp_factory.mktemp(f"lab-{key}"), **kw).start(self.browser)
            self.key = key
            self.seconds[f"{key} start"] = round(time.monotonic() - t0, 1)
        return self.lab

    def stop(self):
        if self.lab is not None:
            self.lab.stop()
        self.lab, self.key = None, None


@pytest.fixture(scope="module")
def labs(tmp_path_factory, browser):
    pool = Labs(tmp_path_factory, browser)
    t0 = time.monotonic()
    yield pool
    pool.stop()
    pool.seconds["total"] = round(time.monotonic() - t0, 1)
    print(f"\nJupyterLab servers (s): {pool.seconds}\nper notebook (s, of which rendering): {TIMINGS}"
          f"\nJapanese shares: {SHARES}\nchecked: {STATS}")


def open_checked(lab: Lab, path: str, timings: dict | None = None, lang: str = "", next: str | None = None) -> dict:
    t0 = time.monotonic()
    page = lab.collect(path, next)
    if timings is not None:
        timings[f"{lang} {path}"] = (round(time.monotonic() - t0, 1), *[round(ms / 1000, 1) for ms in page["ms"]])
    assert page["windowing"] == "none", (
        f"{path}: the notebook's windowingMode is {page['windowing']!r}: cells outside the viewport would not be rendered")
    sessions = lab.api("/api/sessions")
    assert not sessions, f"{path}: a kernel was started ({sessions}); the test opens notebooks without one"
    return page


def screenshot_at(lab: Lab, path: Path, selector_js: str):
    """Scroll the notebook so the element ``selector_js`` (a JS expression) is near the top, then capture the window."""
    lab.browser.js(f"(async () => {{ const e = {selector_js}; if (e) e.scrollIntoView({{block: 'start'}});"
                   " const s = e && e.closest('.jp-WindowedPanel-outer'); if (s) s.scrollTop -= 60;"
                   " for (let i = 0; i < 3; i++) await new Promise(r => requestAnimationFrame(r)); })()")
    time.sleep(0.3)
    lab.browser.screenshot(path)
    return path


def _screenshots(lab: Lab, page: dict, notebook: dict, stem: str):
    """The notebook scrolled to its first exercise (STEM.png) and to its first glued value (STEM-glue.png)."""
    root = f"document.getElementById({json.dumps(page['id'])})"
    exercise = (f"Array.from({root}.querySelectorAll('.myst-admonition-header-text, h1, h2, h3, h4, p > strong'))"
                ".find(t => /^(Exercise|演習)/.test(t.textContent.trim()))")
    shots = [screenshot_at(lab, SCREENSHOTS / f"{stem}.png", exercise)]
    glued = next((i for i, c in enumerate(notebook["cells"]) if glued_values(c)), None)
    if glued is not None:
        shots.append(screenshot_at(lab, SCREENSHOTS / f"{stem}-glue.png",
                                   f"{root}.querySelectorAll('.jp-Notebook .jp-Cell')[{glued}]"))
    return shots


# ------------------------------------------------------------------------------------ tests

TIMINGS: dict = {}  # notebook: seconds to open and read it (total; in the page: open, render, read the DOM)
SHARES: dict = {}   # Japanese notebook: share of Japanese script among the letters of its prose
STATS: dict = {}    # edition: how many cells, glued values, exercises, ... were checked


@pytest.mark.parametrize("lang,name", _params())
def test_reader_notebook_renders_in_jupyterlab(labs, lang, name):
    if name == "(missing)":
        _missing(f"no reader's edition in {READER / lang}: run tools/build_book.sh (python -m cnnbook.reader --lang {lang})")
    lab = labs.get(lang, lang=lang)
    notebook = json.loads((READER / lang / name).read_text(encoding="utf-8"))
    names = _chapters(lang)
    following = names[names.index(name) + 1] if names.index(name) + 1 < len(names) else None
    if Path(name).stem == SCREENSHOT_CHAPTER:
        following = None  # no other tab in the screenshots
    page = open_checked(lab, name, TIMINGS, lang, following)
    stats = {}
    problems = check(f"{lang}/{name}", notebook, page, READER / lang, stats)
    for key, n in stats.items():
        STATS.setdefault(lang, {}).setdefault(key, 0)
        STATS[lang][key] += n
    if Path(name).stem == SCREENSHOT_CHAPTER:  # this chapter has every kind of thing the checker looks for
        assert all(stats.values()), f"{lang}/{name}: the checker found nothing to check of some kind: {stats}"
    if lang == "ja":
        jp, letters = japanese_share(japanese_text(notebook, page))
        share = jp / max(letters, 1)
        SHARES[name] = round(share, 3)
        if share < JA_SHARE_AT_LEAST:
            problems.append(f"ja/{name}: only {share:.0%} of the rendered prose's letters are Japanese script "
                            f"({jp} of {letters}); expected at least {JA_SHARE_AT_LEAST:.0%}")
    if Path(name).stem == SCREENSHOT_CHAPTER:
        _screenshots(lab, page, notebook, f"jupyterlab-{lang}-{SCREENSHOT_CHAPTER[:2]}")
    lab.close(page)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_jupyterlab_menus_are_japanese(labs):
    if not _chapters("ja"):
        _missing(f"no reader's edition in {READER / 'ja'}: run tools/build_book.sh")
    lab = labs.get("ja", lang="ja")
    labels = lab.browser.js("Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel')).map(e => e.textContent)")
    assert "ファイル" in labels, f"JupyterLab's menu bar under tools/lab.sh ja is not Japanese: {labels}"


def _has_lang_option():
    out = subprocess.run([sys.executable, "-m", "cnnbook.classroom", "student-edition", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    return "--lang" in out.stdout


def test_japanese_nbgrader_assignment_renders_in_jupyterlab(labs, tmp_path_factory):
    """One assignment of the Japanese course, as nbgrader releases it to the students."""
    if not _has_lang_option():
        pytest.skip("python -m cnnbook.classroom student-edition has no --lang yet (helper C adds it, issue 25)")
    course = tmp_path_factory.mktemp("course") / "course-ja"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2",
               # nbgrader runs the `alembic` command of its environment by name
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    for args, cwd in (([sys.executable, "-m", "cnnbook.classroom", "student-edition", "--format", "nbgrader",
                        "--lang", "ja", str(course)], ROOT),
                      ([sys.executable, "-m", "nbgrader", "generate_assignment", COURSE_ASSIGNMENT], course)):
        proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"{' '.join(args[1:])}: rc {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    folder = course / "release" / COURSE_ASSIGNMENT
    name = f"{COURSE_ASSIGNMENT}.ipynb"
    lab = labs.get("course-ja", lang="ja", folder=folder)
    notebook = json.loads((folder / name).read_text(encoding="utf-8"))
    page = open_checked(lab, name, TIMINGS, "course ja")
    problems = check(f"course ja release/{COURSE_ASSIGNMENT}/{name}", notebook, page, folder)
    jp, letters = japanese_share(japanese_text(notebook, page))
    share = jp / max(letters, 1)
    SHARES[f"course {name}"] = round(share, 3)
    if share < JA_SHARE_AT_LEAST:
        problems.append(f"course {name}: only {share:.0%} of the rendered prose's letters are Japanese script ({jp} of {letters})")
    _screenshots(lab, page, notebook, f"jupyterlab-ja-course-{COURSE_ASSIGNMENT[:2]}")
    lab.close(page)
    labs.seconds["chapters and course checked after"] = round(time.monotonic() - labs.t0, 1)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_the_checker_fails_without_jupyterlab_myst(labs):
    """The same chapter with jupyterlab-myst disabled (labconfig/page_config.json): raw MyST is reported."""
    name = f"{SCREENSHOT_CHAPTER}.ipynb"
    if not (READER / "en" / name).is_file():
        _missing(f"no reader's edition in {READER / 'en'}: run tools/build_book.sh")
    lab = labs.get("en-without-myst", lang="en", disable_myst=True)
    config = lab.browser.js("JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions")
    assert "jupyterlab-myst" in config, f"JupyterLab did not take up the disabled extension: disabledExtensions = {config}"
    notebook = json.loads((READER / "en" / name).read_text(encoding="utf-8"))
    page = open_checked(lab, name)
    lab.close(page)
    assert not any(c.get("myst") for c in page["cells"]), "jupyterlab-myst rendered cells although it is disabled"
    problems = "\n".join(check(f"en/{name} without jupyterlab-myst", notebook, page, READER / "en"))
    for what in (":::", "{eval}", ":class:"):
        assert f"raw markup {what}" in problems, f"the checker did not report {what} without jupyterlab-myst:\n{problems}"
    assert "the glued value" in problems and "exercise 'Exercise" in problems and "<details> rendered" in problems, problems
    print(f"\nwithout jupyterlab-myst, {name}: {problems.count(chr(10)) + 1} problems reported:\n{problems}")


def test_the_checker_fails_on_the_myst_source(labs):
    """book/04_pooling.ipynb itself (MyST for Jupyter Book, no reader conversion): {glue and {doc} are reported."""
    name = f"{SCREENSHOT_CHAPTER}.ipynb"
    lab = labs.get("en-book-source", lang="en", folder=ROOT / "book")
    notebook = json.loads((ROOT / "book" / name).read_text(encoding="utf-8"))
    source = "".join(source_of(c) for c in notebook["cells"])
    assert "{glue:}" in source and "{doc}" in source, (
        f"book/{name} has no {{glue:}} or {{doc}} role: it is not the MyST source (overwritten? see git status book/)")
    page = open_checked(lab, name)
    lab.close(page)
    problems = "\n".join(check(f"book/{name}", notebook, page, ROOT / "book"))
    assert "raw markup {glue" in problems and "raw markup {doc" in problems, problems


# ------------------------------------------------------------------------------------ the portable flavour
#
# ``python -m cnnbook.reader --flavour portable`` (tools/build_book.sh: _build/html/notebooks/en|ja)
# writes the chapters for Colab, VS Code and any Jupyter: plain CommonMark, the stored figures
# written in place, exercises as quoted blocks under a bold title, solutions in closed
# <details>, $math$; no MyST.  JupyterLab's own Markdown renderer (jupyterlab-myst disabled)
# is the offline stand-in for those renderers.

PORTABLE = ROOT / "_build" / "html" / "notebooks"
# chapter 4's glued figures (the shift experiment; fixed digits and filter, the same in every run)
PORTABLE_CH4_FIGURES = ("75%", "56%", "39%")
PORTABLE_EXERCISE = re.compile(r"^> \*\*(?P<title>(?:Exercise|演習)[ \t]*\d+[^*\n]*)\*\*[ \t]*$", re.M)
PORTABLE_SUMMARY = re.compile(r"<summary>(?P<summary>.*?)</summary>", re.S)

# What the portable edition's structures look like in the notebook ``id``: per cell, the quoted
# blocks' bold titles (and whether title and block are visible) and the <details> (summary visible?).
PORTABLE_JS = r"""
(id) => {
  const w = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id);
  const shown = e => !!e && e.checkVisibility({checkVisibilityCSS: true}) && e.getBoundingClientRect().height > 0;
  return w.content.widgets.map(c => {
    const r = c.node.querySelector('.jp-MarkdownOutput');
    if (c.model.type !== 'markdown' || !r) return {quotes: [], details: [], mathGt: 0};
    const quotes = Array.from(r.querySelectorAll('blockquote')).map(q => {
      const first = q.firstElementChild;
      const strong = first && first.tagName === 'P' ? first.querySelector(':scope > strong:first-child') : null;
      return {title: strong ? strong.textContent : null, titleVisible: shown(strong), visible: shown(q),
              inDetails: !!q.closest('details')};
    });
    const details = Array.from(r.querySelectorAll('details')).map(d => {
      const s = d.querySelector(':scope > summary');
      return {summary: s ? s.textContent : '', summaryVisible: shown(s), open: d.open,
              bodyVisible: Array.from(d.children).some(e => e.tagName !== 'SUMMARY' && shown(e))};
    });
    // '>' glyphs in the typeset formulas (MathJax's CommonHTML: <mjx-c class="mjx-c3E">)
    return {quotes, details, mathGt: r.querySelectorAll('mjx-container mjx-c.mjx-c3E').length};
  });
}
"""


# Opening all 38 portable notebooks took 86 s here (2 shared cores, load 3): the test opens these
# chapters of each language (the Markdown converter is the same for all; 04 has every kind of thing
# checked, 07 is the longest); CNNBOOK_PORTABLE_ALL=1 opens every one (7 Dec 2026: all 38 passed but
# for the '>' of a quoted block typeset in a formula: 04 cell 39; 02 cell 37 and 06 cell 42 have it too).
PORTABLE_STEMS = ("01_why_cnns", "04_pooling", "07_lenet_scratch_mnist", "13_modern_cnns")
PORTABLE_ALL = os.environ.get("CNNBOOK_PORTABLE_ALL") == "1"


def _portable_chapters(lang):
    folder = PORTABLE / lang
    names = sorted(p.name for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    return names if PORTABLE_ALL else [n for n in names if Path(n).stem in PORTABLE_STEMS]


def _portable_params():
    params = []
    for lang in ("en", "ja"):
        names = _portable_chapters(lang) or ["(missing)"]
        params += [pytest.param(lang, n, id=f"portable-{lang}-{Path(n).stem}") for n in names]
    return params


def _unquoted(source: str) -> str:
    """The Markdown without its blockquote markers (what a formula in a quoted block means)."""
    return re.sub(r"^[ \t]*(?:>[ \t]?)+", "", source, flags=re.M)


def check_portable(name: str, notebook: dict, lab_notebook: dict, page: dict, extra: list, stats: dict) -> list[str]:
    """What is wrong with the portable notebook ``name`` as JupyterLab's own renderer shows it.

    ``lab_notebook`` is the same chapter's lab flavour (_build/notebooks): its cells line up with
    the portable ones, and its ``user_expressions`` hold the stored values the portable cells
    must show as text, its admonitions the exercises and solutions they must show.
    ``extra`` is what PORTABLE_JS read (quoted blocks, <details>).
    """
    problems = []
    for key in ("glued values", "exercises", "solutions"):
        stats.setdefault(key, 0)
    cells, lab_cells = notebook["cells"], lab_notebook["cells"]
    if [c["cell_type"] for c in cells] != [c["cell_type"] for c in lab_cells]:
        return [f"{name}: its cells do not line up with the lab flavour's ({len(cells)} vs {len(lab_cells)} cells, "
                f"or different types): rebuild both (tools/build_book.sh)"]
    if len(extra) != len(cells):
        return [f"{name}: JupyterLab shows {len(extra)} cells, the notebook has {len(cells)}"]
    for i, (cell, lab_cell, seen, more) in enumerate(zip(cells, lab_cells, page["cells"], extra)):
        if cell["cell_type"] != "markdown" or not seen.get("found"):
            continue  # check() reports Markdown cells that did not render
        source, lab_source = source_of(cell), source_of(lab_cell)
        where = f"{name}, cell {i} «{first_words(source)}»"
        text = _norm(seen["all"])
        if FRONT_MATTER.match(source) or re.search(r"^\s*numbering:", seen["all"], re.M):
            problems.append(f"{where}: front matter (---/numbering:) in a portable cell")
        if cell.get("metadata", {}).get("user_expressions"):
            problems.append(f"{where}: user_expressions in a portable cell (only jupyterlab-myst evaluates them)")
        # a formula inside a quoted block (an exercise) must not take the quote's '>' markers along
        # (JupyterLab's renderer and others cut the math out before they parse the Markdown)
        wanted_gt = sum(m.count(">") + m.count("\\gt") for m in MATH.findall(CODE.sub(" ", _unquoted(source))))
        if more["mathGt"] > wanted_gt:
            problems.append(f"{where}: {more['mathGt'] - wanted_gt} '>' of the quoted block's markers typeset inside "
                            f"a formula ({more['mathGt']} '>' typeset, {wanted_gt} in the formulas): write the "
                            f"display math of a quoted block on one line, or outside the quote")
        # the stored values, written in place of the lab flavour's inline expressions
        for value, n in collections.Counter(_norm(v) for v in glued_values(lab_cell)).items():
            stats["glued values"] += n
            if text.count(value) < n:
                problems.append(f"{where}: the stored value {value!r} is shown {text.count(value)} time(s), "
                                f"the lab flavour's cell has it {n} time(s)")
        # exercises: a quoted block under a bold «Exercise N (title)» / «演習 N title», shown
        titles = [_norm(m.group("title")) for m in PORTABLE_EXERCISE.finditer(source)]
        if len(titles) != len(exercises(lab_source)):
            problems.append(f"{where}: {len(titles)} exercise(s) as a bold title in a quote "
                            f"({titles}), the lab flavour's cell has {len(exercises(lab_source))}")
        for title in titles:
            stats["exercises"] += 1
            quotes = [q for q in more["quotes"] if q["title"] is not None and _norm(q["title"]) == title]
            if not quotes:
                problems.append(f"{where}: exercise «{title}» is not a blockquote starting with a bold title "
                                f"(bold titles of quotes: {[q['title'] for q in more['quotes']]})")
            elif not any(q["titleVisible"] and q["visible"] and not q["inDetails"] for q in quotes):
                problems.append(f"{where}: exercise «{title}» is rendered but not visible")
        # solutions: closed <details>, the summary shown, the body not
        summaries = [_norm(s) for s in PORTABLE_SUMMARY.findall(source)]
        if len(summaries) != dropdowns(lab_source):
            problems.append(f"{where}: {len(summaries)} <details> in the cell, the lab flavour's has "
                            f"{dropdowns(lab_source)} dropdown(s)")
        stats["solutions"] += len(summaries)
        shown = [_norm(d["summary"]) for d in more["details"]]
        for summary in summaries:
            if summary not in shown:
                problems.append(f"{where}: the solution «{summary}» is not a rendered <details> (rendered: {shown})")
        for d in more["details"]:  # check() reports the open ones
            if not d["summaryVisible"]:
                problems.append(f"{where}: the <details> «{_norm(d['summary'])[:40]}» has no visible summary")
    return problems


def _portable_links(page: dict, lang: str) -> dict:
    """The page with its relative links made relative to the served folder (PORTABLE, not PORTABLE/lang)."""
    for seen in page["cells"]:
        for link in seen.get("links", []):
            url = urllib.parse.urlsplit(link["href"])
            if not url.scheme and not url.netloc and url.path and not url.path.startswith("/"):
                link["href"] = f"{lang}/{link['href']}"
    return page


PORTABLE_TIMINGS: dict = {}


@pytest.mark.parametrize("lang,name", _portable_params())
def test_portable_notebook_renders_without_jupyterlab_myst(labs, lang, name):
    """Chapters 1, 4, 7 and 13 of the portable flavour in both languages (every chapter with
    CNNBOOK_PORTABLE_ALL=1: all 38 took 86 s here, more than this test should cost), in one
    JupyterLab with jupyterlab-myst disabled (``bash tools/lab.sh _build/html/notebooks``,
    labconfig/page_config.json): no MyST shows (check(): raw markup, front matter, math typeset by
    MathJax as often as the source has $...$, local links; no quote marker '>' typeset inside a
    formula of a quoted block); every value the lab flavour's cell evaluates is written in as text
    (chapter 4: 75%, 56%, 39%); every exercise is a visible blockquote under its bold title, every
    solution a closed <details> with a visible summary; Japanese prose is mostly Japanese script.
    The screenshot _build/screenshots/jupyterlab-portable-ja-04.png shows an exercise and its solution."""
    if name == "(missing)":
        _missing(f"no portable edition in {PORTABLE / lang}: run tools/build_book.sh "
                 f"(python -m cnnbook.reader --flavour portable --lang {lang} {PORTABLE / lang})")
    if not (READER / lang / name).is_file():
        _missing(f"no lab flavour {READER / lang / name} to compare with: run tools/build_book.sh")
    lab = labs.get("portable-without-myst", lang="en", folder=PORTABLE, disable_myst=True)
    config = lab.browser.js("JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions")
    assert "jupyterlab-myst" in config, f"JupyterLab did not take up the disabled extension: disabledExtensions = {config}"
    notebook = json.loads((PORTABLE / lang / name).read_text(encoding="utf-8"))
    lab_notebook = json.loads((READER / lang / name).read_text(encoding="utf-8"))
    order = [f"{lg}/{n}" for lg in ("en", "ja") for n in _portable_chapters(lg)]
    path = f"{lang}/{name}"
    following = order[order.index(path) + 1] if order.index(path) + 1 < len(order) else None
    shot = lang == "ja" and Path(name).stem == SCREENSHOT_CHAPTER
    page = open_checked(lab, path, PORTABLE_TIMINGS, "portable", None if shot else following)
    assert not any(c.get("myst") for c in page["cells"]), f"{path}: jupyterlab-myst rendered cells although it is disabled"
    extra = lab.browser.js(f"({PORTABLE_JS})({json.dumps(page['id'])})")
    stats = {}
    problems = check(f"portable {path}", notebook, _portable_links(page, lang), PORTABLE, stats)
    problems += check_portable(f"portable {path}", notebook, lab_notebook, page, extra, stats)
    if Path(name).stem == SCREENSHOT_CHAPTER:
        text = _norm("\n".join(seen.get("visible", "") for seen in page["cells"]))
        problems += [f"portable {path}: chapter 4's glued figure {v} is not shown" for v in PORTABLE_CH4_FIGURES if v not in text]
        wanted = ("markdown cells", "glued values", "exercises", "solutions", "formulas", "links")
        assert all(stats[k] for k in wanted), f"portable {path}: the checker found nothing to check of some kind: {stats}"
    for key, n in stats.items():
        STATS.setdefault(f"portable {lang}", {}).setdefault(key, 0)
        STATS[f"portable {lang}"][key] += n
    if lang == "ja":
        jp, letters = japanese_share(japanese_text(notebook, page))
        share = jp / max(letters, 1)
        SHARES[f"portable {name}"] = round(share, 3)
        if share < JA_SHARE_AT_LEAST:
            problems.append(f"portable {path}: only {share:.0%} of the rendered prose's letters are Japanese script "
                            f"({jp} of {letters}); expected at least {JA_SHARE_AT_LEAST:.0%}")
    if shot:  # an exercise and its closed solution in view
        root = f"document.getElementById({json.dumps(page['id'])})"
        screenshot_at(lab, SCREENSHOTS / f"jupyterlab-portable-{lang}-{SCREENSHOT_CHAPTER[:2]}.png",
                      f"Array.from({root}.querySelectorAll('.jp-MarkdownCell')).find(c => c.querySelector('details')"
                      " && c.querySelector('blockquote > p > strong'))?.querySelector('blockquote')")
        if following:
            lab.browser.js(f"(() => {{ window.cnnOpening = window.cnnOpening || {{}}; window.cnnOpening[{json.dumps(following)}] ="
                           f" window.jupyterapp.commands.execute('docmanager:open', {{path: {json.dumps(following)},"
                           " factory: 'Notebook', options: {activate: false}}); return 0; })()")
    lab.close(page)
    labs.seconds["portable checked after"] = round(time.monotonic() - labs.t0, 1)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


# ------------------------------------------------------------------------------------ fresh values

KERNEL_S = 120
FRESH_CODE = 'import cnnlib\nfrom cnnlib import claim\n_ = claim("demo_acc", 0.125, at_least=0.1)'
FRESH_EXPRESSION = '__import__("cnnlib").glued("demo_acc", default="97.3%")'
FRESH_STORED, FRESH_RUN = "97.3%", "12.5%"

# The first Markdown cell's inline expressions' results (jupyterlab-myst's bare <span>s) and its text.
FRESH_JS = r"""
(() => {
  const r = document.querySelector('.jp-Notebook .jp-MarkdownCell .myst');
  if (!r) return null;
  const inline = Array.from(r.querySelectorAll('span')).filter(e => !e.attributes.length && e.childNodes.length === 1
    && e.firstChild.nodeType === Node.TEXT_NODE).map(e => e.textContent);
  return {inline, text: r.textContent};
})()
"""


def test_fresh_values_in_jupyterlab(labs, tmp_path):
    """A lab-flavour Markdown cell shows the stored value on opening and what this run glued after
    the reader runs the code above it: a two-cell notebook (a claim() of 0.125, then a cell with
    the inline expression the reader's edition writes, its stored result 97.3% in user_expressions),
    opened with ``bash tools/lab.sh FOLDER`` and a kernel; the first cell's prompt is clicked and
    Shift+Enter pressed twice (run the code, then render the Markdown, which evaluates the
    expression in the kernel): 97.3% before, 12.5% after."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    notebook = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": "code", "metadata": {}, "outputs": [], "source": FRESH_CODE},
            {"cell_type": "markdown", "id": "prose", "source": f"The accuracy is {{eval}}`{FRESH_EXPRESSION}` here.",
             "metadata": {"user_expressions": [{"expression": FRESH_EXPRESSION, "result": {
                 "status": "ok", "data": {"text/plain": repr(FRESH_STORED)}, "metadata": {}}}]}},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    (folder / "fresh.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    lab = labs.get("fresh", lang="en", folder=folder)  # a server of its own: the other tests' pages prefer no kernel
    b = lab.browser
    b.send("Emulation.setFocusEmulationEnabled", enabled=True)  # headless: the page has the keyboard focus
    b.js("(async () => { const w = await window.jupyterapp.commands.execute('docmanager:open',"
         " {path: 'fresh.ipynb', factory: 'Notebook'}); window.cnnFresh = w; await w.context.ready; return 0; })()")
    before = wait_for(lambda: (lambda s: s if s and s["inline"] else None)(b.js(FRESH_JS)), RENDER_S,
                      "jupyterlab-myst to render the Markdown cell's inline expression")
    assert before["inline"] == [FRESH_STORED], (
        f"before running, the Markdown cell should show the stored value {FRESH_STORED} as the inline expression's "
        f"result; it shows {before['inline']} («{before['text']}»)")

    def kernel_ready():
        try:
            server = [k for k in lab.api("/api/kernels") if k["execution_state"] == "idle" and k["connections"] > 0]
        except OSError:  # the server may answer 500 while the kernel starts
            return False
        page = b.js("(() => { const k = window.cnnFresh.sessionContext.session?.kernel;"
                    " return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; })()")
        return server and page

    try:
        wait_for(kernel_ready, KERNEL_S, "the notebook's kernel to start, connect and be idle")
    except AssertionError as e:
        raise AssertionError(f"{e}\nlab.log:\n{lab.log_tail()}") from None
    time.sleep(1)
    # select the code cell with a click on its prompt, then Shift+Enter twice, as a reader runs the cells
    box = b.js("(() => { const r = document.querySelector('.jp-Notebook .jp-Cell .jp-InputPrompt').getBoundingClientRect();"
               " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        b.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
    for i in range(2):
        for kind in ("keyDown", "keyUp"):
            b.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                   nativeVirtualKeyCode=13, modifiers=8)  # 8: Shift
        if i == 0:  # the code cell ran (its execution count is set) before the Markdown cell is rendered
            wait_for(lambda: b.js("window.cnnFresh.content.widgets[0].model.executionCount"), KERNEL_S,
                     "the code cell to run (Shift+Enter on it)")
    try:
        after = wait_for(lambda: (lambda s: s if s and FRESH_STORED not in s["inline"] and s["inline"] else None)(b.js(FRESH_JS)),
                         KERNEL_S, "the Markdown cell to show a fresh value")
    except AssertionError as e:
        outputs = b.js("JSON.stringify(window.cnnFresh.content.widgets[0].model.sharedModel.outputs)")
        raise AssertionError(f"{e}: it still shows {b.js(FRESH_JS)}; the code cell's outputs: {outputs[:1500]}") from None
    assert after["inline"] == [FRESH_RUN], (
        f"after running the code cell, the Markdown cell should show what this run glued ({FRESH_RUN}); "
        f"it shows {after['inline']} («{after['text']}»)")
    b.js("(() => { window.cnnFresh.context.model.dirty = false; window.cnnFresh.dispose(); return 0; })()")


def test_markdown_pages_open_rendered(labs):
    """A link from a chapter to the glossary or the references opens the page rendered (tools/lab.sh sets
    Markdown Preview as the viewer of Markdown files), with no MyST markup left, in Japanese under lab.sh ja."""
    if not _chapters("ja"):
        _missing(f"no reader's edition in {READER / 'ja'}: run tools/build_book.sh")
    lab = labs.get("ja", lang="ja")
    b = lab.browser
    b.js("(() => { window.jupyterapp.commands.execute('docmanager:open', {path: 'glossary.md'}); return true; })()")
    page = wait_for(lambda: b.js(
        "(() => { const w = Array.from(window.jupyterapp.shell.widgets('main'))"
        ".find(w => w.context && w.context.path === 'glossary.md');"
        " if (!w) return null;"
        " const r = w.node.querySelector('.jp-MarkdownViewer');"
        " return r && r.innerText.length > 200 ? {text: r.innerText, editor: !!w.node.querySelector('.cm-editor'),"
        " tables: w.node.querySelectorAll('table').length} : null; })()"), RENDER_S,
        "glossary.md to open rendered")
    assert not page["editor"], "glossary.md opened in the text editor, not rendered (lab.sh's defaultViewers)"
    assert "用語集" in page["text"] and page["tables"] >= 1, page["text"][:300]
    for markup in ("{doc}", "{ref}", "(ref-", ":::"):
        assert markup not in page["text"], f"glossary.md shows {markup!r}"
    b.js("(() => { const w = Array.from(window.jupyterapp.shell.widgets('main'))"
         ".find(w => w.context && w.context.path === 'glossary.md'); if (w) w.dispose(); })()")
