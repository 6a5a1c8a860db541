#!/usr/bin/python3
"""Checks that an SVG file from actctl/actload parses as XML and has data.

usage: check_svg.py FILE [LABEL...]
Each LABEL must name a <g class="series" data-label=LABEL> group holding at
least one polyline with two or more points, or at least one bar (rect).
Exit status 0 when every check passes, 1 otherwise (with the reason).
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    try:
        root = ET.parse(argv[1]).getroot()
    except ET.ParseError as e:
        print(f"{argv[1]}: not well-formed XML: {e}")
        return 1
    if root.tag != NS + "svg":
        print(f"{argv[1]}: root element is {root.tag}, not svg")
        return 1
    groups = {g.get("data-label"): g for g in root.iter(NS + "g")
              if g.get("class") == "series"}
    legend = " ".join(t.text or "" for g in root.iter(NS + "g")
                      if g.get("class") == "legend" for t in g.iter(NS + "text"))
    for label in argv[2:]:
        g = groups.get(label)
        if g is None:
            print(f"{argv[1]}: no series '{label}'; have {sorted(groups)}")
            return 1
        points = [len(p.get("points", "").split()) for p in g.iter(NS + "polyline")]
        bars = len(list(g.iter(NS + "rect")))
        if max(points, default=0) < 2 and bars == 0:
            print(f"{argv[1]}: series '{label}' has no line or bars")
            return 1
        if label not in legend:
            print(f"{argv[1]}: series '{label}' is missing from the legend")
            return 1
    print(f"{argv[1]}: OK ({len(groups)} series)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
