//! The door staff's scanning station, `/scan/{slug}`: a field for handheld scanners (they type
//! the code and press Enter), name search as a fallback, and a verdict at a glance with colour
//! and sound. It keeps working without network: the list's offline data (public keys, tickets,
//! check-ins so far) is kept in the browser, scans are judged locally with the same rules as the
//! server, queued, and sent when the network is back. The queue lives in `localStorage`, so a
//! reload or a flat battery loses no scan.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::camera::CameraScanner;
use super::rules::{judge_offline, BundleTicket, Direction, OfflineBundle, ScanOutcome, Verdict};
use super::{fetch_offline_bundle, open_scanner_station, scan_badge, undo_checkin, ListSummary, ScannerStation};
use crate::await_view;
use crate::components::csrf_token;
use crate::error::AppError;

/// A scan waiting for the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct QueuedScan {
    list: i64,
    code: Option<String>,
    ticket: Option<i64>,
    key: String,
    direction: Direction,
    scanned_at: i64,
}

/// What the verdict panel shows.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    Outcome { outcome: ScanOutcome, offline: bool },
    Note(String),
}

/// `/scan/{slug}`
#[component]
pub fn ScannerPage() -> impl IntoView {
    let params = use_params_map();
    let station = Resource::new(move || params.read().get("slug").unwrap_or_default(), open_scanner_station);
    await_view!(station, |station| view! {
        <Title text=format!("Scan: {}", station.title) />
        <ScannerDesk station />
    })
}

fn queue_key(slug: &str) -> String {
    format!("exx-scan-{slug}-queue")
}

fn bundle_key(slug: &str, list: i64) -> String {
    format!("exx-scan-{slug}-list-{list}")
}

/// The copy of a list's offline data kept on the device, if any.
fn kept_bundle(slug: &str, list: i64) -> Option<OfflineBundle> {
    device::load(&bundle_key(slug, list)).and_then(|json| serde_json::from_str::<OfflineBundle>(&json).ok())
}

/// Deletes the lists' offline data kept in this browser: all of them (`everything`, when nobody
/// is signed in here any more), or those whose event is over. Queued scans are kept.
pub fn forget_offline_data(everything: bool) {
    let now = device::now_seconds();
    for key in device::keys().into_iter().filter(|k| k.starts_with("exx-scan-") && k.contains("-list-")) {
        let over = || {
            device::load(&key)
                .and_then(|json| serde_json::from_str::<OfflineBundle>(&json).ok())
                .is_none_or(|b| b.expired(now))
        };
        if everything || over() {
            device::remove(&key);
        }
    }
}

async fn send(slug: String, station: String, scan: QueuedScan, offline: bool) -> Result<ScanOutcome, AppError> {
    scan_badge(
        csrf_token(),
        slug,
        scan.list,
        scan.code.unwrap_or_default(),
        scan.ticket,
        scan.key,
        scan.direction.as_str().to_string(),
        station,
        // Online, the server's clock decides; a device clock running wrong cannot block scans.
        offline.then_some(scan.scanned_at),
        offline,
    )
    .await
}

/// Everything the parts of the scanning desk share. Every handle in it is `Copy`, so each
/// closure and each part takes the whole desk rather than a dozen separate signals.
#[derive(Clone, Copy)]
struct Desk {
    slug: StoredValue<String>,
    lists: StoredValue<Vec<ListSummary>>,
    list_id: RwSignal<i64>,
    direction: RwSignal<Direction>,
    station_name: RwSignal<String>,
    shown: RwSignal<Option<Shown>>,
    online: RwSignal<bool>,
    queue: RwSignal<Vec<QueuedScan>>,
    bundle: RwSignal<Option<OfflineBundle>>,
    /// (list, ticket) of entries this device let in since its offline data was made.
    local_entries: RwSignal<Vec<(i64, i64)>>,
    reports: RwSignal<Vec<String>>,
    syncing: RwSignal<bool>,
    ready: RwSignal<bool>,
}

