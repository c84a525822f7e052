"""Every translated message of the Japanese edition keeps what must not be translated.

For each message with a translation in locale/ja/LC_MESSAGES/**/*.po (fuzzy ones are
not used by Sphinx and are skipped), the translation must keep, exactly, the source's

- roles: ``{glue}``/``{glue:text}`` keys, ``{doc}``/``{ref}`` targets (a ``{doc}`` title
  may be translated, its ``<target>`` may not), and every other role;
- math: each ``$...$`` and ``$$...$$`` of the source, and a display formula's own message
  (its LaTeX, the one kind of message that starts with a line break), character for character, except the
  words inside ``\\text{...}``, which a translation may translate (``\\text{(training)}`` ->
  ``\\text{（訓練時）}``): the formula around them, and how many ``\\text`` groups it has, stay;
- link targets: ``[text](target)`` (the text is translated, the target is not);
- inline code: each `` `...` `` span (identifiers, shapes, calls);

and it must not quote a measured figure itself: a percentage or a multiple
(``97.8%``, ``12.5×``) in the translation that the source does not contain is a glued
figure replaced by a literal number (the glue roles are checked above; this catches
the number that took a role's place).

The self-tests at the end feed fabricated broken translations to the checker.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "locale" / "ja" / "LC_MESSAGES"

ROLE = re.compile(r"\{([\w:.-]+)\}`([^`]*)`")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$(?!\$)", re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"(?<![}`])`([^`]+)`")
FIGURE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*\s?(?:%|×|x\b)")


def _role_key(name: str, content: str) -> tuple[str, str]:
    """A cross-reference's title may be translated, its target may not."""
    m = re.match(r"^(.*?)\s*<([^<>]+)>$", content, re.S)
    if name in {"doc", "ref", "numref", "term", "download"} and m:
        return name, m.group(2)
    return name, content


def mask_text(math: str) -> str:
    """``math`` with the contents of each ``\\text{...}`` (braces balanced) replaced by ``…``:
    the part of a formula a translation must keep, character for character."""
    out, i = [], 0
    while True:
        j = math.find("\\text{", i)
        if j < 0:
            out.append(math[i:])
            return "".join(out)
        start = j + len("\\text{")
        depth, k = 1, start
        while k < len(math) and depth:
            if math[k] == "\\":
                k += 2
                continue
            depth += {"{": 1, "}": -1}.get(math[k], 0)
            k += 1
        if depth:  # unbalanced: compare it as it is
            out.append(math[i:])
            return "".join(out)
        out.append(math[i:start] + "…}")
        i = k


def parts(text: str) -> dict[str, Counter]:
    roles = Counter(_role_key(n, c) for n, c in ROLE.findall(text))
    rest = ROLE.sub(" ", text)
    display = Counter(mask_text(m.strip()) for m in DISPLAY_MATH.findall(rest))
    rest = DISPLAY_MATH.sub(" ", rest)
    inline = Counter(mask_text(m.strip()) for m in INLINE_MATH.findall(rest))
    rest = INLINE_MATH.sub(" ", rest)
    links = Counter(LINK.findall(rest))
    code = Counter(CODE.findall(rest))
    rest = CODE.sub(" ", rest)
    figures = Counter(re.sub(r"\s", "", f) for f in FIGURE.findall(rest))
    return {"role": roles, "display math": display, "math": inline, "link target": links,
            "code": code, "figure": figures}


def check_message(msgid: str, msgstr: str, figures: bool = True) -> list[str]:
    """What the translation lost, changed or added; empty when it is faithful.

    ``figures=False`` skips the literal-figure check, for plain text that never holds
    a glued value (the figures' alt texts and labels, figures*.po, where 28×28 may stand
    for "28 by 28" or "28 x 28")."""
    if not msgstr:
        return []
    if msgid.startswith("\n"):
        # Only a literal-type node keeps its line breaks in its message (a paragraph's become
        # spaces, stripped): in this book a display formula ($$...$$, amsmath), whose message
        # is its LaTeX between two line breaks.
        if mask_text(msgid) != mask_text(msgstr):
            return ["display math block changed (only the words inside \\text{...} may be translated)"]
        return []
    src, dst = parts(msgid), parts(msgstr)
    problems = []
    for kind in ("role", "display math", "math", "link target", "code"):
        missing = src[kind] - dst[kind]
        extra = dst[kind] - src[kind]
        if missing:
            problems.append(f"{kind} missing or changed: {sorted(missing.elements())}")
        if extra:
            problems.append(f"{kind} not in the source: {sorted(extra.elements())}")
    literal = dst["figure"] - src["figure"] if figures else Counter()
    if literal:
        hint = " (a glued figure replaced by a literal number?)" if src["role"] else ""
        problems.append(f"figure not in the source: {sorted(literal.elements())}{hint}")
    return problems


