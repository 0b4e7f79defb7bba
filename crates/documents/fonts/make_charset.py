"""Writes the code points of the OP_CMS PDF font subset, one U+XXXX per line."""
import sys

from zhon import cedict  # zhon==2.1.1: CC-CEDICT's simplified characters

chars = set()
# GB 2312: all 7,445 graphic characters (6,763 hanzi + symbols, kana, Greek, Cyrillic, box drawing).
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
# Simplified characters used by CC-CEDICT words (rarer name and place characters: 喆 堃 珺 赟 ...).
chars.update(ch for ch in cedict.simplified if 0x3400 <= ord(ch) <= 0x9FFF)
# ASCII, Latin-1 (¥ × ·), general punctuation (– — ‘’ “” … ‰), € ℃ №, arrows, minus,
# circled numbers, CJK symbols and punctuation, full-width forms (！～ ￥).
for lo, hi in [(0x20, 0x7E), (0xA0, 0xFF), (0x2010, 0x2027), (0x2030, 0x203A), (0x20AC, 0x20AC),
               (0x2100, 0x2122), (0x2190, 0x2193), (0x2212, 0x2212), (0x2460, 0x2473),
               (0x3000, 0x303F), (0xFF01, 0xFF5E), (0xFFE0, 0xFFE6)]:
    chars.update(chr(c) for c in range(lo, hi + 1))
for ch in sorted(chars):
    print("U+%04X" % ord(ch))
print(len(chars), "code points", file=sys.stderr)
