//! The terminal as a person sees it, for the platform's automation routes: `snapshot` (the
//! screen's lines and cursor, `scroll_offset` lines up), `history/{id}` (every line kept),
//! `find` (a pattern's matches) and `wait` (until the output is quiet, or a pattern shows).
//! The screen is rebuilt from the session's kept output by a VT100 emulator (the vt100 crate),
//! so cursor moves, clears and redraws count as they do on a screen, not as raw bytes.

use super::session::Session;
use crate::error::{KitCode, KitError};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// History lines the emulator keeps beyond the screen.
pub(super) const HISTORY_LINES: usize = 10_000;

/// The screen and the lines above it.
pub(super) struct Screen {
    /// The lines scrolled off the top, oldest first.
    pub history: Vec<String>,
    /// The visible lines, top to bottom.
    pub visible: Vec<String>,
    /// (row, column) of the cursor, from 0.
    pub cursor: (u16, u16),
    pub size: (u16, u16),
}

impl Screen {
    /// The screen of a terminal `cols` × `rows` that has shown `output`, `scroll_offset` lines up.
    pub fn of(output: &[u8], size: (u16, u16), scroll_offset: usize) -> Self {
        let mut parser = emulator(size);
        parser.process(output);
        Self::read(&mut parser, scroll_offset)
    }

    /// What `parser`'s terminal shows `scroll_offset` lines up, and the lines above.
    fn read(parser: &mut vt100::Parser, scroll_offset: usize) -> Self {
        let (rows, cols) = parser.screen().size();
        let (rows, cols) = (rows.get(), cols.get());
        let total = {
            parser.screen_mut().set_scrollback(usize::MAX);
            parser.screen().scrollback()
        };
        let mut history = Vec::with_capacity(total);
        let mut offset = total;
        while offset > 0 {
            parser.screen_mut().set_scrollback(offset);
            let take = offset.min(usize::from(rows));
            history.extend(parser.screen().rows(0, cols).take(take));
            offset -= take;
        }
        parser.screen_mut().set_scrollback(scroll_offset);
        let visible = parser.screen().rows(0, cols).collect();
        let cursor = parser.screen().cursor_position();
        parser.screen_mut().set_scrollback(0);
        Self { history, visible, cursor, size: (cols, rows) }
    }

    /// Every line, history first, without the empty lines below the last written one.
    pub fn all_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.history.iter().chain(&self.visible).cloned().collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        lines
    }
}

/// A VT100 emulator of a terminal `cols` × `rows`, keeping [`HISTORY_LINES`] above the screen.
pub(super) fn emulator((cols, rows): (u16, u16)) -> vt100::Parser {
    let nonzero = |n: u16| std::num::NonZeroU16::new(n.max(1)).expect("at least 1");
    vt100::Parser::new(nonzero(rows), nonzero(cols), HISTORY_LINES)
}

/// Where `find` and `wait` look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Screen,
    History,
    All,
}

impl Scope {
    pub fn parse(raw: Option<&str>) -> Result<Self, KitError> {
        match raw.unwrap_or("all") {
            "screen" | "visible" => Ok(Self::Screen),
            "history" | "scrollback" => Ok(Self::History),
            "all" => Ok(Self::All),
            other => Err(KitError::new(
                KitCode::InvalidParameters,
                format!("scope must be screen, history or all, not {other:?}"),
            )),
        }
    }

    fn lines(self, screen: &Screen) -> Vec<String> {
        match self {
            Self::Screen => screen.visible.clone(),
            Self::History => screen.history.clone(),
            Self::All => screen.all_lines(),
        }
    }
}

/// A search pattern (a regular expression), refused when it does not compile.
pub(super) fn pattern(raw: &str, case_insensitive: bool) -> Result<regex::Regex, KitError> {
    regex::RegexBuilder::new(raw)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| KitError::new(KitCode::InvalidParameters, format!("pattern is not a regular expression: {e}")))
}

/// The screen as `snapshot` answers it.
pub(super) fn snapshot(id: u16, screen: &Screen, scroll_offset: usize) -> Value {
    json!({
        "terminal_id": id,
        "cols": screen.size.0,
        "rows": screen.size.1,
        "cursor": { "row": screen.cursor.0, "col": screen.cursor.1 },
        "scroll_offset": scroll_offset,
        "history_lines": screen.history.len(),
        "lines": screen.visible,
        "text": screen.visible.join("\n"),
    })
}

