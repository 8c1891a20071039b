# Client tokens are unique per installation: two fresh records both submit CR-1, with
# different tokens (a staging copy or a second deployment against the same seller
# account must not reuse "cancelbot-CR-1" for another agreement). A record from
# before installation ids keeps, through the migration, the token its submitted
# requests were sent with, and gives its unsubmitted ones a new one.
. "$(dirname "$0")/lib_e2e.sh"
sql() { sqlite3 -batch -noheader "$1" "$2"; }
note='note="Replacing with private offer offer-9x8y7w6v5u4t"'
flow() {
    printf '%s\n' "/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing $note" \
        "click CR-1 confirm" "as U0FIN1" "click CR-1 approve" "market CR-1"
}

shell < <(flow)
expect_rc 0 "$SHELL_RC" "first record"
first=$(sed -n 's/.*submit call(s) with client token \(cb-[0-9a-f]*-CR-1\)$/\1/p' "$OUT")
expect "1 submit call(s) with client token cb-" "CR-1 submitted with an installation token"

mkdir -p "$WORK/second" && mv "$DB" "$WORK/first.db" && rm -f "$DB"-* "$WORK"/sim-state*.json
shell < <(flow)
second=$(sed -n 's/.*submit call(s) with client token \(cb-[0-9a-f]*-CR-1\)$/\1/p' "$OUT")
expect "1 submit call(s) with client token cb-" "the second record's CR-1 submitted too"
if [ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ]; then
    PASSES=$((PASSES + 1))
else
    echo "FAIL: two fresh records sent CR-1 with tokens '$first' and '$second'"
    FAILURES=$((FAILURES + 1))
fi

# A record as it was before installation ids: no id, no token in any request. CR-1
# was submitted as cancelbot-CR-1; CR-2 waits for finance.
shell < <(printf '%s\n' "/cancel aws agmt-2b3c4d5e6f7g8h9i0j1k reason=replacing $note" "click CR-2 confirm")
sql "$DB" "UPDATE requests SET data = json_remove(data, '\$.client_token');
           DELETE FROM settings WHERE name = 'installation_id';
           DELETE FROM schema_version WHERE version = 5;"
shell < <(printf '%s\n' "market CR-1" "market CR-2")
expect "submit call(s) with client token cancelbot-CR-1" "a submitted request keeps its token"
expect_rc 1 "$(grep -c "client token cb-$(install_id)-CR-2\$" "$OUT")" "a waiting request gets the new installation's token"
finish
