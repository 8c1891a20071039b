# A second process opened on the live database while the first is in the middle of
# a slow marketplace call (an operator's shell, a rolling deploy): the call's lease
# is the first process's, so the second does not make the call again. Before leases
# had owners, every process voided all leases at start-up and submitted twice.
. "$(dirname "$0")/lib_e2e.sh"
. "$(dirname "$0")/lib_e2e_market.sh"

use_fake_aws_seller
start_market --slow SendAgreementCancellationRequest:4000
export AWS_ENDPOINT_URL_MARKETPLACE_AGREEMENT="http://127.0.0.1:$PORT" AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT"

cat >"$WORK/first.in" <<'IN'
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
as U0FIN1
click CR-1 approve
IN
CANCELBOT_LOG_LEVEL=info "$CANCELBOT" shell --db "$DB" --config "$WORK/policy.json" \
    <"$WORK/first.in" >"$WORK/first.out" 2>"$WORK/first.err" &
first=$!
# The approval commits the submission; the call itself then waits 4 s at the fake.
for _ in $(seq 100); do
    grep -q "approve by U0FIN1 -> submitting" "$WORK/first.err" && break
    sleep 0.05
done
sleep 0.5
CANCELBOT_LOG_LEVEL=info "$CANCELBOT" shell --db "$DB" --config "$WORK/policy.json" \
    </dev/null >"$WORK/second.out" 2>"$WORK/second.err"
expect_rc 0 $? "the second process"
kill -0 "$first" 2>/dev/null
expect_rc 0 $? "the first process is still waiting for the marketplace"
wait "$first"
expect_rc 0 $? "the first process"
cp "$WORK/first.out" "$OUT"
expect "Submitted to AWS Marketplace as cancellation request acr-" "the first process got the answer"
cp "$WORK/second.out" "$OUT"
expect_not "Submitted to AWS Marketplace" "the second process did not submit"
expect_stat "\"cb-$(install_id)-CR-1\":1" "exactly one SendAgreementCancellationRequest"
stop_market
finish