impl Desk {
    /// The desk opens on the list the address names (`?list=`) when the station has it, else on
    /// its first list.
    fn open(station: &ScannerStation, wanted: Option<i64>) -> Self {
        let first = station.lists.first().map(|l| l.id).unwrap_or(0);
        Desk {
            slug: StoredValue::new(station.slug.clone()),
            lists: StoredValue::new(station.lists.clone()),
            list_id: RwSignal::new(wanted.filter(|id| station.lists.iter().any(|l| l.id == *id)).unwrap_or(first)),
            direction: RwSignal::new(Direction::Entry),
            station_name: RwSignal::new(String::new()),
            shown: RwSignal::new(None),
            online: RwSignal::new(true),
            queue: RwSignal::new(Vec::new()),
            bundle: RwSignal::new(None),
            local_entries: RwSignal::new(Vec::new()),
            reports: RwSignal::new(Vec::new()),
            syncing: RwSignal::new(false),
            ready: RwSignal::new(false),
        }
    }

    /// Only lists that let people leave and come back scan exits as well as entries.
    fn multi_entry(self) -> bool {
        self.lists.with_value(|lists| lists.iter().any(|l| l.id == self.list_id.get() && l.multi_entry))
    }

    /// The queue is written through to the device after every change, so a reload or a flat
    /// battery loses no scan.
    fn save_queue(self) {
        let json = self.queue.with_untracked(|q| serde_json::to_string(q).unwrap_or_default());
        device::save(&queue_key(&self.slug.get_value()), &json);
    }

    /// The list's offline data: fetched whole when the device has none, else only the changes
    /// since its copy, and refreshed while online; the copy kept on the device is used when the
    /// network or the server fails. A refusal (signed out, no longer a scanner here) deletes it.
    fn refresh_bundle(self) {
        let list = self.list_id.get_untracked();
        if list == 0 {
            return;
        }
        let slug = self.slug.get_value();
        spawn_local(async move {
            let kept = self
                .bundle
                .get_untracked()
                .filter(|b| b.list_id == list)
                .or_else(|| kept_bundle(&slug, list))
                .filter(|b| !b.expired(device::now_seconds()));
            let fetched = match fetch_offline_bundle(slug.clone(), list, kept.as_ref().map(|b| b.made_at)).await {
                Ok(delta) if delta.changes_since.is_some() => {
                    match kept.clone().and_then(|mut copy| copy.apply(delta).then_some(copy)) {
                        Some(copy) => Ok(copy),
                        // A delta that does not fit the copy: start again from the whole list.
                        None => fetch_offline_bundle(slug.clone(), list, None).await,
                    }
                }
                other => other,
            };
            match fetched {
                Ok(fresh) => {
                    device::save(&bundle_key(&slug, list), &serde_json::to_string(&fresh).unwrap_or_default());
                    // This list's entries made here are in the fresh data now, or still queued.
                    self.local_entries
                        .update(|local| local.retain(|(l, t)| *l != list || !fresh.checked_in.contains(t)));
                    self.bundle.set(Some(fresh));
                    self.online.set(true);
                }
                Err(AppError::SignInRequired | AppError::Forbidden | AppError::NotFound(_)) => {
                    // Whoever may not scan here any more keeps no one's data on the device. The
                    // queue stays: it holds scans already made, and no names.
                    device::remove(&bundle_key(&slug, list));
                    self.bundle.set(None);
                }
                Err(error) => {
                    if matches!(error, AppError::Transport(_)) {
                        self.online.set(false);
                    }
                    if self.bundle.with_untracked(|b| b.as_ref().is_none_or(|b| b.list_id != list)) {
                        self.bundle.set(kept);
                    }
                }
            }
        });
    }

    /// The verdict at a glance: the panel and a beep.
    fn show(self, outcome: ScanOutcome, offline: bool) {
        device::beep(outcome.verdict == Verdict::Valid);
        self.shown.set(Some(Shown::Outcome { outcome, offline }));
    }

