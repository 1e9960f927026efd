-- A person's private calendar feed (/calendar/{secret}.ics): only a hash of the secret is kept,
-- as for sessions, so a database leak does not open anyone's calendar. Rotating replaces the
-- hash, which kills the old address.
create table calendar_feeds (
    user_id bigint primary key references users (id) on delete cascade,
    secret_hash text not null,
    created_at bigint not null,
    constraint calendar_feeds_secret_key unique (secret_hash)
);
