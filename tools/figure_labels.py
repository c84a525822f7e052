#!/usr/bin/env python
"""The figures' words for the Japanese edition: locale/ja/LC_MESSAGES/figures.po.

    .venv/bin/python tools/figure_labels.py            # extract + merge into figures.po + counts
    .venv/bin/python tools/figure_labels.py --check    # counts only; exit 1 if a label is not translated

(run the first form under the translations lock, like tools/update_translations.py).

1. extract: every label of every figure the notebooks store (book/*.ipynb, the SVG
   outputs of the one validated run; a label is a text with words, see
   tools/sphinx/figure_i18n.py), and the labels of the landing page's diagram
   (tools/make_intro_figure.py), into _build/i18n/_build/gettext/figures.pot, each
   with the notebook and cell it comes from;
   (labels that differ only in numbers share one entry, TEMPLATES: "filter {0}");
2. merge: into locale/ja/LC_MESSAGES/figures.po the way sphinx-intl merges the pages'
   catalogs (babel): an unchanged label keeps its translation, a changed one keeps the
   old translation marked fuzzy, a new one arrives untranslated, a label no figure
   has any more is dropped;
3. counts: labels, translated, fuzzy, untranslated.

The Japanese build (tools/sphinx/figure_i18n.py) uses the finished translations;
an untranslated label stays English, and tests/book/test_figure_labels.py fails.
A translation keeps the label's number of lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
import figure_i18n  # noqa: E402

POT = ROOT / "_build" / "i18n" / "_build" / "gettext" / "figures.pot"
PO = ROOT / "locale" / "ja" / "LC_MESSAGES" / figure_i18n.CATALOG


def notebook_figures(nb_path: Path):
    """(cell index, SVG markup) of every figure a notebook stores."""
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg:
                yield index, "".join(svg) if isinstance(svg, list) else svg


# Families of labels that differ only in numbers, one catalog entry each (tools/sphinx/figure_i18n.py:
# {0}, {1} stand for the numbers): a grid's panel titles, and labels that depend on the run
# (which digits a model gets wrong), so that a new run needs no new translation.
TEMPLATES = (
    "{0} (true {1})",
    "predicted {0}",
    "filter {0}",
    "channel {0}",
    "label {0}",
    "{0} layers",
    "std 0.01, layer {0}",
    "Xavier, layer {0}",
    "He, layer {0}",
)


def entry(text: str) -> str:
    """The catalog entry of a label: the template it belongs to, else itself."""
    for template in TEMPLATES:
        if figure_i18n.template_regex(template).fullmatch(text):
            return template
    return text


def collect(root: Path = ROOT) -> list[tuple[str, list[tuple[str, int]]]]:
    """Every catalog entry with where it appears: [(label or template, [(file, cell), ...]), ...],
    in book order."""
    where: dict[str, list[tuple[str, int]]] = {}
    for nb_path in sorted((root / "book").glob("*.ipynb")):
        for index, svg in notebook_figures(nb_path):
            for text in figure_i18n.label_texts(svg):
                locations = where.setdefault(entry(text), [])
                if (f"book/{nb_path.name}", index) not in locations:
                    locations.append((f"book/{nb_path.name}", index))
    sys.path.insert(0, str(root / "tools"))
    from make_intro_figure import LABELS

    for text in LABELS:
        where.setdefault(text, []).append(("tools/make_intro_figure.py", 0))
    return list(where.items())


def extract(out: Path = POT) -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalog = Catalog(project="figures", fuzzy=False)
    for text, locations in collect():
        catalog.add(text, locations=locations)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        write_po(f, catalog, width=76, omit_header=False)
    return len(catalog)


def merge(pot: Path = POT, po: Path = PO) -> None:
    from babel.messages.pofile import read_po, write_po

    with pot.open("rb") as f:
        template = read_po(f)
    if po.exists():
        with po.open("rb") as f:
            catalog = read_po(f, locale="ja")
    else:
        from babel.messages.catalog import Catalog

        catalog = Catalog(locale="ja", project="figures", fuzzy=False)
    catalog.update(template)
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as f:
        write_po(f, catalog, width=76, omit_header=False, ignore_obsolete=True)


def counts(po: Path = PO) -> dict:
    from babel.messages.pofile import read_po

    result = {"labels": 0, "translated": 0, "fuzzy": 0, "untranslated": 0}
    if not po.exists():
        return result
    with po.open("rb") as f:
        catalog = read_po(f)
    for m in catalog:
        if not m.id:
            continue
        result["labels"] += 1
        result["fuzzy" if m.fuzzy else "translated" if m.string else "untranslated"] += 1
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only the counts; exit 1 if any label is not translated")
    args = ap.parse_args(argv)
    if not args.check:
        n = extract()
        merge()
        print(f"figure_labels: {n} labels -> {POT.relative_to(ROOT)} -> {PO.relative_to(ROOT)}")
    c = counts()
    print("figure_labels: {labels} labels, {translated} translated, {fuzzy} fuzzy, {untranslated} untranslated"
          .format(**c))
    return 1 if args.check and (c["fuzzy"] or c["untranslated"]) else 0


if __name__ == "__main__":
    sys.exit(main())
