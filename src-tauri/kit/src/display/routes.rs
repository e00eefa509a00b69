//! The display service's routes: a request read into what it asks (its body checked whole)
//! before the display is started or touched.

use super::input::{self, Input};
use super::shots::{self, Form, Which};
use super::windows::{self, WindowOp};
use crate::error::{KitCode, KitError};
use crate::request::{Query, body};
use hyper::body::Incoming;
use hyper::{Method, Request};
use serde::Deserialize;
use serde_json::Value;

pub const API: &str = "/api/v1/display";
/// The sizes a display may have.
pub const WIDTHS: std::ops::RangeInclusive<u16> = 320..=7680;
pub const HEIGHTS: std::ops::RangeInclusive<u16> = 200..=4320;
/// The display numbers a container's displays take.
pub const NUMBERS: std::ops::RangeInclusive<u16> = 1..=99;
const DEFAULT_GEOMETRY: (u16, u16) = (1280, 800);
/// Most bytes one clipboard write holds.
const MAX_CLIPBOARD: usize = 1 << 20;
/// Most actions one batch runs.
const MAX_BATCH: usize = 100;

/// What a request asks of the display service.
#[derive(Debug)]
pub enum DisplayOp {
    Health,
    /// Something done on the running display (started first when it is not).
    OnDisplay(DisplayAction),
}

/// A screenshot taken after input, `delay_ms` later, of the whole screen or a region of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub delay_ms: u64,
    pub region: Option<(usize, usize, usize, usize)>,
}

#[derive(Debug)]
pub enum DisplayAction {
    /// The VNC WebSocket.
    Socket,
    Info,
    Resize {
        width: u16,
        height: u16,
    },
    Shot {
        which: Which,
        form: Form,
        thumbnail: bool,
    },
    ListShots,
    /// Input actions (one, or a batch, by name), then perhaps a screenshot.
    Input {
        actions: Vec<(String, Input)>,
        batch: bool,
        after: Option<After>,
    },
    DisplayGeometry,
    MouseLocation,
    Window(WindowOp),
    ClipboardGet {
        selection: String,
    },
    ClipboardSet {
        selection: String,
        text: String,
    },
}

