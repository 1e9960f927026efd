//! A real SMTP server for the integration tests: Python's `aiosmtpd` with its `Mailbox` handler,
//! which stores every accepted mail as one file in a fresh maildir. Talking to a real server over
//! TCP exercises the application's actual mail transport (connection, SMTP dialogue, MIME
//! encoding), and a listener that can be stopped and started again lets tests cover a mail server
//! that is down.
//!
//! The received mails are read back with a deliberately small MIME reader that understands what
//! `lettre` produces: folded headers, RFC 2047 encoded words, RFC 2231 file names, nested
//! multiparts, and the 7bit / quoted-printable / base64 transfer encodings.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Makes every listener's directory unique within this test process.
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether `python3 -c "import aiosmtpd"` works; checked once per test process.
static AIOSMTPD_AVAILABLE: OnceLock<bool> = OnceLock::new();

/// How long `aiosmtpd` may take to accept connections (Python start-up on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(15);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A running `aiosmtpd` process on 127.0.0.1, storing what it receives in its own maildir.
/// Dropping it stops the process and removes the directory.
pub struct SmtpListener {
    pub port: u16,
    /// Holds the maildir (`new/`, `cur/`, `tmp/`) and the server's log `aiosmtpd.log`.
    maildir: PathBuf,
    child: Option<Child>,
}

/// Starts a listener on a free port.
pub fn start() -> SmtpListener {
    // The OS picks a free port; it is released again for aiosmtpd to bind. Another process
    // could grab it in between, but on a test machine that window is negligible.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port for the SMTP listener")
        .port();
    start_on(port)
}

/// Starts a listener on the given port, e.g. to bring up a mail server the application was
/// configured with while it was still down.
pub fn start_on(port: u16) -> SmtpListener {
    require_aiosmtpd();
    // If something already answers there, the readiness check below would be fooled by it.
    if TcpStream::connect(("127.0.0.1", port)).is_ok() {
        panic!("cannot start the SMTP listener: port {port} on 127.0.0.1 is already in use");
    }

    let maildir = std::env::temp_dir().join(format!(
        "exx_smtp_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    // A leftover from an earlier process with the same id must not leak old mails in.
    let _ = std::fs::remove_dir_all(&maildir);
    // Python's `mailbox.Maildir` only creates the sub-directories when it creates the directory
    // itself; since the log lives in the directory too, create all of them here.
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("create the test maildir");
    }
    let log = std::fs::File::create(maildir.join("aiosmtpd.log")).expect("create the aiosmtpd log");
    let log_for_stderr = log.try_clone().expect("clone the aiosmtpd log handle");

    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        // Unbuffered, so the log is complete when the start-up failure message shows it.
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_for_stderr))
        .spawn()
        .unwrap_or_else(|err| panic!("could not run python3 for the SMTP listener ({err}); {}", SETUP_HINT));

    // Built before waiting, so that a failed start still kills the process and removes the
    // directory when the panic unwinds through `Drop`.
    let mut listener = SmtpListener { port, maildir, child: Some(child) };
    listener.wait_until_accepting();
    listener
}

const SETUP_HINT: &str = "the e-mail tests need python3 with the aiosmtpd package: run `scripts/setup.sh --test`";

/// Fails early, with a hint, when the server cannot be run at all (rather than after a
/// 15-second wait on a process that died at once).
fn require_aiosmtpd() {
    let available = *AIOSMTPD_AVAILABLE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if !available {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI must provide python3 with aiosmtpd for the e-mail tests; {SETUP_HINT}");
        }
        panic!("{SETUP_HINT}");
    }
}

