"""``python -m skillsync.rules --markdown > docs/rules.md`` regenerates the rules reference."""

from __future__ import annotations

import sys

from skillsync.rules import markdown

if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.stderr.write("usage: python -m skillsync.rules --markdown > docs/rules.md\n")
        sys.exit(2)
    sys.stdout.write(markdown())
