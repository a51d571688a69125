//! A subscriber that keeps every event of target "openssl_handshake".
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

#[derive(Debug, Clone)]
pub struct Seen {
    pub level: Level,
    pub fields: BTreeMap<String, String>,
    /// How each field was recorded: "str", "u64", "bool" or "debug".
    pub kinds: BTreeMap<String, &'static str>,
    pub parent: Option<String>,
    /// The parent span's fields, as opened and recorded since.
    pub parent_fields: BTreeMap<String, String>,
    /// How many times the parent span was given a `tag`, opened and
    /// recorded (a formatter that appends shows each).
    pub parent_tags_given: usize,
    parent_id: Option<u64>,
}

pub static EVENTS: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
type Opened = (String, BTreeMap<String, String>, usize);
static SPANS: Mutex<BTreeMap<u64, Opened>> = Mutex::new(BTreeMap::new());
static CLOSED: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// Whether the spans of the last `n` events have all closed.
pub fn last_parents_closed(n: usize) -> bool {
    let events = EVENTS.lock().unwrap();
    let closed = CLOSED.lock().unwrap();
    events.len() >= n
        && events[events.len() - n..]
            .iter()
            .all(|e| e.parent_id.is_some_and(|id| closed.contains(&id)))
}
static NEXT: AtomicU64 = AtomicU64::new(1);
thread_local! {
    /// The spans this thread has entered, innermost last.
    static CURRENT: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Capture;

#[derive(Default)]
struct Fields(BTreeMap<String, String>, BTreeMap<String, &'static str>);

impl Fields {
    fn put(&mut self, field: &Field, value: String, kind: &'static str) {
        self.0.insert(field.name().to_owned(), value);
        self.1.insert(field.name().to_owned(), kind);
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}").trim_matches('"').to_owned();
        self.put(field, text, "debug");
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.to_owned(), "str");
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.to_string(), "bool");
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.to_string(), "u64");
    }
}

impl Subscriber for Capture {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.target() == "openssl_handshake"
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut fields = Fields::default();
        span.record(&mut fields);
        let tags = usize::from(fields.0.contains_key("tag"));
        SPANS
            .lock()
            .unwrap()
            .insert(id, (span.metadata().name().to_owned(), fields.0, tags));
        Id::from_u64(id)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some((_, opened, tags)) = SPANS.lock().unwrap().get_mut(&id.into_u64()) {
            *tags += usize::from(fields.0.contains_key("tag"));
            opened.extend(fields.0);
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        // An explicit parent, or for a contextual event the span the
        // thread is in, as a registry-based subscriber sees it.
        let parent_id = match event.parent() {
            Some(id) => Some(id.into_u64()),
            None if event.is_contextual() => CURRENT.with(|c| c.borrow().last().copied()),
            None => None,
        };
        let opened = parent_id.and_then(|id| SPANS.lock().unwrap().get(&id).cloned());
        let (parent, parent_fields, parent_tags_given) = match opened {
            Some((name, fields, tags)) => (Some(name), fields, tags),
            None => (None, BTreeMap::new(), 0),
        };
        EVENTS.lock().unwrap().push(Seen {
            level: *event.metadata().level(),
            fields: fields.0,
            kinds: fields.1,
            parent,
            parent_fields,
            parent_tags_given,
            parent_id,
        });
    }
    fn enter(&self, id: &Id) {
        CURRENT.with(|c| c.borrow_mut().push(id.into_u64()));
    }
    fn exit(&self, _: &Id) {
        CURRENT.with(|c| c.borrow_mut().pop());
    }
    fn try_close(&self, id: Id) -> bool {
        CLOSED.lock().unwrap().push(id.into_u64());
        true
    }
}

pub fn install() {
    tracing::subscriber::set_global_default(Capture).expect("one global subscriber");
}
