//! B2B pages: the participant directory and a participant's page (with the request form), my
//! meetings (answers, cancelling, the held confirmation at the table, suggestions), and the
//! organisers' set-up and overview. Every form is a plain POST that works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    load_b2b_overview, load_directory, load_meetings, load_meetings_desk, load_participant, AnswerMeeting,
    BlockMeetingSlot, BookMeeting, CancelMeeting, ChangeDirectoryConsent, ConfirmMeetingHeld, DecideNoShow,
    DeskMeeting, MeetingCard, MeetingStatus, MoveMeeting, ParticipantCard, ReportNoShow, RequestMeeting, SaveB2bSetup,
    SlotChoice,
};
use crate::await_view;
use crate::checkin::camera::CameraScanner;
use crate::components::{action_error, csrf_token, field_message, url_encode, CsrfField, FormAlert};

fn slug_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("slug").unwrap_or_default())
}

/// The profile lines of a participant.
#[component]
fn ParticipantFacts(participant: ParticipantCard) -> impl IntoView {
    let themes = participant.themes.iter().map(|t| t.label()).collect::<Vec<_>>().join(", ");
    view! {
        <dl class="facts">
            <dt>"Organisation"</dt>
            <dd>{format!("{} ({})", participant.organisation, participant.kind)}</dd>
            <dt>"Cluster"</dt>
            <dd>{participant.cluster.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Country"</dt>
            <dd>{participant.country.clone()}</dd>
            <dt>"Themes"</dt>
            <dd>{themes}</dd>
            <dt>"Offers"</dt>
            <dd>{participant.offers.clone()}</dd>
            <dt>"Seeks"</dt>
            <dd>{participant.seeks.clone()}</dd>
        </dl>
    }
}

/// `/events/{slug}/participants`: filters are links (and a search form) that work without
/// JavaScript.
#[component]
pub fn ParticipantsPage() -> impl IntoView {
    let slug = slug_param();
    let query = use_query_map();
    let filters = move || {
        let q = query.read();
        (q.get("cluster"), q.get("country"), q.get("theme"), q.get("kind"), q.get("q"))
    };
    let directory = Resource::new(
        move || (slug.get(), filters()),
        |(slug, (cluster, country, theme, kind, q))| load_directory(slug, cluster, country, theme, kind, q),
    );
    await_view!(directory, |view| {
        let base = format!("/events/{}/participants", view.slug);
        let current = filters();
        // A link that sets one filter and keeps the others.
        let link = {
            let base = base.clone();
            let current = current.clone();
            move |key: &str, value: Option<&str>| {
                let mut pairs: Vec<(String, String)> = Vec::new();
                for (k, v) in [
                    ("cluster", &current.0),
                    ("country", &current.1),
                    ("theme", &current.2),
                    ("kind", &current.3),
                    ("q", &current.4),
                ] {
                    if k == key {
                        if let Some(value) = value {
                            pairs.push((k.into(), value.into()));
                        }
                    } else if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                        pairs.push((k.into(), v.clone()));
                    }
                }
                let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
                if query.is_empty() {
                    base.clone()
                } else {
                    format!("{base}?{}", query.join("&"))
                }
            }
        };
        let facet = |key: &'static str, label: &'static str, options: Vec<(String, String)>, chosen: Option<String>| {
            let link = link.clone();
            view! {
                <p class="facet">
                    <span class="facet-label">{label}": "</span>
                    <A href=link(key, None) attr:class=if chosen.is_none() { "chosen" } else { "" }>"All"</A>
                    {options.into_iter().map(|(code, text)| {
                        let class = if chosen.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&code)) { "chosen" } else { "" };
                        view! { " · " <A href=link(key, Some(&code)) attr:class=class>{text}</A> }
                    }).collect_view()}
                </p>
            }
        };
        let themes: Vec<(String, String)> =
            crate::events::Theme::ALL.iter().map(|t| (t.code().to_string(), t.label().to_string())).collect();
        let countries: Vec<(String, String)> = view.countries.iter().map(|c| (c.clone(), c.clone())).collect();
        let shown = view.participants.len();
        let my_ticket = view.my_ticket;
        view! {
            <Title text=format!("Participants: {}", view.title) />
            <section class="directory">
                <p class="eyebrow"><A href=format!("/events/{}", view.slug)>{view.title.clone()}</A></p>
                <h1>"Participants"</h1>
                <p>
                    <A href=format!("/events/{}/meetings", view.slug)>"My meetings and suggestions"</A>
                </p>
                <form method="get" action=base.clone() class="inline-form search">
                    <label for="directory-q">"Search"</label>
                    <input id="directory-q" name="q" type="search" value=current.4.clone().unwrap_or_default() />
                    {[("cluster", current.0.clone()), ("country", current.1.clone()), ("theme", current.2.clone()), ("kind", current.3.clone())]
                        .into_iter()
                        .filter_map(|(k, v)| v.map(|v| view! { <input type="hidden" name=k value=v /> }))
                        .collect_view()}
                    <button type="submit" class="small">"Search"</button>
                </form>
                {facet("cluster", "Cluster", view.clusters.clone(), current.0.clone())}
                {facet("country", "Country", countries, current.1.clone())}
                {facet("theme", "Theme", themes, current.2.clone())}
                {facet("kind", "Organisation", view.kinds.clone(), current.3.clone())}
                <p class="hint" role="status">{format!("{shown} of {} participants", view.total)}</p>
                <ul class="participants">
                    {view.participants.into_iter().map(|p| {
                        let href = format!("/events/{}/participants/{}", view.slug, p.ticket_id);
                        let me = my_ticket == Some(p.ticket_id);
                        view! {
                            <li class="participant" data-ticket=p.ticket_id>
                                <A href=href><strong>{p.name.clone()}</strong></A>
                                {me.then_some(" (you)")}
                                <span class="participant-org">{format!(" · {} · {}", p.organisation, p.country)}</span>
                                {p.cluster.clone().map(|c| view! { <span class="tag">{c}</span> })}
                                <p class="hint">{format!("Offers: {} · Seeks: {}", p.offers, p.seeks)}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
        .into_any()
    })
}

fn slot_options(slots: &[SlotChoice]) -> impl IntoView {
    slots
        .iter()
        .map(|s| {
            let label = match &s.warning {
                Some(w) => format!("{} ({w})", s.label),
                None => s.label.clone(),
            };
            view! { <option value=s.id>{label}</option> }
        })
        .collect_view()
}

/// `/events/{slug}/participants/{id}`: a participant, and the request form.
#[component]
pub fn ParticipantPage() -> impl IntoView {
    let params = use_params_map();
    let slug = slug_param();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let request = ServerAction::<RequestMeeting>::new();
    let error = action_error(request);
    let participant = Resource::new(
        move || (slug.get(), id.get(), request.version().get()),
        |(slug, id, _)| load_participant(slug, id),
    );
    await_view!(participant, |view| {
        let p = view.participant.clone();
        view! {
            <Title text=p.name.clone() />
            <section class="participant-page">
                <p class="eyebrow"><A href=format!("/events/{}/participants", view.slug)>{format!("Participants of {}", view.title)}</A></p>
                <h1>{p.name.clone()}</h1>
                <ParticipantFacts participant=p.clone() />
                {(!view.reasons.is_empty()).then(|| view! {
                    <p class="reasons">{format!("Why meet: {}.", view.reasons.join("; "))}</p>
                })}
                {match (view.is_me, view.existing.clone(), view.closed.clone()) {
                    (true, _, _) => view! { <p class="hint">"This is you, as others see you in the directory."</p> }.into_any(),
                    (_, Some(meeting), _) => view! {
                        <p class="alert info">
                            {format!("{}: {}. ", meeting.status.label(), meeting.when)}
                            <A href=format!("/events/{}/meetings", view.slug)>"See your meetings"</A>
                        </p>
                    }.into_any(),
                    (_, None, Some(closed)) => view! { <p class="alert">{closed}</p> }.into_any(),
                    (_, None, None) if view.common_slots.is_empty() => view! {
                        <p class="alert">"You have no free slot in common."</p>
                    }.into_any(),
                    (_, None, None) => view! {
                        <h2>"Ask for a meeting"</h2>
                        <ActionForm action=request attr:class="stacked">
                            <CsrfField />
                            <input type="hidden" name="slug" value=view.slug.clone() />
                            <input type="hidden" name="participant" value=p.ticket_id />
                            <FormAlert error fields=&["slot", "message"] />
                            <div class="field">
                                <label for="field-slot">"Slot (both of you are free)"</label>
                                <select id="field-slot" name="slot">
                                    <option value="first">"The first slot we both have free"</option>
                                    {slot_options(&view.common_slots)}
                                </select>
                                {move || field_message(error, "slot").get().map(|e| view! { <p class="field-error">{e}</p> })}
                            </div>
                            <div class="field">
                                <label for="field-message">"Message (optional)"</label>
                                <textarea id="field-message" name="message" rows="3" maxlength="500"></textarea>
                                {move || field_message(error, "message").get().map(|e| view! { <p class="field-error">{e}</p> })}
                            </div>
                            <button type="submit">"Send the request"</button>
                        </ActionForm>
                    }.into_any(),
                }}
            </section>
        }
        .into_any()
    })
}

/// One meeting with what its participant can do next.
#[component]
fn MeetingItem(
    slug: String,
    meeting: MeetingCard,
    free_slots: Vec<SlotChoice>,
    changed: RwSignal<u64>,
) -> impl IntoView {
    let answer = ServerAction::<AnswerMeeting>::new();
    let cancel = ServerAction::<CancelMeeting>::new();
    let held = ServerAction::<ConfirmMeetingHeld>::new();
    let no_show = ServerAction::<ReportNoShow>::new();
    Effect::new(move |_| {
        if answer.version().get() + cancel.version().get() + held.version().get() + no_show.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let errors = [action_error(answer), action_error(cancel), action_error(held), action_error(no_show)];
    let error = Signal::derive(move || errors.iter().find_map(|e| e.get()));
    let status = meeting.status;
    let live = matches!(status, MeetingStatus::Requested | MeetingStatus::Accepted);
    let state = if meeting.verified_held {
        "Held (verified)".to_string()
    } else if meeting.disputed {
        "Confirmed at the table, and reported as missed: the organisers decide".to_string()
    } else if meeting.held_confirmed {
        "Held (confirmed at the table; verified once both are checked in)".to_string()
    } else if meeting.no_show_reported {
        "Reported as missed".to_string()
    } else if status == MeetingStatus::Requested && meeting.awaiting_me {
        "Waiting for your answer".to_string()
    } else if status == MeetingStatus::Requested {
        "Waiting for their answer".to_string()
    } else {
        status.label().to_string()
    };
    let id = meeting.id;
    let slug = StoredValue::new(slug);
    // The fields every form of the meeting carries.
    let hidden = move || {
        view! {
            <CsrfField />
            <input type="hidden" name="slug" value=slug.get_value() />
            <input type="hidden" name="meeting" value=id />
        }
    };
    view! {
        <li class="meeting" data-meeting=id data-status=status.code()>
            <p>
                <strong>{meeting.partner.name.clone()}</strong>
                {format!(" · {} · {}", meeting.partner.organisation, meeting.partner.country)}
            </p>
            <p class="meeting-when">{meeting.when.clone()}{meeting.table.clone().map(|t| format!(" · {t}"))}</p>
            <p class="meeting-state">{state}</p>
            {(status == MeetingStatus::Accepted).then(|| view! {
                <p><a href=format!("/meetings/{id}/invite.ics") rel="external">"Add to my calendar"</a></p>
            })}
            {(!meeting.message.is_empty()).then(|| view! { <p class="hint">{format!("Message: {}", meeting.message)}</p> })}
            {(!meeting.reason.is_empty()).then(|| view! { <p class="hint">{format!("Reason: {}", meeting.reason)}</p> })}
            <FormAlert error />
            {meeting.awaiting_me.then(|| view! {
                <div class="meeting-actions">
                    <ActionForm action=answer attr:class="inline-form">
                        {hidden()}
                        <input type="hidden" name="answer" value="accept" />
                        <button type="submit" class="small">"Accept"</button>
                    </ActionForm>
                    <ActionForm action=answer attr:class="inline-form">
                        {hidden()}
                        <input type="hidden" name="answer" value="decline" />
                        <label>"Reason " <input name="reason" maxlength="300" /></label>
                        <button type="submit" class="small secondary">"Decline"</button>
                    </ActionForm>
                    {(!free_slots.is_empty()).then(|| view! {
                        <ActionForm action=answer attr:class="inline-form">
                            {hidden()}
                            <input type="hidden" name="answer" value="propose" />
                            <label>"Another slot " <select name="slot">{slot_options(&free_slots)}</select></label>
                            <button type="submit" class="small secondary">"Propose"</button>
                        </ActionForm>
                    })}
                </div>
            })}
            {meeting.may_confirm_held.then(|| {
                // The camera hands the partner's badge code straight to the same step.
                let scanned = move |code: String| {
                    held.dispatch(ConfirmMeetingHeld { _csrf: csrf_token(), slug: slug.get_value(), meeting: id, code });
                };
                view! {
                    <div class="held-confirmation">
                        <ActionForm action=held attr:class="inline-form held-form">
                            {hidden()}
                            <label>"Partner's badge code " <input name="code" autocomplete="off" /></label>
                            <button type="submit" class="small">"Confirm we met"</button>
                        </ActionForm>
                        <CameraScanner on_code=scanned />
                    </div>
                }
            })}
            {(status == MeetingStatus::Accepted && !meeting.no_show_reported).then(|| view! {
                <ActionForm action=no_show attr:class="inline-form">
                    {hidden()}
                    <button type="submit" class="small secondary">"They did not come"</button>
                </ActionForm>
            })}
            {live.then(|| view! {
                <ActionForm action=cancel attr:class="inline-form">
                    {hidden()}
                    <button type="submit" class="small secondary">
                        {if status == MeetingStatus::Requested && meeting.i_requested { "Withdraw" } else { "Cancel" }}
                    </button>
                </ActionForm>
            })}
        </li>
    }
}

/// `/events/{slug}/meetings`: my requests and meetings, and whom to meet.
#[component]
pub fn MeetingsPage() -> impl IntoView {
    let slug = slug_param();
    let changed = RwSignal::new(0u64);
    let meetings = Resource::new(move || (slug.get(), changed.get()), |(slug, _)| load_meetings(slug));
    await_view!(meetings, |view| {
        let (live, past): (Vec<MeetingCard>, Vec<MeetingCard>) = view
            .meetings
            .clone()
            .into_iter()
            .partition(|m| matches!(m.status, MeetingStatus::Requested | MeetingStatus::Accepted));
        let item = {
            let slug = view.slug.clone();
            let free = view.free_slots.clone();
            move |m: MeetingCard| view! { <MeetingItem slug=slug.clone() meeting=m free_slots=free.clone() changed /> }
        };
        view! {
            <Title text=format!("My meetings: {}", view.title) />
            <section class="meetings">
                <p class="eyebrow"><A href=format!("/events/{}", view.slug)>{view.title.clone()}</A></p>
                <h1>"My B2B meetings"</h1>
                <p class="hint">
                    {format!("Requests can be made and answered until {}. At most {} meetings per person.", view.deadline, view.max_meetings)}
                    " " <A href=format!("/events/{}/participants", view.slug)>"Browse the participants"</A>
                    " · " <a href=format!("/events/{}/meetings/calendar.ics", view.slug) rel="external">"Download my sessions and meetings (.ics)"</a>
                </p>
                {(!view.listed).then(|| view! {
                    <p class="alert">"You are not listed in the participant directory, so others cannot ask you for meetings. Change that on your account page."</p>
                })}
                <h2>"Requests and meetings"</h2>
                {if live.is_empty() {
                    view! { <p>"Nothing planned yet. Ask someone from the suggestions below."</p> }.into_any()
                } else {
                    view! { <ul class="meeting-list">{live.into_iter().map(item.clone()).collect_view()}</ul> }.into_any()
                }}
                <h2>"People you should meet"</h2>
                <ul class="suggestions">
                    {view.suggestions.clone().into_iter().map(|s| view! {
                        <li class="suggestion">
                            <A href=format!("/events/{}/participants/{}", view.slug, s.participant.ticket_id)>
                                <strong>{s.participant.name.clone()}</strong>
                            </A>
                            {format!(" · {} · {}", s.participant.organisation, s.participant.country)}
                            <p class="reasons">{s.reasons.join("; ")}</p>
                        </li>
                    }).collect_view()}
                </ul>
                <KeepFree slug=view.slug.clone() free=view.free_slots.clone() blocked=view.blocked_slots.clone() changed />
                {(!past.is_empty()).then(|| view! {
                    <h2>"Declined, cancelled and expired"</h2>
                    <ul class="meeting-list past">{past.into_iter().map(item.clone()).collect_view()}</ul>
                })}
            </section>
        }
        .into_any()
    })
}

/// The directory switch on the account page, for ticket holders.
#[component]
pub fn AccountDirectory() -> impl IntoView {
    let listing = Resource::new(|| (), |_| super::load_directory_listing());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match listing.await {
                    Ok(Some(listed)) => view! {
                        <h2>"Participant directory"</h2>
                        <DirectoryConsent listed />
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DirectoryConsent(listed: bool) -> impl IntoView {
    let action = ServerAction::<ChangeDirectoryConsent>::new();
    let listed = move || action.input().get().map(|i| i.listed).unwrap_or(listed);
    view! {
        <ActionForm action attr:class="inline-form">
            <CsrfField />
            <input type="hidden" name="listed" value=move || (!listed()).to_string() />
            <span>{move || if listed() { "You are listed in the participant directories. " } else { "You are not listed in the participant directories. " }}</span>
            <button type="submit" class="small secondary">{move || if listed() { "Remove me" } else { "List me" }}</button>
        </ActionForm>
    }
}

/// `/organise/{slug}/b2b`: the grid and the meetings in it.
#[component]
pub fn B2bSetupPage() -> impl IntoView {
    let slug = slug_param();
    let save = ServerAction::<SaveB2bSetup>::new();
    let error = action_error(save);
    let overview = Resource::new(move || (slug.get(), save.version().get()), |(slug, _)| load_b2b_overview(slug));
    await_view!(overview, |view| {
        let form = view.form.clone();
        let export = format!("/organise/{}/b2b/meetings.csv", view.slug);
        let desk = format!("/organise/{}/b2b/meetings", view.slug);
        let message = move |field: &'static str| {
            move || field_message(error, field).get().map(|e| view! { <p class="field-error">{e}</p> })
        };
        let saved = move || save.value().get().is_some_and(|r| r.is_ok());
        view! {
            <Title text=format!("B2B session: {}", view.title) />
            <section class="b2b-setup">
                <p class="eyebrow"><A href=format!("/organise/{}", view.slug)>{view.title.clone()}</A></p>
                <h1>"B2B matchmaking"</h1>
                <ul class="counts">
                    {view.counts.iter().map(|(label, n)| view! { <li>{format!("{label}: {n}")}</li> }).collect_view()}
                </ul>
                <Show when=saved><p class="alert success" role="status">"Saved."</p></Show>
                <ActionForm action=save attr:class="stacked">
                    <CsrfField />
                    <input type="hidden" name="slug" value=view.slug.clone() />
                    <FormAlert error fields=&["slot_minutes", "windows", "tables", "max_meetings", "max_pending", "request_deadline"] />
                    <div class="field">
                        <label for="field-slot_minutes">"Slot length"</label>
                        <select id="field-slot_minutes" name="slot_minutes">
                            {["15", "20", "30"].into_iter().map(|m| view! {
                                <option value=m selected=form.slot_minutes == m>{format!("{m} minutes")}</option>
                            }).collect_view()}
                        </select>
                        {message("slot_minutes")}
                    </div>
                    <div class="field">
                        <label for="field-windows">"Meeting windows, one per line (date start-end, in the event's time zone); a break is the gap between two"</label>
                        <textarea id="field-windows" name="windows" rows="4" placeholder="2027-03-16 14:00-15:30">{form.windows.clone()}</textarea>
                        {message("windows")}
                    </div>
                    <div class="field">
                        <label for="field-tables">"Tables, one line per table or run of tables, with where they are"</label>
                        <textarea id="field-tables" name="tables" rows="3" placeholder="1-20 B2B area">{form.tables.clone()}</textarea>
                        {message("tables")}
                    </div>
                    <div class="field">
                        <label for="field-max_meetings">"Meetings per person, at most"</label>
                        <input id="field-max_meetings" name="max_meetings" value=form.max_meetings.clone() inputmode="numeric" />
                        {message("max_meetings")}
                    </div>
                    <div class="field">
                        <label for="field-max_pending">"Requests a person may have waiting, at most"</label>
                        <input id="field-max_pending" name="max_pending" value=form.max_pending.clone() inputmode="numeric" />
                        {message("max_pending")}
                    </div>
                    <div class="field">
                        <label for="field-request_deadline">"Requests close at (date and time)"</label>
                        <input id="field-request_deadline" name="request_deadline" value=form.request_deadline.clone() />
                        {message("request_deadline")}
                    </div>
                    <button type="submit">"Save the B2B session"</button>
                </ActionForm>
                <p>
                    <A href=desk>"Book, move and decide meetings"</A>
                    " · "
                    <a href=export>"Download all meetings as CSV"</a>
                </p>
                {(!view.cluster_pairs.is_empty()).then(|| view! {
                    <h2>"Meetings between clusters"</h2>
                    <ClusterHeatMap pairs=view.cluster_pairs.clone() />
                })}
                {view.configured.then(|| {
                    let tables = view.tables.clone();
                    let meetings = view.meetings.clone();
                    view! {
                        <h2>"Who meets whom"</h2>
                        <div class="table-scroll">
                            <table class="b2b-grid">
                                <thead><tr><th scope="col">"Slot"</th>{tables.iter().map(|t| view! { <th scope="col">{format!("Table {t}")}</th> }).collect_view()}</tr></thead>
                                <tbody>
                                    {view.slots.iter().enumerate().map(|(row, label)| view! {
                                        <tr>
                                            <th scope="row">{label.clone()}</th>
                                            {(0..tables.len()).map(|column| {
                                                let who = meetings.iter().find(|(r, c, _)| *r == row && *c == column).map(|(_, _, w)| w.clone());
                                                view! { <td>{who.unwrap_or_default()}</td> }
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                })}
            </section>
        }
        .into_any()
    })
}

/// Agreed meetings per pair of clusters as a heat map (darker: more), with the figures as a
/// table beside it for screen readers and for reading exact numbers.
#[component]
fn ClusterHeatMap(pairs: Vec<(String, String, i64, i64)>) -> impl IntoView {
    let mut names: Vec<String> = pairs.iter().flat_map(|(a, b, _, _)| [a.clone(), b.clone()]).collect();
    names.sort();
    names.dedup();
    let most = pairs.iter().map(|p| p.2).max().unwrap_or(1).max(1);
    let (label, cell) = (150.0_f64, 64.0_f64);
    let size = label + cell * names.len() as f64;
    let count = |a: &str, b: &str| {
        pairs.iter().find(|(x, y, _, _)| (x == a && y == b) || (x == b && y == a)).map(|p| (p.2, p.3)).unwrap_or((0, 0))
    };
    let cells = names
        .iter()
        .enumerate()
        .flat_map(|(row, a)| names.iter().enumerate().map(move |(column, b)| (row, column, a.clone(), b.clone())))
        .map(|(row, column, a, b)| {
            let (agreed, held) = count(&a, &b);
            let shade = 0.08 + 0.92 * agreed as f64 / most as f64;
            let (x, y) = (label + cell * column as f64, label + cell * row as f64);
            view! {
                <g>
                    <title>{format!("{a} – {b}: {agreed} agreed, {held} held")}</title>
                    <rect x=x y=y width=cell - 2.0 height=cell - 2.0 fill="#1f5f8b" fill-opacity=format!("{shade:.2}") />
                    <text x=x + cell / 2.0 - 1.0 y=y + cell / 2.0 + 5.0 text-anchor="middle" class="heat-count">{agreed}</text>
                </g>
            }
        })
        .collect_view();
    let axis = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let middle = label + cell * i as f64 + cell / 2.0;
            view! {
                <text x=label - 6.0 y=middle + 4.0 text-anchor="end">{name.clone()}</text>
                <text x=middle y=label - 8.0 text-anchor="start" transform=format!("rotate(-40 {middle} {})", label - 8.0)>{name.clone()}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="heat-map">
            <svg viewBox=format!("0 0 {size} {size}") width=size height=size role="img" aria-labelledby="heat-title">
                <title id="heat-title">"Agreed meetings between the clusters' members"</title>
                {axis}
                {cells}
            </svg>
            <table class="pairs">
                <caption>"Agreed and held meetings per pair of clusters"</caption>
                <thead><tr><th scope="col">"Clusters"</th><th scope="col">"Agreed"</th><th scope="col">"Held"</th></tr></thead>
                <tbody>
                    {pairs.iter().map(|(a, b, agreed, held)| view! {
                        <tr><td>{format!("{a} – {b}")}</td><td>{*agreed}</td><td>{*held}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}

/// Slots a person keeps free of meetings (nobody can ask for them), and the ones still open.
#[component]
fn KeepFree(slug: String, free: Vec<SlotChoice>, blocked: Vec<SlotChoice>, changed: RwSignal<u64>) -> impl IntoView {
    let block = ServerAction::<BlockMeetingSlot>::new();
    Effect::new(move |_| {
        if block.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let error = action_error(block);
    let slug = StoredValue::new(slug);
    let form = move |slot: SlotChoice, blocked: bool| {
        view! {
            <li>
                <ActionForm action=block attr:class="inline-form">
                    <CsrfField />
                    <input type="hidden" name="slug" value=slug.get_value() />
                    <input type="hidden" name="slot" value=slot.id />
                    <input type="hidden" name="blocked" value=(!blocked).to_string() />
                    <span>{slot.label.clone()}" "</span>
                    <button type="submit" class="small secondary">{if blocked { "Open again" } else { "Keep free" }}</button>
                </ActionForm>
            </li>
        }
    };
    view! {
        <details class="keep-free">
            <summary>"Keep slots free of meetings"</summary>
            <FormAlert error />
            <ul class="slots">
                {blocked.into_iter().map(|s| form(s, true)).collect_view()}
                {free.into_iter().map(|s| form(s, false)).collect_view()}
            </ul>
        </details>
    }
}

fn options(choices: &[(i64, String)]) -> impl IntoView {
    choices.iter().map(|(id, label)| view! { <option value=*id>{label.clone()}</option> }).collect_view()
}

/// `/organise/{slug}/b2b/meetings`: organisers book a meeting for two people, move agreed
/// meetings, and decide no-show reports made against a confirmation at the table.
#[component]
pub fn MeetingsDeskPage() -> impl IntoView {
    let slug = slug_param();
    let book = ServerAction::<BookMeeting>::new();
    let changed = RwSignal::new(0u64);
    let desk = Resource::new(
        move || (slug.get(), book.version().get(), changed.get()),
        |(slug, _, _)| load_meetings_desk(slug),
    );
    let error = action_error(book);
    await_view!(desk, |view| {
        let message = move |field: &'static str| {
            move || field_message(error, field).get().map(|e| view! { <p class="field-error">{e}</p> })
        };
        let booked = move || book.value().get().is_some_and(|r| r.is_ok());
        let disputes: Vec<DeskMeeting> = view.agreed.iter().filter(|m| m.dispute.is_some()).cloned().collect();
        let slug = view.slug.clone();
        let (slots, tables) = (view.slots.clone(), view.tables.clone());
        view! {
            <Title text=format!("B2B meetings: {}", view.title) />
            <section class="b2b-desk">
                <p class="eyebrow"><A href=format!("/organise/{}/b2b", view.slug)>{format!("{}: B2B matchmaking", view.title)}</A></p>
                <h1>"Meetings desk"</h1>
                <h2>"Book a meeting for two people"</h2>
                <Show when=booked><p class="alert success" role="status">"Booked; both were told by mail."</p></Show>
                <ActionForm action=book attr:class="stacked">
                    <CsrfField />
                    <input type="hidden" name="slug" value=view.slug.clone() />
                    <FormAlert error fields=&["first", "second", "slot", "table"] />
                    <div class="field">
                        <label for="field-first">"First person"</label>
                        <select id="field-first" name="first">{options(&view.people)}</select>
                        {message("first")}
                    </div>
                    <div class="field">
                        <label for="field-second">"Second person"</label>
                        <select id="field-second" name="second">{options(&view.people)}</select>
                        {message("second")}
                    </div>
                    <div class="field">
                        <label for="field-slot">"Slot"</label>
                        <select id="field-slot" name="slot">{options(&view.slots)}</select>
                        {message("slot")}
                    </div>
                    <div class="field">
                        <label for="field-table">"Table"</label>
                        <select id="field-table" name="table">
                            <option value="">"First free table"</option>
                            {options(&view.tables)}
                        </select>
                        {message("table")}
                    </div>
                    <button type="submit">"Book the meeting"</button>
                </ActionForm>
                <h2>"No-show reports against a confirmation"</h2>
                {if disputes.is_empty() {
                    view! { <p>"None."</p> }.into_any()
                } else {
                    view! {
                        <ul class="disputes">
                            {disputes.into_iter().map(|m| view! { <DisputeItem slug=slug.clone() meeting=m changed /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <h2>"Agreed meetings"</h2>
                <ul class="meeting-list desk">
                    {view.agreed.clone().into_iter().map(|m| view! {
                        <DeskItem slug=slug.clone() meeting=m slots=slots.clone() tables=tables.clone() changed />
                    }).collect_view()}
                </ul>
            </section>
        }
        .into_any()
    })
}

/// A no-show report against a confirmation, and the two decisions.
#[component]
fn DisputeItem(slug: String, meeting: DeskMeeting, changed: RwSignal<u64>) -> impl IntoView {
    let decide = ServerAction::<DecideNoShow>::new();
    Effect::new(move |_| {
        if decide.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let error = action_error(decide);
    let slug = StoredValue::new(slug);
    let id = meeting.id;
    let form = move |held: bool, label: &'static str| {
        view! {
            <ActionForm action=decide attr:class="inline-form">
                <CsrfField />
                <input type="hidden" name="slug" value=slug.get_value() />
                <input type="hidden" name="meeting" value=id />
                <input type="hidden" name="held" value=held.to_string() />
                <button type="submit" class="small secondary">{label}</button>
            </ActionForm>
        }
    };
    view! {
        <li class="dispute" data-meeting=id>
            <p><strong>{meeting.people.clone()}</strong>{format!(" · {}", meeting.place)}</p>
            <p class="hint">{meeting.dispute.clone()}</p>
            <FormAlert error />
            {match meeting.decision.clone() {
                Some(decision) => view! { <p class="meeting-state">{format!("Decided: {decision}")}</p> }.into_any(),
                None => view! {
                    <div class="meeting-actions">
                        {form(true, "It was held")}
                        {form(false, "It was not held")}
                    </div>
                }.into_any(),
            }}
        </li>
    }
}

/// An agreed meeting, with the form to move it.
#[component]
fn DeskItem(
    slug: String,
    meeting: DeskMeeting,
    slots: Vec<(i64, String)>,
    tables: Vec<(i64, String)>,
    changed: RwSignal<u64>,
) -> impl IntoView {
    let relocate = ServerAction::<MoveMeeting>::new();
    Effect::new(move |_| {
        if relocate.version().get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let error = action_error(relocate);
    view! {
        <li class="meeting" data-meeting=meeting.id>
            <p><strong>{meeting.people.clone()}</strong></p>
            <p class="meeting-when">{meeting.place.clone()}</p>
            <FormAlert error />
            {if meeting.held {
                view! { <p class="meeting-state">"Confirmed as held at the table"</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=relocate attr:class="inline-form">
                        <CsrfField />
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="meeting" value=meeting.id />
                        <label>"Slot " <select name="slot">
                            {slots.iter().map(|(id, label)| view! {
                                <option value=*id selected=*id == meeting.slot_id>{label.clone()}</option>
                            }).collect_view()}
                        </select></label>
                        <label>"Table " <select name="table">
                            <option value="">"First free"</option>
                            {tables.iter().map(|(id, label)| view! {
                                <option value=*id selected=Some(*id) == meeting.table_id>{label.clone()}</option>
                            }).collect_view()}
                        </select></label>
                        <button type="submit" class="small secondary">"Move"</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}
