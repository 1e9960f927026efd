-- Applications for an exchange grant. The visiting organisation is named as typed on the
-- member's ticket; organisation_key is its lower-cased name, by which it is funded once.
create table grant_applications (
    id integer primary key autoincrement,
    programme_id integer not null references grant_programmes (id),
    applicant_user_id integer not null references users (id),
    organisation text not null,
    organisation_key text not null,
    -- The visitor's cluster (whose organisers review) and country.
    cluster_id integer not null references clusters (id),
    country text not null,
    visitor_city text not null,
    host_organisation text not null,
    host_city text not null,
    host_country text not null,
    distance_km integer not null,
    first_day text not null,
    last_day text not null,
    working_days integer not null,
    goals text not null,
    agenda text not null,
    -- Computed by the rules at submission, in cents, with its explanation (JSON lines).
    amount integer not null,
    amount_lines text not null,
    -- The eligibility verdict as it was at submission (JSON), for the evidence pack.
    verdict text not null,
    status text not null,
    reason text not null,
    created_at integer not null,
    updated_at integer not null,
    constraint grant_applications_status_check check (status in ('draft', 'submitted', 'host confirmed',
        'approved', 'rejected', 'visit done', 'reported', 'paid', 'closed', 'withdrawn')),
    constraint grant_applications_amount_check check (amount > 0)
);
create index grant_applications_cluster_idx on grant_applications (cluster_id, status);
create index grant_applications_applicant_idx on grant_applications (applicant_user_id);
-- An organisation is funded once per programme, whatever the timing of approvals.
create unique index grant_applications_funded_once on grant_applications (programme_id, organisation_key)
    where status in ('approved', 'visit done', 'reported', 'paid', 'closed');
-- Every state change and amount, with who, when, before and after, and why. Append-only: the
-- code only inserts.
create table grant_audit (
    id integer primary key autoincrement,
    application_id integer not null references grant_applications (id),
    at integer not null,
    actor_user_id integer not null references users (id),
    from_status text not null,
    to_status text not null,
    amount_before integer not null,
    amount_after integer not null,
    reason text not null
);
create index grant_audit_application_idx on grant_audit (application_id, id);