def catalogs() -> list[Path]:
    return sorted(CATALOGS.rglob("*.po"))


def translated(po: Path):
    with po.open("rb") as f:
        catalog = read_po(f)
    for msg in catalog:
        if msg.id and msg.string and not msg.fuzzy:
            yield msg.id, msg.string


def test_there_are_catalogs():
    assert catalogs(), f"no .po files under {CATALOGS}"
    assert sum(1 for po in catalogs() for _ in translated(po)) > 100


@pytest.mark.parametrize("po", catalogs(), ids=lambda p: p.relative_to(CATALOGS).with_suffix("").as_posix())
def test_translations_keep_roles_math_links_and_figures(po):
    failures = []
    for msgid, msgstr in translated(po):
        for problem in check_message(msgid, msgstr, figures=not po.name.startswith("figures")):
            failures.append(f"{problem}\n    msgid:  {msgid[:160]!r}\n    msgstr: {msgstr[:160]!r}")
    assert not failures, f"{po.relative_to(ROOT)}: {len(failures)} problem(s)\n" + "\n".join(failures)


# --------------------------------------------------------------------------
# self-tests: the checker catches broken translations

SOURCE = (
    "On this run im2col was {glue:}`im2col_speedup_vs_loop` faster, {glue:text}`acc:.1%` "
    "of $N \\cdot FN$ outputs, see {doc}`05_im2col` and {ref}`ex-why-shuffle`, "
    "[Saito 2016](ref-saito2016), `cnnlib.im2col`:\n$$OH = H - FH + 1$$"
)
GOOD = (
    "この実行では {glue:}`im2col_speedup_vs_loop` 速く、$N \\cdot FN$ 個の出力の "
    "{glue:text}`acc:.1%` である。{doc}`05_im2col` と {ref}`ex-why-shuffle`、"
    "[斎藤 2016](ref-saito2016)、`cnnlib.im2col` を参照：\n$$OH = H - FH + 1$$"
)


def test_checker_accepts_a_faithful_translation():
    assert check_message(SOURCE, GOOD) == []


def test_checker_accepts_a_translated_doc_title():
    assert check_message("see {doc}`Convolution <02_convolution>`", "{doc}`畳み込み <02_convolution>` を参照") == []


@pytest.mark.parametrize(
    "broken, expected",
    [
        pytest.param(GOOD.replace("{glue:}`im2col_speedup_vs_loop`", "453×"), "figure not in the source",
                     id="glue-replaced-by-number"),
        pytest.param(GOOD.replace("{glue:text}`acc:.1%`", "97.8%"), "role missing", id="glue-text-dropped"),
        pytest.param(GOOD.replace("im2col_speedup_vs_loop", "im2col_speedup"), "role missing", id="glue-key-changed"),
        pytest.param(GOOD.replace("{doc}`05_im2col`", "im2colの章"), "role missing", id="doc-role-dropped"),
        pytest.param(GOOD.replace("{ref}`ex-why-shuffle`", "{ref}`ex-shuffle`"), "role", id="ref-target-changed"),
        pytest.param(GOOD.replace("$N \\cdot FN$", "$N FN$"), "math missing", id="inline-math-changed"),
        pytest.param(GOOD.replace("$N \\cdot FN$", "N・FN"), "math missing", id="inline-math-dropped"),
        pytest.param(GOOD.replace("$$OH = H - FH + 1$$", "$$OH = H - FH$$"), "display math", id="display-math-changed"),
        pytest.param(GOOD.replace("(ref-saito2016)", "(ref-saito2017)"), "link target", id="link-target-changed"),
        pytest.param(GOOD.replace("`cnnlib.im2col`", "cnnlib.im2col"), "code missing", id="code-dropped"),
    ],
)
def test_checker_catches_a_broken_translation(broken, expected):
    problems = check_message(SOURCE, broken)
    assert problems, f"not caught: {broken!r}"
    assert any(expected in p for p in problems), problems


# --------------------------------------------------------------------------
# \text{...} inside math may be translated; nothing else in the formula may change

MATH_SOURCE = (
    "Batch normalisation uses $\\mu_\\text{batch}$ $\\text{(training)}$ and:\n"
    "$$y = \\gamma \\hat{x} + \\beta \\qquad\\text{that is}\\qquad z = \\text{one\\_hot}(t)$$"
)
MATH_GOOD = (
    "バッチ正規化は $\\mu_\\text{batch}$ $\\text{（訓練時）}$ を使う：\n"
    "$$y = \\gamma \\hat{x} + \\beta \\qquad\\text{つまり}\\qquad z = \\text{one\\_hot}(t)$$"
)


MATH_BLOCK = "\ny = \\frac{m \\odot x}{1 - p} \\quad \\text{(training)}; \\qquad y = x \\quad \\text{(inference)}.\n"


