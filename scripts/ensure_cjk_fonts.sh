#!/usr/bin/env bash
# Make sure a CJK font (Noto Sans/Serif CJK) is installed: the PDFs and charts
# print Chinese. Installs fonts-noto-cjk on Debian/Ubuntu when run as root;
# otherwise says what to install. Never fails the build by itself: tests that
# need the font say so when they run.
set -u
have_font() {
  if command -v fc-list >/dev/null 2>&1; then
    fc-list 2>/dev/null | grep -qiE "Noto (Sans|Serif) CJK" && return 0
  fi
  ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1
}
have_font && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing the CJK font (fonts-noto-cjk) with apt-get ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null \
    && have_font && { echo "CJK font installed."; exit 0; }
  echo "WARNING: could not install fonts-noto-cjk with apt-get; Chinese text in PDFs will be missing." >&2
  exit 0
fi
cat >&2 <<'MSG'
WARNING: no CJK font found (Noto Sans CJK / Noto Serif CJK). Chinese text in the PDFs needs one.
  Debian/Ubuntu: sudo apt-get install fonts-noto-cjk
  Fedora:        sudo dnf install google-noto-sans-cjk-fonts
  macOS:         brew install --cask font-noto-sans-cjk
  Or put NotoSansCJK*.otf / .ttc into ~/.local/share/fonts and run fc-cache -f.
MSG
exit 0
