//! The life of an application after its submission (server only): submitted → host confirmed →
//! approved or rejected → visit done → reported → paid → closed, or withdrawn by the applicant
//! before the visit. Every step is one transaction: a conditional status update (so two people
//! acting at once cannot both move it), its effect on the budget, an audit line, and the mails
//! that report it, queued in the same transaction.

use sqlx::FromRow;

use super::store::{audit, euros, FUNDED_ONCE};
use crate::error::AppError;
use crate::platform::db::Tx;
use crate::platform::mail::{enqueue_in, OutgoingMail};
use crate::platform::Db;
use crate::tx_run;

/// A step of an application, as forms name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    ConfirmHost,
    Approve,
    Reject,
    VisitDone,
    Report,
    Pay,
    Close,
    Withdraw,
}

impl Step {
    pub fn parse(code: &str) -> Option<Step> {
        Some(match code {
            "confirm_host" => Step::ConfirmHost,
            "approve" => Step::Approve,
            "reject" => Step::Reject,
            "visit_done" => Step::VisitDone,
            "report" => Step::Report,
            "pay" => Step::Pay,
            "close" => Step::Close,
            "withdraw" => Step::Withdraw,
            _ => return None,
        })
    }

    /// The states the step leaves from.
    pub fn from(self) -> &'static [&'static str] {
        match self {
            Step::ConfirmHost => &["submitted"],
            Step::Approve => &["host confirmed"],
            Step::Reject => &["submitted", "host confirmed"],
            Step::VisitDone => &["approved"],
            Step::Report => &["visit done"],
            Step::Pay => &["reported"],
            Step::Close => &["paid"],
            Step::Withdraw => &["submitted", "host confirmed", "approved"],
        }
    }

    /// The state it reaches.
    pub fn to(self) -> &'static str {
        match self {
            Step::ConfirmHost => "host confirmed",
            Step::Approve => "approved",
            Step::Reject => "rejected",
            Step::VisitDone => "visit done",
            Step::Report => "reported",
            Step::Pay => "paid",
            Step::Close => "closed",
            Step::Withdraw => "withdrawn",
        }
    }

    /// What the applicant's mail says happened, and what comes next.
    fn news(self, amount: &str) -> (&'static str, String) {
        match self {
            Step::ConfirmHost => (
                "the host confirmed",
                "The host organisation confirmed that it will receive you. Your cluster's organisers decide next."
                    .into(),
            ),
            Step::Approve => (
                "approved",
                format!("Your exchange grant of €{amount} is approved and reserved for you. After the visit, mark it done and send the closing report."),
            ),
            Step::Reject => ("not approved", "Your application was not approved.".into()),
            Step::VisitDone => {
                ("visit done", "The visit is marked as done. Send the closing report with its evidence next.".into())
            }
            Step::Report => (
                "closing report received",
                "Your closing report was received. Your cluster's organisers check it and pay the grant.".into(),
            ),
            Step::Pay => ("paid", format!("Your grant of €{amount} is paid.")),
            Step::Close => ("closed", "Your application is closed. Thank you for taking part.".into()),
            Step::Withdraw => ("withdrawn", "Your application is withdrawn.".into()),
        }
    }
}

/// What a step carries besides who and when.
#[derive(Default)]
pub struct Details<'a> {
    /// Why (required to reject; kept when withdrawing).
    pub reason: &'a str,
    /// The evidence as it stands at approval (JSON), kept with the application.
    pub evidence: Option<&'a str>,
    /// The closing report and its checked files.
    pub report: Option<(&'a str, &'a [super::evidence::EvidenceFile])>,
    /// Mails nobody (the demo's applications).
    pub quiet: bool,
}

#[derive(FromRow)]
struct Current {
    programme_id: i64,
    status: String,
    amount: i64,
    cluster_id: i64,
    organisation: String,
    host_organisation: String,
    applicant_email: String,
    applicant_name: String,
}

