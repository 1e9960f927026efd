-- Clusters of the partnership, their events, accounts, sessions, sign-in throttling,
-- password resets and the mail outbox.

create table clusters (
    id integer primary key,
    code text not null unique,
    name text not null,
    region text not null,
    city text not null,
    country text not null,
    time_zone text not null
);

create table events (
    id integer primary key,
    slug text not null,
    cluster_id integer not null references clusters (id),
    title text not null,
    theme text not null,
    summary text not null,
    description text not null,
    venue_name text not null,
    venue_address text not null,
    city text not null,
    country text not null,
    time_zone text not null,
    starts_at integer not null,
    ends_at integer not null,
    languages text not null,
    constraint events_slug_key unique (slug),
    constraint events_dates_check check (ends_at > starts_at),
    constraint events_theme_check check (theme in ('digitalisation', 'biomarkers', 'companion-diagnostics', 'micro-nano-electronics', 'multiomics'))
);

create table users (
    id integer primary key,
    email text not null,
    display_name text not null,
    password_hash text not null,
    role text not null,
    cluster_id integer references clusters (id),
    event_id integer references events (id),
    created_at integer not null,
    constraint users_email_key unique (email),
    constraint users_role_check check (role in ('attendee', 'organiser', 'scanner', 'admin')),
    constraint users_organiser_scope_check check (role <> 'organiser' or cluster_id is not null),
    constraint users_scanner_scope_check check (role <> 'scanner' or event_id is not null)
);

create table sessions (
    token_hash text primary key,
    user_id integer not null references users (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null
);
create index sessions_user_idx on sessions (user_id);

create table sign_in_failures (
    id integer primary key,
    email text not null,
    at integer not null
);
create index sign_in_failures_email_idx on sign_in_failures (email, at);

create table password_resets (
    token_hash text primary key,
    user_id integer not null references users (id) on delete cascade,
    created_at integer not null,
    expires_at integer not null,
    used_at integer
);

create table outbox (
    id integer primary key,
    recipient text not null,
    subject text not null,
    body_text text not null,
    created_at integer not null,
    next_attempt_at integer not null,
    attempts integer not null default 0,
    sent_at integer,
    last_error text
);
create index outbox_due_idx on outbox (sent_at, next_attempt_at);