    /// Judges a scan on the device, with the list's offline data and the entries let in here,
    /// and queues it for the server.
    fn decide_offline(self, scan: QueuedScan) {
        let judged = self.bundle.with_untracked(|b| {
            b.as_ref().filter(|b| b.list_id == scan.list).map(|b| {
                self.local_entries.with_untracked(|local| {
                    let here: Vec<i64> = local.iter().filter(|(l, _)| *l == scan.list).map(|(_, t)| *t).collect();
                    judge_offline(b, scan.code.as_deref(), scan.ticket, scan.direction, &here)
                })
            })
        });
        match judged {
            Some(outcome) => {
                if outcome.verdict == Verdict::Valid {
                    if let Some(ticket) = outcome.ticket_id {
                        if scan.direction == Direction::Entry {
                            self.local_entries.update(|local| local.push((scan.list, ticket)));
                        }
                    }
                    self.queue.update(|q| q.push(scan));
                    self.save_queue();
                }
                self.show(outcome, true);
            }
            None => {
                // Nothing to judge with: keep the scan, it is decided when the network is back.
                self.queue.update(|q| q.push(scan));
                self.save_queue();
                device::beep(false);
                self.shown.set(Some(Shown::Note(
                    "Offline, and this device has no ticket list yet: the scan is queued and checked when the network is back."
                        .into(),
                )));
            }
        }
    }

    /// One scan, by badge code or (from the name search) by ticket: the server decides while
    /// online; offline, or when the network or the server fails on the way, the device does.
    fn process(self, code: Option<String>, ticket: Option<i64>) {
        let scan = QueuedScan {
            list: self.list_id.get_untracked(),
            code,
            ticket,
            key: device::new_key(),
            direction: if self.multi_entry() { self.direction.get_untracked() } else { Direction::Entry },
            scanned_at: device::now_seconds(),
        };
        if !self.online.get_untracked() {
            self.decide_offline(scan);
            return;
        }
        let slug = self.slug.get_value();
        let station = self.station_name.get_untracked();
        spawn_local(async move {
            match send(slug, station, scan.clone(), false).await {
                Ok(outcome) => self.show(outcome, false),
                // No network, or a server fault (database down, a locked SQLite, a proxy's 502):
                // the scan is judged here and queued, never lost. Only a refusal of the scan
                // itself is shown as such.
                Err(error) if error.is_server_fault() => {
                    if matches!(error, AppError::Transport(_)) {
                        self.online.set(false);
                    }
                    self.decide_offline(scan);
                }
                Err(error) => self.shown.set(Some(Shown::Note(error.to_string()))),
            }
        });
    }

    /// Sends queued scans in order; a scan the server decides differently (another device
    /// checked the ticket in first) is reported, never dropped silently.
    fn sync(self) {
        if self.syncing.get_untracked() || self.queue.with_untracked(Vec::is_empty) {
            return;
        }
        self.syncing.set(true);
        let slug = self.slug.get_value();
        let station = self.station_name.get_untracked();
        spawn_local(async move {
            // `try_`: the page may have been left meanwhile.
            while let Some(next) = self.queue.try_with_untracked(|q| q.first().cloned()).flatten() {
                match send(slug.clone(), station.clone(), next.clone(), true).await {
                    Ok(outcome) => {
                        self.online.set(true);
                        if outcome.verdict != Verdict::Valid {
                            let who = outcome.attendee.clone().unwrap_or_else(|| "a scan".into());
                            self.reports.update(|r| {
                                r.insert(
                                    0,
                                    format!("Synced {who}: {} ({})", outcome.verdict.headline(), outcome.message),
                                )
                            });
                        }
                    }
                    Err(AppError::Transport(_)) => {
                        self.online.set(false);
                        break;
                    }
                    // The scan itself is wrong (or its list is gone): report it, keep going.
                    Err(error @ (AppError::Invalid { .. } | AppError::NotFound(_))) => {
                        self.reports.update(|r| r.insert(0, format!("A queued scan was refused: {error}")))
                    }
                    // Signed out, a stale form token, a server fault: keep the scan for later.
                    Err(error) => {
                        self.reports.update(|r| {
                            let note = format!("Queued scans wait: {error}");
                            if r.first() != Some(&note) {
                                r.insert(0, note);
                            }
                        });
                        break;
                    }
                }
                self.queue.update(|q| q.retain(|scan| scan.key != next.key));
                self.save_queue();
            }
            self.syncing.set(false);
        });
    }