/// Takes one step on an application. Refused, changing nothing, when the application is not in
/// a state the step leaves from (also when someone else moved it a moment earlier), when an
/// approval would over-commit the budget or fund the organisation twice, and when a rejection
/// has no reason.
pub async fn advance(
    db: &Db,
    public_url: &str,
    id: i64,
    step: Step,
    actor: i64,
    details: Details<'_>,
    now: i64,
) -> Result<(), AppError> {
    let reason = details.reason.trim();
    if step == Step::Reject && reason.is_empty() {
        return Err(AppError::invalid("reason", "Say why, for the applicant."));
    }
    if reason.chars().count() > 1_000 {
        return Err(AppError::invalid("reason", "Keep the reason under 1,000 characters."));
    }
    let mut tx = db.begin_write().await?;
    let current: Option<Current> = tx_run!(&mut tx, |conn| sqlx::query_as(
        "select g.programme_id, g.status, g.amount, g.cluster_id, g.organisation, g.host_organisation,
                u.email as applicant_email, u.display_name as applicant_name
           from grant_applications g join users u on u.id = g.applicant_user_id where g.id = $1"
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await)?;
    let current = current.ok_or_else(|| AppError::NotFound("This application".into()))?;
    if !step.from().contains(&current.status.as_str()) {
        return Err(AppError::invalid(
            "application",
            format!("This application is {}: it cannot be {} now.", current.status, step.to()),
        ));
    }
    let updated = tx_run!(&mut tx, |conn| sqlx::query(
        "update grant_applications
            set status = $1, updated_at = $2,
                reason = case when $3 = '' then reason else $3 end,
                evidence = coalesce($4, evidence), report = coalesce($5, report)
          where id = $6 and status = $7"
    )
    .bind(step.to())
    .bind(now)
    .bind(reason)
    .bind(details.evidence)
    .bind(details.report.map(|(text, _)| text))
    .bind(id)
    .bind(&current.status)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected()));
    let updated = FUNDED_ONCE.or_invalid(
        updated,
        "application",
        "This organisation is funded in this programme already; it is funded once.",
    )?;
    if updated == 0 {
        return Err(AppError::invalid("application", "This application changed a moment ago; reload it."));
    }
    budget_effect(&mut tx, &current, step).await?;
    if let Some((_, files)) = details.report {
        for file in files {
            tx_run!(&mut tx, |conn| sqlx::query(
                "insert into grant_evidence_files (application_id, file_name, content_type, size, body, uploaded_at)
                 values ($1, $2, $3, $4, $5, $6)"
            )
            .bind(id)
            .bind(&file.name)
            .bind(file.content_type)
            .bind(file.body.len() as i64)
            .bind(&file.body)
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|_| ()))?;
        }
    }
    audit(&mut tx, id, now, actor, (&current.status, step.to()), (current.amount, current.amount), reason).await?;
    if !details.quiet {
        for mail in mails(&mut tx, public_url, id, &current, step, reason).await? {
            enqueue_in(&mut tx, &mail).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// What the step does to the programme's money: an approval reserves the amount (only while it
/// stays within the budget), a withdrawal after approval releases it, a payment pays it out of
/// what is committed.
async fn budget_effect(tx: &mut Tx, current: &Current, step: Step) -> Result<(), AppError> {
    let sql = match (step, current.status.as_str()) {
        (Step::Approve, _) => {
            "update grant_programmes set committed = committed + $1 where id = $2 and committed + $1 <= budget"
        }
        (Step::Withdraw, "approved") => {
            "update grant_programmes set committed = committed - $1 where id = $2 and committed >= $1"
        }
        (Step::Pay, _) => "update grant_programmes set paid = paid + $1 where id = $2 and paid + $1 <= committed",
        _ => return Ok(()),
    };
    let changed = tx_run!(tx, |conn| sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(current.amount)
        .bind(current.programme_id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
    if changed == 1 {
        return Ok(());
    }
    // Read inside the transaction: while it holds a connection, asking the pool for another
    // could wait for ever when every connection is held by an approval queued behind this one.
    let (budget, committed): (i64, i64) =
        tx_run!(tx, |conn| sqlx::query_as("select budget, committed from grant_programmes where id = $1")
            .bind(current.programme_id)
            .fetch_one(&mut *conn)
            .await)?;
    Err(AppError::invalid(
        "application",
        format!(
            "The budget has no room for €{}: €{} of €{} is committed.",
            euros(current.amount),
            euros(committed),
            euros(budget)
        ),
    ))
}

/// The applicant hears of every step; the visitor's cluster organisers of the steps that wait
/// for them (a confirmed host, a closing report).
async fn mails(
    tx: &mut Tx,
    public_url: &str,
    id: i64,
    current: &Current,
    step: Step,
    reason: &str,
) -> Result<Vec<OutgoingMail>, AppError> {
    let link = format!("{public_url}/grants/applications/{id}");
    let (news, body) = step.news(&euros(current.amount));
    let why = if reason.is_empty() { String::new() } else { format!("\n\nReason: {reason}") };
    let mut out = vec![OutgoingMail {
        recipient: current.applicant_email.clone(),
        subject: format!("Your ClusterXchange application: {news}"),
        body_text: format!(
            "Hello {},\n\nYour application for an exchange visit to {} — {body}{why}\n\nThe application: {link}\n",
            current.applicant_name, current.host_organisation
        ),
        attachment: None,
    }];
    if matches!(step, Step::ConfirmHost | Step::Report) {
        let organisers: Vec<(String, String)> = tx_run!(tx, |conn| sqlx::query_as(
            "select email, display_name from users where role = 'organiser' and cluster_id = $1 order by id"
        )
        .bind(current.cluster_id)
        .fetch_all(&mut *conn)
        .await)?;
        let waiting =
            if step == Step::ConfirmHost { "is ready for your decision" } else { "has its closing report to check" };
        out.extend(organisers.into_iter().map(|(email, name)| OutgoingMail {
            recipient: email,
            subject: format!("ClusterXchange: {}'s application {waiting}", current.organisation),
            body_text: format!("Hello {name},\n\nThe application of {} {waiting}: {link}\n", current.organisation),
            attachment: None,
        }));
    }
    Ok(out)
}

/// What one signed-in person is to an application, which decides what they see and may do.
#[derive(Clone, Copy, Debug, Default)]
pub struct Viewer {
    pub applicant: bool,
    /// An organiser of the visitor's cluster, or a partnership admin.
    pub reviewer: bool,
    /// A member of the host organisation (by the organisation on their confirmed tickets).
    pub host: bool,
}

impl Viewer {
    pub async fn of(
        db: &Db,
        principal: &crate::accounts::Principal,
        row: &super::store::ApplicationRow,
    ) -> Result<Viewer, AppError> {
        use crate::accounts::Role;
        let applicant = row.applicant_user_id == principal.user_id;
        let reviewer = match principal.role {
            Role::Admin => true,
            Role::Organiser => principal.cluster_id == Some(row.cluster_id),
            _ => false,
        };
        let host = !applicant && super::store::organisations_of(db, principal.user_id).await?.contains(&row.host_key());
        Ok(Viewer { applicant, reviewer, host })
    }

    pub fn sees(self) -> bool {
        self.applicant || self.reviewer || self.host
    }

    /// Who takes which step: the host (or an organiser recording the host's answer) confirms;
    /// organisers decide, pay and close; the applicant reports and may withdraw before the visit.
    pub fn may(self, step: Step) -> bool {
        match step {
            Step::ConfirmHost => self.host || self.reviewer,
            // Nobody decides on, or pays, their own application.
            Step::Approve | Step::Reject | Step::Pay | Step::Close => self.reviewer && !self.applicant,
            Step::VisitDone => self.applicant || self.reviewer,
            Step::Report | Step::Withdraw => self.applicant,
        }
    }
}
