#!/usr/bin/env python3
"""Lists the longest functions under a folder, by lines from `fn` to its closing brace.

    scripts/long-functions.py [FOLDER] [HOW_MANY]     # defaults: src 20

Relies on rustfmt's layout: a function ends at the first line holding only `}` at the
indentation of its `fn` line. Test functions count too.
"""
import os
import re
import sys

FN = re.compile(
    r'^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?'
    r'(?:extern\s+"C"\s+)?fn\s+(\w+)'
)


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        # the end of the signature: a body opens, or a declaration or a one-line
        # function ends
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(("{", ";", "}")):
            j += 1
        if j == len(lines) or not lines[j].rstrip().endswith("{"):
            continue
        k = j + 1
        while k < len(lines) and lines[k] != m.group(1) + "}":
            k += 1
        yield k - i + 1, i + 1, m.group(2)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rows = []
    for folder, _, files in os.walk(root):
        for f in files:
            if f.endswith(".rs"):
                path = os.path.join(folder, f)
                rows.extend((length, path, line, name) for length, line, name in functions(path))
    rows.sort(key=lambda r: (-r[0], r[1], r[2]))
    for length, path, line, name in rows[:n]:
        print(f"{length:5d}  {path}:{line}  {name}")


if __name__ == "__main__":
    main()
