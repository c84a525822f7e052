"""One Japanese term per concept: the termbase (locale/ja/termbase.yml) against every catalog.

Every translated, non-fuzzy message of every catalog under locale/ja/LC_MESSAGES/ (the
chapters, glossary.po, figures*.po) is searched for each concept's ``avoid`` variants, in its
prose only: code spans, math, roles and link targets are removed first, and a variant that the
English source (msgid) itself contains is a quotation of the study notebook's Japanese and is
allowed (a Japanese variant only: an English word left untranslated is always in the msgid);
a translation identical to its English source (a name, a bibliographic entry, the glossary's English
column) is a deliberate copy and is not checked. A failure names the catalog, the message, the variant and the preferred term.

The glossary is checked against the termbase: each row of book/glossary.md is a concept
(``glossary: true``, ``en`` = the row's English cell), and the row's Japanese cell, as
translated in glossary.po, contains the preferred term; no glossary concept lacks its row.

The self-tests at the end run the checker on a synthetic catalog with planted variants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
TERMBASE = ROOT / "locale" / "ja" / "termbase.yml"
CATALOGS = ROOT / "locale" / "ja" / "LC_MESSAGES"
GLOSSARY_MD = ROOT / "book" / "glossary.md"
GLOSSARY_PO = CATALOGS / "book" / "glossary.po"

ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$).+?(?<![\\$])\$(?!\$)", re.S)
LINK_TARGET = re.compile(r"\]\([^)\s]+\)")
CODE = re.compile(r"`[^`]+`")


@dataclass
class Concept:
    en: str
    ja: str
    avoid: list[re.Pattern] = field(default_factory=list)
    note: str = ""
    glossary: bool = False


def load_termbase(path: Path = TERMBASE) -> list[Concept]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    concepts = []
    for i, raw in enumerate(data["concepts"]):
        unknown = set(raw) - {"en", "ja", "avoid", "note", "glossary"}
        if unknown or not raw.get("en") or not raw.get("ja"):
            raise ValueError(f"{path.name}: concept #{i} ({raw.get('en')!r}) needs en and ja, "
                             f"and only en/ja/avoid/note/glossary (unknown: {sorted(unknown)})")
        patterns = []
        for pattern in raw.get("avoid") or []:
            try:
                patterns.append(re.compile(str(pattern), re.M))
            except re.error as exc:
                raise ValueError(f"{path.name}: {raw['en']!r}: avoid pattern {pattern!r}: {exc}") from None
        concepts.append(Concept(raw["en"], str(raw["ja"]), patterns, raw.get("note") or "",
                                bool(raw.get("glossary"))))
    return concepts


def prose(text: str) -> str:
    """The translated words only: roles, math, code spans and link targets replaced by a NUL,
    which no pattern matches (a space would fake one: "[Krizhevsky 2012](ref)）" -> "2012 ）")."""
    for rx in (ROLE, DISPLAY_MATH, INLINE_MATH, CODE, LINK_TARGET):
        text = rx.sub("\0", text)
    return text


def violations(msgid: str, msgstr: str, concepts: list[Concept]) -> list[tuple[Concept, str]]:
    """(concept, variant found) for every avoided variant in the translation's prose."""
    found = []
    if msgstr.strip() == msgid.strip():
        return found  # kept as in the English on purpose (a name, a reference, the glossary's English column)
    text, source = prose(msgstr), prose(msgid)
    for concept in concepts:
        for rx in concept.avoid:
            for m in rx.finditer(text):
                if m.group(0) and not m.group(0).isascii() and m.group(0) in source:
                    continue  # the English quotes the Japanese (the study notebook's words)
                found.append((concept, m.group(0)))
    return found


def translated(po: Path):
    with po.open("rb") as f:
        catalog = read_po(f)
    for msg in catalog:
        if msg.id and msg.string and not msg.fuzzy:
            msgid = msg.id if isinstance(msg.id, str) else msg.id[0]
            msgstr = msg.string if isinstance(msg.string, str) else msg.string[0]
            yield msgid, msgstr


