"""A bounded load and fault run against a local `tindak serve`, then `tindak check-integrity`.

One thread files complaints through the trusted-channel API at a target rate; N officer threads
log in, take the tasks of those complaints (verification, then the agency's follow-up), claim and
complete them, racing each other for the same tasks on purpose. The run stops at the duration or
the complaint count, whichever comes first, then prints figures and runs the reconciliation.

It only ever talks to loopback addresses (127.0.0.0/8, ::1): any other target is refused.
Standard library and `requests` only. See load/README.md.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
MAX_DURATION, MAX_COMPLAINTS, MAX_OFFICERS, MAX_RATE = 600.0, 5000, 8, 50.0  # logins: 10 a minute per address
FILER = "admin"  # the trusted-channel API takes complaints from verifiers and super admins
# officers who take the run's tasks: two verifiers share the pool of new complaints, the super admin
# may act on anything (so races happen), Dinas Kesehatan's liaison follows up what is sent there
# (the API allows 600 requests a minute per user: more threads than users share that budget)
OFFICERS = ["verifikator", "dinkes.penghubung", "kuburaya.verifikator", "admin", "dinkes.penghubung",
            "verifikator", "kuburaya.verifikator", "dinkes.penghubung"]
ANSWERS = {
    "verify_complaint": {"decision": "disposisi", "lead_agency": "dinkes-kalbar", "note": "Uji beban."},
    "follow_up": {"decision": "jawab", "answer": "Sudah kami tindak lanjuti (uji beban)."},
}
EXPECTED_RACES = {403, 404, 409}  # someone else claimed or completed it first: contention, not failure


class Refused(SystemExit):
    pass


def require_loopback(base_url: str) -> str:
    """The base URL, if its host resolves to loopback addresses only; otherwise the run is refused."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"refused: {base_url!r} is not an http(s) URL")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Refused(f"refused: {parts.hostname} does not resolve ({exc})") from exc
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    if not addresses or not all(a.is_loopback for a in addresses):
        raise Refused(f"refused: {parts.hostname} is not a loopback address ({', '.join(map(str, addresses))}); "
                      "this script only runs against a Tindak on this machine")
    return base_url.rstrip("/")


