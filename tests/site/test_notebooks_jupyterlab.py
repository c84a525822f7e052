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
from cdp import Browser  # noqa: E402

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


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


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