    /// Client only (it runs in an effect): restores what the device kept, then keeps syncing
    /// and refreshing every few seconds.
    fn resume_on_device(self) {
        if self.ready.get_untracked() {
            return;
        }
        self.ready.set(true);
        let kept = device::load(&queue_key(&self.slug.get_value()))
            .and_then(|json| serde_json::from_str::<Vec<QueuedScan>>(&json).ok())
            .unwrap_or_default();
        self.queue.set(kept);
        self.station_name.set(device::load("exx-scan-station").unwrap_or_default());
        let ticks = std::cell::Cell::new(0u32);
        let timer = set_interval_with_handle(
            move || {
                ticks.set(ticks.get().wrapping_add(1));
                if !self.queue.with_untracked(Vec::is_empty) {
                    self.sync();
                } else if !self.online.get_untracked() || ticks.get().is_multiple_of(8) {
                    self.refresh_bundle();
                }
            },
            std::time::Duration::from_secs(4),
        );
        // Leaving the page stops the timer before its signals are gone.
        if let Ok(timer) = timer {
            on_cleanup(move || timer.clear());
        }
    }

    /// Takes back a check-in the server recorded, here and in the offline data.
    fn undo(self, id: i64, ticket: Option<i64>) {
        let slug = self.slug.get_value();
        spawn_local(async move {
            match undo_checkin(csrf_token(), slug, id).await {
                Ok(()) => {
                    if let Some(ticket) = ticket {
                        self.local_entries.update(|local| local.retain(|(_, t)| *t != ticket));
                        self.bundle.update(|b| {
                            if let Some(b) = b {
                                b.checked_in.retain(|t| *t != ticket);
                            }
                        });
                    }
                    self.shown.set(Some(Shown::Note("The check-in was undone.".into())));
                }
                Err(error) => self.shown.set(Some(Shown::Note(error.to_string()))),
            }
        });
    }

