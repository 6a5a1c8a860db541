#!/usr/bin/python3
"""`actserver --help` lists actserver's own flags, and README.md's flag table
documents exactly those flags (no flag missing, none that does not exist).

  actserver_help_test.py ACTSERVER README.md
"""
import re
import subprocess
import sys


def main():
    actserver, readme_path = sys.argv[1], sys.argv[2]
    run = subprocess.run([actserver, "--help"], capture_output=True, text=True,
                         timeout=30)
    text = run.stdout + run.stderr
    failures = []
    if "No flags matched" in text:
        failures.append("--help says 'No flags matched'")
    # Abseil prints each flag as "    --name (help...); default: ...;".
    flags = set(re.findall(r"^\s+--(\w+) \(", text, re.M))
    # The flags Abseil defines for every program are not actserver's own.
    if not {"port", "address", "threads", "metrics_address"} <= flags:
        failures.append(f"--help lists {sorted(flags)}, not actserver's flags")
    if any(f.startswith(("help", "flagfile", "fromenv", "tryfromenv", "undefok"))
           for f in flags):
        failures.append(f"--help lists Abseil's built-in flags too: {sorted(flags)}")

    readme = open(readme_path).read()
    section = readme.split("## The server: `actserver`", 1)[-1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\|\s*`--(\w+)", section, re.M))
    for f in sorted(flags - documented):
        failures.append(f"--{f} is missing from README.md's actserver flag table")
    for f in sorted(documented - flags):
        failures.append(f"README.md documents --{f}, which actserver does not define")

    for f in failures:
        print("FAIL:", f)
    if failures:
        print(text)
        return 1
    print(f"actserver --help lists {len(flags)} flags, all in README.md: "
          + ", ".join(sorted(flags)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
