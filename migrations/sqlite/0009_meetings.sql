-- B2B matchmaking: the grid of an event's meeting session (windows cut into slots, numbered
-- tables), meeting requests and meetings, and the proof that a meeting was held.

create table b2b_sessions (
    event_id integer primary key references events (id),
    slot_minutes integer not null,
    -- At most this many accepted meetings per person, and pending requests sent per person.
    max_meetings integer not null,
    max_pending integer not null,
    -- After this instant no request can be made or answered; pending ones expire.
    request_deadline integer not null,
    constraint b2b_sessions_slot_check check (slot_minutes in (15, 20, 30)),
    constraint b2b_sessions_limits_check check (max_meetings > 0 and max_pending > 0)
);

-- A meeting window (e.g. 14:00-17:30 on one day); a break is the gap between two windows.
create table b2b_windows (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    starts_at integer not null,
    ends_at integer not null,
    constraint b2b_windows_order_check check (ends_at > starts_at)
);

-- The slots the windows are cut into; meetings refer to them, so a grid change that would
-- leave a meeting without its slot can be found and refused.
create table b2b_slots (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    starts_at integer not null,
    ends_at integer not null,
    -- Off when a grid change dropped it; kept for the meetings declined or cancelled in it.
    active boolean not null,
    constraint b2b_slots_start_key unique (event_id, starts_at)
);

create table b2b_tables (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    number integer not null,
    location text not null,
    active boolean not null,
    constraint b2b_tables_number_key unique (event_id, number)
);

-- The two people of a meeting are their tickets for the event (one live ticket per person).
create table meetings (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    slot_id integer not null references b2b_slots (id),
    table_id integer references b2b_tables (id),
    requester_ticket_id integer not null references tickets (id),
    recipient_ticket_id integer not null references tickets (id),
    status text not null,
    message text not null,
    -- Why it was declined or cancelled, when the person said.
    reason text not null,
    -- Who must answer a request: the recipient, or (after a proposal) the requester.
    awaiting_ticket_id integer references tickets (id),
    created_at integer not null,
    updated_at integer not null,
    -- Bumped by every change a calendar must follow (slot, table, cancellation).
    sequence integer not null,
    held_confirmed_at integer,
    held_confirmed_by integer references tickets (id),
    no_show_reported_at integer,
    no_show_reported_by integer references tickets (id),
    constraint meetings_status_check
        check (status in ('requested', 'accepted', 'declined', 'cancelled', 'expired')),
    constraint meetings_two_people_check check (requester_ticket_id <> recipient_ticket_id)
);
create index meetings_event_idx on meetings (event_id, status);
create index meetings_requester_idx on meetings (requester_ticket_id, status);
create index meetings_recipient_idx on meetings (recipient_ticket_id, status);
-- No table hosts two accepted meetings in one slot.
create unique index meetings_one_per_table on meetings (slot_id, table_id) where status = 'accepted';

-- One row per person and slot of an accepted meeting: nobody has two meetings in one slot,
-- whichever side of each they are on.
create table meeting_seats (
    meeting_id integer not null references meetings (id),
    slot_id integer not null references b2b_slots (id),
    ticket_id integer not null references tickets (id),
    constraint meeting_seats_one_per_slot unique (slot_id, ticket_id)
);
create index meeting_seats_meeting_idx on meeting_seats (meeting_id);

-- Accepted meetings per person, raised only while under the session's maximum (a conditional
-- update), so the maximum holds whatever the timing.
create table b2b_people (
    ticket_id integer primary key references tickets (id),
    event_id integer not null references events (id),
    accepted integer not null,
    constraint b2b_people_accepted_check check (accepted >= 0)
);

-- Slots a person keeps free of meetings.
create table b2b_blocked_slots (
    ticket_id integer not null references tickets (id),
    slot_id integer not null references b2b_slots (id),
    constraint b2b_blocked_slots_key unique (ticket_id, slot_id)
);

-- Every step of every meeting, with who and when: what grant eligibility will rest on.
create table meeting_log (
    id integer primary key autoincrement,
    meeting_id integer not null references meetings (id),
    at integer not null,
    actor_user_id integer references users (id),
    action text not null,
    detail text not null
);
create index meeting_log_meeting_idx on meeting_log (meeting_id, id);
