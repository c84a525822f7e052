#!/usr/bin/env bash
# Install Debian's Chromium for the headless site test (tests/site), plus a
# Japanese font so the glossary's terms render in screenshots instead of boxes.
# Idempotent: does nothing when both are present.  Needs root (CI runs as root).
set -euo pipefail

pkgs=()
command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
dpkg -s fonts-ipafont-gothic >/dev/null 2>&1 || pkgs+=(fonts-ipafont-gothic)
# poppler-utils (pdftotext, pdfinfo, pdfimages): tests/book/test_pdf.py reads the PDF of the book
command -v pdftotext >/dev/null 2>&1 || pkgs+=(poppler-utils)

if ((${#pkgs[@]} == 0)); then
    echo "install_chromium: chromium, fonts and poppler-utils already installed ($(chromium --version 2>/dev/null))"
    exit 0
fi

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${pkgs[@]}"
echo "install_chromium: installed ${pkgs[*]} ($(chromium --version 2>/dev/null))"
