#!/usr/bin/env python3
"""Known vulnerabilities in requirements.lock, from PyPI's project pages, when pip-audit cannot run.

pip-audit (`make audit`) asks PyPI for each pinned *release* (`/pypi/NAME/VERSION/json`). Where
that endpoint does not answer (some mirrors and proxies serve only the project endpoint), this
script is the fallback CI uses. PyPI's project endpoint (`/pypi/NAME/json`) lists the known
vulnerabilities of the project's *latest* release only, so:

- a pin that is the latest release is audited: any vulnerability PyPI lists fails the run;
- a pin older than the latest release cannot be audited this way; it is named as NOT AUDITED.

Exit status: 1 if a vulnerability was found, 2 if PyPI did not answer at all, else 0.
Usage: scripts/audit_latest.py [requirements.lock]
"""
from __future__ import annotations

import json
import re
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)
PROJECT_URL = "https://pypi.org/pypi/{name}/json"


@dataclass
class Finding:
    name: str
    pinned: str
    latest: str | None = None
    vulnerabilities: list[dict] = field(default_factory=list)
    error: str | None = None

    @property
    def audited(self) -> bool:
        return self.error is None and self.latest == self.pinned


def pins(lock_text: str) -> list[tuple[str, str]]:
    return PIN.findall(lock_text)


def look_up(name: str, pinned: str) -> Finding:
    try:
        with urllib.request.urlopen(PROJECT_URL.format(name=name), timeout=30) as response:
            project = json.load(response)
    except Exception as exc:  # any failure leaves this pin unaudited, reported by name
        return Finding(name, pinned, error=str(exc))
    latest = project["info"]["version"]
    found = (project.get("vulnerabilities") or []) if latest == pinned else []
    return Finding(name, pinned, latest, found)


def report(findings: list[Finding]) -> int:
    vulnerable = [f for f in findings if f.audited and f.vulnerabilities]
    for f in vulnerable:
        for v in f.vulnerabilities:
            fixed = ", ".join(v.get("fixed_in") or []) or "no fixed release"
            print(f"VULNERABLE {f.name}=={f.pinned}: {v.get('id')} {v.get('aliases') or ''} (fixed in {fixed})")
    not_audited = [f for f in findings if not f.audited]
    for f in not_audited:
        why = f"PyPI did not answer: {f.error}" if f.error else f"older than the latest release {f.latest}"
        print(f"NOT AUDITED {f.name}=={f.pinned} ({why})")
    audited = len(findings) - len(not_audited)
    print(f"audited {audited} of {len(findings)} pins against PyPI's advisories for latest releases; "
          f"{len(vulnerable)} vulnerable, {len(not_audited)} not audited")
    if vulnerable:
        return 1
    if findings and all(f.error for f in findings):
        return 2
    return 0


def main(argv: list[str]) -> int:
    lock = Path(argv[1] if len(argv) > 1 else "requirements.lock")
    wanted = pins(lock.read_text())
    with ThreadPoolExecutor(max_workers=8) as pool:
        findings = list(pool.map(lambda pin: look_up(*pin), wanted))
    return report(findings)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