def catalog_problems(po: Path, concepts: list[Concept]) -> list[str]:
    problems = []
    for msgid, msgstr in translated(po):
        for concept, variant in violations(msgid, msgstr, concepts):
            problems.append(f"{variant!r} -> use {concept.ja!r} ({concept.en})"
                            + (f" [{concept.note}]" if concept.note else "")
                            + f"\n    msgid:  {msgid[:140]!r}\n    msgstr: {msgstr[:140]!r}")
    return problems


def catalogs() -> list[Path]:
    return sorted(CATALOGS.rglob("*.po"))


# --------------------------------------------------------------------------
# the termbase itself

def test_termbase_loads_and_is_consistent():
    concepts = load_termbase()
    assert len(concepts) >= 20
    ens = [c.en for c in concepts]
    assert len(ens) == len(set(ens)), f"duplicate concepts: {sorted({e for e in ens if ens.count(e) > 1})}"
    for c in concepts:
        # A preferred term that its own (or another concept's) ban would flag is a contradiction.
        for other in concepts:
            for rx in other.avoid:
                assert not rx.search(c.ja), (
                    f"preferred term {c.ja!r} ({c.en}) matches avoid pattern {rx.pattern!r} of {other.en!r}")


def glossary_rows() -> list[tuple[str, str]]:
    """(Japanese cell, English cell) of every row of the glossary's table."""
    rows = []
    for line in GLOSSARY_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 4 and cells[0] not in {"日本語", ""} and not set(cells[0]) <= set("-: "):
            rows.append((cells[0], cells[1]))
    return rows


