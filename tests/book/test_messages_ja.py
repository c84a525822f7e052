"""The checks' and the grader's messages in Japanese (cnnlib.i18n, cnnlib/messages_ja.py,
cnnbook/messages_ja.py): every English template of the code has a Japanese one with the same
fields, no message bypasses the translator, the Japanese keeps the book's termbase, the language
comes from set_language or CNNLIB_LANG, and real wrong answers get Japanese diagnoses while the
English ones stay as they were (the book's stored outputs hold them)."""

import ast
import re
import string
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml

import cnnlib
from cnnlib import checks, i18n
from cnnlib import messages_ja as cnnlib_ja
from cnnbook import classroom, grading
from cnnbook import messages_ja as cnnbook_ja

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
CNNLIB_FILES = [ROOT / "cnnlib" / "checks.py"]
CNNBOOK_FILES = [ROOT / "tools" / "cnnbook" / name for name in ("grading.py", "classroom.py", "nbgrader_plugins.py")] + sorted(
    (ROOT / "tools" / "cnnbook" / "exercises").glob("*.py"))


@pytest.fixture(autouse=True)
def english_unless_set(monkeypatch):
    monkeypatch.delenv("CNNLIB_LANG", raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


def _is_translator(func):
    return (isinstance(func, ast.Name) and func.id == "_") or (isinstance(func, ast.Attribute) and func.attr == "_")


def _templates(path):
    """The literal templates passed to ``_`` in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and _is_translator(node.func) and node.args and isinstance(node.args[0], ast.Constant):
            found.append(node.args[0].value)
    return found


def _book_hints():
    return sorted({c.metadata["hint"] for p in BOOK.glob("*.ipynb") for c in nbformat.read(p, as_version=4).cells
                   if "hint" in c.metadata})


CNNLIB_TEMPLATES = sorted({t for p in CNNLIB_FILES for t in _templates(p)})
CNNBOOK_TEMPLATES = sorted({t for p in CNNBOOK_FILES for t in _templates(p)}
                           | {classroom._GRADE_CELL, grading._SANDBOX_LINE, *grading.SANDBOX_MESSAGES})


def _fields(template):
    return sorted((name, conversion or "", spec or "") for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None)


def test_every_english_template_has_japanese_with_the_same_fields():
    assert len(CNNLIB_TEMPLATES) >= 60 and len(CNNBOOK_TEMPLATES) >= 80, (len(CNNLIB_TEMPLATES), len(CNNBOOK_TEMPLATES))
    for templates, catalog, where in ((CNNLIB_TEMPLATES, cnnlib_ja.MESSAGES, "cnnlib/messages_ja.py"),
                                      (CNNBOOK_TEMPLATES + _book_hints(), cnnbook_ja.MESSAGES, "tools/cnnbook/messages_ja.py")):
        missing = [t for t in templates if t not in catalog]
        assert not missing, f"add Japanese for these messages to {where}: {missing}"
        for template in templates:
            assert _fields(catalog[template]) == _fields(template), (where, template, catalog[template])
            assert re.search(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]", catalog[template]) or template in ("gamma", "beta"), \
                (where, template, "not translated")


def test_no_stale_japanese():
    stale = set(cnnlib_ja.MESSAGES) - set(CNNLIB_TEMPLATES)
    assert not stale, f"cnnlib/messages_ja.py: the code no longer writes {sorted(stale)}"
    stale = set(cnnbook_ja.MESSAGES) - set(CNNBOOK_TEMPLATES) - set(_book_hints())
    assert not stale, f"tools/cnnbook/messages_ja.py: the code and the book no longer write {sorted(stale)}"


def _message_args(tree):
    """(line, node) of every message the checks and graders write: CheckFailed(...), print(...),
    assert messages, Group titles, TimeoutError/RuntimeError raised in the grader."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            yield node.lineno, node.msg
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "CheckFailed", "print", "Group", "TimeoutError") and node.args:
            yield node.lineno, node.args[0]


def test_no_message_bypasses_the_translator():
    """A new message written as an f-string or a plain string would stay English in Japanese."""
    for path in CNNLIB_FILES + [p for p in CNNBOOK_FILES if p.parent.name == "exercises" or p.name == "grading.py"]:
        for line, arg in _message_args(ast.parse(path.read_text(encoding="utf-8"))):
            ok = isinstance(arg, ast.Call) and _is_translator(arg.func) or (
                isinstance(arg, ast.Name) and arg.id in ("message",))  # grading: the sandbox's message, translated
            assert ok, f"{path.relative_to(ROOT)}:{line}: write the message as _(\"English template\", field=...)"


