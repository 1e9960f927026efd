//! Camera scanning on the scanner page: the phone's back camera is drawn into a canvas four
//! times a second and each frame is searched for QR codes in WASM (`rqrr`), so it works in every
//! browser with a camera, also without the BarcodeDetector API.

use leptos::prelude::*;

/// "Scan with the camera": a button, then the live picture. Every code found is handed to
/// `on_code` (the same code is not repeated within three seconds).
#[component]
pub fn CameraScanner(on_code: impl Fn(String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let running = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let video = NodeRef::<leptos::html::Video>::new();
    let start = move |_| {
        problem.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(video) = video.get_untracked() {
            running.set(true);
            frames::start(video, on_code, running, problem);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (video, on_code);
    };
    view! {
        <div class="camera">
            <button type="button" class="secondary" on:click=start prop:hidden=move || running.get()>
                "Scan with the camera"
            </button>
            <button type="button" class="secondary" on:click=move |_| running.set(false) prop:hidden=move || !running.get()>
                "Stop the camera"
            </button>
            {move || problem.get().map(|p| view! { <p class="alert error" role="alert">{p}</p> })}
            <video node_ref=video class="camera-view" playsinline=true muted=true prop:hidden=move || !running.get()></video>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod frames {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream, MediaStreamConstraints};

    pub fn start(
        video: HtmlVideoElement,
        on_code: impl Fn(String) + 'static,
        running: RwSignal<bool>,
        problem: RwSignal<Option<String>>,
    ) {
        leptos::task::spawn_local(async move {
            match open(&video).await {
                Ok(stream) => watch(video, stream, on_code, running),
                Err(error) => {
                    running.set(false);
                    problem.set(Some(format!(
                        "The camera could not be opened ({}). Type the code into the field instead.",
                        error.as_string().unwrap_or_else(|| "no permission or no camera".into())
                    )));
                }
            }
        });
    }

    async fn open(video: &HtmlVideoElement) -> Result<MediaStream, JsValue> {
        let devices = web_sys::window().ok_or("no window")?.navigator().media_devices()?;
        let constraints = MediaStreamConstraints::new();
        let wanted = js_sys::Object::new();
        js_sys::Reflect::set(&wanted, &"facingMode".into(), &"environment".into())?;
        constraints.set_video(&wanted);
        constraints.set_audio(&JsValue::FALSE);
        let stream: MediaStream =
            JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?.dyn_into()?;
        video.set_src_object(Some(&stream));
        let _ = video.play()?;
        Ok(stream)
    }

    fn watch(
        video: HtmlVideoElement,
        stream: MediaStream,
        on_code: impl Fn(String) + 'static,
        running: RwSignal<bool>,
    ) {
        let document = web_sys::window().and_then(|w| w.document());
        let Some(canvas) =
            document.and_then(|d| d.create_element("canvas").ok()).and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok())
        else {
            return;
        };
        let last: Rc<RefCell<(String, f64)>> = Rc::new(RefCell::new((String::new(), 0.0)));
        let handle: Rc<RefCell<Option<i32>>> = Rc::new(RefCell::new(None));
        let handle_inside = handle.clone();
        let tick = Closure::<dyn FnMut()>::new(move || {
            // `try_`: leaving the page disposes the signal; that stops the camera too.
            if !running.try_get_untracked().unwrap_or(false) {
                // Stopped: release the camera and the timer.
                for track in stream.get_tracks().iter() {
                    if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                        track.stop();
                    }
                }
                if let (Some(window), Some(id)) = (web_sys::window(), handle_inside.borrow_mut().take()) {
                    window.clear_interval_with_handle(id);
                }
                return;
            }
            if let Some(text) = decode_frame(&video, &canvas) {
                let now = js_sys::Date::now();
                let mut last = last.borrow_mut();
                if last.0 != text || now - last.1 > 3000.0 {
                    *last = (text.clone(), now);
                    on_code(text);
                }
            }
        });
        if let Some(window) = web_sys::window() {
            if let Ok(id) =
                window.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 250)
            {
                *handle.borrow_mut() = Some(id);
            }
        }
        tick.forget();
    }

    /// The first QR code in the current frame, scaled down to at most 640 pixels wide.
    fn decode_frame(video: &HtmlVideoElement, canvas: &HtmlCanvasElement) -> Option<String> {
        let (width, height) = (video.video_width(), video.video_height());
        if width == 0 || height == 0 {
            return None;
        }
        let scale = (640.0 / width as f64).min(1.0);
        let (w, h) = (((width as f64) * scale) as u32, ((height as f64) * scale) as u32);
        canvas.set_width(w);
        canvas.set_height(h);
        let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        context.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w as f64, h as f64).ok()?;
        let rgba = context.get_image_data(0.0, 0.0, w as f64, h as f64).ok()?.data();
        let (w, h) = (w as usize, h as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let i = (y * w + x) * 4;
            // Integer luma (BT.601 weights).
            ((u32::from(rgba[i]) * 77 + u32::from(rgba[i + 1]) * 150 + u32::from(rgba[i + 2]) * 29) >> 8) as u8
        });
        image.detect_grids().into_iter().find_map(|grid| grid.decode().ok().map(|(_, text)| text))
    }
}
