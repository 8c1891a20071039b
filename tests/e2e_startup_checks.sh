# What `run` refuses, it refuses before it connects anywhere, and `check-config` refuses
# the same with the same sentence: the policy and the environment together. Without
# Slack tokens and without a terminal (a service manager's stdin) `run` stops (2) and
# says which variables to set; `shell` on the same stdin runs. Slack's refusal of a
# token stops the bot at once, naming the variable.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_slack.sh"

# ---- no tokens, no terminal ----
"$CANCELBOT" run --db "$DB" </dev/null >"$OUT" 2>&1
expect_rc 2 $? "run without tokens or a terminal"
expect "SLACK_APP_TOKEN and SLACK_BOT_TOKEN are not set and standard input is not a terminal"
expect "use \`cancelbot shell\` for the terminal shell"
[ ! -e "$DB" ]
expect_rc 0 $? "nothing created"
echo quit | "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1
expect_rc 2 $? "run without tokens, through a pipe"
echo quit | "$CANCELBOT" shell --db "$DB" >"$OUT" 2>&1
expect_rc 0 $? "shell on the same stdin"
"$CANCELBOT" shell --db "$DB" </dev/null >"$OUT" 2>&1
expect_rc 0 $? "shell on a closed stdin"

# ---- the same refusals from check-config and from run, run without a network call ----
# A fake Slack that answers whatever comes, and logs it: nothing may come.
cat >"$WORK/idle" <<IN
sleep 60000
quit
IN
start_fake "$WORK/idle" 90
API="http://127.0.0.1:$SLACK_PORT/api/"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "a", "region": "us-east-1"}, "emea": {"profile": "b", "region": "eu-central-1"}}}}' >"$WORK/two-accounts.json"
printf '{"providers": {"aws": "sim", "azure": "sim"}}' >"$WORK/sim.json"
printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "nobody", "region": "us-east-1"}}}}' >"$WORK/no-creds.json"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export AWS_SHARED_CREDENTIALS_FILE="$WORK/none" AWS_CONFIG_FILE="$WORK/none"

# refused CONFIG "SENTENCE" VAR=VALUE...: check-config exits 1 and run 2, both with
# the sentence; the fake Slack saw nothing.
refused() {
    local config=$1 sentence=$2
    shift 2
    env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test "$@" \
        "$CANCELBOT" check-config --config "$config" >"$OUT" 2>&1
    expect_rc 1 $? "check-config: $sentence"
    expect "$sentence" "check-config"
    env SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test SLACK_API_URL="$API" \
        CANCELBOT_LOG_LEVEL=info "$@" timeout 20 "$CANCELBOT" run --config "$config" \
        ${RUN_DB_ARGS---db "$DB"} </dev/null >"$OUT" 2>&1
    expect_rc 2 $? "run: $sentence"
    expect "$sentence" "run"
    expect_log 0 '"kind":"api"' "no call to Slack before: $sentence"
}
refused "$WORK/two-accounts.json" "would both sign as the same identity" \
    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
refused "$WORK/no-creds.json" "AWS seller account 'default'"
refused "$WORK/sim.json" "SLACK_APP_TOKEN must be an app-level token (xapp-...)" \
    SLACK_APP_TOKEN=xoxb-wrong-kind
refused "$WORK/sim.json" "set both SLACK_APP_TOKEN" SLACK_BOT_TOKEN=
refused "$WORK/sim.json" "CANCELBOT_SLACK_CONNECTIONS=\"11\" is not accepted" \
    CANCELBOT_SLACK_CONNECTIONS=11
refused "$WORK/sim.json" "CANCELBOT_HTTP_ADDR=\"8080\" is not accepted" CANCELBOT_HTTP_ADDR=8080
refused "$WORK/sim.json" "CANCELBOT_LEASE_MS=\"5\" is not accepted" CANCELBOT_LEASE_MS=5
RUN_DB_ARGS=""      # the record from the environment only: --db would win
refused "$WORK/sim.json" "both CANCELBOT_DB (SQLite) and DATABASE_URL (PostgreSQL) are set" \
    CANCELBOT_DB="$WORK/x.db" DATABASE_URL=postgresql://u@127.0.0.1:1/x
refused "$WORK/sim.json" "the database URL cannot be read" \
    DATABASE_URL="postgresql://cancelbot:%zzHunter2-pw@127.0.0.1/x"
expect_not "Hunter2"
unset RUN_DB_ARGS
# The seed is an option, not a variable: run and check-config read it the same way.
SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test SLACK_API_URL="$API" \
    "$CANCELBOT" run --config "$WORK/sim.json" --db "$DB" --seed "$WORK/missing-seed.json" \
    </dev/null >"$OUT" 2>&1
expect_rc 2 $? "run with a missing seed file"
expect "the seed file $WORK/missing-seed.json does not exist"
expect_log 0 '"kind":"api"' "no call to Slack before the seed is found missing"
# And what is fine is said to be fine, with what run will do.
SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-test \
    "$CANCELBOT" check-config --config "$WORK/sim.json" >"$OUT" 2>&1
expect_rc 0 $? "check-config on a good policy and environment"
expect "The environment: Slack tokens set"
kill -TERM "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null

# ---- Slack refuses a token: stop at once, naming the variable ----
cat >"$WORK/script" <<IN
wait api auth.test
quit
IN
start_fake "$WORK/script" 20
start=$(date +%s)
SLACK_APP_TOKEN=xapp-1-test SLACK_BOT_TOKEN=xoxb-invalid SLACK_API_URL="http://127.0.0.1:$SLACK_PORT/api/" \
    timeout 20 "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 1 $? "a bot token Slack refuses"
[ $(( $(date +%s) - start )) -le 5 ]
expect_rc 0 $? "stopped at once, not retried"
wait "$FPID"
expect "auth.test refused SLACK_BOT_TOKEN (invalid_auth)"
expect_log 1 '"method":"auth.test"'
expect_not "retrying"
expect_not "xoxb-invalid"

cat >"$WORK/script" <<IN
wait api apps.connections.open
quit
IN
start_fake "$WORK/script" 20
SLACK_APP_TOKEN=xapp-invalid SLACK_BOT_TOKEN=xoxb-test SLACK_API_URL="http://127.0.0.1:$SLACK_PORT/api/" \
    timeout 20 "$CANCELBOT" run --db "$DB" >"$OUT" 2>&1 </dev/null
expect_rc 1 $? "an app token Slack refuses"
wait "$FPID"
expect "apps.connections.open refused the app token (invalid_auth): check SLACK_APP_TOKEN"
expect_log 1 '"method":"apps.connections.open"'
finish
