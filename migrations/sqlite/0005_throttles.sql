-- Sign-in throttling per client address as well as per account address.
alter table sign_in_failures add column client text;
create index sign_in_failures_client_idx on sign_in_failures (client, at);
