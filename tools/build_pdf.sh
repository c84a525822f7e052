#!/usr/bin/env bash
# The PDFs of the whole book, offline: the English edition into _build/pdf/book.pdf and the
# Japanese edition into _build/pdf/book-ja.pdf.  For each:
#   1. jupyter-book build . --builder singlehtml -W  (the book as one page; English:
#      _build/singlehtml/, Japanese: _build/pdf/ja/_build/singlehtml/ with the config of
#      tools/build_book_ja.sh, i.e. language: ja and the catalogs of locale/ja/LC_MESSAGES/)
#   2. Debian's chromium, headless, prints that page to PDF.  The page is served from
#      localhost (python -m http.server) so MathJax, served locally from _static/mathjax,
#      renders every formula before printing; remote hosts are unreachable for the browser.
#      Japanese text is set in the system's Japanese font (fonts-ipafont-gothic, installed
#      by tools/install_chromium.sh); tests/book/test_pdf.py checks it is embedded.
#   3. the PDF is copied into the website (_build/html/book.pdf, _build/html/book-ja.pdf) when
#      the site is built: the footer of every English page links to ../book.pdf ("PDF of the
#      book"), of every Japanese page to ../../book-ja.pdf ("本書のPDF"; the Japanese footer
#      is written by tools/update_translations.py config-ja).  Both sit at the site's root,
#      so rebuilding the Japanese site (which replaces _build/html/ja/) keeps them.
# Jupyter Book's own `--builder pdfhtml` is not used: it downloads a browser at run time.
# Print styles (wrapped lines, no scroll boxes): the @media print block of _static/custom.css.
#   tools/build_pdf.sh                # both PDFs
#   tools/build_pdf.sh --lang en      # one of them (en or ja)
#   tools/build_pdf.sh --lang ja --all   # other args go to `jupyter-book build` (e.g. --all)
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/.."
if [[ ${1:-} != --lang ]]; then
    # Both editions, each in its own process: the Japanese PDF is built even when the English
    # one failed; the exit status is the first failure's.
    rc=0
    for lang in en ja; do
        bash "$script" --lang "$lang" "$@" || { r=$?; [[ $rc -ne 0 ]] || rc=$r; }
    done
    exit "$rc"
fi
case ${2:-} in
    en|ja) lang=$2 ;;
    *) echo "build_pdf: --lang takes en or ja, not '${2:-}'" >&2; exit 2 ;;
esac
shift 2

tools/fetch_mathjax.sh

if [[ -x .venv/bin/jupyter-book ]]; then
    JB=.venv/bin/jupyter-book
    PY=.venv/bin/python
else
    JB=$(command -v jupyter-book) || { echo "build_pdf: jupyter-book not found" >&2; exit 1; }
    PY=python3
fi
CHROMIUM=$(command -v chromium || command -v chromium-browser) \
    || { echo "build_pdf: chromium not found (as root: bash tools/install_chromium.sh)" >&2; exit 1; }

