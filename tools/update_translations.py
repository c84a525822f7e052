#!/usr/bin/env python
"""Keep the Japanese edition's catalogs (locale/ja/LC_MESSAGES/) in step with the English text.

    .venv/bin/python tools/update_translations.py            # gettext + sphinx-intl update + purge + report
    .venv/bin/python tools/update_translations.py --report   # only the report
    .venv/bin/python tools/update_translations.py --purge    # only purge obsolete entries, then the report
    .venv/bin/python tools/update_translations.py config-ja OUT.yml   # the Japanese build's config

After English prose changes (a notebook's markdown cell, a .md page):

1. ``jupyter-book build . --builder custom --custom-builder gettext`` extracts every
   translatable message into _build/i18n/_build/gettext/book/*.pot (one per page,
   ``gettext_compact: false`` in _config.yml; code cells and outputs are not messages);
2. ``sphinx-intl update -p _build/i18n/_build/gettext -l ja -d locale`` merges them into
   locale/ja/LC_MESSAGES/book/*.po: an unchanged message keeps its translation, a
   changed one keeps the old translation marked ``#, fuzzy`` (Sphinx does not use fuzzy
   translations, so the page shows the new English sentence until a translator fixes
   it and removes the flag), a new one arrives untranslated (shown in English);
   Figures' alt texts (notebook cell metadata, which Sphinx does not extract) go to
   figures-alt.pot and locale/ja/LC_MESSAGES/figures-alt.po the same way
   (extract_alt_texts; the Japanese build swaps them in, tools/sphinx/book_i18n.py), and the
   words inside the figures to figures.pot / figures.po (tools/figure_labels.py);
3. the obsolete entries sphinx-intl leaves behind (``#~``: messages whose English is gone)
   are purged from every catalog (purge_obsolete); a copy of each purged entry goes to
   _build/i18n/purged/<page>.po, where a translator can still find an old translation;
4. the report: per page, how many messages are translated, untranslated and fuzzy, and
   how many obsolete entries the catalog holds (0 after a purge), written to
   _build/status/translations.json and translations.md (the status page includes the table).

Run it under the catalogs' lock when others may edit them
(``flock /work/coord/locks/translations.lock ...`` in a shared checkout).

The English build never reads the catalogs; the Japanese build
(tools/build_book_ja.sh) falls back to English for every untranslated or fuzzy
message, so neither build fails because a translation is behind.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"
LANG = "ja"
CATALOGS = LOCALE / LANG / "LC_MESSAGES"
# Its own doctree folder: Sphinx refuses an html environment for the gettext builder.
I18N_BUILD = ROOT / "_build" / "i18n"
POT_DIR = I18N_BUILD / "_build" / "gettext"
STATUS = ROOT / "_build" / "status"
PURGED = I18N_BUILD / "purged"
# Pages not translated: the status page is regenerated from every CI run (its
# figures and test names are data, not prose), so the Japanese edition shows it in English.
NOT_TRANSLATED = {"book/status"}
VENV_BIN = ROOT / ".venv" / "bin"

# What the Japanese build changes in _config.yml (everything else is shared).
JA_TITLE = "畳み込みニューラルネットワーク：ゼロから作る、Kerasで作る"
JA_SPHINX_CONFIG = {
    "language": "ja",
    # Janome (a pure-Python morphological analyser with its own dictionary, pinned in
    # requirements.txt), plus every noun compound as one more word (tools/sphinx/book_i18n.py):
    # the search box matches a query only as a whole indexed word or inside one, and
    # both of Sphinx's Japanese splitters index 畳み込み層 only as 畳み込み + 層.
    "html_search_options": {"type": "book_i18n.CompoundJanomeSplitter"},
    "togglebutton_hint": "クリックで表示",
    "togglebutton_hint_hide": "クリックで隠す",
    # myst-nb's line for a hidden cell ({type}: source, outputs or content, in English)
    "nb_code_prompt_show": "コードセルを表示（{type}）",
    "nb_code_prompt_hide": "コードセルを隠す（{type}）",
    "html_theme_options": {"search_bar_text": "本書を検索..."},
}


# The footer's English words (an HTML string in _config.yml, not a catalog message), and its
# link: the Japanese pages link the Japanese PDF (tools/build_pdf.sh prints _build/pdf/book-ja.pdf
# and copies it beside book.pdf at the site's root).
JA_FOOTER = {
    "book.pdf": "book-ja.pdf",
    "PDF of the book": "本書のPDF",
    "(for reading offline or printing)": "（オフラインでの閲覧や印刷用）",
}


def _tool(name: str) -> str:
    exe = VENV_BIN / name
    return str(exe) if exe.exists() else name


def write_ja_config(out: Path) -> Path:
    """_config.yml with the Japanese settings, for ``jupyter-book build --config``.

    Jupyter Book resolves ``local_extensions`` paths against the config file's
    folder, so they are made absolute here (the file lives under _build/)."""
    import yaml

    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    cfg["title"] = JA_TITLE
    sphinx = cfg.setdefault("sphinx", {})
    for name, path in (sphinx.get("local_extensions") or {}).items():
        sphinx["local_extensions"][name] = str((ROOT / path).resolve())
    conf = sphinx.setdefault("config", {})
    for key, value in JA_SPHINX_CONFIG.items():
        if isinstance(value, dict) and isinstance(conf.get(key), dict):
            conf[key] = {**conf[key], **value}
        else:
            conf[key] = value
    html = cfg.get("html") or {}
    if html.get("extra_footer"):
        # Site-root-relative links of the footer (e.g. ../book.pdf) sit one folder
        # further up from _build/html/ja/ (../book.pdf -> ../../book-ja.pdf below).
        footer = html["extra_footer"].replace('href="../', 'href="../../')
        for english, japanese in JA_FOOTER.items():
            footer = footer.replace(english, japanese)
        html["extra_footer"] = footer
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Generated by tools/update_translations.py from _config.yml: do not edit.\n"
        + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return out


def extract() -> None:
    """English messages -> _build/i18n/_build/gettext/**/*.pot."""
    subprocess.run(
        [_tool("jupyter-book"), "build", ".", "--builder", "custom", "--custom-builder", "gettext",
         "--path-output", str(I18N_BUILD), "--quiet"],
        cwd=ROOT, check=True,
    )
    extract_alt_texts()
    # The words inside the chapters' stored SVG figures -> figures.pot (tools/figure_labels.py;
    # the Japanese build translates them from locale/ja/LC_MESSAGES/figures.po).
    sys.path.insert(0, str(ROOT / "tools"))
    import figure_labels

    figure_labels.extract()


ALT_POT = POT_DIR / "figures-alt.pot"


def extract_alt_texts(out: Path = ALT_POT) -> int:
    """Every figure's alt text (cell metadata ``mystnb.image.alt`` of book/*.ipynb) -> one .pot.

    Sphinx's gettext builder does not see cell metadata; the Japanese build
    (tools/sphinx/book_i18n.py) replaces each figure's alt text with its translation
    from locale/ja/LC_MESSAGES/figures-alt.po, so a screen reader on the
    Japanese site reads Japanese. Returns the number of alt texts."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(project="figures-alt", fuzzy=False)
    for nb_path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
            if isinstance(alt, str) and alt.strip():
                catalog.add(alt, locations=[(f"book/{nb_path.name}", index)])
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        write_po(f, catalog, width=76, omit_header=False)
    return len(catalog)


