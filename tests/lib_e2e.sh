# tests/lib_e2e.sh -- helpers for the scripted end-to-end tests: each test drives the
# real binary through the shell adapter with a script on stdin, as a user would type
# it, and asserts on what a user would read. Sourced, not run.
set -u
CANCELBOT=${1:?usage: $0 path/to/cancelbot}
WORK=$(mktemp -d /tmp/cancelbot-e2e.XXXXXX)
DB="$WORK/cancelbot.db"
OUT="$WORK/out.txt"
FAILURES=0
PASSES=0
trap 'rm -rf "$WORK"' EXIT
export CANCELBOT_LOG_LEVEL=${CANCELBOT_LOG_LEVEL:-warn}
# Tests run side by side: none listens on the default health port unless it asks.
export CANCELBOT_HTTP_ADDR=${CANCELBOT_HTTP_ADDR:-off}
unset SLACK_APP_TOKEN SLACK_BOT_TOKEN CANCELBOT_CONFIG CANCELBOT_DB
cd "$WORK"

# shell [args...] < script : runs the shell on the test's database; output in $OUT.
shell() {
    "$CANCELBOT" shell --db "$DB" "$@" >"$OUT" 2>"$WORK/err.txt"
    SHELL_RC=$?
}

# The record's installation id (in every client token: cb-<id>-CR-n).
install_id() {
    sqlite3 -batch -noheader "$DB" "SELECT value FROM settings WHERE name = 'installation_id'"
}

# Every PostgreSQL test is skipped (77), saying why, without the test database.
skip_without_pg() {
    if [ -z "${CANCELBOT_TEST_DATABASE_URL:-}" ]; then
        echo "SKIPPED: CANCELBOT_TEST_DATABASE_URL is not set (bash deploy/setup.sh test sets it)"
        exit 77
    fi
}

pg_schema_url() {    # pg_schema_url BASE SCHEMA: BASE with SCHEMA as its search_path
    case "$1" in
        *\?*) echo "$1&options=-csearch_path%3D$2" ;;
        *) echo "$1?options=-csearch_path%3D$2" ;;
    esac
}

# use_pg_schema PREFIX: a schema of its own in CANCELBOT_TEST_DATABASE_URL's database
# for this test, dropped at exit; URL reaches it (search_path), BASE the database.
use_pg_schema() {
    skip_without_pg
    BASE=$CANCELBOT_TEST_DATABASE_URL
    command -v psql >/dev/null || { echo "FAIL: psql is not installed"; exit 1; }
    SCHEMA="$1_$$"
    URL=$(pg_schema_url "$BASE" "$SCHEMA")
    psql -qX "$BASE" -c "CREATE SCHEMA $SCHEMA" >/dev/null || { echo "FAIL: cannot create schema"; exit 1; }
    trap 'psql -qX "$BASE" -c "SET client_min_messages = warning; DROP SCHEMA $SCHEMA CASCADE" >/dev/null; rm -rf "$WORK"' EXIT
}

expect() {            # expect "text" ["what it shows"]
    if grep -qF -- "$1" "$OUT"; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: expected to see: $1${2:+ ($2)}"
        FAILURES=$((FAILURES + 1))
    fi
}

expect_not() {
    if grep -qF -- "$1" "$OUT"; then
        echo "FAIL: did not expect: $1${2:+ ($2)}"
        FAILURES=$((FAILURES + 1))
    else
        PASSES=$((PASSES + 1))
    fi
}

expect_count() {      # expect_count N "text"
    local n
    n=$(grep -cF -- "$2" "$OUT")
    if [ "$n" -eq "$1" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: expected $1 line(s) with: $2 (saw $n)"
        FAILURES=$((FAILURES + 1))
    fi
}

expect_rc() {         # expect_rc WANT GOT "what"
    if [ "$1" -eq "$2" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: $3: exit status $2, expected $1"
        FAILURES=$((FAILURES + 1))
    fi
}

finish() {
    if [ "$FAILURES" -ne 0 ]; then
        echo "--- shell output ---"; cat "$OUT"
        echo "--- stderr ---"; cat "$WORK/err.txt" 2>/dev/null
    fi
    echo "$PASSES passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}
