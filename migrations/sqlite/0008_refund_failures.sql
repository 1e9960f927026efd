-- A refund the payment provider could not make: the ticket stays valid, and organisers see
-- that it failed and why, and may try again.
alter table tickets add column refund_failed_at integer;
alter table tickets add column refund_failure text;
