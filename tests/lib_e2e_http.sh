# tests/lib_e2e_http.sh -- helpers for the tests of the bot's own HTTP listener
# (/healthz, /readyz): plain requests through bash's /dev/tcp (no curl needed) to
# 127.0.0.1:$HPORT, and the port read from the bot's log. Sourced after lib_e2e.sh.

HPORT=""
get() {          # get METHOD PATH: the status line and body, one line each
    exec 3<>"/dev/tcp/127.0.0.1/$HPORT" || { echo "connect failed"; return; }
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' \
        "$1" "$2" >&3
    timeout 5 cat <&3 | tr -d '\r' | sed -n '1p;/^$/,$p' | grep -v '^$'
    exec 3>&-
}
expect_get() {   # expect_get METHOD PATH 'text in status or body' "what"
    local got
    got=$(get "$1" "$2")
    if printf '%s' "$got" | grep -qF -- "$3"; then
        PASSES=$((PASSES + 1))
    else
        echo "FAIL: $1 $2 should show: $3${4:+ ($4)}; got: $got"
        FAILURES=$((FAILURES + 1))
    fi
}
poll_get() {     # poll_get PATH 'text' "what": up to 15 s for the answer to show text
    for _ in $(seq 150); do
        get GET "$1" | grep -qF -- "$2" && break
        sleep 0.1
    done
    expect_get GET "$1" "$2" "$3"
}

bot_http_port() {  # bot_http_port LOGFILE: HPORT, from "readyz on 127.0.0.1:PORT" (5 s)
    HPORT=""
    for _ in $(seq 100); do
        HPORT=$(sed -n 's/.*readyz on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
        [ -n "$HPORT" ] && break
        sleep 0.05
    done
    [ -n "$HPORT" ] || { echo "FAIL: the bot did not say where it listens"; cat "$1"; }
}
