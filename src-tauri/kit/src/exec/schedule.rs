//! Scheduled scripts: a script whose magic comments carry `# @schedule CRON` runs on that
//! schedule (UTC), as a `GET` with no body, logged like every run. Each running container's
//! table of schedules is read from its scripts when the service first sees the container run,
//! and again on `schedules/reload` or when a script is written, moved or deleted through the
//! service (a script edited another way is seen at the next reload, as on the platform).
//! `schedules/list` (at `data.schedules`), `schedules/history`, `schedules/trigger`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// A cron line: minute, hour, day of month, month, day of week (0 or 7 is Sunday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    days: Vec<bool>,
    months: Vec<bool>,
    weekdays: Vec<bool>,
    /// Day of month and day of week both restricted: either matches (cron's rule).
    either_day: bool,
}

impl Cron {
    pub fn parse(line: &str) -> Result<Cron, String> {
        let expanded = match line.trim() {
            "@hourly" => "0 * * * *",
            "@daily" | "@midnight" => "0 0 * * *",
            "@weekly" => "0 0 * * 0",
            "@monthly" => "0 0 1 * *",
            "@yearly" | "@annually" => "0 0 1 1 *",
            other => other,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(format!(
                "{line:?} is not five fields (minute hour day month weekday) or @hourly/@daily/@weekly/@monthly/@yearly"
            ));
        };
        let mut weekdays = field(weekday, 0, 7, "weekday")?;
        if weekdays[7] {
            weekdays[0] = true;
        }
        weekdays.truncate(7);
        Ok(Cron {
            minutes: field(minute, 0, 59, "minute")?,
            hours: field(hour, 0, 23, "hour")?,
            days: field(day, 1, 31, "day")?,
            months: field(month, 1, 12, "month")?,
            weekdays,
            either_day: day != "*" && weekday != "*",
        })
    }

    /// Whether the schedule falls on `t`'s minute.
    pub fn matches(&self, t: DateTime<Utc>) -> bool {
        let day = self.days[t.day() as usize];
        let weekday = self.weekdays[t.weekday().num_days_from_sunday() as usize];
        let day_ok = if self.either_day { day || weekday } else { day && weekday };
        self.minutes[t.minute() as usize] && self.hours[t.hour() as usize] && self.months[t.month() as usize] && day_ok
    }

    /// The first minute after `t` the schedule falls on (within a year and a day), if any.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut at = t.with_second(0)?.with_nanosecond(0)? + chrono::Duration::minutes(1);
        for _ in 0..(366 * 24 * 60) {
            if self.matches(at) {
                return Some(at);
            }
            at += chrono::Duration::minutes(1);
        }
        None
    }
}

/// One field: `*`, `*/n`, `a`, `a-b`, `a-b/n`, and lists of them; a table indexed by value.
fn field(text: &str, low: u32, high: u32, name: &str) -> Result<Vec<bool>, String> {
    let mut table = vec![false; high as usize + 1];
    let bad = || format!("the {name} field {text:?} is not *, N, N-M, */S or a list of them ({low}-{high})");
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok().filter(|s| *s > 0).ok_or_else(bad)?),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" => (low, high),
            r => match r.split_once('-') {
                Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
                None => {
                    let v: u32 = r.parse().map_err(|_| bad())?;
                    (v, if part.contains('/') { high } else { v })
                }
            },
        };
        if from < low || to > high || from > to {
            return Err(bad());
        }
        for v in (from..=to).step_by(step as usize) {
            table[v as usize] = true;
        }
    }
    Ok(table)
}

/// A scheduled script of a container.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its place under the scripts directory.
    pub script: String,
    pub line: String,
    pub cron: Cron,
    pub last_run: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub runs: u64,
}

/// One run of a scheduled script.
#[derive(Debug, Clone)]
pub struct Ran {
    pub script: String,
    pub at: DateTime<Utc>,
    pub status: u16,
    pub duration_ms: f64,
    /// `schedule` or `trigger`.
    pub by: &'static str,
}

/// Runs kept in a container's schedule history.
const HISTORY: usize = 500;

#[derive(Debug, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
    pub history: VecDeque<Ran>,
    pub loaded_at: Option<DateTime<Utc>>,
    /// Scripts whose `@schedule` did not parse, with why.
    pub problems: Vec<(String, String)>,
}

/// The schedule tables, by container init.
static TABLES: Mutex<Option<HashMap<u32, Table>>> = Mutex::new(None);