/// A parsed request: the operation, the display it is for (`displayId`, else the service's
/// own), the size a display starts with (`width`, `height`), and a WebSocket's request to
/// upgrade.
pub struct Parsed {
    pub op: DisplayOp,
    pub n: u16,
    pub size: (u16, u16),
    pub upgrade: Option<Request<Incoming>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Resize {
    width: u16,
    height: u16,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Act {
    action: String,
    #[serde(default)]
    params: Option<Value>,
    #[serde(default = "yes")]
    screenshot: bool,
    screenshot_delay: Option<u64>,
    screenshot_region: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    actions: Vec<BatchAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchAction {
    action: String,
    #[serde(default)]
    params: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Clipboard {
    text: String,
    selection: Option<String>,
}

fn invalid(why: impl Into<String>) -> KitError {
    KitError::new(KitCode::InvalidParameters, why)
}

fn selection(name: Option<&str>) -> Result<String, KitError> {
    match name.unwrap_or("clipboard") {
        s @ ("clipboard" | "primary" | "secondary") => Ok(s.to_owned()),
        other => Err(invalid(format!("selection is clipboard, primary or secondary, not {other:?}"))),
    }
}

fn geometry(query: &Query) -> (u16, u16) {
    let read = |name: &str, default: u16, range: &std::ops::RangeInclusive<u16>| {
        query.get(name).and_then(|v| v.parse().ok()).unwrap_or(default).clamp(*range.start(), *range.end())
    };
    (read("width", DEFAULT_GEOMETRY.0, &WIDTHS), read("height", DEFAULT_GEOMETRY.1, &HEIGHTS))
}

/// A screenshot's timestamp from the path.
fn timestamp(text: &str) -> Result<Which, KitError> {
    text.parse().map(Which::At).map_err(|_| {
        invalid(format!("{text:?} is not a screenshot's timestamp (milliseconds): GET {API}/screenshots lists them"))
    })
}

pub async fn parse(req: Request<Incoming>, service_n: u16) -> Result<Parsed, KitError> {
    let query = Query::parse(req.uri().query()).map_err(invalid)?;
    let n = match query.get("displayId") {
        None | Some("") => service_n,
        Some(id) => id.parse().ok().filter(|n| NUMBERS.contains(n)).ok_or_else(|| {
            invalid(format!("displayId is a display number {}-{}, not {id:?}", NUMBERS.start(), NUMBERS.end()))
        })?,
    };
    let size = geometry(&query);
    let path = req.uri().path().to_owned();
    let route = path.strip_prefix(API).unwrap_or(&path).trim_end_matches('/').to_owned();
    let method = req.method().clone();
    let parsed = |op| Ok(Parsed { op, n, size, upgrade: None });
    let on = |action| parsed(DisplayOp::OnDisplay(action));
    let form = if query.flag("base64") { Form::Base64 } else { Form::Png };
    let segments: Vec<&str> = route.split('/').skip(1).collect();
    if method == Method::GET {
        let shot = |which, form, thumbnail| DisplayAction::Shot { which, form, thumbnail };
        return match segments[..] {
            ["health"] => parsed(DisplayOp::Health),
            ["ws" | "websockify"] => {
                Ok(Parsed { op: DisplayOp::OnDisplay(DisplayAction::Socket), n, size, upgrade: Some(req) })
            }
            ["info"] => on(DisplayAction::Info),
            ["screenshot"] => on(shot(Which::Now, form, false)),
            ["screenshot", "info"] => on(shot(Which::Now, Form::Metadata, false)),
            ["screenshot", "last"] => on(shot(Which::Last, form, false)),
            ["screenshot", "last", "info"] => on(shot(Which::Last, Form::Metadata, false)),
            ["screenshot", at] => on(shot(timestamp(at)?, form, false)),
            ["screenshots"] => on(DisplayAction::ListShots),
            ["thumbnail"] => on(shot(Which::Now, form, true)),
            ["thumbnail", "last"] => on(shot(Which::Last, form, true)),
            ["thumbnail", at] => on(shot(timestamp(at)?, form, true)),
            ["input", "display-geometry"] => on(DisplayAction::DisplayGeometry),
            ["mouse", "location"] => on(DisplayAction::MouseLocation),
            ["windows"] => on(DisplayAction::Window(WindowOp::List { only_visible: query.flag("onlyVisible") })),
            ["window", "active"] => on(DisplayAction::Window(WindowOp::Active)),
            ["window", id, what] => match windows::parse_get(id, what)? {
                Some(op) => on(DisplayAction::Window(op)),
                None => Err(no_route(&method, &route)),
            },
            ["clipboard"] => on(DisplayAction::ClipboardGet { selection: selection(query.get("selection"))? }),
            _ => Err(no_route(&method, &route)),
        };
    }
    if method != Method::POST {
        return Err(no_route(&method, &route));
    }
    let limit = if route == "/clipboard" { MAX_CLIPBOARD + (4 << 10) } else { 256 << 10 };
    let raw = body(req.into_body(), limit).await.map_err(|e| KitError::new(KitCode::PayloadTooLarge, e))?;
    let value: Value = match raw.iter().all(u8::is_ascii_whitespace) {
        true => Value::Null,
        false => serde_json::from_slice(&raw)
            .map_err(|e| KitError::new(KitCode::InvalidJson, format!("the body is not JSON: {e}")))?,
    };
    let read_as = |what: &str| {
        let what = what.to_owned();
        move |e: serde_json::Error| invalid(format!("the body does not fit {what}: {e}"))
    };
    match (&segments[..], route.as_str()) {
        (["resize"], _) => {
            let r = Resize::deserialize(&value).map_err(read_as("resize ({\"width\", \"height\"})"))?;
            if !WIDTHS.contains(&r.width) || !HEIGHTS.contains(&r.height) {
                let (w, h) = (WIDTHS, HEIGHTS);
                return Err(invalid(format!(
                    "{}x{} is out of range: width {}-{}, height {}-{}",
                    r.width,
                    r.height,
                    w.start(),
                    w.end(),
                    h.start(),
                    h.end()
                )));
            }
            on(DisplayAction::Resize { width: r.width, height: r.height })
        }
        (["input", "act"], _) => {
            let act = Act::deserialize(&value).map_err(read_as("input/act"))?;
            let input = input::parse(&act.action, &act.params.unwrap_or(Value::Object(Default::default())))?;
            let region = act.screenshot_region.as_deref().map(shots::region).transpose()?;
            let delay_ms = act.screenshot_delay.unwrap_or(100);
            if delay_ms > 10_000 {
                return Err(invalid("screenshotDelay is at most 10000 ms"));
            }
            let after = (act.screenshot || input.screenshot).then_some(After { delay_ms, region });
            on(DisplayAction::Input { actions: vec![(act.action, input)], batch: false, after })
        }
        (["input", "batch"], _) => {
            let batch = Batch::deserialize(&value)
                .map_err(read_as("input/batch ({\"actions\": [{\"action\", \"params\"}]})"))?;
            if batch.actions.is_empty() || batch.actions.len() > MAX_BATCH {
                return Err(invalid(format!("actions lists 1 to {MAX_BATCH} actions")));
            }
            let mut actions = Vec::new();
            for (i, a) in batch.actions.into_iter().enumerate() {
                let params = a.params.unwrap_or(Value::Object(Default::default()));
                let input = input::parse(&a.action, &params)
                    .map_err(|e| KitError::new(e.code, format!("actions[{i}] ({}): {}", a.action, e.message)))?;
                actions.push((a.action, input));
            }
            on(DisplayAction::Input { actions, batch: true, after: None })
        }
        (["window", verb], _) => match windows::parse_post(verb, &value)? {
            Some(op) => on(DisplayAction::Window(op)),
            None => Err(no_route(&method, &route)),
        },
        (["clipboard"], _) => {
            let c = Clipboard::deserialize(&value).map_err(read_as("clipboard ({\"text\", \"selection\"})"))?;
            if c.text.len() > MAX_CLIPBOARD {
                return Err(invalid(format!("text is at most {} KiB", MAX_CLIPBOARD >> 10)));
            }
            on(DisplayAction::ClipboardSet { selection: selection(c.selection.as_deref())?, text: c.text })
        }
        (_, route) => match input::action_of_route(route) {
            Some(action) => {
                let input = input::parse(action, &value)?;
                let after = input.screenshot.then_some(After { delay_ms: 0, region: None });
                on(DisplayAction::Input { actions: vec![(action.to_owned(), input)], batch: false, after })
            }
            None => Err(no_route(&method, route)),
        },
    }
}

fn no_route(method: &Method, route: &str) -> KitError {
    KitError::new(KitCode::NotFound, format!("no display route {method} {API}{route}"))
}
