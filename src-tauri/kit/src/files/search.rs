//! Finding files inside the container: `glob/` (paths matching a pattern), `grep/` (lines
//! matching a regular expression or a fixed string) and `?q` (names containing a word). Each walks
//! the tree below a directory through [`RootDir`] (so it never leaves the container's root and
//! never follows a symlink to a directory), within a depth, a number of files scanned and a time,
//! and says when it stopped short (`truncated`, `timed_out`). Unless `no_ignore`, what
//! `.gitignore` files name is left out, and so is every `.git` directory, as ripgrep does.

use crate::error::{KitCode, KitError};
use crate::request::Query;
use hoody_runtime::rootdir::{Entry, RootDir};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::io::{self, Read};
use std::time::{Duration, Instant};

/// How far a walk may go.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Limits {
    max_depth: usize,
    max_files_scanned: usize,
    timeout_secs: u64,
    no_ignore: bool,
}

/// `GET /api/v1/files/glob/{path}?pattern=`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GlobQuery {
    pattern: String,
    max_results: usize,
    sort: String,
    descending: bool,
    limits: Limits,
}

/// `GET /api/v1/files/grep/{path}?pattern=`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GrepQuery {
    /// A regular expression (a fixed string escaped, `(?i)` for ignore_case).
    regex: String,
    glob: Option<String>,
    context: usize,
    max_count: usize,
    max_matches: usize,
    max_filesize: u64,
    limits: Limits,
}

fn invalid(message: String) -> KitError {
    KitError::new(KitCode::InvalidParameters, message)
}

fn number(query: &Query, name: &str, default: u64, max: u64) -> Result<u64, KitError> {
    match query.get(name) {
        None => Ok(default),
        Some(raw) => match raw.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(invalid(format!("{name} must be a whole number from 0 to {max} (got {raw:?})"))),
        },
    }
}

fn pattern(query: &Query) -> Result<String, KitError> {
    match query.get("pattern") {
        Some(p) if !p.is_empty() => Ok(p.to_owned()),
        _ => Err(invalid("pattern is required".into())),
    }
}

fn limits(query: &Query) -> Result<Limits, KitError> {
    Ok(Limits {
        max_depth: number(query, "max_depth", 50, 1000)? as usize,
        max_files_scanned: number(query, "max_files_scanned", 100_000, 10_000_000)? as usize,
        timeout_secs: number(query, "timeout", 30, 300)?,
        no_ignore: query.flag("no_ignore"),
    })
}

impl Limits {
    /// Everything below a directory (no ignore files), up to `max_files_scanned` entries and
    /// `timeout_secs`.
    pub(super) fn everything(max_files_scanned: usize, timeout_secs: u64) -> Self {
        Self { max_depth: usize::MAX, max_files_scanned, timeout_secs, no_ignore: true }
    }
}

impl GlobQuery {
    pub(crate) fn parse(query: &Query) -> Result<Self, KitError> {
        let pattern = pattern(query)?;
        glob::Pattern::new(&pattern).map_err(|e| invalid(format!("pattern {pattern:?} is not a glob: {e}")))?;
        let sort = query.get("sort").unwrap_or("mtime").to_owned();
        if !matches!(sort.as_str(), "mtime" | "name" | "size" | "path") {
            return Err(invalid(format!("sort must be mtime, name, size or path (got {sort:?})")));
        }
        let descending = match query.get("order") {
            None => sort == "mtime" || sort == "size",
            Some("desc") => true,
            Some("asc") => false,
            Some(other) => return Err(invalid(format!("order must be asc or desc (got {other:?})"))),
        };
        let max_results = number(query, "max_results", 1000, 100_000)? as usize;
        Ok(Self { pattern, max_results, sort, descending, limits: limits(query)? })
    }
}

