# Static checks of deploy/ (ctest -L deploy), one part a test:
#   systemd     deploy/cancelbot.service: `systemd-analyze verify` accepts it, silently,
#               on a copy whose ExecStart is the binary just built (verify wants the
#               named binary to exist); and it keeps the hardening the README names
#   k8s         deploy/k8s/*/*.yaml against the Kubernetes API's models and our promises
#               (deploy/lint/k8s_check.py, with Debian's python3-kubernetes: offline)
#   dockerfile  deploy/Dockerfile: instructions Docker knows, and what the README
#               promises of the image (podman builds it too: see deploy_image)
# usage: bash tests/deploy_lint.sh PART SOURCE_DIR CANCELBOT_BINARY
# A missing tool skips the part (77) and says what installs it.
set -u
PART=${1:?usage: $0 systemd|k8s|dockerfile SOURCE_DIR CANCELBOT_BINARY}
SRC=${2:?}
BIN=${3:?}
WORK=$(mktemp -d /tmp/cancelbot-deploy-lint.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILURES=0
PASSES=0
ok() { PASSES=$((PASSES + 1)); }
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
skip() { echo "SKIPPED: $*"; exit 77; }
has() {          # has FILE REGEX "what": FILE has a line matching REGEX
    if grep -qE -- "$2" "$1"; then ok; else fail "$(basename "$1"): $3 (no line matching $2)"; fi
}
finish() {
    echo "$PASSES passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
    exit $?
}

part_systemd() {
    local unit=$SRC/deploy/cancelbot.service
    command -v systemd-analyze >/dev/null ||
        skip "systemd-analyze is not installed (package systemd; deploy/setup.sh test installs it)"
    sed "s|^ExecStart=/usr/local/bin/cancelbot |ExecStart=$BIN |" "$unit" >"$WORK/cancelbot.service"
    grep -q "^ExecStart=$BIN run" "$WORK/cancelbot.service" || fail "ExecStart=/usr/local/bin/cancelbot run"
    # verify prints what it ignores (unknown keys, bad values) and still exits 0:
    # any output is a failure
    if systemd-analyze verify --man=no "$WORK/cancelbot.service" >"$WORK/verify.out" 2>&1 &&
        [ ! -s "$WORK/verify.out" ]; then
        ok
    else
        fail "systemd-analyze verify:"
        sed 's/^/  /' "$WORK/verify.out"
    fi
    has "$unit" '^DynamicUser=yes$' "a dynamic user"
    has "$unit" '^StateDirectory=cancelbot$' "the state directory"
    has "$unit" '^Environment=.*CANCELBOT_DB=%S/cancelbot/' "the record in the state directory"
    has "$unit" '^EnvironmentFile=/etc/cancelbot/env$' "secrets from /etc/cancelbot/env"
    has "$unit" '^ProtectSystem=strict$' "a read-only system"
    has "$unit" '^ProtectHome=yes$' "no home directories"
    has "$unit" '^PrivateTmp=yes$' "a private /tmp"
    has "$unit" '^NoNewPrivileges=yes$' "no new privileges"
    has "$unit" '^CapabilityBoundingSet=$' "no capabilities"
    has "$unit" '^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$' "IP and Unix sockets only"
    has "$unit" '^SystemCallFilter=@system-service$' "the system-service call set"
    has "$unit" '^MemoryDenyWriteExecute=yes$' "no writable executable memory"
    has "$unit" '^Restart=on-failure$' "restarts on failure"
    finish
}

part_k8s() {
    local lint=$SRC/deploy/lint/k8s_check.py
    # Debian's python3 (not another on PATH): python3-kubernetes and python3-yaml
    /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null ||
        skip "python3-kubernetes and python3-yaml are not installed (deploy/setup.sh test installs them)"
    if /usr/bin/python3 "$lint" "$SRC"/deploy/k8s/*/*.yaml >"$WORK/k8s.out" 2>&1; then
        ok
    else
        fail "k8s_check:"
    fi
    sed 's/^/  /' "$WORK/k8s.out"
    # the checker must be able to fail: one broken copy, each kind of problem it checks
    sed 's|path: /readyz|path: /ready|; s/type: Recreate/type: RollingUpdate/; s/replicas: 1$/replicas: "1"/; s/^\( *\)readOnlyRootFilesystem:/\1readOnlyRootFileSystem:/' \
        "$SRC/deploy/k8s/sqlite/cancelbot.yaml" >"$WORK/broken.yaml"
    /usr/bin/python3 "$lint" "$WORK/broken.yaml" >"$WORK/broken.out" 2>&1
    if grep -q 'readinessProbe must GET /readyz' "$WORK/broken.out" &&
        grep -q 'replicas: must be an integer' "$WORK/broken.out" &&
        grep -q "unknown field 'readOnlyRootFileSystem'" "$WORK/broken.out" &&
        grep -q 'needs replicas: 1 and strategy Recreate' "$WORK/broken.out"; then
        ok
    else
        fail "k8s_check does not see a broken manifest:"
        sed 's/^/  /' "$WORK/broken.out"
    fi
    finish
}

# The packages of setup.sh's build list (its first `packages=(...)`), one a line.
setup_build_packages() {
    sed -n '/^packages=(/,/^[^#]*)/p' "$SRC/deploy/setup.sh" | sed 's/#.*//' |
        tr ' ()' '\n\n\n' | sed -n 's/^\([a-z0-9][a-z0-9.+-]*\)$/\1/p' | grep -v '^packages=' | sort -u
}

part_dockerfile() {
    local df=$SRC/deploy/Dockerfile
    # one instruction a line: continuation lines joined
    sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$df" >"$WORK/Dockerfile"
    df=$WORK/Dockerfile
    # every line an instruction Docker knows, a comment or blank (what a typo breaks)
    if grep -vE '^[[:space:]]*(#|$)|^(FROM|RUN|CMD|LABEL|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD|STOPSIGNAL|HEALTHCHECK|SHELL) ' \
        "$df" >"$WORK/unknown"; then
        fail "lines that are no Dockerfile instruction:"; sed 's/^/  /' "$WORK/unknown"
    else
        ok
    fi
    head -n 50 "$df" | grep -vE '^[[:space:]]*(#|$)' | head -1 | grep -qE '^(ARG|FROM) ' && ok ||
        fail "the Dockerfile must start with ARG or FROM"
    has "$df" '^ARG BASE=.*debian:bookworm' "a Debian 12 base"
    has "$df" '^FROM \$\{BASE\} AS build$' "a build stage"
    has "$df" '^USER [1-9][0-9]*:[1-9][0-9]*$' "a numeric non-root user (runAsNonRoot can check it)"
    has "$df" '^VOLUME \["/var/lib/cancelbot"\]$' "the state on a volume"
    has "$df" '^HEALTHCHECK .*/healthz' "a HEALTHCHECK on /healthz"
    has "$df" 'CANCELBOT_HTTP_ADDR=0.0.0.0:8089' "the probes reachable from outside the container"
    # the build stage installs what setup.sh builds with; the runtime stage no -dev
    awk '/^FROM .* AS build/{s=1} /^FROM /&&!/AS build/{s=2} s==1' "$df" >"$WORK/build_stage"
    awk '/^FROM /&&!/AS build/{s=1} s==1' "$df" >"$WORK/run_stage"
    setup_build_packages >"$WORK/setup_pkgs"
    [ "$(wc -l <"$WORK/setup_pkgs")" -ge 8 ] && ok || fail "read setup.sh's package list"
    while read -r p; do
        grep -qw -- "$p" "$WORK/build_stage" && ok || fail "the build stage lacks $p (deploy/setup.sh builds with it)"
    done <"$WORK/setup_pkgs"
    grep -E -- '-dev\b|build-essential|cmake' "$WORK/run_stage" && fail "build tools in the runtime stage" || ok
    finish
}

case $PART in
    systemd) part_systemd ;;
    k8s) part_k8s ;;
    dockerfile) part_dockerfile ;;
    *) echo "unknown part $PART"; exit 2 ;;
esac