def test_the_sandbox_templates_are_its_own_wording():
    source = (ROOT / "tools" / "cnnbook" / "sandbox.py").read_text(encoding="utf-8")
    for template in grading.SANDBOX_MESSAGES:
        parts = re.split(r"\{\w+\}", template)
        assert re.search(r"\{[^}]*\}".join(re.escape(p) for p in parts), source), template


def test_the_japanese_keeps_the_termbase():
    """The termbase's variants to avoid (locale/ja/termbase.yml) do not appear; code the English
    quotes verbatim (``v = momentum * v``) is left out of the comparison, as in the catalogs' test."""
    concepts = yaml.safe_load((ROOT / "locale" / "ja" / "termbase.yml").read_text(encoding="utf-8"))["concepts"]
    problems = []
    for catalog in (cnnlib_ja.MESSAGES, cnnbook_ja.MESSAGES):
        for english, japanese in catalog.items():
            text = re.sub(r"\{[^}]*\}", "X", japanese)  # a field: a word, not a space
            text = "".join(run if run.strip() not in english else "X"
                           for run in re.split(r"([\x20-\x7e]+)", text))
            text = re.sub(r"^# ?", "", text, flags=re.MULTILINE)  # a comment's marker is not prose
            for concept in concepts:
                for pattern in concept.get("avoid", []):
                    if re.search(pattern, text, re.MULTILINE):
                        problems.append((japanese, pattern, concept["ja"]))
    assert not problems, problems


# ------------------------------------------------------------------------------ the language


def test_the_language_comes_from_set_language_then_the_environment(monkeypatch):
    assert i18n.get_language() == "en"
    monkeypatch.setenv("CNNLIB_LANG", "ja_JP.UTF-8")
    assert i18n.get_language() == "ja"
    cnnlib.set_language("en")
    assert i18n.get_language() == "en", "set_language wins over the environment"
    cnnlib.set_language(None)
    assert i18n.get_language() == "ja"
    with i18n.language("en"):
        assert i18n.get_language() == "en"
    assert i18n.get_language() == "ja"


def test_an_unknown_language_is_refused_with_the_supported_ones(monkeypatch):
    with pytest.raises(ValueError, match=r"unsupported language 'fr'.*'en' \(English\), 'ja' \(Japanese\)"):
        cnnlib.set_language("fr")
    monkeypatch.setenv("CNNLIB_LANG", "de")
    with pytest.raises(ValueError, match="CNNLIB_LANG: unsupported language 'de'"):
        i18n.get_language()
    with pytest.raises(ValueError, match="unsupported language 'fr'.*en, ja"):
        classroom.student_edition(BOOK, "/nonexistent", lang="fr")


# ------------------------------------------------------------- real wrong answers, both ways

from test_checks import CASES  # noqa: E402 (the plausible mistakes of the checks' own tests)

JAPANESE = {  # the word of the diagnosis, per English word the checks' tests look for
    "integer": "整数", "column": "列目", "ADD the overlapping": "足し合わせ", "ADD them": "足し合わせる",
    "bias": "バイアス", "flipped": "反転", "argmax": "argmax", "MEAN": "平均", "bias correction": "バイアス補正",
}


@pytest.mark.parametrize("check, correct, wrong, words", CASES, ids=[f"{c.__name__}-{w.__name__}" for c, _, w, _ in CASES])
def test_checks_answer_in_japanese(check, correct, wrong, words, capsys, monkeypatch):
    with pytest.raises(checks.CheckFailed) as english:
        check(wrong)
    assert words in str(english.value)
    monkeypatch.setenv("CNNLIB_LANG", "ja")
    with pytest.raises(checks.CheckFailed) as japanese:
        check(wrong)
    assert JAPANESE[words] in str(japanese.value) and words not in str(japanese.value).replace("argmax", ""), japanese.value
    assert not re.search(r"\b(expected|got|wrong|your function|values are)\b", str(japanese.value)), japanese.value
    check(correct)
    assert re.fullmatch(r"\w+：\d+ケースすべてで参照実装と一致した\n", capsys.readouterr().out)
    cnnlib.set_language("ja")
    monkeypatch.delenv("CNNLIB_LANG")
    with pytest.raises(checks.CheckFailed, match="関数がまだ書かれていない"):
        check(lambda *a: (_ for _ in ()).throw(NotImplementedError("書く")))


