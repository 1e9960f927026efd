-- When a ticket last changed (status, badge, name), so scanners fetch only what changed since
-- their copy. Kept by triggers, so every way a ticket changes, now and later, is counted.
alter table tickets add column changed_at integer not null default 0;
create index tickets_changed_idx on tickets (event_id, changed_at);
-- Each backend in its own language below.
update tickets set changed_at = cast(strftime('%s', 'now') as integer);
create trigger tickets_changed_on_insert after insert on tickets for each row
begin
    update tickets set changed_at = cast(strftime('%s', 'now') as integer) where id = new.id;
end;
-- The condition stops the trigger's own update from firing it again; a statement that sets
-- changed_at itself keeps its value (data repairs, tests), as on PostgreSQL.
create trigger tickets_changed_on_update after update on tickets for each row
    when new.changed_at = old.changed_at
begin
    update tickets set changed_at = cast(strftime('%s', 'now') as integer) where id = new.id;
end;
