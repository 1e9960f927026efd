//! The organiser's agenda editor at `/organise/{slug}/agenda`: sessions (create, change,
//! delete), tracks, rooms, speakers, and CSV import/export. Organisers of the event's cluster
//! and partnership admins only.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
    params::ParamsMap,
};
use serde::{Deserialize, Serialize};

use super::{SessionCard, SpeakerProfile};
use crate::await_view;
use crate::components::{action_error, field_message, CsrfField, Field, FormAlert};
use crate::error::AppError;
use crate::events::Theme;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EditorSession {
    pub card: SessionCard,
    pub abstract_text: String,
    /// Wall-clock start and end in the event's zone, as the form shows them.
    pub start: String,
    pub end: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgendaEditor {
    pub slug: String,
    pub title: String,
    pub time_zone: String,
    /// Every day of the event, `YYYY-MM-DD`.
    pub days: Vec<String>,
    pub tracks: Vec<String>,
    pub rooms: Vec<(String, Option<i64>)>,
    pub speakers: Vec<SpeakerProfile>,
    pub sessions: Vec<EditorSession>,
}

#[server(endpoint = "agenda_editor", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_agenda_editor(slug: String) -> Result<AgendaEditor, AppError> {
    use super::store;
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let zone = event.window.zone.clone();
            let local =
                |t: i64| jiff::Timestamp::from_second(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(zone.clone());
            let mut days = Vec::new();
            let mut day = local(event.window.starts_at).date();
            let last = local(event.window.ends_at).date();
            while day <= last {
                days.push(day.to_string());
                day = match day.tomorrow() {
                    Ok(next) => next,
                    Err(_) => break,
                };
            }
            let vocabulary = store::vocabulary(&state.db, event.id).await?;
            let sessions = store::sessions(&state.db, &event)
                .await?
                .into_iter()
                .map(|s| EditorSession {
                    start: local(s.card.starts_at).strftime("%H:%M").to_string(),
                    end: local(s.card.ends_at).strftime("%H:%M").to_string(),
                    abstract_text: s.abstract_text,
                    card: s.card,
                })
                .collect();
            Ok(AgendaEditor {
                slug: event.slug,
                title: event.title,
                time_zone: zone.iana_name().unwrap_or_default().to_string(),
                days,
                tracks: vocabulary.tracks,
                rooms: vocabulary.rooms,
                speakers: vocabulary.speakers.into_iter().map(SpeakerProfile::from).collect(),
                sessions,
            })
        }
        .await,
    )
}

/// Creates a session (`session_id` empty) or changes one.
#[server(endpoint = "save_session")]
pub async fn save_session(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    session_id: String,
    title: String,
    abstract_text: String,
    day: String,
    start: String,
    end: String,
    track: String,
    room: String,
    speakers: String,
    capacity: String,
    theme: String,
) -> Result<i64, AppError> {
    use super::rules::{SessionDraft, SessionInput};
    use super::store::{self, NamePolicy, SessionWrite};
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let id = match session_id.trim() {
                "" => None,
                text => Some(text.parse::<i64>().map_err(|_| AppError::invalid("session_id", "Unknown session."))?),
            };
            let input = SessionInput {
                title: &title,
                abstract_text: &abstract_text,
                day: &day,
                start: &start,
                end: &end,
                track: &track,
                room: &room,
                speakers: &speakers,
                capacity: &capacity,
                theme: &theme,
            };
            let draft = SessionDraft::parse(&input, &event.window)?;
            let ids = store::write_sessions(&state.db, &event, &[SessionWrite { id, draft }], NamePolicy::MustExist)
                .await
                .map_err(|mut problems| problems.remove(0).1)?;
            Ok(ids[0])
        }
        .await,
    )
}

#[server(endpoint = "delete_session")]
pub async fn delete_session(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    session_id: i64,
) -> Result<(), AppError> {
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            super::store::delete_session(&state.db, &event, session_id).await
        }
        .await,
    )
}