impl SmtpListener {
    /// `127.0.0.1:<port>`, for configuring the application.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn maildir(&self) -> &Path {
        &self.maildir
    }

    /// What aiosmtpd wrote to stdout/stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.maildir.join("aiosmtpd.log")).unwrap_or_default()
    }

    /// Polls until the port accepts connections; panics (with the server's log) if the process
    /// exits or the port stays closed for `START_TIMEOUT`.
    fn wait_until_accepting(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!(
                        "aiosmtpd exited ({status}) before accepting connections on port {}; its log:\n{}",
                        self.port,
                        self.log()
                    );
                }
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "aiosmtpd did not accept connections on port {} within {START_TIMEOUT:?}; its log:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Kills the server and waits for it, so the port refuses connections once this returns.
    /// The maildir (and the mails in it) stay readable until the listener is dropped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every mail received so far, in arrival order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<(u64, String, PathBuf)> = Vec::new();
        // `Maildir` writes into `tmp/` and renames into `new/` (atomically), so only complete
        // mails are seen; `cur/` is where a mail reader would move them.
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') {
                    files.push((delivery_number(&name), name, entry.path()));
                }
            }
        }
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, _, path)| std::fs::read(&path).ok())
            .map(|bytes| ReceivedMail::from_raw(String::from_utf8_lossy(&bytes).into_owned()))
            .collect()
    }

    /// Waits until at least `count` mails arrived and returns all of them; panics, listing what
    /// did arrive, after `within`.
    pub async fn wait_for_messages(&self, count: usize, within: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            if Instant::now() >= deadline {
                panic!(
                    "expected at least {count} mail(s) at the SMTP listener on port {} within {within:?}, got {}:\n{}",
                    self.port,
                    messages.len(),
                    describe(&messages)
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// Python's `Maildir` names files `<secs>.M<usecs>P<pid>Q<counter>.<host>`; the counter grows
/// with every delivery of the process, which gives the arrival order (file names alone do not
/// sort by time because the microseconds are not zero-padded).
fn delivery_number(file_name: &str) -> u64 {
    file_name
        .split('.')
        .nth(1)
        .and_then(|unique| unique.split_once('Q'))
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(u64::MAX)
}

/// For failure messages: every mail in full.
fn describe(messages: &[ReceivedMail]) -> String {
    let mut out = String::new();
    for (index, mail) in messages.iter().enumerate() {
        out.push_str(&format!(
            "--- mail {} to {:?}, subject {:?} ---\n{}\n",
            index + 1,
            mail.to,
            mail.subject,
            mail.raw
        ));
    }
    out
}

/// One mail as the listener stored it.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    /// The decoded `To` header as written, e.g. `Alice <alice@example.test>` or just the address.
    pub to: String,
    /// The decoded `Subject` header.
    pub subject: String,
    /// The stored RFC 5322 text. Python rewrites line endings as `\n` when storing, and
    /// aiosmtpd adds `X-Peer`, `X-MailFrom` and `X-RcptTo` headers.
    pub raw: String,
}

impl ReceivedMail {
    pub fn from_raw(raw: String) -> ReceivedMail {
        let text = normalize_newlines(&raw);
        let (headers, _) = split_entity(&text);
        let to = find_header(&headers, "To").map(decode_words).unwrap_or_default();
        let subject = find_header(&headers, "Subject").map(decode_words).unwrap_or_default();
        ReceivedMail { to, subject, raw }
    }

    /// Any top-level header, unfolded and RFC 2047-decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = normalize_newlines(&self.raw);
        let (headers, _) = split_entity(&text);
        find_header(&headers, name).map(decode_words)
    }

    /// The envelope recipients (`RCPT TO`), which aiosmtpd records in `X-RcptTo`.
    pub fn envelope_recipients(&self) -> Vec<String> {
        self.header("X-RcptTo")
            .map(|list| list.split(',').map(|address| address.trim().to_string()).collect())
            .unwrap_or_default()
    }

    /// The decoded text of the first `text/plain` part that is not an attachment (the whole
    /// body for a single-part mail), with `\n` line endings.
    pub fn body_text(&self) -> String {
        let leaves = self.leaves();
        match leaves.iter().find(|leaf| leaf.mime_type() == "text/plain" && !leaf.is_attachment()) {
            Some(leaf) => leaf.decoded_text(),
            None => panic!("the mail has no text/plain part:\n{}", self.raw),
        }
    }

    /// The decoded content of the attachment with this file name, with `\n` line endings
    /// (an iCalendar file's folded lines are left folded).
    pub fn attachment(&self, filename: &str) -> Option<String> {
        self.leaves()
            .into_iter()
            .find(|leaf| leaf.filename().as_deref() == Some(filename))
            .map(|leaf| leaf.decoded_text())
    }

    /// The first part of this MIME type that is not an attachment (e.g. a calendar invitation
    /// beside the text): its full `Content-Type` header and its decoded content.
    pub fn inline_part(&self, mime_type: &str) -> Option<(String, String)> {
        self.leaves()
            .into_iter()
            .find(|leaf| leaf.mime_type() == mime_type && !leaf.is_attachment())
            .map(|leaf| (leaf.header("Content-Type").unwrap_or_default().to_string(), leaf.decoded_text()))
    }

    /// The file names of all parts that carry one, for assertions and failure messages.
    pub fn attachment_names(&self) -> Vec<String> {
        self.leaves().iter().filter_map(Leaf::filename).collect()
    }

    /// The non-multipart parts of the mail, depth first.
    fn leaves(&self) -> Vec<Leaf> {
        let text = normalize_newlines(&self.raw);
        let mut leaves = Vec::new();
        collect_leaves(&text, &mut leaves);
        leaves
    }
}

/// A MIME part that is not itself a multipart, with its body still transfer-encoded.
struct Leaf {
    headers: Vec<(String, String)>,
    body: String,
}

impl Leaf {
    fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `text/plain` etc., lower-cased; a part without `Content-Type` is `text/plain` (RFC 2045).
    fn mime_type(&self) -> String {
        let content_type = self.header("Content-Type").unwrap_or("text/plain");
        content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
    }

    fn is_attachment(&self) -> bool {
        self.header("Content-Disposition")
            .is_some_and(|disposition| disposition.trim().to_ascii_lowercase().starts_with("attachment"))
    }

    /// The `filename` of `Content-Disposition`, else the older `name` of `Content-Type`.
    fn filename(&self) -> Option<String> {
        self.header("Content-Disposition")
            .and_then(|disposition| header_param(disposition, "filename"))
            .or_else(|| self.header("Content-Type").and_then(|content_type| header_param(content_type, "name")))
            // Some mailers put RFC 2047 words into file names although the RFC forbids it.
            .map(|name| decode_words(&name))
    }

    /// The body with its transfer encoding undone, read as UTF-8 (what lettre always sends).
    /// Line endings become `\n` whatever the encoding carried, so that quoted-printable (whose
    /// line breaks were rewritten on storage) and base64 (which keeps the original CRLF) agree.
    fn decoded_text(&self) -> String {
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or("7bit").trim().to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => decode_base64(&self.body),
            "quoted-printable" => decode_quoted_printable(&self.body),
            _ => self.body.clone().into_bytes(),
        };
        normalize_newlines(&String::from_utf8_lossy(&bytes))
    }
}

fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Splits a MIME entity (with `\n` line endings) into its unfolded headers and its body.
fn split_entity(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match text.strip_prefix('\n') {
        // No headers at all: the body starts right after the empty line.
        Some(body) => ("", body),
        None => match text.find("\n\n") {
            Some(end) => (&text[..end], &text[end + 2..]),
            None => (text, ""),
        },
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split('\n') {
        if line.starts_with(' ') || line.starts_with('\t') {
            // Unfolding removes only the line break; the leading white space stays (RFC 5322).
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim_start().to_string()));
        }
    }
    for (_, value) in headers.iter_mut() {
        let trimmed_len = value.trim_end().len();
        value.truncate(trimmed_len);
    }
    (headers, body)
}

/// The first header of that name (names are case-insensitive).
fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(header, _)| header.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// Appends the leaves of the entity `text` to `out`, descending into multiparts.
fn collect_leaves(text: &str, out: &mut Vec<Leaf>) {
    let (headers, body) = split_entity(text);
    let content_type = find_header(&headers, "Content-Type").unwrap_or("text/plain").to_string();
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        if let Some(boundary) = header_param(&content_type, "boundary") {
            for part in split_multipart(body, &boundary) {
                collect_leaves(part, out);
            }
            return;
        }
    }
    out.push(Leaf { headers, body: body.to_string() });
}

/// The parts of a multipart body (RFC 2046): the text between `--boundary` lines, ending at
/// `--boundary--`; the preamble before the first delimiter and the epilogue are dropped.
fn split_multipart<'a>(body: &'a str, boundary: &str) -> Vec<&'a str> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut offset = 0;
    for line in body.split('\n') {
        let line_start = offset;
        offset += line.len() + 1;
        let Some(after) = line.trim_end().strip_prefix(delimiter.as_str()) else { continue };
        if !after.is_empty() && after != "--" {
            // Only shares a prefix with the boundary.
            continue;
        }
        if let Some(start) = part_start {
            // The line break before a delimiter belongs to the delimiter, not to the part.
            let end = line_start.saturating_sub(1).max(start);
            parts.push(&body[start..end]);
        }
        if after == "--" {
            return parts;
        }
        part_start = Some(offset.min(body.len()));
    }
    // A missing close delimiter: keep what there is.
    if let Some(start) = part_start {
        parts.push(&body[start..]);
    }
    parts
}

