#!/usr/bin/python3
"""Prints the common Han characters SourceReader weighs a legacy decoding by (CommonHan.swift).

The N characters with the highest summed word frequency in jieba's dictionary (Debian's
python3-jieba, the lexicon PlanSearch segments with), each counted once per occurrence in a
word, followed by their traditional forms (OpenCC s2t and s2tw) that differ: a plan in either
script reads as common characters. Usage: Scripts/common-han.py [N=500]
"""
import ctypes
import sys
from collections import Counter

DICTIONARY = "/usr/lib/python3/dist-packages/jieba/dict.txt"


def is_han(ch):
    return "\u4e00" <= ch <= "\u9fff"


def top_characters(n):
    counts = Counter()
    with open(DICTIONARY, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                for ch in parts[0]:
                    if is_han(ch):
                        counts[ch] += int(parts[1])
    # Ties broken by the character, so the list is the same on every run.
    return [ch for ch, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def convert(text, config):
    opencc = ctypes.CDLL("libopencc.so.1.1")
    opencc.opencc_open.restype = ctypes.c_void_p
    opencc.opencc_open.argtypes = [ctypes.c_char_p]
    opencc.opencc_convert_utf8.restype = ctypes.c_void_p
    opencc.opencc_convert_utf8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    handle = opencc.opencc_open(config.encode())
    if handle in (None, ctypes.c_void_p(-1).value):
        sys.exit(f"cannot open OpenCC's {config}")
    data = text.encode()
    out = opencc.opencc_convert_utf8(handle, data, len(data))
    return ctypes.string_at(out).decode()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    simplified = top_characters(n)
    result = list(simplified)
    seen = set(result)
    for config in ("s2t.json", "s2tw.json"):
        for ch in convert("".join(simplified), config):
            if ch not in seen:
                seen.add(ch)
                result.append(ch)
    print("".join(result))


if __name__ == "__main__":
    main()
