"""Fail when a tracked file holds a possible secret that .secrets.baseline has not recorded as audited.

detect-secrets' own hook rewrites the baseline whenever line numbers move, which a clean CI checkout
must not do; this compares (file, hashed secret) pairs instead, so only a new secret fails.
Record reviewed false positives with:
    uv run detect-secrets scan $(git ls-files | grep -vx .secrets.baseline) > .secrets.baseline
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

BASELINE = ".secrets.baseline"


def _found(scan: dict[str, list[dict[str, str]]]) -> set[tuple[str, str, str]]:
    return {(path, item["hashed_secret"], item["type"]) for path, items in scan.items() for item in items}


def main() -> int:
    """Scan the tracked files and compare with the baseline."""
    git, detect_secrets = shutil.which("git"), shutil.which("detect-secrets")
    if git is None or detect_secrets is None:
        print("git and detect-secrets must be on PATH (uv run puts detect-secrets there)")
        return 2
    # The arguments are this repository's own file names, not outside input.
    listed = subprocess.run([git, "ls-files"], capture_output=True, text=True, check=True)  # noqa: S603
    scan = subprocess.run(  # noqa: S603
        [detect_secrets, "scan", *(f for f in listed.stdout.split() if f != BASELINE)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = _found(json.loads(scan.stdout)["results"])
    with open(BASELINE, encoding="utf-8") as baseline_file:
        known = _found(json.load(baseline_file)["results"])
    new = sorted(found - known)
    for path, _hash, kind in new:
        print(f"possible secret not in .secrets.baseline: {path} ({kind})")
    if new:
        print(
            "Remove it (use a Secret or an environment variable), or mark a false positive with "
            "'# pragma: allowlist secret' on its line."
        )
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
