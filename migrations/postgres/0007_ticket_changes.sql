-- When a ticket last changed (status, badge, name), so scanners fetch only what changed since
-- their copy. Kept by a trigger, so every way a ticket changes, now and later, is counted.
alter table tickets add column changed_at bigint not null default 0;
create index tickets_changed_idx on tickets (event_id, changed_at);
-- Each backend in its own language below.
update tickets set changed_at = extract(epoch from now())::bigint;
create function tickets_changed() returns trigger language plpgsql as $$
begin
    -- A statement that sets changed_at itself keeps its value (data repairs, tests), as on SQLite.
    if tg_op = 'INSERT' then
        new.changed_at := extract(epoch from clock_timestamp())::bigint;
    elsif new.changed_at = old.changed_at then
        new.changed_at := extract(epoch from clock_timestamp())::bigint;
    end if;
    return new;
end
$$;
create trigger tickets_changed before insert or update on tickets
    for each row execute function tickets_changed();
