#!/usr/bin/env bash
# The tests read the PDFs as a reader would, with pdftotext (poppler-utils). Installs it on Debian/Ubuntu
# when run as root; otherwise says what to install and fails, since the PDF tests cannot run without it.
set -u
command -v pdftotext >/dev/null 2>&1 && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing pdftotext (poppler-utils) with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null; apt-get install -y -qq poppler-utils >/dev/null
  command -v pdftotext >/dev/null 2>&1 && { echo "pdftotext installed."; exit 0; }
fi
cat >&2 <<'MSG'
ERROR: the tests need pdftotext (poppler-utils) to read the PDFs.
  Debian/Ubuntu: sudo apt-get install poppler-utils
  Fedora:        sudo dnf install poppler-utils
  macOS:         brew install poppler
MSG
exit 1
