# The shell on the simulated marketplace: the seed's agreement that the simulated
# seller bought (agmt-bought000000000001, proposed by another seller) is refused at
# look-up with the reason, before any draft or Confirm; a search of its buyer does not
# offer it; the seller's own agreements still go through.
. "$(dirname "$0")/lib_e2e.sh"

shell <<'IN'
/cancel aws agmt-bought000000000001 reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
/cancel aws buyer=111122223333
/cancel aws agmt-1a2b3c4d5e6f7g8h9i0j reason=replacing note="Replacing with private offer offer-9x8y7w6v5u4t"
click CR-1 confirm
list all
IN
expect_rc 0 "$SHELL_RC" "shell"
expect "agreement: agmt-bought000000000001 was bought by this account (111122223333): only its seller (the proposer, 444455556666) can cancel it; ask them." "the refusal and its reason"
expect_not "Could not look up" "a refusal, not a failed look-up"
expect "No active agreements" "search leaves it out"
expect_count 1 "[Confirm] [Discard]" "Confirm only for the seller's own agreement"
expect_count 1 "posted card CR-1" "one request, for the seller's own agreement"
expect_not "CR-2" "no draft for the refused one"
expect_not "Partner Analytics Suite" "the refused agreement is never shown as a draft"
finish
