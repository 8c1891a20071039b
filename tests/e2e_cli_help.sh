# Every command answers --help and -h with its usage on standard output and exit 0;
# an unknown option is named with the accepted ones (exit 2). Commands that read the
# record refuse a database file that does not exist, and do not create it; run and
# shell create a new one, which is how a new user starts.
. "$(dirname "$0")/lib_e2e.sh"

for cmd in run shell check-config export migrate version help; do
    for flag in --help -h; do
        "$CANCELBOT" "$cmd" "$flag" >"$OUT" 2>"$WORK/err.txt" </dev/null
        expect_rc 0 $? "$cmd $flag"
        expect "usage: cancelbot $cmd" "$cmd $flag prints its usage"
        if [ -s "$WORK/err.txt" ]; then
            echo "FAIL: $cmd $flag wrote to stderr: $(cat "$WORK/err.txt")"
            FAILURES=$((FAILURES + 1))
        fi
    done
    "$CANCELBOT" help "$cmd" >"$OUT" 2>&1
    expect_rc 0 $? "help $cmd"
    expect "usage: cancelbot $cmd" "help $cmd"
done
"$CANCELBOT" shell --help >"$OUT" 2>&1
expect "--as USER"
expect "up arrow"
"$CANCELBOT" export --help >"$OUT" 2>&1
expect "--format csv|json"
expect "it must exist"
# --help wins over the rest of the line: nothing starts, no database appears.
"$CANCELBOT" shell --db "$WORK/never.db" --help >"$OUT" 2>&1 </dev/null
expect_rc 0 $? "shell --db ... --help"
[ ! -e "$WORK/never.db" ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: shell --help created its database"; FAILURES=$((FAILURES + 1)); }

"$CANCELBOT" export --colour >"$OUT" 2>&1
expect_rc 2 $? "export with an unknown option"
expect "unknown option \"--colour\"; accepted options: --format --since --db --database-url --output --help"
"$CANCELBOT" check-config -x >"$OUT" 2>&1
expect_rc 2 $? "check-config with a stray argument"
expect "unexpected argument \"-x\"; accepted options: --config --db --database-url --seed --help"
"$CANCELBOT" version --verbose >"$OUT" 2>&1
expect_rc 2 $? "version with an option"
expect "unknown option \"--verbose\"; accepted options: --help"
"$CANCELBOT" help frobnicate >"$OUT" 2>&1
expect_rc 2 $? "help on an unknown command"
expect "unknown command \"frobnicate\""

# export on a missing file: refused, named, not created (nor its WAL files).
"$CANCELBOT" export --db "$WORK/typo.db" >"$OUT" 2>&1
expect_rc 1 $? "export --db on a missing file"
expect "there is no database $WORK/typo.db (nothing was created)"
if ls "$WORK"/typo.db* >/dev/null 2>&1; then
    echo "FAIL: export created $(ls "$WORK"/typo.db*)"
    FAILURES=$((FAILURES + 1))
else
    PASSES=$((PASSES + 1))
fi
# The same through CANCELBOT_DB and through the default ./cancelbot.db.
CANCELBOT_DB="$WORK/other.db" "$CANCELBOT" export >"$OUT" 2>&1
expect_rc 1 $? "export with CANCELBOT_DB on a missing file"
expect "there is no database $WORK/other.db"
(cd "$WORK" && "$CANCELBOT" export >"$OUT" 2>&1)
expect_rc 1 $? "export with the default database missing"
expect "there is no database cancelbot.db"
[ ! -e "$WORK/other.db" ] && [ ! -e "$WORK/cancelbot.db" ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: export created a database"; FAILURES=$((FAILURES + 1)); }

# A new user's first shell creates the record; export then reads it.
printf 'quit\n' | "$CANCELBOT" shell --db "$WORK/new.db" >"$OUT" 2>&1
expect_rc 0 $? "shell on a new database"
[ -s "$WORK/new.db" ] && PASSES=$((PASSES + 1)) ||
    { echo "FAIL: shell did not create its database"; FAILURES=$((FAILURES + 1)); }
"$CANCELBOT" export --db "$WORK/new.db" >"$OUT" 2>&1
expect_rc 0 $? "export of an existing, empty record"
finish
