#!/usr/bin/env bash
# Sets up clausecheck on a fresh Debian machine: system packages (OCR, LibreOffice for .doc/.wps,
# CJK fonts; with --test also Chromium and PostgreSQL for the test suite), a virtualenv in .venv and
# the package itself. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# The Dockerfile installs RUNTIME_PKGS and OFFICE_PKGS too (tests/test_deployment.py keeps them in step).
RUNTIME_PKGS="tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-zenhei"  # OCR of scanned PDFs; the CJK font
OFFICE_PKGS="libreoffice-writer-nogui"                              # .doc/.wps (optional in the image)
TEST_PKGS="chromium postgresql fonts-noto-cjk poppler-utils"          # browser/Postgres tests, screenshots
PYTHON_MIN="3.10"                                                     # pyproject's requires-python

python3 -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$PYTHON_MIN'.split('.'))))" || {
  echo "clausecheck needs Python >= $PYTHON_MIN (found $(python3 --version 2>&1))" >&2; exit 1; }

pkgs="$RUNTIME_PKGS $OFFICE_PKGS"
[ $want_test = 1 ] && pkgs="$pkgs $TEST_PKGS"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing system packages:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
if [ $want_test = 1 ]; then
  .venv/bin/pip install -q -e ".[test]"
else
  .venv/bin/pip install -q -e .
fi
# jieba's dictionary as a mapped trie (nlp/jieba_dict.py), built once here rather than on the first review
.venv/bin/python -c "from nlp.segment import search_tokens; search_tokens('合同')"
echo "clausecheck is set up: .venv/bin/clausecheck"
