#!/usr/bin/env bash
# After the test suite: a short, bounded load run against `tindak serve` on PostgreSQL with a
# worker and an SMTP sink, ending with `tindak check-integrity` (load/run.py runs it and exits
# non-zero on any error or finding). Everything listens on 127.0.0.1 and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DB=tindak_ci_load_$$
PG="postgresql+psycopg://postgres@127.0.0.1:5432"
free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WEB_PORT=$(free_port)
SMTP_PORT=$(free_port)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
}
trap cleanup EXIT

psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $DB" >/dev/null
export TINDAK_DATABASE_URL="$PG/$DB" TINDAK_SECRET_KEY=ci-load
export TINDAK_SMTP_HOST=127.0.0.1 TINDAK_SMTP_PORT=$SMTP_PORT TINDAK_PUBLIC_URL="http://127.0.0.1:$WEB_PORT"
"$BIN/tindak" init --demo >/dev/null
"$BIN/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1 & pids+=($!)
"$BIN/tindak" serve --with-worker --workers 2 --bind "127.0.0.1:$WEB_PORT" >/tmp/tindak-ci-load-serve.log 2>&1 & pids+=($!)
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$WEB_PORT/login" && break
  sleep 1
done
"$BIN/python" load/run.py --base-url "http://127.0.0.1:$WEB_PORT" --duration 20 --rate 2 --officers 3
