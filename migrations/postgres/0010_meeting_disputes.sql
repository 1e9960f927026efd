-- A no-show report against a meeting confirmed at the table is decided by the organisers:
-- 'held' (the confirmation stands) or 'not held' (it does not count). Who decided and when is
-- kept, because grant eligibility rests on it.
alter table meetings add column dispute_decision text
    constraint meetings_dispute_check check (dispute_decision in ('held', 'not held'));
alter table meetings add column dispute_decided_at bigint;
alter table meetings add column dispute_decided_by bigint references users (id);
