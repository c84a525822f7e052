"""tools/update_translations.py: obsolete catalog entries are purged, and the report counts them.

sphinx-intl keeps every message whose English disappeared as an obsolete (``#~``) entry;
Sphinx never uses them and they pile up (46 in the editor's review, 94 after one more update).
The update script purges them after every merge (purge_obsolete), keeping a copy under
_build/i18n/purged/, and the report (and the status page's Japanese section) shows how many
each catalog holds. These tests run the purge on synthetic catalogs in a temporary folder.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_status  # noqa: E402
import update_translations  # noqa: E402


def _write(path: Path, live: dict[str, str], obsolete: dict[str, str]) -> Path:
    catalog = Catalog(locale="ja")
    for msgid, msgstr in live.items():
        catalog.add(msgid, msgstr)
    for msgid, msgstr in obsolete.items():
        catalog.obsolete[msgid] = catalog.add(msgid, msgstr)  # then moved out of the live messages
        catalog.delete(msgid)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=76)
    return path


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


LIVE = {"Pooling": "プーリング", "A long sentence that the writer wraps at seventy-six columns, "
        "so that the rewrite must keep its wrapping exactly as sphinx-intl wrote it.": "長い文。"}
OLD = {"An English sentence that is gone": "消えた英文", "Another one": "もう1つ"}


def test_purge_removes_obsolete_entries_and_keeps_the_live_ones(tmp_path):
    catalogs, keep = tmp_path / "LC_MESSAGES", tmp_path / "purged"
    po = _write(catalogs / "book" / "04_pooling.po", LIVE, OLD)
    assert b"#~ msgid" in po.read_bytes()  # the fixture really has obsolete entries
    clean = _write(tmp_path / "expected.po", LIVE, {})

    purged = update_translations.purge_obsolete(catalogs, keep)

    assert purged == {"book/04_pooling": 2}
    assert b"#~" not in po.read_bytes()
    # Live messages untouched: the file is exactly what the writer gives without them.
    assert po.read_bytes() == clean.read_bytes()
    kept = _read(keep / "book" / "04_pooling.po")
    assert {m.id: m.string for m in kept if m.id} == OLD


def test_purge_leaves_a_catalog_without_obsolete_entries_byte_for_byte(tmp_path):
    catalogs = tmp_path / "LC_MESSAGES"
    po = _write(catalogs / "book" / "intro.po", LIVE, {})
    # A hand-written detail the writer would normalise: it must survive, the file is not rewritten.
    po.write_bytes(po.read_bytes() + b"\n")
    before = po.read_bytes()
    assert update_translations.purge_obsolete(catalogs, None) == {}
    assert po.read_bytes() == before


def test_report_counts_obsolete_entries(tmp_path, monkeypatch):
    catalogs = tmp_path / "LC_MESSAGES"
    _write(catalogs / "book" / "a.po", {"One": "1つ", "Two": ""}, OLD)
    _write(catalogs / "book" / "b.po", {"Three": "3つ"}, {})
    monkeypatch.setattr(update_translations, "CATALOGS", catalogs)
    monkeypatch.setattr(update_translations, "STATUS", tmp_path / "status")
    data = update_translations.report()
    assert data["pages"]["book/a"] == {"messages": 2, "translated": 1, "untranslated": 1, "fuzzy": 0, "obsolete": 2}
    assert data["totals"]["obsolete"] == 2
    table = (tmp_path / "status" / "translations.md").read_text(encoding="utf-8")
    assert "| page | messages | translated | untranslated | fuzzy | obsolete |" in table
    assert "| book/a | 2 | 1 | 1 | 0 | 2 |" in table

    update_translations.purge_obsolete(catalogs, None)
    assert update_translations.report()["totals"]["obsolete"] == 0


def test_status_page_shows_the_catalog_state(tmp_path):
    data = {"language": "ja",
            "pages": {"book/a": {"messages": 2, "translated": 1, "untranslated": 1, "fuzzy": 0, "obsolete": 3}},
            "totals": {"messages": 2, "translated": 1, "untranslated": 1, "fuzzy": 0, "obsolete": 3}}
    (tmp_path / "translations.json").write_text(json.dumps(data), encoding="utf-8")
    text = "\n".join(make_status.translations_section(tmp_path))
    assert "**1 untranslated**" in text and "Obsolete entries" in text and "**3**" in text
    assert "| book/a | 2 | 1 | 1 | 0 | 3 |" in text
    assert "termbase.yml" in text


def test_committed_catalogs_hold_no_obsolete_entries():
    """The update script purges after every merge: an obsolete entry here means a catalog
    was merged some other way (sphinx-intl by hand) or edited without the script."""
    found = {po.relative_to(update_translations.CATALOGS).as_posix(): len(_read(po).obsolete)
             for po in sorted(update_translations.CATALOGS.rglob("*.po"))}
    assert found, "no catalogs"
    stale = {page: n for page, n in found.items() if n}
    assert not stale, (f"obsolete entries left: {stale}; run "
                       "`.venv/bin/python tools/update_translations.py --purge` (under the translations lock)")
