# tests/lib_e2e_market.sh -- helpers for the marketplace end-to-end tests: the real
# binary's shell with the real "aws" / "azure" providers, against tests/fake_market
# (AWS Agreement and Support APIs checking every SigV4 signature, Azure AD, Partner
# Center) on 127.0.0.1. Sourced after lib_e2e.sh.
MARKET="$(dirname "$CANCELBOT")/../tests/fake_market"
MLOG="$WORK/market.jsonl"
MPID=""

start_market() {     # start_market [fake_market options...]; sets PORT
    rm -f "$WORK/mport" "$MLOG"
    "$MARKET" --port-file "$WORK/mport" --log "$MLOG" --timeout 100 "$@" \
        >"$WORK/market.out" 2>"$WORK/market.err" &
    MPID=$!
    for _ in $(seq 100); do
        [ -s "$WORK/mport" ] && break
        sleep 0.05
    done
    PORT=$(cat "$WORK/mport")
}

stop_market() {
    [ -n "$MPID" ] && kill -TERM "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
    MPID=""
}
trap 'stop_market; rm -rf "$WORK"' EXIT

# http METHOD PATH [BODY]: a request to the fake over bash's /dev/tcp; prints the body.
http() {
    local body=${3:-}
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
        "$1" "$2" "${#body}" "$body" >&3
    timeout 5 cat <&3 | sed '1,/^\r$/d'
    exec 3>&-
}

stats() { http GET /_control/stats; }

expect_stat() {      # expect_stat 'text in the stats JSON' "what"
    if stats | grep -qF -- "$1"; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: market stats should contain: $1${2:+ ($2)}"
        echo "  stats: $(stats)"
        FAILURES=$((FAILURES + 1))
    fi
}

expect_mlog() {      # expect_mlog N 'text' "what": lines of the fake's log with text
    local n
    n=$(grep -cF -- "$2" "$MLOG")
    if [ "$n" -eq "$1" ]; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: expected $1 market log line(s) with: $2${3:+ ($3)} (saw $n)"
        FAILURES=$((FAILURES + 1))
    fi
}

# use_fake_aws_seller: the "aws" provider with a "seller" profile of example keys,
# as the AWS tests run it against the fake (the endpoint is set once PORT is known).
use_fake_aws_seller() {
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
    printf '[seller]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' >"$WORK/credentials"
    printf '{"providers": {"aws": "aws", "azure": "sim"}, "aws": {"accounts": {"default": {"profile": "seller"}}}}' >"$WORK/policy.json"
    export AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/no-config"
}