impl GrepQuery {
    pub(super) fn parse(query: &Query) -> Result<Self, KitError> {
        let pattern = pattern(query)?;
        let body = if query.flag("fixed_string") { regex::escape(&pattern) } else { pattern.clone() };
        let regex = if query.flag("ignore_case") { format!("(?i){body}") } else { body };
        regex::Regex::new(&regex)
            .map_err(|e| invalid(format!("pattern {pattern:?} is not a regular expression: {e}")))?;
        let glob = query.get("glob").filter(|g| !g.is_empty()).map(str::to_owned);
        if let Some(g) = &glob {
            glob::Pattern::new(g).map_err(|e| invalid(format!("glob {g:?} is not a glob: {e}")))?;
        }
        Ok(Self {
            regex,
            glob,
            context: number(query, "context", 0, 100)? as usize,
            max_count: number(query, "max_count", 50, 100_000)? as usize,
            max_matches: number(query, "max_matches", 500, 100_000)? as usize,
            max_filesize: number(query, "max_filesize", 10 << 20, 256 << 20)?,
            limits: limits(query)?,
        })
    }
}

/// Patterns of one `.gitignore`, relative to its directory.
struct IgnoreFile {
    dir: String,
    rules: Vec<(glob::Pattern, bool /* negated */, bool /* directories only */, bool /* anchored */)>,
}

impl IgnoreFile {
    fn read(root: &RootDir, dir: &str) -> Option<Self> {
        let rel = if dir.is_empty() { ".gitignore".to_owned() } else { format!("{dir}/.gitignore") };
        let text = root.read(&rel).ok()??;
        let rules = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let (negated, line) = line.strip_prefix('!').map_or((false, line), |l| (true, l));
                let (dir_only, line) = line.strip_suffix('/').map_or((false, line), |l| (true, l));
                let anchored = line.starts_with('/') || line.trim_start_matches('/').contains('/');
                let pattern = glob::Pattern::new(line.trim_start_matches('/')).ok()?;
                Some((pattern, negated, dir_only, anchored))
            })
            .collect();
        Some(Self { dir: dir.to_owned(), rules })
    }

    /// Some(true) ignored, Some(false) kept again by a `!` rule, None not named.
    fn verdict(&self, rel: &str, name: &str, is_dir: bool) -> Option<bool> {
        let below = rel.strip_prefix(&self.dir).map(|r| r.trim_start_matches('/')).unwrap_or(rel);
        let options = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
        self.rules.iter().rev().find_map(|(pattern, negated, dir_only, anchored)| {
            let hit = (!dir_only || is_dir)
                && if *anchored { pattern.matches_with(below, options) } else { pattern.matches(name) };
            hit.then_some(!negated)
        })
    }
}

/// What a walk saw: each entry below the start (its path relative to the root), until `visit`
/// answers false or a limit is met.
pub(super) struct Walk {
    pub(super) scanned: usize,
    pub(super) truncated: bool,
    pub(super) timed_out: bool,
}

pub(super) fn walk(
    root: &RootDir,
    start: &str,
    limits: &Limits,
    visit: &mut dyn FnMut(&str, &Entry) -> bool,
) -> io::Result<Walk> {
    if root.stat(start)?.kind != "dir" {
        return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("/{start} is not a directory")));
    }
    let deadline = Instant::now() + Duration::from_secs(limits.timeout_secs);
    let mut state = Walk { scanned: 0, truncated: false, timed_out: false };
    let mut ignores: Vec<IgnoreFile> = Vec::new();
    // Directories to read, with their depth and how many ignore files applied above them.
    let mut pending = vec![(start.to_owned(), 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        if Instant::now() > deadline {
            state.timed_out = true;
            state.truncated = true;
            break;
        }
        // Ignore files of directories that are not above this one no longer apply.
        ignores.retain(|f| f.dir.is_empty() || dir == f.dir || dir.starts_with(&format!("{}/", f.dir)));
        if !limits.no_ignore
            && let Some(file) = IgnoreFile::read(root, &dir)
        {
            ignores.push(file);
        }
        let Ok(entries) = root.list(&dir) else { continue };
        let mut below = Vec::new();
        for entry in entries {
            let rel = if dir.is_empty() { entry.name.clone() } else { format!("{dir}/{}", entry.name) };
            let is_dir = entry.kind == "dir";
            if !limits.no_ignore {
                let ignored = (is_dir && entry.name == ".git")
                    || ignores.iter().rev().find_map(|f| f.verdict(&rel, &entry.name, is_dir)).unwrap_or(false);
                if ignored {
                    continue;
                }
            }
            state.scanned += 1;
            if state.scanned > limits.max_files_scanned {
                state.truncated = true;
                return Ok(state);
            }
            if !visit(&rel, &entry) {
                state.truncated = true;
                return Ok(state);
            }
            if is_dir && depth < limits.max_depth {
                below.push((rel, depth + 1));
            }
        }
        // Depth first, in name order.
        pending.extend(below.into_iter().rev());
    }
    Ok(state)
}

