//! The `server` binary: parses the command line and runs one of its commands.

use std::process::ExitCode;

use app::accounts::{store, DisplayName, EmailAddress, NewPassword, Role};
use app::demo;
use app::platform::Db;
use clap::Parser;
use server::{Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&cli.config.log).unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    tracing::debug!(config = ?cli.config, "configuration");
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => server::serve(&cli.config).await.map_err(|e| e.to_string()),
        Command::Migrate => Db::connect(&cli.config.database_url)
            .await
            .map(|_| println!("migrations applied"))
            .map_err(|e| e.to_string()),
        Command::SeedDemo { force } => seed_demo(&cli.config.database_url, force).await,
        Command::CreateAdmin { email, name, password } => {
            create_admin(&cli.config.database_url, &email, &name, password).await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn seed_demo(database_url: &str, force: bool) -> Result<(), String> {
    let db = Db::connect(database_url).await.map_err(|e| e.to_string())?;
    demo::seed_checked(&db, force).await?;
    println!("demo series loaded (demo accounts use the password `{}`)", demo::DEMO_PASSWORD);
    Ok(())
}

async fn create_admin(database_url: &str, email: &str, name: &str, password: Option<String>) -> Result<(), String> {
    let email = EmailAddress::parse(email).map_err(|e| format!("--email: {e}"))?;
    let name = DisplayName::parse(name).map_err(|e| format!("--name: {e}"))?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| app::platform::random_token()[..20].to_string());
    let password = NewPassword::parse(&password).map_err(|e| format!("--password: {e}"))?;
    let db = Db::connect(database_url).await.map_err(|e| e.to_string())?;
    store::upsert_staff(&db, &name, &email, &password, Role::Admin, None, None).await.map_err(|e| e.to_string())?;
    if generated {
        println!("admin {email} is ready; its password is: {}", password.expose());
    } else {
        println!("admin {email} is ready");
    }
    Ok(())
}
