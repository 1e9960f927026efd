-- Badges and door check-in.

-- The second the ticket's current badge was issued; part of the signed code, so re-issuing a
-- badge (a new second) revokes the old code. Null until the first badge is shown.
alter table tickets add column badge_issued_at integer;

-- One Ed25519 key pair per event. The secret stays in the database; scanners get the public key.
create table event_badge_keys (
    event_id integer primary key references events (id),
    public_key text not null,
    secret_key text not null,
    created_at integer not null
);

create table checkin_lists (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    name text not null,
    kind text not null,
    multi_entry boolean not null,
    -- When false, only the ticket types in checkin_list_ticket_types are admitted.
    all_ticket_types boolean not null,
    created_at integer not null,
    constraint checkin_lists_kind_check check (kind in ('entrance', 'session', 'b2b')),
    constraint checkin_lists_name_key unique (event_id, name)
);

create table checkin_list_ticket_types (
    list_id integer not null references checkin_lists (id) on delete cascade,
    ticket_type_id integer not null references ticket_types (id),
    primary key (list_id, ticket_type_id)
);

-- Scanning devices (handhelds, turnstiles, apps) with a bearer token for one event.
create table scanner_devices (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    label text not null,
    token_hash text not null,
    created_by integer not null references users (id),
    created_at integer not null,
    revoked_at integer,
    constraint scanner_devices_token_key unique (token_hash)
);

create table checkins (
    id integer primary key autoincrement,
    list_id integer not null references checkin_lists (id),
    ticket_id integer not null references tickets (id),
    direction text not null,
    -- Copied from the list, so the one-entry rule can be a partial unique index.
    single_entry boolean not null,
    device text not null,
    -- Chosen by the scanning device; a retried request finds its first answer.
    idempotency_key text not null,
    -- When the device scanned (offline scans reach the server later), and when it was stored.
    scanned_at integer not null,
    recorded_at integer not null,
    offline boolean not null,
    undone_at integer,
    constraint checkins_direction_check check (direction in ('entry', 'exit')),
    constraint checkins_idempotency_key unique (list_id, idempotency_key)
);
-- The single-entry invariant: one live entry per ticket per single-entry list.
create unique index checkins_one_entry on checkins (list_id, ticket_id)
    where single_entry and direction = 'entry' and undone_at is null;
create index checkins_list_time on checkins (list_id, scanned_at);
create index checkins_ticket on checkins (ticket_id);
