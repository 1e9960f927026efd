//! The demo series' clusters and events: the four clusters of the partnership and one event in
//! each region. Seeding twice changes nothing.

use jiff::civil::{date, Date};

use super::when;
use crate::db_run;
use crate::error::AppError;
use crate::platform::{error::internal, Db};

struct DemoCluster {
    code: &'static str,
    name: &'static str,
    region: &'static str,
    city: &'static str,
    country: &'static str,
    time_zone: &'static str,
}

const CLUSTERS: [DemoCluster; 4] = [
    DemoCluster {
        code: "biorn",
        name: "BioRN Life Science Cluster",
        region: "Rhine-Neckar",
        city: "Heidelberg",
        country: "DE",
        time_zone: "Europe/Berlin",
    },
    DemoCluster {
        code: "smarthub",
        name: "Smart Hub Flemish Brabant",
        region: "Flemish Brabant",
        city: "Leuven",
        country: "BE",
        time_zone: "Europe/Brussels",
    },
    DemoCluster {
        code: "biopeople",
        name: "Biopeople – Denmark's Life Science Cluster",
        region: "Capital Region of Denmark",
        city: "Copenhagen",
        country: "DK",
        time_zone: "Europe/Copenhagen",
    },
    DemoCluster {
        code: "tartu",
        name: "Tartu Biotechnology Park",
        region: "Tartu County",
        city: "Tartu",
        country: "EE",
        time_zone: "Europe/Tallinn",
    },
];

struct DemoEvent {
    slug: &'static str,
    cluster: &'static str,
    title: &'static str,
    theme: &'static str,
    summary: &'static str,
    description: &'static str,
    venue_name: &'static str,
    venue_address: &'static str,
    first_day: Date,
    languages: &'static str,
}

fn events() -> [DemoEvent; 4] {
    [
        DemoEvent {
            slug: "heidelberg-2027",
            cluster: "biorn",
            title: "EventXchange Heidelberg: Clinically Useful Biomarkers",
            theme: "biomarkers",
            summary: "From discovery to the clinic: validating biomarkers that change treatment decisions.",
            description: "Two days on biomarkers that make it into clinical practice: assay validation, regulatory \
                          evidence under the IVDR, real-world data and the business models that pay for them.\n\n\
                          The B2B session on the afternoon of the first day pairs diagnostics SMEs, hospital \
                          laboratories and research groups from all four CELIS clusters.",
            venue_name: "Print Media Academy",
            venue_address: "Kurfürsten-Anlage 52–60, 69115 Heidelberg, Germany",
            first_day: date(2027, 3, 16),
            languages: "en,de",
        },
        DemoEvent {
            slug: "leuven-2027",
            cluster: "smarthub",
            title: "EventXchange Leuven: Micro- and Nanoelectronics for Health",
            theme: "micro-nano-electronics",
            summary: "Chips, sensors and wearables that move diagnostics out of the lab.",
            description: "Lab-on-chip, implantable sensors, neural interfaces and the manufacturing routes that \
                          take them from a wafer to a medical device.\n\n\
                          Meet the Flemish Brabant semiconductor ecosystem and life-science companies from \
                          Germany, Denmark and Estonia in one-to-one B2B meetings.",
            venue_name: "Provinciehuis Leuven",
            venue_address: "Provincieplein 1, 3010 Leuven, Belgium",
            first_day: date(2027, 5, 11),
            languages: "en,nl",
        },
        DemoEvent {
            slug: "copenhagen-2027",
            cluster: "biopeople",
            title: "EventXchange Copenhagen: Multiomics",
            theme: "multiomics",
            summary: "Integrating genomics, proteomics and metabolomics for precision medicine.",
            description: "How Nordic biobanks, national genome programmes and single-cell technologies are \
                          combined into multiomics insights, and what it takes to share the data across borders.\n\n\
                          The programme closes with a B2B session on data partnerships.",
            venue_name: "COBIS – Copenhagen Bio Science Park",
            venue_address: "Ole Maaløes Vej 3, 2200 København N, Denmark",
            first_day: date(2027, 9, 14),
            languages: "en,da",
        },
        DemoEvent {
            slug: "tartu-2027",
            cluster: "tartu",
            title: "EventXchange Tartu: Digitalisation of Health",
            theme: "digitalisation",
            summary: "Digital health from the country of the e-state: data, AI and interoperable records.",
            description: "Estonia's nationwide health records, AI in diagnostics, decentralised clinical trials \
                          and the European Health Data Space.\n\n\
                          The B2B session pairs digital-health start-ups with clinical partners from the other \
                          three regions.",
            venue_name: "Tartu Biotechnology Park",
            venue_address: "Teaduspargi 13, 50411 Tartu, Estonia",
            first_day: date(2027, 10, 5),
            languages: "en,et",
        },
    ]
}

/// Loads whichever demo clusters and events are missing.
pub async fn seed(db: &Db) -> Result<(), AppError> {
    for c in &CLUSTERS {
        db_run!(db, |pool| sqlx::query(
            "insert into clusters (code, name, region, city, country, time_zone) values ($1, $2, $3, $4, $5, $6)
             on conflict (code) do nothing"
        )
        .bind(c.code)
        .bind(c.name)
        .bind(c.region)
        .bind(c.city)
        .bind(c.country)
        .bind(c.time_zone)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    }
    for e in events() {
        let cluster = CLUSTERS.iter().find(|c| c.code == e.cluster).ok_or_else(|| internal("demo", e.cluster))?;
        let tz = when::zone(cluster.time_zone).ok_or_else(|| internal("demo time zone", cluster.time_zone))?;
        // Two days: doors open at 09:00 on the first, the programme ends at 17:30 on the second.
        let starts_at = when::instant(e.first_day, 9, 0, &tz).ok_or_else(|| internal("demo", "start"))?;
        let second_day = e.first_day.tomorrow().map_err(|err| internal("demo", err))?;
        let ends_at = when::instant(second_day, 17, 30, &tz).ok_or_else(|| internal("demo", "end"))?;
        db_run!(db, |pool| sqlx::query(
            "insert into events (slug, cluster_id, title, theme, summary, description, venue_name, venue_address,
                                 city, country, time_zone, starts_at, ends_at, languages)
             select $1, c.id, $2, $3, $4, $5, $6, $7, c.city, c.country, c.time_zone, $8, $9, $10
               from clusters c where c.code = $11
             on conflict (slug) do nothing"
        )
        .bind(e.slug)
        .bind(e.title)
        .bind(e.theme)
        .bind(e.summary)
        .bind(e.description)
        .bind(e.venue_name)
        .bind(e.venue_address)
        .bind(starts_at)
        .bind(ends_at)
        .bind(e.languages)
        .bind(e.cluster)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(())
}