def test_glossary_rows_are_termbase_concepts_and_agree():
    concepts = {c.en: c for c in load_termbase()}
    translations = dict(translated(GLOSSARY_PO))
    rows = glossary_rows()
    assert len(rows) >= 30, f"found only {len(rows)} rows in {GLOSSARY_MD.name}"
    problems = []
    for ja_cell, en_cell in rows:
        concept = concepts.get(en_cell)
        if concept is None or not concept.glossary:
            problems.append(f"glossary row {en_cell!r} ({ja_cell}) is not a glossary concept of {TERMBASE.name}")
            continue
        shown = translations.get(ja_cell)
        if shown is None:
            problems.append(f"glossary row {en_cell!r}: its Japanese cell {ja_cell!r} is not translated in glossary.po")
        elif concept.ja not in shown:
            problems.append(f"glossary row {en_cell!r}: the Japanese edition shows {shown!r}, "
                            f"the termbase prefers {concept.ja!r}")
    row_ens = {en for _, en in rows}
    for c in concepts.values():
        if c.glossary and c.en not in row_ens:
            problems.append(f"termbase concept {c.en!r} is marked glossary: true but has no row in {GLOSSARY_MD.name}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# the catalogs

def test_there_are_catalogs():
    assert len(catalogs()) >= 15


@pytest.mark.parametrize("po", catalogs(), ids=lambda p: p.relative_to(CATALOGS).with_suffix("").as_posix())
def test_catalog_uses_the_termbase(po):
    problems = catalog_problems(po, load_termbase())
    assert not problems, f"{po.relative_to(ROOT)}: {len(problems)} avoided variant(s)\n" + "\n".join(problems)


# A reference to an exercise renders "演習 3" by itself (tools/sphinx: sphinx-exercise's numbered
# reference in Japanese), so a word written before it doubles: "演習 演習 3".
WORD_BEFORE_EXERCISE_REF = re.compile(r"(?:演習問題|演習|練習|問題)\s*\{(?:num)?ref\}`")


def word_before_exercise_ref(po: Path) -> list[str]:
    return [f"a word before the exercise reference (it renders 演習 N itself): {msgstr[:140]!r}"
            for _, msgstr in translated(po) if WORD_BEFORE_EXERCISE_REF.search(msgstr)]


@pytest.mark.parametrize("po", catalogs(), ids=lambda p: p.relative_to(CATALOGS).with_suffix("").as_posix())
def test_no_word_before_an_exercise_reference(po):
    problems = word_before_exercise_ref(po)
    assert not problems, f"{po.relative_to(ROOT)}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# self-tests: the checker catches planted variants on a synthetic catalog

def _synthetic(tmp_path: Path, messages: list[tuple[str, str]]) -> Path:
    catalog = Catalog(locale="ja")
    for msgid, msgstr in messages:
        catalog.add(msgid, msgstr)
    path = tmp_path / "synthetic.po"
    with path.open("wb") as f:
        write_po(f, catalog)
    return path


def test_checker_flags_a_banned_variant_with_message_and_preferred_term(tmp_path):
    po = _synthetic(tmp_path, [
        ("The curves use the validation slice.", "曲線は検証用スライスで描く。"),
        ("See chapter 7's recipe.", "7章のレシピを見よ。"),
        ("Ranges such as 3-4x.", "3～4倍。"),
    ])
    problems = catalog_problems(po, load_termbase())
    assert len(problems) == 3, problems
    joined = "\n".join(problems)
    assert "'検証用スライス' -> use '検証データ' (validation data)" in joined
    assert "'7章' -> use '第N章'" in joined
    assert "'～' -> use '〜'" in joined
    assert "msgid:  'The curves use the validation slice.'" in joined


def test_checker_accepts_the_preferred_terms(tmp_path):
    po = _synthetic(tmp_path, [
        ("The curves use the validation slice.", "曲線は検証データで描く。"),
        ("See chapters 7 and 9 to 11.", "第7章と第9〜11章を見よ。"),
        ("Average pooling and global average pooling.", "AverageプーリングとGlobal Averageプーリング。"),
    ])
    assert catalog_problems(po, load_termbase()) == []


def test_checker_ignores_code_math_and_quotations(tmp_path):
    po = _synthetic(tmp_path, [
        # code span and link target are not prose
        ("Pass `data_format='channels_last'`.", "`data_format='channels_last'` を渡す。"),
        # the English quotes the notebook's Japanese: kept verbatim
        ("Its comment says 「検証画像」.", "コメントには「検証画像」とある。"),
    ])
    assert catalog_problems(po, load_termbase()) == []


def test_checker_flags_an_english_word_left_in_the_translation(tmp_path):
    po = _synthetic(tmp_path, [("Keras takes NHWC (channels last).", "KerasはNHWC（channels last）を受け取る。")])
    problems = catalog_problems(po, load_termbase())
    assert len(problems) == 1 and "'channels last' -> use 'チャンネルラスト'" in problems[0], problems


def test_checker_skips_fuzzy_messages(tmp_path):
    catalog = Catalog(locale="ja")
    catalog.add("The validation slice.", "検証用スライス。", flags=["fuzzy"])
    path = tmp_path / "fuzzy.po"
    with path.open("wb") as f:
        write_po(f, catalog)
    assert catalog_problems(path, load_termbase()) == []


def test_termbase_check_fails_on_a_broken_termbase(tmp_path):
    bad = tmp_path / "termbase.yml"
    bad.write_text("concepts:\n- en: x\n  ja: y\n  avoid: ['(']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="avoid pattern"):
        load_termbase(bad)
    bad.write_text("concepts:\n- en: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs en and ja"):
        load_termbase(bad)


def test_word_before_exercise_ref_is_caught(tmp_path):
    po = _synthetic(tmp_path, [
        ("See exercise {ref}`pool-overlap`.", "演習 {ref}`pool-overlap` を見よ。"),
        ("As {ref}`pool-overlap` shows.", "{ref}`pool-overlap` が示すとおり。"),
    ])
    problems = word_before_exercise_ref(po)
    assert len(problems) == 1 and "演習 {ref}`pool-overlap`" in problems[0], problems