/// Adds a track, a room or a speaker (`kind` says which).
#[server(endpoint = "add_agenda_item")]
pub async fn add_agenda_item(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    kind: String,
    name: String,
    detail: String,
    bio: String,
) -> Result<String, AppError> {
    use super::store;
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let field = format!("{kind}_name");
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() || name.chars().count() > 120 {
                return Err(AppError::invalid(&field, "Give a name of 1 to 120 characters."));
            }
            match kind.as_str() {
                "track" => store::add_track(&state.db, event.id, &name).await?,
                "room" => {
                    let capacity = match detail.trim() {
                        "" => None,
                        text => Some(text.parse::<i64>().ok().filter(|c| *c > 0).ok_or_else(|| {
                            AppError::invalid("room_capacity", "Seats is a whole number (1 or more), or empty.")
                        })?),
                    };
                    store::add_room(&state.db, event.id, &name, capacity).await?
                }
                "speaker" => store::add_speaker(&state.db, event.id, &name, detail.trim(), bio.trim()).await?,
                _ => return Err(AppError::invalid("kind", "Add a track, a room or a speaker.")),
            }
            Ok(format!("Added {name}."))
        }
        .await,
    )
}

/// Changes a speaker's details.
#[server(endpoint = "update_speaker")]
pub async fn update_speaker(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    speaker_id: i64,
    name: String,
    organisation: String,
    bio: String,
) -> Result<String, AppError> {
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() || name.chars().count() > 120 {
                return Err(AppError::invalid("speaker_name", "Give a name of 1 to 120 characters."));
            }
            if bio.chars().count() > 2000 {
                return Err(AppError::invalid("bio", "A biography can have at most 2000 characters."));
            }
            super::store::update_speaker(&state.db, event.id, speaker_id, &name, organisation.trim(), bio.trim())
                .await?;
            Ok(format!("Saved {name}."))
        }
        .await,
    )
}

/// Removes a track, room or speaker (`kind`) by name; its sessions stay.
#[server(endpoint = "remove_agenda_item")]
pub async fn remove_agenda_item(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    kind: String,
    name: String,
) -> Result<String, AppError> {
    use super::store::{self, AgendaItem};
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            let item = match kind.as_str() {
                "track" => AgendaItem::Track,
                "room" => AgendaItem::Room,
                "speaker" => AgendaItem::Speaker,
                _ => return Err(AppError::invalid("kind", "Remove a track, a room or a speaker.")),
            };
            store::remove_item(&state.db, event.id, item, &name).await?;
            Ok(format!("Removed {name}."))
        }
        .await,
    )
}

/// Imports sessions from CSV text: all rows, or none when any row is wrong.
#[server(endpoint = "import_agenda")]
pub async fn import_agenda(
    #[server(rename = "csrf")] _csrf: String,
    slug: String,
    csv: String,
) -> Result<String, AppError> {
    use super::csv_io;
    use super::store::{self, NamePolicy};
    crate::platform::error::reply(
        async move {
            let (state, event) = crate::accounts::access::organiser(&slug).await?;
            if csv.len() > 2_000_000 {
                return Err(AppError::invalid("csv", "The file is too large (at most 2 MB)."));
            }
            let report = |problems: Vec<csv_io::RowProblem>| {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                AppError::invalid(
                    "csv",
                    format!("Nothing was imported. Correct these rows and import again:\n{}", lines.join("\n")),
                )
            };
            let rows = csv_io::parse(&csv, &event.window).map_err(report)?;
            if rows.is_empty() {
                return Err(AppError::invalid("csv", "The file has no sessions."));
            }
            let (lines, writes): (Vec<usize>, Vec<_>) = rows.into_iter().unzip();
            let updated = writes.iter().filter(|w| w.id.is_some()).count();
            store::write_sessions(&state.db, &event, &writes, NamePolicy::CreateMissing).await.map_err(|problems| {
                report(
                    problems
                        .into_iter()
                        .map(|(i, e)| {
                            let (field, message) = match e {
                                AppError::Invalid { field, message } => (field, message),
                                other => ("row".into(), other.to_string()),
                            };
                            csv_io::RowProblem { line: lines[i], field, message }
                        })
                        .collect(),
                )
            })?;
            Ok(format!("Imported {} sessions ({} new, {updated} changed).", writes.len(), writes.len() - updated))
        }
        .await,
    )
}

/// The Remove button of a track, room or speaker.
#[component]
fn RemoveItem(slug: String, kind: &'static str, name: String, action: ServerAction<RemoveAgendaItem>) -> impl IntoView {
    let label = format!("Remove {name}");
    view! {
        <ActionForm action attr:class="inline-form">
            <CsrfField />
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="name" value=name />
            <button type="submit" class="link-button" aria-label=label>"Remove"</button>
        </ActionForm>
    }
}

