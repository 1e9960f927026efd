-- Registration and tickets: ticket types with capacity and sales windows, vouchers and membership
-- codes, registration drafts, tickets (one live ticket per person per event), the Stripe events
-- already handled, and attachments on queued mail.
-- Seats and voucher uses are taken and given back only by conditional updates inside the
-- registration transaction; the check constraints below are the last line against overselling.

create table ticket_types (
    id integer primary key autoincrement,
    event_id integer not null references events (id) on delete cascade,
    name text not null,
    description text not null default '',
    price_cents integer not null,
    currency text not null default 'EUR',
    capacity integer not null,
    -- Seats held by open checkouts plus seats sold.
    seats_taken integer not null default 0,
    sales_start integer not null,
    sales_end integer not null,
    visibility text not null,
    eligibility text not null,
    position integer not null default 0,
    constraint ticket_types_event_name_key unique (event_id, name),
    constraint ticket_types_price_check check (price_cents >= 0),
    constraint ticket_types_capacity_check check (capacity >= 0),
    constraint ticket_types_seats_check check (seats_taken >= 0 and seats_taken <= capacity),
    constraint ticket_types_window_check check (sales_end > sales_start),
    constraint ticket_types_visibility_check check (visibility in ('public', 'hidden')),
    constraint ticket_types_eligibility_check check (eligibility in ('anyone', 'members', 'invited'))
);
create index ticket_types_event_idx on ticket_types (event_id, position);

create table vouchers (
    id integer primary key autoincrement,
    event_id integer not null references events (id) on delete cascade,
    code text not null,
    effect text not null,
    ticket_type_id integer references ticket_types (id) on delete cascade,
    percent_off integer not null default 0,
    max_uses integer not null,
    times_used integer not null default 0,
    valid_from integer not null,
    valid_until integer not null,
    note text not null default '',
    constraint vouchers_event_code_key unique (event_id, code),
    constraint vouchers_effect_check check (effect in ('discount', 'unlock')),
    constraint vouchers_unlock_check check (effect <> 'unlock' or ticket_type_id is not null),
    constraint vouchers_percent_check check (percent_off >= 0 and percent_off <= 100),
    constraint vouchers_uses_check check (max_uses > 0 and times_used >= 0 and times_used <= max_uses),
    constraint vouchers_window_check check (valid_until > valid_from)
);

-- What someone filled in before the review step; confirming turns it into a ticket.
create table registration_drafts (
    user_id integer not null references users (id) on delete cascade,
    event_id integer not null references events (id) on delete cascade,
    ticket_type_id integer not null references ticket_types (id) on delete cascade,
    voucher_code text,
    profile text not null,
    updated_at integer not null,
    primary key (user_id, event_id)
);

create table tickets (
    id integer primary key autoincrement,
    event_id integer not null references events (id),
    ticket_type_id integer not null references ticket_types (id),
    user_id integer not null references users (id),
    voucher_id integer references vouchers (id),
    status text not null,
    price_cents integer not null,
    currency text not null,
    attendee_name text not null,
    email text not null,
    organisation text not null,
    organisation_type text not null,
    cluster_id integer references clusters (id),
    country text not null,
    job_role text not null,
    themes text not null,
    offers text not null,
    seeks text not null,
    directory_consent boolean not null,
    terms_accepted_at integer not null,
    checkout_session_id text,
    checkout_url text,
    payment_intent_id text,
    hold_expires_at integer,
    created_at integer not null,
    confirmed_at integer,
    cancelled_at integer,
    refund_requested_at integer,
    constraint tickets_status_check check (status in ('pending', 'confirmed', 'cancelled', 'refunded', 'expired')),
    constraint tickets_checkout_session_key unique (checkout_session_id),
    constraint tickets_price_check check (price_cents >= 0)
);
-- One live ticket (held or confirmed) per person per event.
create unique index tickets_one_per_person on tickets (event_id, user_id) where status in ('pending', 'confirmed');
create index tickets_event_idx on tickets (event_id, status);
create index tickets_user_idx on tickets (user_id);
create index tickets_payment_intent_idx on tickets (payment_intent_id);

-- Each Stripe event is applied once: its id is recorded in the transaction that applies it.
create table stripe_events (
    id text primary key,
    kind text not null,
    received_at integer not null,
    outcome text not null
);

alter table outbox add column attachment_name text;
alter table outbox add column attachment_type text;
alter table outbox add column attachment_body text;
