# Crash safety: the process is killed (SIGKILL) after the approval's transition
# committed and before its marketplace call ran. On restart the pending effect runs
# exactly once: one cancellation request at the marketplace, one submit call.
. "$(dirname "$0")/lib_e2e.sh"

CANCELBOT_FAULT_KILL_BEFORE=provider_submit shell <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
expect_rc 137 "$SHELL_RC" "killed by SIGKILL"
expect "Approvals complete. Submitting the cancellation to AWS Marketplace..."
expect_not "Submitted to AWS Marketplace as" "killed before the call"

shell <<'IN'
market CR-1
IN
expect_rc 0 "$SHELL_RC" "restart"
expect "Submitted to AWS Marketplace as cancellation request acr-" "the resumed effect"
expect "1 cancellation request(s) at the marketplace; 1 submit call(s) with client token cb-$(install_id)-CR-1"

shell <<'IN'
market CR-1
show CR-1
IN
expect_not "Submitted to AWS Marketplace as" "not run a second time"
expect "1 cancellation request(s) at the marketplace; 1 submit call(s) with client token cb-$(install_id)-CR-1"
expect_count 1 "submitting -> submitted"
finish