def test_the_display_formulas_of_the_catalogs_are_checked():
    """The display formulas' messages exist (so the block check above is not vacuous) and
    some translate their \\text{} words (issue 23: no English inside Japanese formulas)."""
    blocks = [(msgid, msgstr) for po in catalogs() for msgid, msgstr in translated(po) if msgid.startswith("\n")]
    assert len(blocks) >= 30
    assert sum(msgid != msgstr for msgid, msgstr in blocks) >= 5


def test_checker_accepts_a_display_formula_with_translated_text():
    assert check_message(MATH_BLOCK, MATH_BLOCK) == []
    assert check_message(MATH_BLOCK, MATH_BLOCK.replace("(training)", "（訓練時）").replace("(inference)", "（推論時）")) == []


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(MATH_BLOCK.replace("1 - p", "1 + p"), id="formula-changed"),
        pytest.param(MATH_BLOCK.replace("\\text{(training)}", "（訓練時）"), id="text-group-dropped"),
        pytest.param(MATH_BLOCK.replace("\\quad \\text{(inference)}", "\\quad \\text{(inference)} \\text{}"), id="text-group-added"),
        pytest.param(MATH_BLOCK.strip(), id="block-made-a-paragraph"),
    ],
)
def test_checker_catches_a_changed_display_formula(broken):
    problems = check_message(MATH_BLOCK, broken)
    assert any("display math block changed" in p for p in problems), problems


def test_mask_text_keeps_the_formula_and_masks_only_text_groups():
    assert mask_text(r"\frac{a}{b} \text{(training)} + x_\text{out{}}") == r"\frac{a}{b} \text{…} + x_\text{…}"
    assert mask_text(r"\text{one\_hot}(t) \textbf{x}") == r"\text{…}(t) \textbf{x}"  # only \text
    assert mask_text(r"\text{open") == r"\text{open"  # unbalanced: compared as it is


def test_checker_accepts_translated_text_in_math():
    assert check_message(MATH_SOURCE, MATH_GOOD) == []


@pytest.mark.parametrize(
    "broken, expected",
    [
        pytest.param(MATH_GOOD.replace("\\gamma", "\\alpha"), "display math", id="formula-around-text-changed"),
        pytest.param(MATH_GOOD.replace("\\mu_\\text{batch}", "\\mu_\\text{B}\\,"), "math", id="inline-formula-changed"),
        pytest.param(MATH_GOOD.replace("$\\text{（訓練時）}$", "$（訓練時）$"), "math", id="text-group-dropped"),
        pytest.param(MATH_GOOD.replace("\\qquad\\text{つまり}\\qquad", "\\qquad つまり \\qquad"), "display math",
                     id="text-word-moved-out-of-text"),
        pytest.param(MATH_GOOD.replace("\\text{つまり}", "\\text{つまり} \\text{}"), "display math", id="text-group-added"),
    ],
)
def test_checker_catches_a_changed_formula_around_translated_text(broken, expected):
    problems = check_message(MATH_SOURCE, broken)
    assert problems, f"not caught: {broken!r}"
    assert any(expected in p for p in problems), problems


# --------------------------------------------------------------------------
# figures' alt texts: extracted from the notebooks' cell metadata, swapped in by the Japanese build


def test_every_alt_text_of_the_notebooks_is_extracted(tmp_path):
    import json
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import update_translations

    expected = set()
    for nb in (ROOT / "book").glob("*.ipynb"):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
            if alt:
                expected.add(alt)
    pot = tmp_path / "figures-alt.pot"
    assert update_translations.extract_alt_texts(pot) == len(expected) > 40
    with pot.open("rb") as f:
        assert {m.id for m in read_po(f) if m.id} == expected


def test_the_japanese_build_swaps_in_translated_alt_texts(tmp_path):
    import sys

    from docutils import nodes

    sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
    from book_i18n import load_alt_translations, translate_alt_texts

    po = tmp_path / "figures-alt.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "A digit."\nmsgstr "数字。"\n\n'
        '#, fuzzy\nmsgid "A stale one."\nmsgstr "古い訳。"\n\n'
        'msgid "Not yet."\nmsgstr ""\n',
        encoding="utf-8",
    )
    translations = load_alt_translations(po)
    assert translations == {"A digit.": "数字。"}  # fuzzy and empty entries stay English
    tree = nodes.section()
    tree += [nodes.image(uri="a.png", alt="A digit."), nodes.image(uri="b.png", alt="Not yet."),
             nodes.image(uri="c.png")]
    assert translate_alt_texts(tree, translations) == 1
    assert [img.get("alt") for img in tree.findall(nodes.image)] == ["数字。", "Not yet.", None]
    assert load_alt_translations(tmp_path / "missing.po") == {}