/// Every match of `pattern` in `scope`, up to `limit`: line number (from 0, in the scope's
/// lines), column and the line.
pub(super) fn find(screen: &Screen, pattern: &regex::Regex, scope: Scope, limit: usize) -> Value {
    let lines = scope.lines(screen);
    let mut matches = Vec::new();
    'lines: for (n, line) in lines.iter().enumerate() {
        for m in pattern.find_iter(line) {
            if matches.len() == limit {
                break 'lines;
            }
            matches.push(
                json!({ "line": n, "column": line[..m.start()].chars().count(), "match": m.as_str(), "text": line }),
            );
        }
    }
    json!({ "count": matches.len(), "matches": matches, "lines_searched": lines.len() })
}

/// What `wait` waits for.
#[derive(Debug)]
pub(super) enum Until {
    /// No output for this long.
    Quiet(Duration),
    /// The pattern shows in the scope.
    Shows(regex::Regex, Scope),
}

/// Waits on `session` until `until` holds or `timeout` passes (504, saying what did not come).
pub(super) async fn wait(session: &Session, until: Until, timeout: Duration) -> Result<Value, KitError> {
    let started = Instant::now();
    let mut attached = session.attach();
    // The emulator follows the output as it comes: each chunk is fed once.
    let fresh = |kept: &[u8]| {
        let mut parser = emulator(session.size());
        parser.process(kept);
        parser
    };
    let mut parser = fresh(&attached.scrollback);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let quiet_for = match &until {
            Until::Shows(pattern, scope) => {
                let screen = Screen::read(&mut parser, 0);
                if scope.lines(&screen).iter().any(|line| pattern.is_match(line)) {
                    return Ok(json!({ "matched": true, "waited_ms": started.elapsed().as_millis() as u64 }));
                }
                None
            }
            Until::Quiet(quiet) => Some(*quiet),
        };
        let next = match quiet_for {
            Some(quiet) => {
                tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + quiet), attached.output.recv())
            }
            None => tokio::time::timeout_at(deadline, attached.output.recv()),
        };
        match next.await {
            Ok(Ok(chunk)) => parser.process(&chunk),
            // Fell behind: start again from what is kept now.
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                parser = fresh(&session.attach().scrollback)
            }
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => {
                return Err(KitError::new(KitCode::Conflict, "the session ended while waiting"));
            }
            Err(_) if tokio::time::Instant::now() < deadline && quiet_for.is_some() => {
                return Ok(json!({ "matched": true, "waited_ms": started.elapsed().as_millis() as u64 }));
            }
            Err(_) => {
                let what = match &until {
                    Until::Quiet(quiet) => format!("{} ms without output", quiet.as_millis()),
                    Until::Shows(pattern, _) => format!("the pattern {:?}", pattern.as_str()),
                };
                return Err(KitError::new(
                    KitCode::Timeout,
                    format!("{what} did not come within {} ms", timeout.as_millis()),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_screen_is_what_a_terminal_shows() {
        // Ten lines on a 3-row screen, then a line redrawn in place and the cursor moved.
        let mut output: Vec<u8> = (1..=10).flat_map(|n| format!("line {n}\r\n").into_bytes()).collect();
        output.extend_from_slice(b"progress 10%\rprogress 99%");
        let screen = Screen::of(&output, (20, 3), 0);
        assert_eq!(screen.visible, ["line 9", "line 10", "progress 99%"]);
        assert_eq!(screen.history.first().map(String::as_str), Some("line 1"));
        assert_eq!(screen.history.len(), 8);
        assert_eq!(screen.cursor, (2, 12));
        let up = Screen::of(&output, (20, 3), 2);
        assert_eq!(up.visible, ["line 7", "line 8", "line 9"]);
        let found = find(&screen, &pattern("line [0-9]+$", false).unwrap(), Scope::All, 3);
        assert_eq!(found["count"], 3);
        assert_eq!(found["matches"][0]["text"], "line 1");
        assert_eq!(find(&screen, &pattern("PROGRESS", true).unwrap(), Scope::Screen, 10)["count"], 1);
        assert!(pattern("(", false).is_err());
    }
}