/// A parameter of a structured header such as `Content-Type` or `Content-Disposition`,
/// including RFC 2231's `name*=utf-8''…` and `name*0=…; name*1=…` forms (lettre uses them for
/// long or non-ASCII file names).
fn header_param(value: &str, wanted: &str) -> Option<String> {
    let wanted = wanted.to_ascii_lowercase();
    let mut plain: Option<String> = None;
    // (section number, percent-encoded?, text)
    let mut sections: Vec<(u32, bool, String)> = Vec::new();
    for param in split_params(value).into_iter().skip(1) {
        let Some((key, raw)) = param.split_once('=') else { continue };
        let key = key.trim().to_ascii_lowercase();
        let text = unquote(raw.trim());
        let Some(rest) = key.strip_prefix(wanted.as_str()) else { continue };
        if rest.is_empty() {
            plain = Some(text);
            continue;
        }
        let Some(section) = rest.strip_prefix('*') else { continue };
        let (number, extended) = if section.is_empty() {
            ("0", true)
        } else if let Some(number) = section.strip_suffix('*') {
            (number, true)
        } else {
            (section, false)
        };
        let Ok(number) = number.parse::<u32>() else { continue };
        sections.push((number, extended, text));
    }
    if sections.is_empty() {
        return plain;
    }
    sections.sort_by_key(|(number, _, _)| *number);
    let mut bytes: Vec<u8> = Vec::new();
    for (number, extended, text) in &sections {
        if *extended {
            // The first encoded section starts with `charset'language'`.
            let encoded =
                if *number == 0 { text.splitn(3, '\'').nth(2).unwrap_or(text.as_str()) } else { text.as_str() };
            bytes.extend(unescape(encoded, b'%', false));
        } else {
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Splits `type/subtype; a=1; b="x;y"` at the semicolons outside quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut params = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (index, c) in value.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ';' if !in_quotes => {
                params.push(&value[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    params.push(&value[start..]);
    params
}

fn unquote(text: &str) -> String {
    match text.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => text.to_string(),
    }
}

/// Decodes the RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in an unfolded header
/// value. White space between two adjacent encoded words is dropped, as the RFC requires:
/// encoders (lettre included) split long text into several words on folded lines.
fn decode_words(value: &str) -> String {
    // Collected as bytes so that a character split across two words is still decoded.
    let mut out: Vec<u8> = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match parse_encoded_word(candidate) {
            Some((decoded, consumed)) => {
                if !(after_word && before.chars().all(char::is_whitespace)) {
                    out.extend_from_slice(before.as_bytes());
                }
                out.extend(decoded);
                rest = &candidate[consumed..];
                after_word = true;
            }
            None => {
                out.extend_from_slice(before.as_bytes());
                out.extend_from_slice(b"=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one encoded word at the start of `text`; returns its decoded bytes (as UTF-8) and
/// its length in `text`.
fn parse_encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let mut fields = inner.splitn(3, '?');
    let charset = fields.next()?;
    let encoding = fields.next()?;
    let rest = fields.next()?;
    let end = rest.find("?=")?;
    let encoded = &rest[..end];
    // Encoded words never contain white space; this keeps a stray `=?` from swallowing text.
    if charset.is_empty() || charset.contains(char::is_whitespace) || encoded.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "b" | "B" => decode_base64(encoded),
        "q" | "Q" => unescape(encoded, b'=', true),
        _ => return None,
    };
    // RFC 2231 allows a language suffix: `utf-8*en`.
    let charset = charset.split('*').next().unwrap_or("").to_ascii_lowercase();
    let bytes = if charset == "iso-8859-1" || charset == "latin1" {
        bytes.iter().map(|&byte| char::from(byte)).collect::<String>().into_bytes()
    } else {
        bytes
    };
    let consumed = text.len() - rest.len() + end + 2;
    Some((bytes, consumed))
}

/// Undoes `<marker>XX` hex escapes (`=` for quoted-printable and Q words, `%` for RFC 2231);
/// a marker not followed by two hex digits stays as it is.
fn unescape(text: &str, marker: u8, underscore_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == marker && index + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex_value(bytes[index + 1]), hex_value(bytes[index + 2])) {
                out.push(high * 16 + low);
                index += 3;
                continue;
            }
        }
        out.push(if underscore_is_space && byte == b'_' { b' ' } else { byte });
        index += 1;
    }
    out
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Quoted-printable body (RFC 2045 6.7): `=` at a line end is a soft break, trailing white
/// space is transport padding, `=XX` is a byte.
fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let lines: Vec<&str> = body.split('\n').collect();
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    for (index, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches([' ', '\t', '\r']);
        match line.strip_suffix('=') {
            Some(joined) => out.extend(unescape(joined, b'=', false)),
            None => {
                out.extend(unescape(line, b'=', false));
                if index + 1 < lines.len() {
                    out.push(b'\n');
                }
            }
        }
    }
    out
}

/// Standard (and URL-safe) base64; line breaks and other stray characters are skipped, `=`
/// ends the data. Written here because the tests have no base64 crate.
fn decode_base64(text: &str) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            // Keep only the bits not yet written, so the buffer never overflows.
            buffer &= (1u32 << bits) - 1;
        }
    }
    out
}
