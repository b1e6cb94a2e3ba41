#!/usr/bin/env python3
"""Writes a synthetic scenario with many areas, for measuring memory at scale.

The areas are the 42 illustrative areas of scenarios/national.toml repeated (area i is
a copy of area i mod 42, named "A 0001", "A 0002", ...), each scaled to SCALE of its
size (fit notes, target, coach and MDT FTE), so that 1,000 areas add up to about the
national file's volume. Everything before the first area (programme, defaults, MDT
disciplines) is copied as it is, with the programme's name and target replaced. It is
a benchmark input, not a scenario of anything.

Run from the repository root:

    python3 benches/many_areas.py                      # 1,000 areas to /tmp/many_areas.toml
    python3 benches/many_areas.py 500 /tmp/500.toml    # another size or place

Standard library only (Python 3.11 or later).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATIONAL = ROOT / "scenarios/national.toml"
SCALE = 0.042  # 42 areas -> 1,000 areas of the same total size


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/tmp/many_areas.toml")
    text = NATIONAL.read_text()
    first = text.index('[areas."')
    head, body = text[:first], text[first:]
    blocks = re.split(r'(?m)^\[areas\."[^"]*"\]\n', body)[1:]
    areas = []
    for b in blocks:
        values = {}
        for line in b.splitlines():
            m = re.match(r"^([a-z_.0-9]+) = ([0-9.]+)", line)
            if m:
                values[m.group(1)] = float(m.group(2))
        areas.append(values)
    assert len(areas) == 42, len(areas)

    lines = []
    total_target = 0
    for i in range(n):
        src = areas[i % len(areas)]
        target = max(1, round(src["target_starts"] * SCALE))
        total_target += target
        lines.append(f'[areas."A {i + 1:04}"]')
        lines.append(f"fit_notes_2023 = {round(src['fit_notes_2023'] * SCALE)}")
        lines.append(f"target_starts = {target}")
        lines.append('target_source = "synthetic"')
        for key, v in src.items():
            if key.endswith("fte"):
                lines.append(f"{key} = {max(0.1, round(v * SCALE, 2))}")
        lines.append("")

    head = re.sub(r'(?m)^name = "national"', f'name = "many-areas-{n}"', head, count=1)
    head = re.sub(r"(?m)^target_starts = \d+", f"target_starts = {total_target}", head, count=1)
    out.write_text(
        f"# SYNTHETIC: {n} areas, written by benches/many_areas.py from scenarios/national.toml\n"
        + head
        + "\n".join(lines)
    )
    print(f"{out}: {n} areas, target {total_target}")


if __name__ == "__main__":
    main()
