# deploy/Dockerfile, built and run with podman (Debian's) as a service would run it:
# the image builds from a Debian 12 base made with debootstrap (no registry is
# reachable here); it runs as uid 10001 on a read-only root with the record on a
# volume; the bot connects to a fake Slack (tests/fake_slack, in a second container
# sharing the first's network namespace, so nothing listens on the host); its
# HEALTHCHECK (curl /healthz) passes, /readyz answers, its log is JSON lines with no
# token, and SIGTERM (podman stop) ends it with status 0.
#
# usage: bash tests/deploy_image.sh SOURCE_DIR FAKE_SLACK_BINARY
# Skipped (77), saying why, without podman or debootstrap; where podman builds but
# cannot run a container (fresh-check's chroot has no cgroup file system), the image
# is built and inspected, then the test says so and is skipped. Layers and the base image
# are cached in CANCELBOT_PODMAN_ROOT (default /var/tmp/cancelbot-podman), so a second
# run only rebuilds what changed.
set -u
SRC=${1:?usage: $0 SOURCE_DIR FAKE_SLACK_BINARY}
FAKE=${2:?usage: $0 SOURCE_DIR FAKE_SLACK_BINARY}
PROOT=${CANCELBOT_PODMAN_ROOT:-/var/tmp/cancelbot-podman}
BASE=localhost/cancelbot-debian:bookworm
IMAGE=localhost/cancelbot:test-$$
WORK=$(mktemp -d /tmp/cancelbot-deploy-image.XXXXXX)
FAILURES=0
PASSES=0
# Flags for machines like this one: RUN steps without an OCI runtime (--isolation
# chroot), runc with plain cgroupfs (crun refuses a cgroup v1/v2 hybrid), and rlimits
# no higher than the caller's (podman's defaults need CAP_SYS_RESOURCE).
mkdir -p "$PROOT"
P=(podman --root "$PROOT/root" --runroot "$PROOT/run" --runtime runc --cgroup-manager cgroupfs)
# podman's overlay driver cannot stack on an overlayfs (fresh-check's root is one):
# vfs there, slower (a full copy a layer) but it works anywhere.
[ "$(stat -f -c %T "$PROOT")" = overlayfs ] && P+=(--storage-driver vfs)
RUNFLAGS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
cleanup() {
    "${P[@]}" rm -f -t 0 "bot-$$" "fake-$$" >/dev/null 2>&1
    "${P[@]}" volume rm -f "state-$$" >/dev/null 2>&1
    "${P[@]}" rmi -f "$IMAGE" >/dev/null 2>&1
    # the layers of older sources: the cache keeps what the last days built
    "${P[@]}" image prune -f --filter until=72h >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

skip() { echo "SKIPPED: $*"; exit 77; }
ok() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
check() {       # check "what" COMMAND...: COMMAND must succeed
    local what=$1
    shift
    if "$@" >"$WORK/check.out" 2>&1; then ok; else fail "$what"; sed 's/^/  /' "$WORK/check.out" | tail -5; fi
}

command -v podman >/dev/null || skip "podman is not installed (bash deploy/setup.sh test installs it)"
command -v runc >/dev/null || skip "runc is not installed"

# ---- the base: Debian 12 minbase from this host's apt mirror, made once ----
if ! "${P[@]}" image exists "$BASE"; then
    command -v debootstrap >/dev/null || skip "debootstrap is not installed"
    mirror=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
                 'Identifier: Packages' 2>/dev/null | awk '$2 == "bookworm" && $3 == "main" {print $1; exit}')
    mirror=${mirror:-http://deb.debian.org/debian/}
    echo "deploy_image: debootstrap bookworm from $mirror (once; cached as $BASE)"
    if ! debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1; then
        tail -5 "$WORK/debootstrap.log"
        skip "debootstrap could not make a Debian 12 root here"
    fi
    rm -rf "$WORK"/rootfs/var/lib/apt/lists/* "$WORK"/rootfs/var/cache/apt/archives/*.deb
    tar -C "$WORK/rootfs" -c . | "${P[@]}" import - "$BASE" >/dev/null ||
        { fail "podman import of the debootstrap root"; exit 1; }
    rm -rf "$WORK/rootfs"
fi
# Building needs no OCI runtime (RUN steps in a chroot); running does.
can_run=1
"${P[@]}" run --rm --network none "${RUNFLAGS[@]}" "$BASE" true >"$WORK/probe" 2>&1 || can_run=0

# ---- build ----
t0=$SECONDS
if "${P[@]}" build --isolation chroot --format docker --layers --build-arg "BASE=$BASE" \
        -f "$SRC/deploy/Dockerfile" -t "$IMAGE" "$SRC" >"$WORK/build.log" 2>&1; then
    ok
    echo "deploy_image: built in $((SECONDS - t0)) s"
else
    tail -20 "$WORK/build.log"
    fail "podman build -f deploy/Dockerfile"
    exit 1
fi
inspect() { "${P[@]}" image inspect --format "$1" "$IMAGE"; }
[ "$(inspect '{{.Config.User}}')" = "10001:10001" ] && ok || fail "the image runs as 10001:10001 (saw $(inspect '{{.Config.User}}'))"
inspect '{{json .Config.Volumes}}' | grep -q '"/var/lib/cancelbot"' && ok || fail "a volume at /var/lib/cancelbot"
inspect '{{json .Config.Healthcheck}}' | grep -q '/healthz' && ok || fail "a HEALTHCHECK on /healthz"
if [ "$can_run" = 0 ]; then
    echo "$PASSES passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ] || exit 1
    sed 's/^/  /' "$WORK/probe"
    skip "the image builds, but podman cannot run a container on this machine (above), so it was not run"
fi
"${P[@]}" run --rm --network none --read-only "${RUNFLAGS[@]}" --entrypoint sh "$IMAGE" -c \
    'command -v cc gcc cmake make >/dev/null' && fail "no compiler in the runtime image" || ok

# ---- run: the fake Slack first, the bot in its network namespace ----
mkdir -p "$WORK/fake"
# The waits are long: the bot's container starts after the fake's, and podman can take
# more than the fake's default 10 s to start it on a busy machine (the fake then gave
# up, and /readyz never came: seen once just after a rebuild).
cat >"$WORK/fake/script" <<'IN'
wait 60 api auth.test
wait 60 connect
sleep 120000
quit
IN
printf 'xoxb-image-test-token-0123456789\n' >"$WORK/bot_token"
chmod 644 "$WORK/fake/script" "$WORK/bot_token"
chmod 777 "$WORK/fake"                 # the image's user writes the fake's log there
"${P[@]}" run -d --name "fake-$$" --network none --read-only "${RUNFLAGS[@]}" --no-healthcheck \
    -v "$WORK/fake:/fake" -v "$FAKE:/opt/fake_slack:ro" --entrypoint /opt/fake_slack "$IMAGE" \
    --script /fake/script --log /fake/log --port-file /fake/port --timeout 300 >/dev/null ||
    { fail "start the fake Slack container"; exit 1; }
for _ in $(seq 100); do [ -s "$WORK/fake/port" ] && break; sleep 0.1; done
port=$(cat "$WORK/fake/port" 2>/dev/null)
[ -n "$port" ] || { fail "the fake Slack did not start"; "${P[@]}" logs "fake-$$"; exit 1; }
# --health-interval disable: no systemd timer (none here); the test runs the check
"${P[@]}" run -d --name "bot-$$" --network "container:fake-$$" --read-only "${RUNFLAGS[@]}" \
    --health-interval disable \
    -v "state-$$:/var/lib/cancelbot" -v "$WORK/bot_token:/run/secrets/slack_bot_token:ro" \
    -e SLACK_APP_TOKEN=xapp-1-A0IMAGE-1-image-test-app-token \
    -e SLACK_BOT_TOKEN_FILE=/run/secrets/slack_bot_token \
    -e SLACK_API_URL="http://127.0.0.1:$port/api/" -e CANCELBOT_LOG_LEVEL=debug \
    "$IMAGE" >/dev/null || { fail "start the bot container"; exit 1; }

healthy=0
for _ in $(seq 60); do
    if "${P[@]}" healthcheck run "bot-$$" >/dev/null 2>&1; then healthy=1; break; fi
    sleep 0.5
done
[ "$healthy" = 1 ] && ok || fail "the image's HEALTHCHECK (curl /healthz) passes"
ready=0
for _ in $(seq 40); do
    if "${P[@]}" exec "bot-$$" curl -fsS http://127.0.0.1:8089/readyz >"$WORK/readyz" 2>&1; then
        ready=1; break
    fi
    sleep 0.5
done
[ "$ready" = 1 ] && ok || { fail "/readyz answers 200 once Slack said hello"; cat "$WORK/readyz"; }
[ "$("${P[@]}" exec "bot-$$" id -u 2>&1)" = 10001 ] && ok || fail "the bot runs as uid 10001"
check "the record is on the volume" "${P[@]}" exec "bot-$$" test -s /var/lib/cancelbot/cancelbot.db
"${P[@]}" exec "bot-$$" sh -c 'touch /usr/local/bin/x || touch /etc/x' >/dev/null 2>&1 &&
    fail "the root file system is read-only" || ok

t0=$SECONDS
"${P[@]}" stop -t 10 "bot-$$" >/dev/null
rc=$("${P[@]}" inspect --format '{{.State.ExitCode}}' "bot-$$")
[ "$rc" = 0 ] && ok || fail "podman stop (SIGTERM) ends the bot with status 0 (saw $rc)"
[ $((SECONDS - t0)) -lt 10 ] && ok || fail "the bot stops before podman's 10 s SIGKILL"
"${P[@]}" logs "bot-$$" >"$WORK/bot.log" 2>&1
lines=$(wc -l <"$WORK/bot.log")
json=$(jq -R 'try (fromjson | if type == "object" and has("time") and has("level") and has("msg") then 1 else 0 end) catch 0' \
           "$WORK/bot.log" | grep -c '^1$')
[ "$lines" -ge 3 ] && [ "$json" -eq "$lines" ] && ok ||
    { fail "the container logs JSON lines ($json of $lines)"; head -5 "$WORK/bot.log"; }
grep -q 'image-test' "$WORK/bot.log" "$WORK/fake/log" && fail "a token in a log" || ok

echo "$PASSES passed, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
