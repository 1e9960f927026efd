-- A ClusterXchange programme of the partnership. Every figure of its rules is configuration:
-- the countries whose clusters take part, the meetings a member needs (and whether they must be
-- verified as held), the length of an exchange in working days, when a stay is funded at half,
-- the most per visitor, the budget and the application window.
create table grant_programmes (
    id integer primary key autoincrement,
    name text not null,
    -- ISO country codes, comma-separated.
    eligible_countries text not null,
    min_meetings integer not null,
    require_verified boolean not null,
    min_days integer not null,
    max_days integer not null,
    full_rate_days integer not null,
    full_rate_km integer not null,
    max_per_visitor integer not null,
    currency text not null,
    budget integer not null,
    -- Reserved by approvals, raised only while it stays within the budget; paid out of it.
    committed integer not null,
    paid integer not null,
    opens_at integer not null,
    closes_at integer not null,
    constraint grant_programmes_budget_check check (committed >= 0 and committed <= budget and paid <= committed),
    constraint grant_programmes_days_check check (min_days > 0 and max_days >= min_days)
);
-- The lump sum of a stay with a host in each country, in cents.
create table grant_lump_sums (
    programme_id integer not null references grant_programmes (id),
    country text not null,
    cents integer not null,
    constraint grant_lump_sums_key unique (programme_id, country)
);
