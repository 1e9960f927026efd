-- Sign-up by a link: an account is created only when the link mailed to its address is opened,
-- so no account (and no ticket, and no other mail) exists for an address nobody confirmed.
-- A row is also kept when the address already has an account (its mail says so instead): the
-- rows then limit how often one address gets sign-up mail.
create table sign_up_requests (
    token_hash text primary key,
    email text not null,
    display_name text not null,
    created_at integer not null,
    expires_at integer not null,
    used_at integer
);
create index sign_up_requests_email_idx on sign_up_requests (email, created_at);