/// `/organise/{slug}/agenda`
#[component]
pub fn AgendaEditorPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<SaveSession>::new();
    let delete = ServerAction::<DeleteSession>::new();
    let add = ServerAction::<AddAgendaItem>::new();
    let import = ServerAction::<ImportAgenda>::new();
    let remove = ServerAction::<RemoveAgendaItem>::new();
    let edit_speaker = ServerAction::<UpdateSpeaker>::new();
    let editor = Resource::new(
        // The session being edited (`?edit=`) is part of the key, so following an Edit link
        // re-renders the form with that session's values.
        move || {
            (
                slug(),
                query.read().get("edit"),
                save.version().get(),
                delete.version().get(),
                add.version().get(),
                import.version().get(),
                remove.version().get(),
                edit_speaker.version().get(),
                query.read().get("speaker"),
            )
        },
        |(slug, ..)| load_agenda_editor(slug),
    );
    let save_error = action_error(save);
    let add_error = action_error(add);
    let import_error = action_error(import);
    let delete_error = action_error(delete);
    let remove_error = action_error(remove);
    let speaker_error = action_error(edit_speaker);
    await_view!(editor, |editor| {
        let AgendaEditor { slug, title, time_zone, days, tracks, rooms, speakers, sessions } = editor;
        let editing_id: Option<i64> = query.read_untracked().get("edit").and_then(|id| id.parse().ok());
        let editing = editing_id.and_then(|id| sessions.iter().find(|s| s.card.id == id).cloned());
        view! {
            <Title text=format!("Agenda editor: {title}") />
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <A href=format!("/organise/{slug}")>{format!("Organise: {title}")}</A>
                " › "
                <A href=format!("/events/{slug}/agenda")>"Public agenda"</A>
            </nav>
            <h1>"Agenda editor"</h1>
            <p class="hint">{format!("Times are local to the event ({time_zone}).")}</p>
            <SessionForm
                slug=slug.clone()
                days
                tracks=tracks.clone()
                rooms=rooms.clone()
                speakers=speakers.clone()
                editing_id
                editing
                save
                save_error
            />
            <SessionList slug=slug.clone() sessions delete delete_error />
            <AgendaItems slug=slug.clone() tracks rooms add add_error remove remove_error />
            <SpeakerList slug=slug.clone() speakers query remove edit_speaker speaker_error />
            <CsvImportExport slug import import_error />
        }
    })
}