log=$(mktemp)
server_pid=""
profile=""
cleanup() {
    rm -f "$log"
    [[ -z "$profile" ]] || rm -rf "$profile"
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
root_doc=$("$PY" -c 'import yaml; print(yaml.safe_load(open("_toc.yml"))["root"])')

# build_one LANG [jupyter-book args...]
build_one() {
    local lang=$1 start stamp base config outdir html out name
    shift
    start=$(date +%s)
    stamp=$(date +%s.%N)
    mkdir -p _build/pdf
    if [[ $lang == en ]]; then
        base=_config.yml
        config=_build/pdf/_config.singlehtml.yml
        outdir=.                                  # -> _build/singlehtml/
        name=book.pdf
    else
        mkdir -p _build/pdf/ja
        base=_build/pdf/ja/_config.yml
        "$PY" tools/update_translations.py config-ja "$base" >/dev/null
        config=_build/pdf/ja/_config.singlehtml.yml
        outdir=_build/pdf/ja                      # -> _build/pdf/ja/_build/singlehtml/ (its own
        name=book-ja.pdf                          #    environment, as tools/build_book_ja.sh)
    fi
    html=$outdir/_build/singlehtml
    [[ $outdir != . ]] || html=_build/singlehtml

    # 1. the single-page build, failing on any warning (as tools/build_book.sh does).  Its
    #    configuration is the edition's plus tools/singlehtml_nodes.py (see there why); local
    #    extension paths are made absolute, as the derived file lives in _build/pdf/.
    "$PY" - "$base" "$config" <<'PYTHON'
import sys
from pathlib import Path

import yaml

root = Path.cwd()
config = yaml.safe_load((root / sys.argv[1]).read_text(encoding="utf-8"))
extensions = config.setdefault("sphinx", {}).setdefault("local_extensions", {}) or {}
extensions = {name: str((root / path).resolve()) for name, path in extensions.items()}
extensions["singlehtml_nodes"] = str(root / "tools")
config["sphinx"]["local_extensions"] = extensions
Path(sys.argv[2]).write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
PYTHON
    local status warnings
    set +e
    "$JB" build . --builder singlehtml --config "$config" --path-output "$outdir" -W --keep-going "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    warnings=$(grep -cE '(WARNING|ERROR|CRITICAL):' "$log" || true)
    if [[ $status -ne 0 || $warnings -ne 0 ]]; then
        echo "build_pdf: $lang singlehtml build FAILED (exit $status, $warnings warning/error lines)" >&2
        return $(( status != 0 ? status : 1 ))
    fi
    # Sphinx writes the whole book into the root document's page (_toc.yml's root, book/intro.html)
    # but links its assets (_static/, _images/) as if that page sat at the top of the output:
    # print a copy that does.
    [[ -f $html/$root_doc.html ]] || { echo "build_pdf: $html/$root_doc.html was not written" >&2; return 1; }
    cp "$html/$root_doc.html" "$html/book.html"

    # 2. serve it on a free localhost port and print it
    local port printed
    printed=$(date +%s)
    port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$html" >/dev/null 2>&1 &
    server_pid=$!
    for _ in $(seq 50); do
        "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/book.html', timeout=1)" 2>/dev/null && break
        sleep 0.2
    done

    out=_build/pdf/$name
    rm -f "$out"
    profile=$(mktemp -d)
    # --virtual-time-budget: the page's timers and MathJax's typesetting run (in virtual time)
    # before the page is printed; the host rules keep every request on this machine.
    timeout 900 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --no-first-run --no-default-browser-check --disable-extensions --user-data-dir="$profile" \
        --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
        --run-all-compositor-stages-before-draw --virtual-time-budget=120000 \
        --no-pdf-header-footer --print-to-pdf="$out" "http://127.0.0.1:$port/book.html" 2>"$log" || {
        echo "build_pdf: chromium failed ($lang):" >&2
        tail -n 20 "$log" >&2
        return 1
    }
    rm -rf "$profile"; profile=""
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""
    [[ -s $out ]] || { echo "build_pdf: chromium wrote no PDF ($lang)" >&2; return 1; }

    # 3. the website offers it for download
    if [[ -d _build/html ]]; then
        cp "$out" "_build/html/$name"
    fi

    # The PDF's time is the build's start: tests/book/test_pdf.py calls it stale when a source
    # (a chapter, a page, a catalog) changed after that, even while the build was running.
    touch -d "@$stamp" "$out"
    local pages
    pages=$(pdfinfo "$out" 2>/dev/null | sed -n 's/^Pages: *//p' || true)
    echo "build_pdf: OK -> $out (${pages:-?} pages, $(du -h "$out" | cut -f1), $(( $(date +%s) - start )) s:" \
         "singlehtml $(( printed - start )) s, chromium $(( $(date +%s) - printed )) s)"
}

build_one "$lang" "$@"