@dataclass
class Figures:
    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    races: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def took(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {what}")

    def race(self) -> None:
        with self.lock:
            self.races += 1


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Client:
    """A logged-in officer: a session cookie and the CSRF token the API wants with it."""

    def __init__(self, base: str, username: str, password: str, figures: Figures):
        self.base, self.username, self.figures = base, username, figures
        self.http = requests.Session()
        self.csrf = ""
        self.login(password)

    def _token(self, html: str, pattern: str) -> str:
        match = re.search(pattern, html)
        if not match:
            raise RuntimeError(f"{self.username}: no CSRF token on the page")
        return match.group(1)

    def login(self, password: str) -> None:
        page = self.http.get(f"{self.base}/login", timeout=30, allow_redirects=False)
        token = self._token(page.text, r'name="csrf_token"[^>]*value="([^"]+)"')
        answer = self.http.post(f"{self.base}/login", data={"csrf_token": token, "username": self.username,
                                                            "password": password}, timeout=30, allow_redirects=False)
        if answer.status_code != 302:
            raise RuntimeError(f"{self.username}: login answered {answer.status_code}")
        page = self.http.get(f"{self.base}/tasks/", timeout=30, allow_redirects=False)
        self.csrf = self._token(page.text, r'<meta name="csrf-token" content="([^"]+)"')

    def call(self, kind: str, method: str, path: str, **kwargs) -> requests.Response | None:
        """One API request, timed; None (and an error counted) when the server failed or was unreachable."""
        start = time.monotonic()
        try:
            answer = self.http.request(method, f"{self.base}{path}", headers={"X-CSRFToken": self.csrf},
                                       timeout=60, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            self.figures.error(kind, f"{type(exc).__name__}: {exc}")
            return None
        self.figures.took(kind, time.monotonic() - start)
        if answer.status_code >= 500 or answer.status_code in (400, 401, 422, 429):
            self.figures.error(kind, f"{method} {path} -> {answer.status_code} {answer.text[:200]}")
            return None
        return answer


def file_complaints(base: str, password: str, figures: Figures, rate: float, count: int, deadline: float,
                    filed: dict[int, str], filed_lock: threading.Lock) -> None:
    client = Client(base, FILER, password, figures)
    interval, next_at = 1.0 / rate, time.monotonic()
    for number in range(count):
        if time.monotonic() >= deadline:
            return
        answer = client.call("file", "POST", "/api/v1/intake", json={
            "title": f"Uji beban {number + 1}: lampu jalan mati", "description": "Laporan uji beban.",
            "category": "infrastruktur", "channel": "api", "anonymous": number % 2 == 0,
            "reporter_email": f"pelapor{number + 1}@example.org"})  # notices go to the SMTP sink
        if answer is not None and answer.status_code == 201:
            with filed_lock:
                filed[answer.json()["complaint_id"]] = answer.json()["tracking_id"]
        elif answer is not None:
            figures.error("file", f"answered {answer.status_code}")
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


def work_tasks(client: Client, figures: Figures, deadline: float, filed: dict[int, str], filed_lock: threading.Lock,
               done: dict[str, int], stop: threading.Event) -> None:
    while time.monotonic() < deadline and not stop.is_set():
        answer = client.call("list", "GET", "/api/v1/tasks", params={"tab": "team", "per_page": 50, "sort": "age"})
        items = answer.json()["items"] if answer is not None and answer.status_code == 200 else []
        with filed_lock:
            ours = [t for t in items if t["case"]["complaint_id"] in filed and t["element_id"] in ANSWERS]
        if not ours:
            time.sleep(0.5)
            continue
        task = random.choice(ours[:5])  # officers pick among the oldest few: they collide now and then
        claimed = client.call("claim", "POST", f"/api/v1/tasks/{task['id']}/claim")
        if claimed is None:
            continue
        if claimed.status_code != 200:
            figures.race()
            continue
        completed = client.call("complete", "POST", f"/api/v1/tasks/{task['id']}/complete",
                                json=ANSWERS[task["element_id"]])
        if completed is None:
            continue
        if completed.status_code == 200:
            with filed_lock:
                done[task["element_id"]] = done.get(task["element_id"], 0) + 1
        elif completed.status_code in EXPECTED_RACES:
            figures.race()
        else:
            figures.error("complete", f"answered {completed.status_code}")


FOUND_FILED = """
import sys
from sqlalchemy import func, select
from engine.db import Database
from webapp.config import Settings
from workflows.models import Complaint
pairs = {tuple(a.split(":", 1)) for a in sys.argv[1:]}
db = Database(Settings.from_env().database_url)
with db.session() as s:
    query = select(Complaint.id, Complaint.tracking_id).where(Complaint.tracking_id.in_([t for _, t in pairs]))
    rows = s.execute(query)
    print(sum((str(i), t) in pairs for i, t in rows))
"""


def filed_here(filed: dict[int, str], env: dict[str, str]) -> bool:
    """Whether the database check-integrity reads holds the complaints this run filed.

    Without this, a server on the port that uses another database (someone else's) would be loaded
    while a different, untouched database is reconciled and declared fine.
    """
    sample = [f"{i}:{filed[i]}" for i in sorted(filed)[:50]]
    if not sample:
        return True
    result = subprocess.run([sys.executable, "-c", FOUND_FILED, *sample], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    return result.returncode == 0 and result.stdout.strip() == str(len(sample))


def check_integrity(database_url: str | None, filed: dict[int, str]) -> int:
    env = dict(os.environ)
    if database_url:
        env["TINDAK_DATABASE_URL"] = database_url
    if not filed_here(filed, env):
        print("check_integrity: REFUSED: the complaints this run filed are not in that database "
              "(is the server on this port using another one? pass --database-url)")
        return 2
    result = subprocess.run([sys.executable, "-m", "webapp.cli", "check-integrity"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    print(result.stdout.rstrip())
    if result.stderr.strip():
        print(result.stderr.rstrip())
    return result.returncode


def run(args: argparse.Namespace) -> int:
    base = require_loopback(args.base_url)
    duration = min(max(args.duration, 1.0), MAX_DURATION)
    count = min(max(args.complaints, 1), MAX_COMPLAINTS)
    rate = min(max(args.rate, 0.1), MAX_RATE)
    officers = min(max(args.officers, 1), MAX_OFFICERS)
    figures = Figures()
    filed: dict[int, str] = {}  # complaint id -> tracking id
    done: dict[str, int] = {}
    lock, stop = threading.Lock(), threading.Event()
    clients = [Client(base, name, args.password, figures) for name in OFFICERS[:officers]]
    deadline = time.monotonic() + duration
    started = time.monotonic()
    filer = threading.Thread(target=file_complaints, args=(base, args.password, figures, rate, count, deadline,
                                                           filed, lock), daemon=True)
    workers = [threading.Thread(target=work_tasks, args=(c, figures, deadline, filed, lock, done, stop), daemon=True)
               for c in clients]
    filer.start()
    for worker in workers:
        worker.start()
    filer.join(timeout=duration + 120)
    for worker in workers:  # they stop at the deadline; a hung request is bounded by its own timeout
        worker.join(timeout=duration + 120)
    stop.set()
    elapsed = time.monotonic() - started
    errors = sum(figures.errors.values())
    requests_made = sum(len(v) for v in figures.latencies.values()) + errors
    print(f"elapsed_s {elapsed:.1f}")
    print(f"complaints_filed {len(filed)}  ({len(filed) / elapsed:.2f} per s, target {rate:g})")
    print(f"tasks_completed {sum(done.values())}  ({sum(done.values()) / elapsed:.2f} per s) "
          + " ".join(f"{k}={v}" for k, v in sorted(done.items())))
    print(f"requests {requests_made}  errors {errors}  error_ratio {errors / max(requests_made, 1):.4f}  "
          f"races_lost {figures.races}")
    for kind in sorted(figures.latencies):
        values = figures.latencies[kind]
        print(f"latency_ms {kind:9s} n={len(values):5d}  p50={percentile(values, .5) * 1000:7.1f}  "
              f"p95={percentile(values, .95) * 1000:7.1f}  errors={figures.errors.get(kind, 0)}")
    for sample in figures.error_samples:
        print(f"error  {sample}")
    status = 1 if errors else 0
    if not args.no_check_integrity:
        integrity = check_integrity(args.database_url, filed)
        print(f"check_integrity_exit {integrity}")
        status = status or integrity
    return status


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000", help="a loopback URL only")
    parser.add_argument("--duration", type=float, default=60.0, help=f"seconds (at most {MAX_DURATION:g})")
    parser.add_argument("--complaints", type=int, default=200, help=f"at most this many (cap {MAX_COMPLAINTS})")
    parser.add_argument("--rate", type=float, default=2.0, help=f"complaints per second (cap {MAX_RATE:g})")
    parser.add_argument("--officers", type=int, default=4, help=f"officer threads (cap {MAX_OFFICERS})")
    parser.add_argument("--password", default=os.environ.get("TINDAK_LOAD_PASSWORD", "tindak-demo"),
                        help="the demo users' password (or $TINDAK_LOAD_PASSWORD)")
    parser.add_argument("--database-url", default=None,
                        help="the server's database, for check-integrity (default: $TINDAK_DATABASE_URL)")
    parser.add_argument("--no-check-integrity", action="store_true", help="skip the reconciliation at the end")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run(parse()))
