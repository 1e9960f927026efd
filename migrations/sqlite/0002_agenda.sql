-- Agendas: tracks, rooms, speakers, sessions, and each attendee's personal agenda.
-- Ids appear in addresses and calendar UIDs, so SQLite must never reuse one (autoincrement), as
-- PostgreSQL's identity columns never do.

-- Every agenda change of an event first bumps this counter: the row lock serialises concurrent
-- edits of one event, so the room and speaker overlap checks that follow cannot race.
alter table events add column agenda_version integer not null default 0;

create table tracks (
    id integer primary key autoincrement,
    event_id integer not null references events (id) on delete cascade,
    name text not null,
    position integer not null default 0,
    constraint tracks_event_name_key unique (event_id, name)
);

create table rooms (
    id integer primary key autoincrement,
    event_id integer not null references events (id) on delete cascade,
    name text not null,
    capacity integer,
    constraint rooms_event_name_key unique (event_id, name),
    constraint rooms_capacity_check check (capacity is null or capacity > 0)
);

create table speakers (
    id integer primary key autoincrement,
    event_id integer not null references events (id) on delete cascade,
    name text not null,
    organisation text not null default '',
    bio text not null default '',
    photo blob,
    constraint speakers_event_name_key unique (event_id, name)
);

create table agenda_sessions (
    id integer primary key autoincrement,
    event_id integer not null references events (id) on delete cascade,
    track_id integer references tracks (id) on delete set null,
    room_id integer references rooms (id) on delete set null,
    title text not null,
    abstract text not null default '',
    theme text,
    starts_at integer not null,
    ends_at integer not null,
    capacity integer,
    seats_taken integer not null default 0,
    -- Bumped on every change: the SEQUENCE of the session's calendar entry.
    revision integer not null default 0,
    constraint agenda_sessions_times_check check (ends_at > starts_at),
    constraint agenda_sessions_capacity_check check (capacity is null or (capacity > 0 and seats_taken <= capacity)),
    constraint agenda_sessions_seats_check check (seats_taken >= 0)
);
create index agenda_sessions_event_idx on agenda_sessions (event_id, starts_at);
create index agenda_sessions_room_idx on agenda_sessions (room_id, starts_at);

create table session_speakers (
    session_id integer not null references agenda_sessions (id) on delete cascade,
    speaker_id integer not null references speakers (id) on delete cascade,
    position integer not null default 0,
    primary key (session_id, speaker_id)
);
create index session_speakers_speaker_idx on session_speakers (speaker_id);

create table personal_agenda (
    user_id integer not null references users (id) on delete cascade,
    session_id integer not null references agenda_sessions (id) on delete cascade,
    added_at integer not null,
    primary key (user_id, session_id)
);
create index personal_agenda_session_idx on personal_agenda (session_id);