def merge() -> None:
    """The .pot files -> locale/ja/LC_MESSAGES/*.po (sphinx-intl update)."""
    for page in NOT_TRANSLATED:
        (POT_DIR / f"{page}.pot").unlink(missing_ok=True)
        (CATALOGS / f"{page}.po").unlink(missing_ok=True)
    subprocess.run(
        [_tool("sphinx-intl"), "update", "-p", str(POT_DIR), "-l", LANG, "-d", str(LOCALE)],
        cwd=ROOT, check=True,
    )
    # Catalogs of pages no longer in the book.
    pots = {p.relative_to(POT_DIR).with_suffix("") for p in POT_DIR.rglob("*.pot")}
    for po in CATALOGS.rglob("*.po"):
        if po.relative_to(CATALOGS).with_suffix("") not in pots:
            print(f"update_translations: {po.relative_to(ROOT)} has no page any more (left in place)")


def purge_obsolete(catalogs: Path = CATALOGS, keep: Path | None = PURGED) -> dict[str, int]:
    """Remove the obsolete (``#~``) entries of every catalog under ``catalogs``.

    sphinx-intl keeps a message whose English disappeared as an obsolete entry, forever;
    Sphinx never uses them. A catalog without any is left byte for byte as it was; one
    with some is rewritten by the same writer sphinx-intl uses (babel, width 76), so the
    live messages do not move. Each purged entry is copied to ``keep/<page>.po`` (when
    ``keep`` is given). Returns {page: number of entries purged} for the catalogs changed."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    purged = {}
    for po in sorted(catalogs.rglob("*.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        if not catalog.obsolete:
            continue
        page = po.relative_to(catalogs).with_suffix("").as_posix()
        purged[page] = len(catalog.obsolete)
        if keep is not None:
            old = Catalog(locale=catalog.locale, project=f"{page} (obsolete entries purged)")
            for message in catalog.obsolete.values():
                old[message.id] = message
            out = keep / f"{page}.po"
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("wb") as f:
                write_po(f, old, width=76)
        with po.open("wb") as f:
            write_po(f, catalog, width=76, ignore_obsolete=True)
    return purged


def page_counts(po_path: Path) -> dict:
    from babel.messages.pofile import read_po

    with po_path.open("rb") as f:
        catalog = read_po(f)
    counts = {"messages": 0, "translated": 0, "untranslated": 0, "fuzzy": 0,
              "obsolete": len(catalog.obsolete)}
    for msg in catalog:
        if not msg.id:
            continue  # the header
        counts["messages"] += 1
        if msg.fuzzy:
            counts["fuzzy"] += 1
        elif msg.string:
            counts["translated"] += 1
        else:
            counts["untranslated"] += 1
    return counts


def report() -> dict:
    pages = {}
    for po in sorted(CATALOGS.rglob("*.po")):
        pages[po.relative_to(CATALOGS).with_suffix("").as_posix()] = page_counts(po)
    totals = {k: sum(p[k] for p in pages.values())
              for k in ("messages", "translated", "untranslated", "fuzzy", "obsolete")}
    data = {"language": LANG, "pages": pages, "totals": totals}
    STATUS.mkdir(parents=True, exist_ok=True)
    (STATUS / "translations.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (STATUS / "translations.md").write_text(markdown_table(data), encoding="utf-8")
    return data


def markdown_table(data: dict) -> str:
    lines = [
        "| page | messages | translated | untranslated | fuzzy | obsolete |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for page, c in data["pages"].items():
        lines.append(f"| {page} | {c['messages']} | {c['translated']} | {c['untranslated']} | {c['fuzzy']} "
                     f"| {c.get('obsolete', 0)} |")
    t = data["totals"]
    lines.append(f"| **all pages** | {t['messages']} | {t['translated']} | {t['untranslated']} | {t['fuzzy']} "
                 f"| {t.get('obsolete', 0)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", nargs="*", help="'config-ja OUT.yml' writes the Japanese build's config")
    ap.add_argument("--report", action="store_true", help="only write the report")
    ap.add_argument("--purge", action="store_true",
                    help="only purge obsolete entries from the catalogs (no extraction), then the report")
    args = ap.parse_args(argv)
    if args.command[:1] == ["config-ja"]:
        if len(args.command) != 2:
            ap.error("config-ja needs the output path")
        print(write_ja_config(Path(args.command[1])))
        return 0
    if args.command:
        ap.error(f"unknown command {args.command}")
    if not args.report:
        if not args.purge:
            extract()
            merge()
        purged = purge_obsolete()
        if purged:
            print(f"update_translations: purged {sum(purged.values())} obsolete entries from {len(purged)} catalogs "
                  f"(copies in {PURGED.relative_to(ROOT)}/)")
    data = report()
    t = data["totals"]
    print(f"translations ({LANG}): {t['translated']}/{t['messages']} translated, "
          f"{t['untranslated']} untranslated, {t['fuzzy']} fuzzy, {t['obsolete']} obsolete "
          f"-> _build/status/translations.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
