//! The server's configuration: one typed struct from flags and environment variables
//! (documented in `.env.example`). Secrets never reach logs: `Debug` hides them.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "server", version, about = "EventXchange: events, tickets, B2B meetings and badges")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the site (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo series (clusters, events, demo accounts); what exists already is kept.
    SeedDemo {
        /// Load it even into a database that has accounts of real people (the demo accounts
        /// share a published password).
        #[arg(long)]
        force: bool,
    },
    /// Create a partnership admin account, or make an existing account an admin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Partnership admin")]
        name: String,
        /// The password; when absent, one is generated and printed once.
        #[arg(long, env = "EXX_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Args, Clone)]
pub struct Config {
    /// `sqlite:<file>` (default) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite:data/eventxchange.db", hide_env_values = true)]
    pub database_url: String,
    /// Address and port to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub site_addr: SocketAddr,
    /// Folder with the compiled site (JS, WASM, CSS, public assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Sub-folder of the site root with the compiled JS, WASM and CSS.
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", default_value = "pkg")]
    pub site_pkg_dir: String,
    /// Address people use to reach the site, for links in mail (default: http://<site-addr>).
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Load the demo series (with its published demo passwords) into an empty database at
    /// start-up. Off by default so that no deployment gets the demo accounts by accident;
    /// `make run` turns it on.
    #[arg(long, env = "EXX_DEMO", default_value_t = false, action = clap::ArgAction::Set)]
    pub demo: bool,
    /// Stripe secret API key (`sk_…`). Without it, paid tickets are shown as unavailable.
    #[arg(long, env = "STRIPE_SECRET_KEY", hide_env_values = true)]
    pub stripe_secret_key: Option<String>,
    /// Signing secret of the Stripe webhook endpoint (`whsec_…`), for
    /// `<public URL>/api/v1/stripe/webhook`.
    #[arg(long, env = "STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<String>,
    /// Another Stripe API address (a local fake in tests); default Stripe's own.
    #[arg(long, env = "STRIPE_API_BASE")]
    pub stripe_api_base: Option<String>,
    /// Where mail is delivered: `smtp://host:port`, `smtp://user:pass@host:587?tls=required` or
    /// `smtps://user:pass@host`. Without it, mail stays in the outbox at `/admin/outbox`.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of every mail.
    #[arg(long, env = "MAIL_FROM", default_value = "EventXchange <no-reply@eventxchange.invalid>")]
    pub mail_from: String,
    /// Seconds before the first retry of an undelivered mail; each further retry waits twice as long.
    #[arg(long, env = "MAIL_RETRY_SECONDS", default_value_t = 30)]
    pub mail_retry_seconds: u64,
    /// Wraps the events' badge signing keys in the database (any long random string; keep it
    /// like a password). Without it the keys are stored unwrapped, which suits development only.
    /// Once set, it must stay: wrapped keys cannot be read without it.
    #[arg(long, env = "BADGE_KEY_SECRET", hide_env_values = true)]
    pub badge_key_secret: Option<String>,
    /// Start without `BADGE_KEY_SECRET` although the demo series is off (a staging server). A
    /// production server must not: anyone who reads the database could forge badges.
    #[arg(long, env = "EXX_ALLOW_UNWRAPPED_BADGE_KEYS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_unwrapped_badge_keys: bool,
    /// Log filter, in tracing's `RUST_LOG` syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info,sqlx=warn,tower_http=info")]
    pub log: String,
}

impl Cli {
    /// The configuration from environment variables and defaults only, ignoring the process's
    /// command line (for benchmarks and tools that embed the server).
    pub fn from_environment() -> Config {
        Cli::parse_from(["server"]).config
    }
}

impl Config {
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.site_addr))
            .trim_end_matches('/')
            .to_string()
    }
}

/// Hides the credentials inside a database URL (`postgres://user:secret@host/db`).
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://***@{}", &url[..scheme_end], &url[at + 1..]),
        _ => url.to_string(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("site_addr", &self.site_addr)
            .field("site_root", &self.site_root)
            .field("site_pkg_dir", &self.site_pkg_dir)
            .field("public_url", &self.public_url())
            .field("demo", &self.demo)
            .field("stripe", &self.stripe_secret_key.as_ref().map(|_| "configured"))
            .field("stripe_api_base", &self.stripe_api_base)
            .field("smtp", &self.smtp_url.as_ref().map(|_| "configured"))
            .field("badge_key_secret", &self.badge_key_secret.as_ref().map(|_| "configured"))
            .field("allow_unwrapped_badge_keys", &self.allow_unwrapped_badge_keys)
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_database_passwords() {
        let cli = Cli::parse_from(["server", "--database-url", "postgres://exx:hunter2@db.internal/exx"]);
        let shown = format!("{:?}", cli.config);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.internal/exx"));
        let cli = Cli::parse_from([
            "server",
            "--stripe-secret-key",
            "sk_live_hunter3",
            "--stripe-webhook-secret",
            "whsec_hunter4",
            "--smtp-url",
            "smtps://mailer:hunter5@smtp.example",
        ]);
        let shown = format!("{:?}", cli.config);
        for secret in ["hunter3", "hunter4", "hunter5"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn public_url_defaults_to_the_listen_address() {
        let cli =
            Cli::parse_from(["server", "--site-addr", "127.0.0.1:4000", "--public-url", "https://events.example/"]);
        assert_eq!(cli.config.public_url(), "https://events.example");
        let cli = Cli::parse_from(["server", "--site-addr", "127.0.0.1:4000"]);
        assert_eq!(cli.config.public_url(), "http://127.0.0.1:4000");
    }
}