fn found(rel: &str, entry: &Entry) -> Value {
    json!({ "path": format!("/{rel}"), "name": entry.name, "type": entry.kind, "size": entry.size,
        "mode": entry.mode, "modified": entry.modified })
}

pub(super) fn glob(root: &RootDir, start: &str, q: &GlobQuery) -> io::Result<Value> {
    let pattern = glob::Pattern::new(&q.pattern).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let options = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
    let prefix = if start.is_empty() { String::new() } else { format!("{start}/") };
    let mut matches: Vec<(String, Entry)> = Vec::new();
    let mut more = false;
    let state = walk(root, start, &q.limits, &mut |rel, entry| {
        let below = rel.strip_prefix(&prefix).unwrap_or(rel);
        if pattern.matches_with(below, options) {
            if matches.len() == q.max_results {
                more = true;
                return false;
            }
            matches.push((rel.to_owned(), entry.clone()));
        }
        true
    })?;
    match q.sort.as_str() {
        "mtime" => matches.sort_by_key(|(_, e)| e.modified),
        "size" => matches.sort_by_key(|(_, e)| e.size),
        "name" => matches.sort_by(|(_, a), (_, b)| a.name.cmp(&b.name)),
        _ => matches.sort_by(|(a, _), (b, _)| a.cmp(b)),
    }
    if q.descending {
        matches.reverse();
    }
    Ok(json!({
        "path": format!("/{start}"),
        "pattern": q.pattern,
        "matches": matches.iter().map(|(rel, e)| found(rel, e)).collect::<Vec<_>>(),
        "count": matches.len(),
        "files_scanned": state.scanned,
        "truncated": state.truncated || more,
        "timed_out": state.timed_out,
    }))
}