def test_a_wrong_value_is_located_in_japanese():
    def off_by_one(col, shape, fh, fw, s, p):
        dx = cnnlib.col2im(col, shape, fh, fw, s, p)
        dx[0, 0, 1, 2] += 1
        return dx

    cnnlib.set_language("ja")
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_col2im(off_by_one)
    assert re.fullmatch(r"col2im、入力\(1, 1, 4, 4\)、フィルター3x3、ストライド1、パディング0：16個の値のうち1個が違う。"
                        r"最初に違うのは画像0、チャンネル0、画素\(1, 2\)で、返ってきた値は[-\d.]+、期待値は[-\d.]+",
                        str(failed.value)), failed.value


ASSIGN = ("import numpy as np\n\ndef maxpool_backward(x, dout, pool, stride):\n    dx = np.zeros_like(x)\n"
          "    N, C, OH, OW = dout.shape\n    for n in range(N):\n     for c in range(C):\n"
          "      for i in range(OH):\n       for j in range(OW):\n"
          "        w = x[n, c, i*stride:i*stride+pool, j*stride:j*stride+pool]\n"
          "        k = np.argmax(w)\n        dx[n, c, i*stride + k // pool, j*stride + k % pool] = dout[n, c, i, j]\n"
          "    return dx\n")
LIBRARY = "def maxpool_backward(x, dout, pool, stride):\n    layer = cnnlib.MaxPooling(pool, stride)\n    layer.forward(x)\n    return layer.backward(dout)\n"


def test_the_grader_answers_in_the_language_it_is_given():
    ex = grading.find("04_pooling", "maxpool_backward")
    english = grading.grade(ex, ASSIGN, "secret", lang="en")
    japanese = grading.grade(ex, ASSIGN, "secret", lang="ja")
    assert english.score == japanese.score == 1
    assert english.lines[0] == "✓ the check's windows that do not overlap: 1 of 1 points", english.lines
    assert japanese.lines[0] == "✓ チェックの重ならない窓：1点中1点", japanese.lines
    assert japanese.lines[1].startswith("✗ チェックの重なる窓：1点中0点：maxpool_backward、x (2, 2, 7, 7)、プーリング3、"
                                        "ストライド2（窓が重なる）："), japanese.lines
    assert "足し合わせる（=ではなく+=を使う）" in japanese.lines[1] and "ADD" in english.lines[1]
    assert i18n.get_language() == "en", "grade(lang=...) leaves the process's language as it was"
    library = grading.grade(ex, LIBRARY, "secret", lang="ja")
    assert library.score == 0 and "この解答はcnnlib自身の実装（cnnlib.MaxPooling）を呼び出している" in library.lines[0], library.lines
    assert library.flags == ["maxpool_backward: calls cnnlib's own implementation (switched off while graded)"], \
        "the teacher's flags stay English and are still raised"


def test_a_course_notebook_in_japanese_has_japanese_stubs_and_graded_cells():
    nb = nbformat.read(BOOK / "04_pooling.ipynb", as_version=4)
    with i18n.language("ja"):
        course, exercises = classroom.nbgrader_notebook(nb, "04_pooling")
        stub = classroom.stub_source("def f(x):\n    return x\n", "(H + 2P - F) must be divisible by S")
    graded = [c.source for c in course.cells if c.metadata["nbgrader"].get("grade") and not c.metadata["nbgrader"]["solution"]]
    assert graded == ["# 採点：コースの採点器が、新しいPython（numpyだけ。cnnlibは使えない）の中で、あなたのmaxpool_backwardを"
                      "上のチェックの\n# ケースと隠しケースで実行し、ケースのグループごとに点を与える。\n"
                      "# フィードバックには、グループごとに通ったかどうかとその理由が書かれる。このセルですることはない。\n"]
    assert stub == ("# 演習：ここに解答を書き、下のチェックセルを実行する。\ndef f(x):\n"
                    "    raise NotImplementedError('(H + 2P - F)はSで割り切れなければならない')\n")
    english, _ = classroom.nbgrader_notebook(nb, "04_pooling")
    assert "# Graded: the course's grader runs your maxpool_backward" in [c.source for c in english.cells][
        [c.metadata["nbgrader"]["grade_id"] for c in english.cells].index(exercises[0]["grade_id"])]
    assert np.isfinite(exercises[0]["points"])


def test_a_hint_is_shown_as_written_when_it_has_no_japanese():
    """A hint is looked up, not formatted: braces stay, and a hint missing from the catalog stays English."""
    for lang in ("en", "ja"):
        with i18n.language(lang):
            assert "raise NotImplementedError('use d[{k}] here')" in classroom.stub_source("def f(d):\n    return d\n", "use d[{k}] here")