    /// Up to eight tickets of the offline data whose name or organisation contains `wanted`
    /// (two characters at least).
    fn attendees_matching(self, wanted: &str) -> Vec<BundleTicket> {
        let wanted = wanted.trim().to_lowercase();
        if wanted.len() < 2 {
            return Vec::new();
        }
        self.bundle.with(|b| {
            b.as_ref()
                .map(|b| {
                    b.tickets
                        .iter()
                        .filter(|t| {
                            t.name.to_lowercase().contains(&wanted) || t.organisation.to_lowercase().contains(&wanted)
                        })
                        .take(8)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    }
}

#[component]
fn ScannerDesk(station: ScannerStation) -> impl IntoView {
    let query = use_query_map();
    let wanted = query.read_untracked().get("list").and_then(|l| l.parse::<i64>().ok());
    let desk = Desk::open(&station, wanted);
    let Desk { online, queue, bundle, reports, .. } = desk;

    Effect::new(move |_| desk.resume_on_device());
    Effect::new(move |_| {
        desk.list_id.track();
        desk.refresh_bundle();
    });

    let undo = move |id: i64, ticket: Option<i64>| desk.undo(id, ticket);
    let no_lists = station.lists.is_empty();
    view! {
        <section class="scanner" data-online=move || online.get().to_string()>
            <p class="eyebrow">"Badge scanning"</p>
            <h1>{station.title.clone()}</h1>
            <p class="scanner-status" role="status">
                {move || if online.get() { "Online".to_string() } else { "Offline".to_string() }}
                {move || {
                    let queued = queue.with(Vec::len);
                    (queued > 0).then(|| format!(", {queued} queued"))
                }}
                {move || bundle.with(|b| b.as_ref().map(|b| format!(" · {} tickets on this device", b.tickets.len())))}
            </p>
            <noscript><p class="alert error">"The scanner needs JavaScript."</p></noscript>
            {no_lists.then(|| view! { <p class="alert">"This event has no check-in lists yet; the organisers set them up under Check-in."</p> })}
            <DeskControls desk lists=station.lists />
            <VerdictPanel shown=desk.shown undo />
            <HandheldForm desk />
            <CameraScanner on_code=move |text: String| desk.process(Some(text), None) />
            <NameSearch desk />
            <ul class="sync-reports">
                {move || reports.get().into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// The station's settings: which list it checks against, entries or exits, and its name (the
/// check-ins record it).
#[component]
fn DeskControls(desk: Desk, lists: Vec<ListSummary>) -> impl IntoView {
    let Desk { list_id, direction, station_name, .. } = desk;
    view! {
        <div class="scanner-controls">
            <label>
                "Check-in list "
                <select
                    name="list"
                    on:change=move |ev| list_id.set(event_target_value(&ev).parse().unwrap_or(0))
                >
                    {lists.iter().map(|l| {
                        let id = l.id;
                        view! { <option value=id.to_string() selected=move || list_id.get() == id>{l.name.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            {move || desk.multi_entry().then(|| view! {
                <fieldset class="direction">
                    <legend>"Scanning"</legend>
                    <label><input type="radio" name="direction" checked=move || direction.get() == Direction::Entry on:change=move |_| direction.set(Direction::Entry) />" entries"</label>
                    <label><input type="radio" name="direction" checked=move || direction.get() == Direction::Exit on:change=move |_| direction.set(Direction::Exit) />" exits"</label>
                </fieldset>
            })}
            <label>
                "This station "
                <input
                    type="text"
                    name="station"
                    placeholder="e.g. Door A"
                    prop:value=move || station_name.get()
                    on:change=move |ev| {
                        let name = event_target_value(&ev);
                        device::save("exx-scan-station", &name);
                        station_name.set(name);
                    }
                />
            </label>
        </div>
    }
    .into_any()
}

/// The field handheld scanners type into: they send the code followed by Enter.
#[component]
fn HandheldForm(desk: Desk) -> impl IntoView {
    let code_input = RwSignal::new(String::new());
    view! {
        <form
            class="handheld"
            on:submit=move |ev| {
                ev.prevent_default();
                let text = code_input.get_untracked();
                code_input.set(String::new());
                if !text.trim().is_empty() {
                    desk.process(Some(text), None);
                }
            }
        >
            <label for="scan-code">"Scan or type a badge code"</label>
            <input
                id="scan-code"
                name="code"
                type="text"
                autocomplete="off"
                autocapitalize="characters"
                spellcheck="false"
                autofocus=true
                prop:value=move || code_input.get()
                on:input=move |ev| code_input.set(event_target_value(&ev))
            />
            <button type="submit">"Check"</button>
        </form>
    }
    .into_any()
}

/// The fallback for a lost or unreadable badge: find the attendee by name in the offline data
/// and check the ticket in.
#[component]
fn NameSearch(desk: Desk) -> impl IntoView {
    let search = RwSignal::new(String::new());
    view! {
        <details class="name-search">
            <summary>"Find by name"</summary>
            <label>
                "Name or organisation "
                <input type="search" prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev)) />
            </label>
            <ul class="search-results">
                {move || desk.attendees_matching(&search.get()).into_iter().map(|t| {
                    let id = t.id;
                    view! {
                        <li>
                            <span>{format!("{} · {} · {}", t.name, t.organisation, t.ticket_type)}</span>
                            " "
                            <button type="button" class="secondary" on:click=move |_| desk.process(None, Some(id))>"Check in"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </details>
    }
    .into_any()
}

#[component]
fn VerdictPanel(
    shown: RwSignal<Option<Shown>>,
    undo: impl Fn(i64, Option<i64>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || match shown.get() {
        None => view! {
            <div class="verdict verdict-idle" role="status" aria-live="assertive">
                <p class="verdict-headline">"Ready"</p>
                <p>"Scan a badge."</p>
            </div>
        }
        .into_any(),
        Some(Shown::Note(note)) => view! {
            <div class="verdict verdict-idle" role="status" aria-live="assertive">
                <p class="verdict-message">{note}</p>
            </div>
        }
        .into_any(),
        Some(Shown::Outcome { outcome, offline }) => {
            let class = format!("verdict verdict-{}", outcome.verdict.tone());
            let code = serde_json::to_value(outcome.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let who = [outcome.attendee.clone(), outcome.ticket_type.clone(), outcome.organisation.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ");
            let earlier = outcome
                .earlier
                .clone()
                .map(|e| format!("First checked in at {} on {} by {}.", device::clock(e.at), e.list, e.device));
            let undo_target = (!offline).then_some(outcome.checkin_id).flatten().map(|id| (id, outcome.ticket_id));
            view! {
                <div class=class role="status" aria-live="assertive" data-verdict=code>
                    <p class="verdict-headline">{outcome.verdict.headline()}</p>
                    {(!who.is_empty()).then(|| view! { <p class="verdict-who">{who}</p> })}
                    <p class="verdict-message">{outcome.message.clone()}</p>
                    {earlier.map(|e| view! { <p class="verdict-earlier">{e}</p> })}
                    {offline.then(|| view! { <p class="verdict-offline">"Decided offline on this device; queued for the server."</p> })}
                    {undo_target.map(|(id, ticket)| view! {
                        <button type="button" class="secondary" on:click=move |_| undo(id, ticket)>"Undo this check-in"</button>
                    })}
                </div>
            }
            .into_any()
        }
    }
}

/// The browser's side: storage, clock, sound. On the server (which never runs these) they are
/// inert.
mod device {
    #[cfg(feature = "hydrate")]
    pub fn load(key: &str) -> Option<String> {
        web_sys::window()?.local_storage().ok()??.get_item(key).ok()?
    }

    #[cfg(feature = "hydrate")]
    pub fn save(key: &str, value: &str) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(key, value);
        }
    }

    #[cfg(feature = "hydrate")]
    pub fn remove(key: &str) {
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.remove_item(key);
        }
    }

    #[cfg(feature = "hydrate")]
    pub fn keys() -> Vec<String> {
        let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
            return Vec::new();
        };
        let count = storage.length().unwrap_or(0);
        (0..count).filter_map(|i| storage.key(i).ok().flatten()).collect()
    }

    #[cfg(feature = "hydrate")]
    pub fn now_seconds() -> i64 {
        (js_sys::Date::now() / 1000.0) as i64
    }

    /// Unique per scan (not secret): time plus randomness.
    #[cfg(feature = "hydrate")]
    pub fn new_key() -> String {
        let random = (js_sys::Math::random() * 1e15) as u64;
        format!("web-{}-{random:x}", js_sys::Date::now() as u64)
    }

    /// "14:05" in the device's time zone.
    #[cfg(feature = "hydrate")]
    pub fn clock(at: i64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
        format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
    }

    #[cfg(feature = "hydrate")]
    thread_local! {
        static AUDIO: std::cell::RefCell<Option<web_sys::AudioContext>> = const { std::cell::RefCell::new(None) };
    }

    /// A short high beep for entry, a long low one for a refusal.
    #[cfg(feature = "hydrate")]
    pub fn beep(valid: bool) {
        AUDIO.with(|audio| {
            let mut audio = audio.borrow_mut();
            if audio.is_none() {
                *audio = web_sys::AudioContext::new().ok();
            }
            let Some(context) = audio.as_ref() else { return };
            let Ok(oscillator) = context.create_oscillator() else { return };
            oscillator.frequency().set_value(if valid { 880.0 } else { 220.0 });
            if oscillator.connect_with_audio_node(&context.destination()).is_err() {
                return;
            }
            let _ = oscillator.start();
            let _ = oscillator.stop_with_when(context.current_time() + if valid { 0.12 } else { 0.45 });
        });
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn load(_key: &str) -> Option<String> {
        None
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn save(_key: &str, _value: &str) {}
    #[cfg(not(feature = "hydrate"))]
    pub fn remove(_key: &str) {}
    #[cfg(not(feature = "hydrate"))]
    pub fn keys() -> Vec<String> {
        Vec::new()
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn now_seconds() -> i64 {
        0
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn new_key() -> String {
        String::new()
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn clock(at: i64) -> String {
        let minutes = at.rem_euclid(86_400) / 60;
        format!("{:02}:{:02} UTC", minutes / 60, minutes % 60)
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn beep(_valid: bool) {}
}
