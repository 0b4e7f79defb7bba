#!/usr/bin/env bash
# Remakes NotoSansSC-Regular-subset.otf (see README.md). Needs Debian's
# fonts-noto-cjk and, from PyPI, fonttools==4.68.0 and zhon==2.1.1.
set -euo pipefail
cd "$(dirname "$0")"
ttc=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Face 2 of the collection is Noto Sans CJK SC (0 JP, 1 KR, 2 SC, 3 TC, 4 HK).
python3 -c "import sys; from fontTools.ttLib import TTCollection; \
TTCollection(sys.argv[1], recalcTimestamp=False).fonts[2].save(sys.argv[2])" "$ttc" "$work/sc.otf"
python3 make_charset.py > "$work/charset.txt"
pyftsubset "$work/sc.otf" --unicodes-file="$work/charset.txt" --layout-features=kern \
  --output-file=NotoSansSC-Regular-subset.otf
ls -l NotoSansSC-Regular-subset.otf
