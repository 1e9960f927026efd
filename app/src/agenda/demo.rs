//! Demo agendas: a two-day programme on each event's theme, with three tracks, a keynote room,
//! a small workshop room with limited seats, a B2B matchmaking session and twelve speakers.

use super::rules::{SessionDraft, SessionInput};
use super::store::{self, NamePolicy, SessionWrite};
use crate::db_run;
use crate::error::AppError;
use crate::platform::{error::internal, Db};

struct DemoAgenda {
    slug: &'static str,
    theme: &'static str,
    /// Tracks, each with the room it runs in.
    tracks: [(&'static str, &'static str); 3],
    keynotes: [&'static str; 2],
    panel: &'static str,
    /// Six sessions per track (two slots on day one, four on day two).
    sessions: [[&'static str; 6]; 3],
    speakers: [(&'static str, &'static str); 12],
}

const AGENDAS: [DemoAgenda; 4] = [
    DemoAgenda {
        slug: "heidelberg-2027",
        theme: "biomarkers",
        tracks: [
            ("Discovery & validation", "Hall Rhine"),
            ("Clinical translation", "Hall Neckar"),
            ("Regulation & market access", "Workshop room"),
        ],
        keynotes: ["Biomarkers that changed a treatment decision", "From p-value to patient value"],
        panel: "Panel: who pays for a validated biomarker?",
        sessions: [
            [
                "Liquid biopsy beyond ctDNA",
                "Proteomic signatures in early sepsis",
                "Analytical validation done right",
                "Digital pathology as a biomarker source",
                "Pre-analytics: the silent killer of assays",
                "Multiplex immunoassays in practice",
            ],
            [
                "Designing biomarker-stratified trials",
                "Hospital labs as development partners",
                "Real-world evidence for clinical utility",
                "Point-of-care testing in primary care",
                "Health-economic models for diagnostics",
                "Lessons from oncology companion tests",
            ],
            [
                "IVDR performance evaluation, step by step",
                "Notified bodies: what they ask for",
                "Reimbursement routes in Germany (DiGA, EBM)",
                "Market access in Belgium, Denmark and Estonia",
                "Quality management for small diagnostics firms",
                "Clinical performance studies under IVDR",
            ],
        ],
        speakers: [
            ("Dr. Lena Hoffmann", "Heidelberg University Hospital"),
            ("Prof. Markus Braun", "DKFZ"),
            ("Dr. Aylin Demir", "BioRN Life Science Cluster"),
            ("Jan de Wit", "Leuven Biomarker Lab"),
            ("Dr. Sofie Andersen", "Rigshospitalet"),
            ("Kristjan Lepp", "Tartu University Hospital"),
            ("Dr. Clara Weiß", "Roche Diagnostics"),
            ("Tom Vermeulen", "Diagnostics start-up Celltrace"),
            ("Dr. Mette Lund", "Novo Nordisk Foundation"),
            ("Eva Schulz", "TÜV SÜD Notified Body"),
            ("Dr. Pieter Claes", "KU Leuven"),
            ("Maarja Kask", "Estonian Health Insurance Fund"),
        ],
    },
    DemoAgenda {
        slug: "leuven-2027",
        theme: "micro-nano-electronics",
        tracks: [
            ("Sensors & lab-on-chip", "Aula Gasthuisberg"),
            ("Wearables & implants", "Zaal Brabant"),
            ("From wafer to medical device", "Workshop room"),
        ],
        keynotes: ["Silicon meets biology: a decade of health chips", "Making medical devices at semiconductor scale"],
        panel: "Panel: Europe's chips act and health innovation",
        sessions: [
            [
                "Organ-on-chip platforms for drug screening",
                "Nanopore sensing for point-of-care",
                "Microfluidic sample preparation",
                "Photonic biosensors",
                "Electrochemical sensors for continuous monitoring",
                "Single-molecule detection on CMOS",
            ],
            [
                "Neural interfaces: from lab to clinic",
                "Smart patches for remote monitoring",
                "Energy harvesting for implants",
                "Wearable ECG: accuracy in the wild",
                "Hydrogel electronics",
                "Closed-loop insulin delivery hardware",
            ],
            [
                "Design for manufacturing in medtech",
                "Biocompatible packaging of chips",
                "MDR technical documentation for electronics",
                "Cleanroom access for start-ups",
                "Reliability testing of implantables",
                "Scaling pilot lines to volume",
            ],
        ],
        speakers: [
            ("Prof. Hilde Janssens", "imec"),
            ("Dr. Koen Maes", "KU Leuven ESAT"),
            ("Lotte Peeters", "Smart Hub Flemish Brabant"),
            ("Dr. Felix Wagner", "Fraunhofer IPMS"),
            ("Dr. Anders Holm", "DTU Health Tech"),
            ("Dr. Kaur Saar", "University of Tartu"),
            ("Ines Goossens", "Wearable start-up Pulsewise"),
            ("Dr. Julia Krüger", "Heidelberg Instruments"),
            ("Rasmus Berg", "Coloplast"),
            ("Dr. Bart Willems", "UZ Leuven"),
            ("Elin Tamm", "Tartu Science Park"),
            ("Dr. Nora Schmitt", "BioRN Life Science Cluster"),
        ],
    },
    DemoAgenda {
        slug: "copenhagen-2027",
        theme: "multiomics",
        tracks: [
            ("Single-cell & spatial", "Auditorium"),
            ("Data integration & AI", "Meeting room Øresund"),
            ("Biobanks & data sharing", "Workshop room"),
        ],
        keynotes: ["Multiomics at population scale", "What a thousand layers of data tell a clinician"],
        panel: "Panel: sharing omics data across European borders",
        sessions: [
            [
                "Spatial transcriptomics in tumour biology",
                "Single-cell proteomics: where are we?",
                "Long-read sequencing in the clinic",
                "Metabolomics for metabolic disease",
                "Epigenetic clocks",
                "Multiomic atlases of the immune system",
            ],
            [
                "Foundation models for omics data",
                "Integrating EHR and genomics",
                "Federated learning on hospital data",
                "Causal inference from multiomics",
                "Reproducible pipelines at scale",
                "Explainable AI for biomarker discovery",
            ],
            [
                "The Danish National Genome Center",
                "Estonian Biobank: 20 years of participants",
                "GDPR and the European Health Data Space",
                "Consent models for reuse of samples",
                "Standards: FAIR data in practice",
                "Access committees: speeding up requests",
            ],
        ],
        speakers: [
            ("Prof. Karen Sørensen", "University of Copenhagen"),
            ("Dr. Mikkel Dahl", "Danish National Genome Center"),
            ("Freja Nielsen", "Biopeople"),
            ("Dr. Liis Oja", "Estonian Biobank"),
            ("Dr. Thomas Becker", "EMBL Heidelberg"),
            ("Dr. Annelies Jacobs", "VIB-KU Leuven"),
            ("Dr. Jonas Eriksen", "Novo Nordisk"),
            ("Sara Kristensen", "Omics start-up Helix Insight"),
            ("Dr. Priit Kull", "University of Tartu"),
            ("Dr. Marie Dubois", "Sciensano"),
            ("Dr. Stefan Koch", "SAP Health"),
            ("Dr. Ida Mortensen", "Statens Serum Institut"),
        ],
    },
    DemoAgenda {
        slug: "tartu-2027",
        theme: "digitalisation",
        tracks: [
            ("Health data & interoperability", "Conference hall"),
            ("AI in diagnostics", "Room Emajõgi"),
            ("Digital trials & care", "Workshop room"),
        ],
        keynotes: ["Twenty years of the Estonian e-health record", "Trustworthy AI in European health care"],
        panel: "Panel: the European Health Data Space in practice",
        sessions: [
            [
                "HL7 FHIR in national health systems",
                "Cross-border e-prescriptions",
                "Patient portals people actually use",
                "Data quality in routine care records",
                "Identity and consent in digital health",
                "Interoperability testing with IHE profiles",
            ],
            [
                "AI-assisted radiology in practice",
                "Clinical validation of diagnostic AI",
                "Large language models in the clinic",
                "Bias and fairness in medical AI",
                "The AI Act for medical software",
                "Human factors of decision support",
            ],
            [
                "Decentralised clinical trials",
                "Remote patient monitoring at scale",
                "Digital therapeutics reimbursement",
                "Telemedicine after the pandemic",
                "Cybersecurity for hospitals",
                "Co-designing services with patients",
            ],
        ],
        speakers: [
            ("Dr. Hannes Tamm", "Tartu Biotechnology Park"),
            ("Kadri Kask", "Estonian Health and Welfare Information Systems Centre"),
            ("Prof. Jaak Vilo", "University of Tartu"),
            ("Dr. Anna Müller", "Heidelberg University Hospital"),
            ("Dr. Wouter Peeters", "Smart Hub Flemish Brabant"),
            ("Dr. Line Jakobsen", "Danish Health Data Authority"),
            ("Mart Rebane", "Digital health start-up Medicum AI"),
            ("Dr. Katrin Vogel", "SAP Health"),
            ("Dr. Lars Poulsen", "Region Hovedstaden"),
            ("Dr. Ruth Leemets", "Tartu University Hospital"),
            ("Dr. Stijn Maes", "UZ Leuven"),
            ("Dr. Helena Frank", "BioRN Life Science Cluster"),
        ],
    },
];

/// Loads the demo agenda of every demo event that has no sessions yet.
pub async fn seed(db: &Db) -> Result<(), AppError> {
    for agenda in &AGENDAS {
        let event = match crate::events::store::load(db, agenda.slug).await {
            Ok(event) => event,
            Err(AppError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let existing: i64 =
            db_run!(db, |pool| sqlx::query_scalar("select count(*) from agenda_sessions where event_id = $1")
                .bind(event.id)
                .fetch_one(pool)
                .await)?;
        if existing > 0 {
            continue;
        }
        for (track, room) in agenda.tracks {
            let _ = store::add_track(db, event.id, track).await;
            // The workshop room is small: its sessions have limited seats.
            let capacity = (room == "Workshop room").then_some(40);
            let _ = store::add_room(db, event.id, room, capacity).await;
        }
        let _ = store::add_room(db, event.id, "Main stage", Some(400)).await;
        let _ = store::add_room(db, event.id, "B2B area", None).await;
        for (name, organisation) in agenda.speakers {
            let bio = format!(
                "{name} works at {organisation} and speaks at EventXchange on {}.",
                agenda.theme.replace('-', " ")
            );
            let _ = store::add_speaker(db, event.id, name, organisation, &bio).await;
        }
        let writes = program(agenda, &event)?;
        store::write_sessions(db, &event, &writes, NamePolicy::MustExist)
            .await
            .map_err(|problems| internal("demo agenda", format!("{:?}", problems.first())))?;
    }
    Ok(())
}

type ProgrammeRow<'a> = (String, &'a str, &'a str, String, &'a str, &'a str, String, &'a str);

fn program(agenda: &DemoAgenda, event: &crate::events::Event) -> Result<Vec<SessionWrite>, AppError> {
    let local = |t: i64| {
        jiff::Timestamp::from_second(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(event.window.zone.clone())
    };
    let day1 = local(event.window.starts_at).date().to_string();
    let day2 = local(event.window.ends_at).date().to_string();
    let speaker = |i: usize| agenda.speakers[i % agenda.speakers.len()].0;
    // (day, start, end, title, track, room, speakers, capacity)
    let mut rows: Vec<ProgrammeRow> = Vec::new();
    rows.push((
        day1.clone(),
        "09:00",
        "09:30",
        "Welcome and introduction to the CELIS partnership".into(),
        "",
        "Main stage",
        speaker(2).into(),
        "",
    ));
    rows.push((
        day1.clone(),
        "09:30",
        "10:15",
        format!("Keynote: {}", agenda.keynotes[0]),
        "",
        "Main stage",
        speaker(0).into(),
        "",
    ));
    let slots = [
        (day1.as_str(), "10:45", "11:45"),
        (day1.as_str(), "12:00", "13:00"),
        (day2.as_str(), "10:00", "11:00"),
        (day2.as_str(), "11:15", "12:15"),
        (day2.as_str(), "13:30", "14:30"),
        (day2.as_str(), "14:45", "15:45"),
    ];
    for (slot, (day, start, end)) in slots.iter().enumerate() {
        for (track_index, (track, room)) in agenda.tracks.iter().enumerate() {
            let capacity = if *room == "Workshop room" { "40" } else { "" };
            rows.push((
                day.to_string(),
                start,
                end,
                agenda.sessions[track_index][slot].into(),
                track,
                room,
                speaker(3 + slot * 3 + track_index).into(),
                capacity,
            ));
        }
    }
    rows.push((
        day1.clone(),
        "14:00",
        "17:30",
        "B2B matchmaking: one-to-one meetings across the four clusters".into(),
        "",
        "B2B area",
        String::new(),
        "",
    ));
    rows.push((
        day2.clone(),
        "09:00",
        "09:45",
        format!("Keynote: {}", agenda.keynotes[1]),
        "",
        "Main stage",
        speaker(1).into(),
        "",
    ));
    rows.push((
        day2.clone(),
        "16:00",
        "17:00",
        agenda.panel.into(),
        "",
        "Main stage",
        format!("{}, {}, {}", speaker(0), speaker(4), speaker(8)),
        "",
    ));
    rows.push((
        day2.clone(),
        "17:00",
        "17:30",
        "Closing: ClusterXchange grants and the next EventXchange".into(),
        "",
        "Main stage",
        speaker(2).into(),
        "",
    ));

    rows.into_iter()
        .map(|(day, start, end, title, track, room, speakers, capacity)| {
            let abstract_text = format!(
                "{title}. A session of the {} programme, with time for questions from the audience.",
                event.title
            );
            let input = SessionInput {
                title: &title,
                abstract_text: &abstract_text,
                day: &day,
                start,
                end,
                track,
                room,
                speakers: &speakers,
                capacity,
                theme: agenda.theme,
            };
            SessionDraft::parse(&input, &event.window).map(|draft| SessionWrite { id: None, draft })
        })
        .collect()
}