/// Adds a session, or changes the one `?edit=` names (`editing_id`; `editing` is that session
/// when the editor has it). The form starts with its values.
#[component]
fn SessionForm(
    slug: String,
    days: Vec<String>,
    tracks: Vec<String>,
    rooms: Vec<(String, Option<i64>)>,
    speakers: Vec<SpeakerProfile>,
    editing_id: Option<i64>,
    editing: Option<EditorSession>,
    save: ServerAction<SaveSession>,
    save_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let value = |f: &dyn Fn(&EditorSession) -> String| editing.as_ref().map(f).unwrap_or_default();
    let v_title = value(&|s| s.card.title.clone());
    let v_abstract = value(&|s| s.abstract_text.clone());
    let v_day = value(&|s| s.card.day.clone());
    let v_start = value(&|s| s.start.clone());
    let v_end = value(&|s| s.end.clone());
    let v_track = value(&|s| s.card.track.clone().unwrap_or_default());
    let v_room = value(&|s| s.card.room.clone().unwrap_or_default());
    let v_speakers = value(&|s| s.card.speakers.iter().map(|sp| sp.name.clone()).collect::<Vec<_>>().join(", "));
    let v_capacity = value(&|s| s.card.capacity.map(|c| c.to_string()).unwrap_or_default());
    let v_theme = value(&|s| s.card.theme.map(|t| t.code().to_string()).unwrap_or_default());
    let speaker_names = speakers.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(", ");
    let is_editing = editing.is_some();
    let editor_href = format!("/organise/{slug}/agenda");
    let track_options = tracks
        .iter()
        .map(|t| view! { <option value=t.clone() selected=*t == v_track>{t.clone()}</option> })
        .collect_view();
    let room_options = rooms
        .iter()
        .map(|(r, _)| view! { <option value=r.clone() selected=*r == v_room>{r.clone()}</option> })
        .collect_view();
    let day_options =
        days.iter().map(|d| view! { <option value=d.clone() selected=*d == v_day>{d.clone()}</option> }).collect_view();
    let theme_options = Theme::ALL
        .into_iter()
        .map(|t| view! { <option value=t.code() selected=t.code() == v_theme>{t.label()}</option> })
        .collect_view();
    let save_fields: &'static [&'static str] =
        &["title", "abstract_text", "day", "start", "end", "track", "room", "speakers", "capacity", "theme"];
    view! {
        <section aria-labelledby="session-form-heading">
            <h2 id="session-form-heading">{if is_editing { "Change the session" } else { "Add a session" }}</h2>
            {move || save.value().get().and_then(Result::ok).map(|_| view! { <p class="alert success" role="status">"Session saved."</p> })}
            <ActionForm action=save attr:class="stacked" attr:novalidate=true attr:id="session-form">
                <CsrfField />
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="session_id" value=editing_id.map(|id| id.to_string()).unwrap_or_default() />
                <FormAlert error=save_error fields=save_fields />
                <Field label="Title" name="title" value=v_title error=field_message(save_error, "title") />
                <div class="field">
                    <label for="field-abstract_text">"Abstract"</label>
                    <textarea id="field-abstract_text" name="abstract_text" rows="4">{v_abstract}</textarea>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="field-day">"Day"</label>
                        <select id="field-day" name="day">{day_options}</select>
                    </div>
                    <Field label="Starts (HH:MM)" name="start" value=v_start error=field_message(save_error, "start") />
                    <Field label="Ends (HH:MM)" name="end" value=v_end error=field_message(save_error, "end") />
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="field-track">"Track"</label>
                        <select id="field-track" name="track">
                            <option value="">"(none, plenary)"</option>
                            {track_options}
                        </select>
                    </div>
                    <div class="field" class:has-error=move || field_message(save_error, "room").get().is_some()>
                        <label for="field-room">"Room"</label>
                        <select id="field-room" name="room">
                            <option value="">"(none)"</option>
                            {room_options}
                        </select>
                        {move || field_message(save_error, "room").get().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                </div>
                <Field label="Speakers (names, separated by commas)" name="speakers" required=false value=v_speakers
                    error=field_message(save_error, "speakers") />
                <p class="hint">{format!("Known speakers: {speaker_names}")}</p>
                <div class="field-row">
                    <Field label="Seats (empty: no limit)" name="capacity" required=false value=v_capacity error=field_message(save_error, "capacity") />
                    <div class="field">
                        <label for="field-theme">"Theme"</label>
                        <select id="field-theme" name="theme">
                            <option value="">"(none)"</option>
                            {theme_options}
                        </select>
                    </div>
                </div>
                <button type="submit">{if is_editing { "Save changes" } else { "Add session" }}</button>
                {is_editing.then(move || view! { <a href=editor_href>"Cancel"</a> })}
            </ActionForm>
        </section>
    }
}

