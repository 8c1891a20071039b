# Moving a SQLite record to PostgreSQL: `cancelbot migrate --database-url URL --from
# sqlite:FILE`. Every request, its history and its pending timers come across; the
# request counter goes on (the next request is CR-3, not CR-1 again) and so does the
# installation id (tokens of requests already at the marketplace stay theirs); the
# export reads the same on both; a second import into a record that now holds
# requests is refused and writes nothing. Skipped (77) without
# CANCELBOT_TEST_DATABASE_URL, as every PostgreSQL test.
. "$(dirname "$0")/lib_e2e.sh"

use_pg_schema cbmig
pg() { psql -qXAt "$URL" -c "$1"; }
lite() { sqlite3 -batch -noheader "$DB" "$1"; }
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'

# On SQLite: CR-1 submitted (waiting for the buyer, reminders pending), CR-2 waiting
# for finance.
shell <<IN
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note
click CR-1 confirm
as U0FIN1
click CR-1 approve
as U0ALICE
/cancel aws agmt-2b3c4d5e6f7g8h9i0j1k reason=replacing $note
click CR-2 confirm
IN
expect_rc 0 "$SHELL_RC" "the SQLite record"
"$CANCELBOT" export --db "$DB" >"$WORK/sqlite.csv"
id=$(install_id)

"$CANCELBOT" migrate --from "sqlite:$DB" >"$OUT" 2>&1
expect_rc 2 $? "--from without a PostgreSQL URL"
expect "give --database-url (or DATABASE_URL)"
"$CANCELBOT" migrate --database-url "$URL" --from "$DB" >"$OUT" 2>&1
expect_rc 2 $? "--from without sqlite:"
expect "give the SQLite record as sqlite:FILE"

"$CANCELBOT" migrate --database-url "$URL" --from "sqlite:$DB" >"$OUT" 2>&1
expect_rc 0 $? "migrate --from"
expect "cancelbot migrate: moved $DB into PostgreSQL ("
expect_rc "$(lite 'SELECT COUNT(*) FROM events')" "$(pg 'SELECT COUNT(*) FROM events')" "events"
expect_rc "$(lite "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")" \
    "$(pg "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")" "pending effects"
[ "$(pg "SELECT value FROM settings WHERE name = 'installation_id'")" = "$id" ] &&
    PASSES=$((PASSES + 1)) || { echo "FAIL: the installation id did not come across"; FAILURES=$((FAILURES + 1)); }
"$CANCELBOT" export --database-url "$URL" >"$WORK/pg.csv"
if cmp -s "$WORK/sqlite.csv" "$WORK/pg.csv"; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: the export differs after the move"; diff "$WORK/sqlite.csv" "$WORK/pg.csv" | head -5
    FAILURES=$((FAILURES + 1))
fi

# The bot goes on from there on PostgreSQL: the next request is CR-3; CR-2 is
# approved and submitted with the record's own token.
DATABASE_URL="$URL" "$CANCELBOT" shell >"$OUT" 2>"$WORK/err.txt" <<IN
/cancel aws agmt-3c4d5e6f7g8h9i0j1k2l reason=replacing $note
as U0FIN1
click CR-2 approve
market CR-2
IN
expect "Confirm CR-3 or Discard it." "the counter goes on"
expect "submit call(s) with client token cb-$id-CR-2"

"$CANCELBOT" migrate --database-url "$URL" --from "sqlite:$DB" >"$OUT" 2>&1
expect_rc 1 $? "a second import"
expect "import only into an empty record; nothing was written"
expect_rc 3 "$(pg 'SELECT COUNT(*) FROM requests')" "nothing written by the refused import"
finish