pub fn with<T>(init_pid: u32, f: impl FnOnce(&mut Table) -> T) -> T {
    let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
    let tables = tables.get_or_insert_with(HashMap::new);
    if !tables.contains_key(&init_pid) {
        tables.retain(|pid, _| hoody_runtime::is_alive(*pid));
    }
    f(tables.entry(init_pid).or_default())
}

/// Whether the container's table was read since it started.
pub fn loaded(init_pid: u32) -> bool {
    let tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
    tables.as_ref().and_then(|t| t.get(&init_pid)).is_some_and(|t| t.loaded_at.is_some())
}

/// Puts a freshly read set of `(script, @schedule line)` in place, keeping what is known of the
/// scripts' earlier runs; returns the table as listed.
pub fn replace(init_pid: u32, found: Vec<(String, String)>) -> Value {
    with(init_pid, |table| {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (script, line) in found {
            match Cron::parse(&line) {
                Ok(cron) => {
                    let before = table.entries.iter().find(|e| e.script == script);
                    entries.push(Entry {
                        last_run: before.and_then(|b| b.last_run),
                        last_status: before.and_then(|b| b.last_status),
                        runs: before.map_or(0, |b| b.runs),
                        script,
                        line,
                        cron,
                    });
                }
                Err(why) => problems.push((script, why)),
            }
        }
        table.entries = entries;
        table.problems = problems;
        table.loaded_at = Some(Utc::now());
        listed(table)
    })
}

/// The scripts due at `minute`.
pub fn due(init_pid: u32, minute: DateTime<Utc>) -> Vec<String> {
    with(init_pid, |t| t.entries.iter().filter(|e| e.cron.matches(minute)).map(|e| e.script.clone()).collect())
}

/// Records a run of a scheduled (or triggered) script.
pub fn record(init_pid: u32, ran: Ran) {
    with(init_pid, |t| {
        if let Some(e) = t.entries.iter_mut().find(|e| e.script == ran.script) {
            e.last_run = Some(ran.at);
            e.last_status = Some(ran.status);
            e.runs += 1;
        }
        t.history.push_back(ran);
        while t.history.len() > HISTORY {
            t.history.pop_front();
        }
    })
}

pub fn listed(table: &Table) -> Value {
    let now = Utc::now();
    let schedules: Vec<Value> = table
        .entries
        .iter()
        .map(|e| {
            json!({
                "id": e.script, "name": e.script, "scriptPath": e.script, "schedule": e.line, "status": "active",
                "nextRun": e.cron.next_after(now).map(|t| t.to_rfc3339()),
                "lastRun": e.last_run.map(|t| t.to_rfc3339()), "lastStatus": e.last_status, "runs": e.runs,
            })
        })
        .collect();
    let invalid: Vec<Value> = table
        .problems
        .iter()
        .map(|(script, why)| json!({ "id": script, "name": script, "status": "invalid", "error": why }))
        .collect();
    json!({
        "data": { "schedules": schedules, "invalid": invalid },
        "count": table.entries.len(),
        "timezone": "UTC",
        "loadedAt": table.loaded_at.map(|t| t.to_rfc3339()),
    })
}

pub fn history_json(ran: &Ran) -> Value {
    json!({ "scriptPath": ran.script, "at": ran.at.to_rfc3339(), "status": ran.status,
        "duration_ms": ran.duration_ms, "trigger": ran.by, "success": ran.status < 400 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cron_lines_match_their_minutes() {
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap(); // 2026-11-30 is a Monday
        let every5 = Cron::parse("*/5 * * * *").unwrap();
        assert!(every5.matches(at(30, 10, 15)) && !every5.matches(at(30, 10, 16)));
        let weekday_mornings = Cron::parse("30 9 * * 1-5").unwrap();
        assert!(weekday_mornings.matches(at(30, 9, 30)) && !weekday_mornings.matches(at(29, 9, 30)));
        let sunday = Cron::parse("0 0 * * 7").unwrap();
        assert!(sunday.matches(at(29, 0, 0)));
        let either = Cron::parse("0 0 1 * 1").unwrap(); // the 1st, or any Monday
        assert!(either.matches(at(30, 0, 0)) && either.matches(at(1, 0, 0)) && !either.matches(at(3, 0, 0)));
        assert_eq!(
            Cron::parse("@daily").unwrap().next_after(at(30, 10, 15)),
            Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(Cron::parse("5/20 * * * *").unwrap().next_after(at(30, 10, 15)), Some(at(30, 10, 25)));
        for bad in ["* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * 0 * *", "* * * 13 *"] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
        assert!(Cron::parse("0 0 31 2 *").unwrap().next_after(at(30, 0, 0)).is_none(), "February 31st never comes");
    }
}
