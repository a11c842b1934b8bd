-- The exceptions inbox at 10,000+ cases (issue 5): every list the console asks for by default
-- (the unresolved cases of a tenant, of a team, of an assignee or of a root cause, sorted by SLA
-- risk, business impact or age, paged by keyset) reads an index in its sort order and stops after
-- one page, instead of sorting every open case (governance/exceptions/cases.cc, ListCases).
--
-- The indexes are partial (closed_at IS NULL): a tenant keeps far more closed cases than open
-- ones until retention purges them, and an inbox page must not step over them. closed_at is set
-- whenever governance closes a case (resolve, skip, cancel); cases the engine closes itself (a
-- retried run that succeeded) keep closed_at NULL and stay in these indexes, where the join on
-- exception_cases.state passes over them, until retention purges them.
--
-- SLA risk sorts by the next deadline that matters: the acknowledge deadline until the case is
-- acknowledged, then the resolve deadline. The expression below must stay identical to
-- kOpenDueKey in cases.cc (both engines match an expression index by the expression's text).
CREATE INDEX exception_inbox_due ON exception_governance
  (tenant_id, (CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END), case_id)
  WHERE closed_at IS NULL;
CREATE INDEX exception_inbox_team_due ON exception_governance
  (tenant_id, owner_team,
   (CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END), case_id)
  WHERE closed_at IS NULL;
CREATE INDEX exception_inbox_assignee_due ON exception_governance
  (tenant_id, assignee,
   (CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END), case_id)
  WHERE closed_at IS NULL;
CREATE INDEX exception_inbox_root_cause_due ON exception_governance
  (tenant_id, root_cause_key,
   (CASE WHEN acknowledged_at IS NULL THEN ack_due_at ELSE resolve_due_at END), case_id)
  WHERE closed_at IS NULL;
-- Business impact, largest first: the negated value ascending, so that the keyset condition and
-- the case-id tie-break run in one direction.
CREATE INDEX exception_inbox_impact ON exception_governance
  (tenant_id, (-order_value_minor), case_id)
  WHERE closed_at IS NULL;
CREATE INDEX exception_inbox_team_impact ON exception_governance
  (tenant_id, owner_team, (-order_value_minor), case_id)
  WHERE closed_at IS NULL;
-- Oldest first: the engine's creation time, over the cases the engine still holds open.
CREATE INDEX exception_cases_unresolved_by_age ON exception_cases (tenant_id, created_at, case_id)
  WHERE state <> 'resolved';
-- The inbox's joins ask each case for its engine state and creation time. Both columns sit after
-- payload_json (the failed event, often several KB) in exception_cases' rows, so reading them
-- from the table walks the payload's overflow pages; this covering index answers them without
-- touching the row (counts, groups and filtered pages read thousands of cases).
CREATE INDEX exception_cases_inbox_state ON exception_cases (tenant_id, case_id, state, created_at);
