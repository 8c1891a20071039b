# The real binary on PostgreSQL (DATABASE_URL): `cancelbot migrate` as a deploy step,
# the shell's flow to submitted, a SIGKILL before the marketplace call and the restart
# that runs it exactly once, the export, and a bad URL whose password is never shown.
# Each run gets its own schema in CANCELBOT_TEST_DATABASE_URL's database; without that
# variable the test is skipped (77), saying why.
. "$(dirname "$0")/lib_e2e.sh"

use_pg_schema cbe2e

sql() { psql -qXAt "$URL" -c "$1"; }

pgshell() {
    DATABASE_URL="$URL" "$CANCELBOT" shell "$@" >"$OUT" 2>"$WORK/err.txt"
    SHELL_RC=$?
}

# migrate alone, as a deploy step: twice, the second finds nothing to do
"$CANCELBOT" migrate --database-url "$URL" >"$OUT" 2>&1
expect_rc 0 $? "migrate"
expect "cancelbot migrate: database (PostgreSQL) is at this cancelbot's schema"
DATABASE_URL="$URL" "$CANCELBOT" migrate >"$OUT" 2>&1
expect_rc 0 $? "migrate again, from DATABASE_URL"
[ "$(sql 'SELECT COUNT(*) FROM schema_version')" = 5 ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: schema_version rows: $(sql 'SELECT COUNT(*) FROM schema_version')"; FAILURES=$((FAILURES + 1)); }
[ ! -e "$WORK/cancelbot.db" ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: a SQLite file was made"; FAILURES=$((FAILURES + 1)); }

CANCELBOT_FAULT_KILL_BEFORE=provider_submit pgshell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 137 "$SHELL_RC" "killed by SIGKILL"
expect "database PostgreSQL (DATABASE_URL)"
expect "Approvals complete. Submitting the cancellation to AWS Marketplace..."
expect_not "Submitted to AWS Marketplace as" "killed before the call"

pgshell <<'IN'
market CR-1
IN
expect_rc 0 "$SHELL_RC" "restart"
ID=$(sql "SELECT value FROM settings WHERE name = 'installation_id'")
expect "Submitted to AWS Marketplace as cancellation request acr-" "the resumed effect"
expect "1 cancellation request(s) at the marketplace; 1 submit call(s) with client token cb-$ID-CR-1"

pgshell <<'IN'
show CR-1
IN
expect_not "Submitted to AWS Marketplace as" "not run a second time"
expect_count 1 "submitting -> submitted"
[ "$(sql "SELECT state FROM requests WHERE id = 'CR-1'")" = submitted ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: CR-1 is not submitted in the database"; FAILURES=$((FAILURES + 1)); }

DATABASE_URL="$URL" "$CANCELBOT" export >"$OUT" 2>"$WORK/err.txt"
expect_rc 0 $? "export"
expect "CR-1"
expect "submitted"

# A URL that cannot work: the reason, never its password; nothing on standard output.
"$CANCELBOT" migrate --database-url "postgresql://cancelbot:Hunter2-pw@127.0.0.1:1/x?connect_timeout=2" \
    >"$OUT" 2>&1
expect_rc 1 $? "migrate on a closed port"
expect "127.0.0.1"
expect_not "Hunter2"
"$CANCELBOT" migrate --database-url "postgresql://cancelbot:%zzHunter2-pw@127.0.0.1/x" >"$OUT" 2>&1
expect_rc 1 $? "migrate on an unreadable URL"
expect "cannot be read"
expect_not "Hunter2"
CANCELBOT_DB="$WORK/x.db" DATABASE_URL="$URL" "$CANCELBOT" migrate >"$OUT" 2>&1
expect_rc 2 $? "both CANCELBOT_DB and DATABASE_URL"
expect "both CANCELBOT_DB (SQLite) and DATABASE_URL (PostgreSQL) are set"
finish
