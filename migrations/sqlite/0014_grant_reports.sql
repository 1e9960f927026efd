-- What an application gathers after its approval. evidence: the counted meetings and the
-- verdict as they were at approval (JSON), so the evidence pack shows what the decision rested
-- on even when a meeting is disputed later. report: the visitor's closing report.
alter table grant_applications add column evidence text not null default '';
alter table grant_applications add column report text not null default '';
-- The closing report's evidence files (PDF or images, checked by content and size on upload).
create table grant_evidence_files (
    id integer primary key autoincrement,
    application_id integer not null references grant_applications (id),
    file_name text not null,
    content_type text not null,
    size integer not null,
    body blob not null,
    uploaded_at integer not null
);
create index grant_evidence_files_application_idx on grant_evidence_files (application_id, id);
