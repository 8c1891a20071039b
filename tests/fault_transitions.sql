-- tests/fault_transitions.sql -- the fault suite's check of a record's audit history
-- against the request state machine of DESIGN.md ("State of a cancellation request",
-- plus the support-case route and the expiry timers of docs/architecture.md). Prints
-- one line per violation; nothing when the history is sound:
--   sqlite3 -batch -noheader cancelbot.db < tests/fault_transitions.sql
-- * every request's history starts with one create (draft -> draft);
-- * each later event starts in the state the previous one ended in (nothing skipped,
--   nothing moved backwards) and follows a documented edge (a self-edge is a step
--   that keeps the state: one of two approvals, a status poll, a reminder);
-- * the once-only steps (create, confirm, submit_accepted) happen at most once;
-- * the request row's state is the state its last event ended in.
WITH allowed(f, t) AS (VALUES
    ('draft', 'draft'), ('draft', 'awaiting_approval'), ('draft', 'discarded'),
    ('draft', 'expired'), ('draft', 'withdrawn'),
    ('awaiting_approval', 'awaiting_approval'), ('awaiting_approval', 'submitting'),
    ('awaiting_approval', 'rejected'), ('awaiting_approval', 'withdrawn'),
    ('awaiting_approval', 'expired'),
    ('submitting', 'submitting'), ('submitting', 'submitted'), ('submitting', 'failed'),
    ('submitted', 'submitted'), ('submitted', 'completed'), ('submitted', 'buyer_rejected'),
    ('submitted', 'withdrawn'), ('submitted', 'failed'),
    ('failed', 'support_case'),
    ('support_case', 'support_case'), ('support_case', 'completed'), ('support_case', 'failed')),
ordered AS (
    SELECT seq, request_id, event, from_state, to_state,
           LAG(to_state) OVER (PARTITION BY request_id ORDER BY seq) AS prev_to,
           ROW_NUMBER() OVER (PARTITION BY request_id ORDER BY seq) AS n
    FROM events),
judged AS (
    SELECT *, CASE
        WHEN n = 1 AND NOT (event = 'create' AND from_state = 'draft' AND to_state = 'draft')
            THEN 'the history does not start with create draft -> draft'
        WHEN n > 1 AND from_state <> prev_to
            THEN 'starts in ' || from_state || ' but the previous event ended in ' || prev_to
        WHEN n > 1 AND NOT EXISTS (SELECT 1 FROM allowed WHERE f = from_state AND t = to_state)
            THEN 'not a documented transition'
        END AS why
    FROM ordered)
SELECT request_id || ' event #' || seq || ' ' || event || ' ' || from_state || ' -> ' ||
       to_state || ': ' || why
FROM judged WHERE why IS NOT NULL
UNION ALL
SELECT request_id || ': ' || event || ' recorded ' || COUNT(*) || ' times (once at most)'
FROM events WHERE event IN ('create', 'confirm', 'submit_accepted')
GROUP BY request_id, event HAVING COUNT(*) > 1
UNION ALL
SELECT r.id || ': the request is ' || r.state || ' but its history ends in ' ||
       COALESCE((SELECT to_state FROM events e WHERE e.request_id = r.id
                 ORDER BY seq DESC LIMIT 1), '(no events)')
FROM requests r
WHERE r.state IS NOT (SELECT to_state FROM events e WHERE e.request_id = r.id
                      ORDER BY seq DESC LIMIT 1);
