#!/usr/bin/env bash
# `make test`: lint, type-check, then the test suite on SQLite. Under CI (CI=true), or when
# LOYALTY_TEST_DATABASE_URL is set, the suite runs again on PostgreSQL; an unreachable
# server is a failure, never a skip, so CI cannot pass without having run it.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
DEFAULT_PG_URL=postgresql://postgres@127.0.0.1:5432/test

step() { printf '\n==> %s\n' "$*"; }

in_ci() {
    case "${CI:-}" in
        true | TRUE | True | 1 | yes) return 0 ;;
        *) return 1 ;;
    esac
}

# libpq reads postgresql:// URLs but not SQLAlchemy's postgresql+driver:// ones.
libpq_url() { sed -E 's#^postgres(ql)?(\+[a-z0-9_]+)?://#postgresql://#' <<<"$1"; }

postgres_up() {
    local url
    url=$(libpq_url "$1")
    if command -v pg_isready >/dev/null; then
        pg_isready -q -t 3 -d "$url"
    else
        "$BIN/python" -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' \
            "$url" 2>/dev/null
    fi
}

# Start the machine's local cluster if it is down (only where Debian's wrapper exists).
start_local_postgres() {
    command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] || return 0
    local version
    for version in $(ls /etc/postgresql); do
        echo "PostgreSQL is down; starting cluster $version/main"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
}

require_postgres() {
    local url=$1 tries
    postgres_up "$url" && return 0
    start_local_postgres
    for tries in $(seq 30); do
        postgres_up "$url" && return 0
        sleep 1
    done
    echo "error: PostgreSQL at $url is unreachable; the PostgreSQL test run cannot be skipped" >&2
    return 1
}

step "ruff check"
"$BIN/ruff" check
step "ruff format --check"
"$BIN/ruff" format --check
step "mypy"
"$BIN/mypy"

step "pytest on SQLite"
env -u LOYALTY_TEST_DATABASE_URL "$BIN/pytest"

if in_ci || [ -n "${LOYALTY_TEST_DATABASE_URL:-}" ]; then
    url=${LOYALTY_TEST_DATABASE_URL:-$DEFAULT_PG_URL}
    case "$url" in
        postgres*) require_postgres "$url" ;;
    esac
    step "pytest on $url"
    LOYALTY_TEST_DATABASE_URL=$url "$BIN/pytest"
fi