pub(super) fn grep(root: &RootDir, start: &str, q: &GrepQuery) -> io::Result<Value> {
    let regex = regex::Regex::new(&q.regex).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let glob = q
        .glob
        .as_deref()
        .map(glob::Pattern::new)
        .transpose()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut matches = Vec::new();
    let (mut files_matched, mut skipped) = (0usize, 0usize);
    let mut full = false;
    let state = walk(root, start, &q.limits, &mut |rel, entry| {
        if entry.kind != "file" || glob.as_ref().is_some_and(|g| !g.matches(&entry.name)) {
            return true;
        }
        if entry.size > q.max_filesize {
            skipped += 1;
            return true;
        }
        let Some(text) = text_of(root, rel, q.max_filesize) else {
            return true; // binary, or unreadable by the container's root
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut in_file = 0;
        for (i, line) in lines.iter().enumerate() {
            if !regex.is_match(line) {
                continue;
            }
            if matches.len() == q.max_matches {
                full = true;
                return false;
            }
            let around = |from: usize, to: usize| lines[from..to].iter().map(|l| l.to_string()).collect::<Vec<_>>();
            let mut hit = json!({ "path": format!("/{rel}"), "line": i + 1, "text": line });
            if q.context > 0 {
                hit["before"] = json!(around(i.saturating_sub(q.context), i));
                hit["after"] = json!(around(i + 1, (i + 1 + q.context).min(lines.len())));
            }
            matches.push(hit);
            in_file += 1;
            if in_file == q.max_count {
                break;
            }
        }
        files_matched += usize::from(in_file > 0);
        true
    })?;
    Ok(json!({
        "path": format!("/{start}"),
        "matches": matches,
        "count": matches.len(),
        "files_matched": files_matched,
        "files_scanned": state.scanned,
        "files_skipped_too_large": skipped,
        "truncated": state.truncated || full,
        "timed_out": state.timed_out,
    }))
}

/// A file's text, None when it is binary (a NUL in its first 8 KiB) or cannot be read.
fn text_of(root: &RootDir, rel: &str, max: u64) -> Option<String> {
    let mut bytes = Vec::new();
    root.open_file(rel).ok()?.take(max).read_to_end(&mut bytes).ok()?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `GET /{directory}?q=word`: entries whose name holds `word` (any case), below the directory.
pub(super) fn search(root: &RootDir, start: &str, word: &str) -> io::Result<Value> {
    let word = word.to_lowercase();
    let limits = Limits { max_depth: 50, max_files_scanned: 100_000, timeout_secs: 30, no_ignore: false };
    let mut results = Vec::new();
    let state = walk(root, start, &limits, &mut |rel, entry| {
        if entry.name.to_lowercase().contains(&word) {
            results.push(found(rel, entry));
        }
        results.len() < 1000
    })?;
    Ok(json!({ "path": format!("/{start}"), "q": word, "results": results, "count": results.len(),
        "files_scanned": state.scanned, "truncated": state.truncated, "timed_out": state.timed_out }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> Query {
        Query::parse(Some(raw)).unwrap()
    }

    fn tree() -> (tempfile::TempDir, RootDir) {
        let dir = tempfile::tempdir().unwrap();
        let put = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        put("src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n");
        put("src/lib.rs", "// TODO: more\npub fn hello() {}\n");
        put("target/debug/out.rs", "fn hello() {}\n");
        put(".git/config", "hello\n");
        put("notes.txt", "Hello again\n");
        put("blob.bin", "hello\0binary");
        put(".gitignore", "target/\n*.bin\n");
        let root = RootDir::open(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn glob_finds_paths_below_the_start_and_leaves_ignored_ones_out() {
        let (_dir, root) = tree();
        let q = GlobQuery::parse(&query("pattern=**/*.rs&sort=path&order=asc")).unwrap();
        let found = glob(&root, "", &q).unwrap();
        let paths: Vec<&str> =
            found["matches"].as_array().unwrap().iter().map(|m| m["path"].as_str().unwrap()).collect();
        assert_eq!(paths, ["/src/lib.rs", "/src/main.rs"], "target/ is ignored: {found}");
        let q = GlobQuery::parse(&query("pattern=**/*.rs&no_ignore=true")).unwrap();
        assert_eq!(glob(&root, "", &q).unwrap()["count"], 3);
        let q = GlobQuery::parse(&query("pattern=*.rs&max_results=1")).unwrap();
        let one = glob(&root, "src", &q).unwrap();
        assert_eq!((one["count"].as_u64(), one["truncated"].as_bool()), (Some(1), Some(true)), "{one}");
        assert!(GlobQuery::parse(&query("pattern=[")).is_err());
        assert!(GlobQuery::parse(&query("sort=mtime")).is_err(), "pattern is required");
        assert!(GlobQuery::parse(&query("pattern=*&sort=colour")).is_err());
        assert_eq!(glob(&root, "notes.txt", &q).unwrap_err().kind(), io::ErrorKind::NotADirectory);
    }

    #[test]
    fn grep_finds_lines_with_context_and_skips_binaries_and_ignored_files() {
        let (_dir, root) = tree();
        let q = GrepQuery::parse(&query("pattern=hello&ignore_case=true")).unwrap();
        let found = grep(&root, "", &q).unwrap();
        let hits: Vec<(&str, u64)> = found["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["path"].as_str().unwrap(), m["line"].as_u64().unwrap()))
            .collect();
        assert_eq!(hits, [("/notes.txt", 1), ("/src/lib.rs", 2), ("/src/main.rs", 2)], "{found}");
        let q = GrepQuery::parse(&query("pattern=println!(&fixed_string=true&context=1&glob=*.rs")).unwrap();
        let found = grep(&root, "src", &q).unwrap();
        assert_eq!(found["matches"][0]["before"], json!(["fn main() {"]), "{found}");
        assert_eq!(found["matches"][0]["after"], json!(["}"]));
        let q = GrepQuery::parse(&query("pattern=hello&max_matches=1&no_ignore=1")).unwrap();
        assert_eq!(grep(&root, "", &q).unwrap()["truncated"], true);
        assert!(GrepQuery::parse(&query("pattern=(")).is_err());
        assert!(GrepQuery::parse(&query("pattern=a&context=x")).is_err());
        let found = search(&root, "", "MAIN").unwrap();
        assert_eq!(found["results"][0]["path"], "/src/main.rs", "{found}");
    }
}