/// Every session of the event, each with its Edit link (to the form above) and Delete button.
#[component]
fn SessionList(
    slug: String,
    sessions: Vec<EditorSession>,
    delete: ServerAction<DeleteSession>,
    delete_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let session_count = format!("Sessions ({})", sessions.len());
    let session_rows = sessions
        .into_iter()
        .map(|s| {
            let slug = slug.clone();
            let edit_href = format!("/organise/{slug}/agenda?edit={}#session-form", s.card.id);
            let speakers = s.card.speakers.iter().map(|sp| sp.name.clone()).collect::<Vec<_>>().join(", ");
            view! {
                <tr data-session=s.card.id>
                    <td>{format!("{} {}", s.card.day, s.card.times)}</td>
                    <td>{s.card.title}</td>
                    <td>{s.card.room.unwrap_or_default()}</td>
                    <td>{speakers}</td>
                    <td class="actions">
                        <a href=edit_href>"Edit"</a>
                        <ActionForm action=delete attr:class="inline-form">
                            <CsrfField />
                            <input type="hidden" name="slug" value=slug />
                            <input type="hidden" name="session_id" value=s.card.id />
                            <button type="submit" class="link-button">"Delete"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{session_count}</h2>
            <FormAlert error=delete_error />
            <table class="data">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Title"</th><th scope="col">"Room"</th><th scope="col">"Speakers"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>{session_rows}</tbody>
            </table>
        </section>
    }
}

/// The tracks and rooms sessions can use, with a Remove button each, and the forms that add a
/// track, a room or a speaker.
#[component]
fn AgendaItems(
    slug: String,
    tracks: Vec<String>,
    rooms: Vec<(String, Option<i64>)>,
    add: ServerAction<AddAgendaItem>,
    add_error: Signal<Option<AppError>>,
    remove: ServerAction<RemoveAgendaItem>,
    remove_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let track_items = tracks
        .iter()
        .map(|t| view! { <li>{t.clone()} " " <RemoveItem slug=slug.clone() kind="track" name=t.clone() action=remove /></li> })
        .collect_view();
    let room_items = rooms
        .iter()
        .map(|(r, c)| {
            let label = match c {
                Some(c) => format!("{r} ({c} seats)"),
                None => r.clone(),
            };
            view! { <li>{label} " " <RemoveItem slug=slug.clone() kind="room" name=r.clone() action=remove /></li> }
        })
        .collect_view();
    // Each form's children are a closure of its own and take a copy of the slug.
    let (track_slug, room_slug, speaker_slug) = (slug.clone(), slug.clone(), slug);
    view! {
        <section aria-labelledby="items-heading">
            <h2 id="items-heading">"Tracks, rooms and speakers"</h2>
            {move || remove.value().get().and_then(Result::ok).map(|m| view! { <p class="alert success" role="status">{m}</p> })}
            <FormAlert error=remove_error />
            <p class="hint">"Removing a track, room or speaker keeps its sessions, without it."</p>
            <h3>"Tracks"</h3>
            <ul class="items">{track_items}</ul>
            <h3>"Rooms"</h3>
            <ul class="items">{room_items}</ul>
            {move || add.value().get().and_then(Result::ok).map(|m| view! { <p class="alert success" role="status">{m}</p> })}
            <FormAlert error=add_error fields=&["track_name", "room_name", "room_capacity", "speaker_name"] />
            <div class="item-forms">
                <ActionForm action=add attr:class="stacked">
                    <CsrfField />
                    <input type="hidden" name="slug" value=track_slug />
                    <input type="hidden" name="kind" value="track" />
                    <input type="hidden" name="detail" value="" />
                    <input type="hidden" name="bio" value="" />
                    <Field label="New track" name="name" error=field_message(add_error, "track_name") />
                    <button type="submit">"Add track"</button>
                </ActionForm>
                <ActionForm action=add attr:class="stacked">
                    <CsrfField />
                    <input type="hidden" name="slug" value=room_slug />
                    <input type="hidden" name="kind" value="room" />
                    <input type="hidden" name="bio" value="" />
                    <Field label="New room" name="name" error=field_message(add_error, "room_name") />
                    <Field label="Seats" name="detail" required=false error=field_message(add_error, "room_capacity") />
                    <button type="submit">"Add room"</button>
                </ActionForm>
                <ActionForm action=add attr:class="stacked">
                    <CsrfField />
                    <input type="hidden" name="slug" value=speaker_slug />
                    <input type="hidden" name="kind" value="speaker" />
                    <Field label="New speaker" name="name" error=field_message(add_error, "speaker_name") />
                    <Field label="Organisation" name="detail" required=false error=Signal::derive(|| None::<String>) />
                    <Field label="Short bio" name="bio" required=false error=Signal::derive(|| None::<String>) />
                    <button type="submit">"Add speaker"</button>
                </ActionForm>
            </div>
        </section>
    }
}

/// The speakers with their photos: upload a photo, remove a speaker, and change the one
/// `?speaker=` names. After an upload the server redirects back with `?photo` or `?photo_error=`.
#[component]
fn SpeakerList(
    slug: String,
    speakers: Vec<SpeakerProfile>,
    query: Memo<ParamsMap>,
    remove: ServerAction<RemoveAgendaItem>,
    edit_speaker: ServerAction<UpdateSpeaker>,
    speaker_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let editing_speaker: Option<SpeakerProfile> = query
        .read_untracked()
        .get("speaker")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| speakers.iter().find(|s| s.id == id).cloned());
    let photo_saved = query.read_untracked().get("photo").is_some();
    let photo_error = query.read_untracked().get("photo_error");
    let speaker_rows = speakers
        .iter()
        .map(|sp| {
            let upload = format!("/organise/{slug}/speakers/{}/photo", sp.id);
            let has_photo = sp.has_photo;
            let photo_src = format!("/events/{slug}/speakers/{}/photo.jpg", sp.id);
            let label = format!("New photo of {}", sp.name);
            let input_id = format!("photo-{}", sp.id);
            view! {
                <tr data-speaker=sp.id>
                    <td>{sp.name.clone()}</td>
                    <td>{sp.organisation.clone()}</td>
                    <td>{has_photo.then(|| view! { <img src=photo_src alt="" width="48" height="48" class="thumb" /> })}</td>
                    <td class="actions">
                        <a href=format!("/organise/{slug}/agenda?speaker={}#speakers", sp.id)>"Edit"</a>
                        <RemoveItem slug=slug.clone() kind="speaker" name=sp.name.clone() action=remove />
                    </td>
                    <td>
                        <form method="post" action=upload enctype="multipart/form-data" class="inline-form">
                            <CsrfField />
                            <label class="visually-hidden" for=input_id.clone()>{label}</label>
                            <input id=input_id type="file" name="photo" accept="image/png,image/jpeg,image/webp" required=true />
                            <button type="submit" class="small">"Upload"</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="speakers-heading" id="speakers">
            <h2 id="speakers-heading">"Speaker photos"</h2>
            <p class="hint">"PNG, JPEG or WebP, at most 5 MB. Photos are scaled to 400 pixels and stored without their metadata."</p>
            {photo_saved.then(|| view! { <p class="alert success" role="status">"Photo saved."</p> })}
            {move || edit_speaker.value().get().and_then(Result::ok).map(|m| view! { <p class="alert success" role="status">{m}</p> })}
            {editing_speaker.map(|sp| view! {
                <ActionForm action=edit_speaker attr:class="stacked" attr:novalidate=true>
                    <CsrfField />
                    <input type="hidden" name="slug" value=slug.clone() />
                    <input type="hidden" name="speaker_id" value=sp.id />
                    <FormAlert error=speaker_error fields=&["speaker_name"] />
                    <Field label="Speaker's name" name="name" value=sp.name.clone() error=field_message(speaker_error, "speaker_name") />
                    <Field label="Organisation" name="organisation" required=false value=sp.organisation.clone() error=Signal::derive(|| None::<String>) />
                    <Field label="Short bio" name="bio" required=false value=sp.bio.clone() error=field_message(speaker_error, "bio") />
                    <button type="submit">"Save speaker"</button>
                </ActionForm>
            })}
            {photo_error.map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
            <table class="data">
                <thead><tr><th scope="col">"Speaker"</th><th scope="col">"Organisation"</th><th scope="col">"Photo"</th><th scope="col">"Actions"</th><th scope="col">"Upload"</th></tr></thead>
                <tbody>{speaker_rows}</tbody>
            </table>
        </section>
    }
}

/// The agenda as a CSV file to download, and a CSV to import: all rows or none.
#[component]
fn CsvImportExport(
    slug: String,
    import: ServerAction<ImportAgenda>,
    import_error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="csv-heading">
            <h2 id="csv-heading">"CSV import and export"</h2>
            <p>
                <a class="button secondary" href=format!("/organise/{slug}/agenda.csv")>"Download the agenda as CSV"</a>
            </p>
            <p class="hint">
                "Columns: id, day (YYYY-MM-DD), start, end (HH:MM), title, track, room, speakers (comma-separated), theme, capacity, abstract. "
                "Rows with an id change that session; rows without add one. Missing tracks, rooms and speakers are created. "
                "If any row is wrong, nothing is imported."
            </p>
            {move || import.value().get().and_then(Result::ok).map(|m| view! { <p class="alert success" role="status">{m}</p> })}
            <ActionForm action=import attr:class="stacked">
                <CsrfField />
                <input type="hidden" name="slug" value=slug />
                <div class="field" class:has-error=move || import_error.get().is_some()>
                    <label for="field-csv">"CSV to import (paste the file's contents)"</label>
                    <textarea id="field-csv" name="csv" rows="6"></textarea>
                    {move || import_error.get().map(|e| view! { <pre class="field-error import-report">{e.to_string()}</pre> })}
                </div>
                <button type="submit">"Import"</button>
            </ActionForm>
        </section>
    }
}
