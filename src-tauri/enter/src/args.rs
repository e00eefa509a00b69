//! The command line: `--flag value` pairs, repeatable flags, bare switches, and after `--` the
//! program to run with its arguments.

use std::ffi::OsString;

#[derive(Debug, Default)]
pub struct Args {
    pairs: Vec<(String, OsString)>,
    switches: Vec<String>,
    pub program: Vec<OsString>,
}

impl Args {
    /// Parses `raw`; `switches` names the flags that take no value.
    pub fn parse(raw: Vec<OsString>, switches: &[&str]) -> Result<Self, String> {
        let mut args = Self::default();
        let mut iter = raw.into_iter();
        while let Some(arg) = iter.next() {
            let Some(flag) = arg.to_str().and_then(|a| a.strip_prefix("--")) else {
                return Err(format!("unexpected argument {arg:?}"));
            };
            if flag.is_empty() {
                args.program = iter.collect();
                break;
            }
            if switches.contains(&flag) {
                args.switches.push(flag.to_owned());
            } else {
                let value = iter.next().ok_or_else(|| format!("--{flag} needs a value"))?;
                args.pairs.push((flag.to_owned(), value));
            }
        }
        Ok(args)
    }

    pub fn all(&self, flag: &str) -> impl Iterator<Item = &OsString> {
        self.pairs.iter().filter(move |(f, _)| f == flag).map(|(_, v)| v)
    }

    pub fn one(&self, flag: &str) -> Option<&OsString> {
        self.all(flag).last()
    }

    pub fn text(&self, flag: &str) -> Result<Option<String>, String> {
        self.one(flag).map(|v| v.clone().into_string().map_err(|_| format!("--{flag} is not UTF-8"))).transpose()
    }

    pub fn required(&self, flag: &str) -> Result<String, String> {
        self.text(flag)?.ok_or_else(|| format!("--{flag} is required"))
    }

    pub fn switch(&self, flag: &str) -> bool {
        self.switches.iter().any(|s| s == flag)
    }

    /// Every `--{flag} K=V` as a pair.
    pub fn assignments(&self, flag: &str) -> Result<Vec<(String, String)>, String> {
        self.all(flag)
            .map(|v| {
                let text = v.to_str().ok_or_else(|| format!("--{flag} is not UTF-8"))?;
                let (k, v) = text.split_once('=').ok_or_else(|| format!("--{flag} {text}: expected NAME=VALUE"))?;
                Ok((k.to_owned(), v.to_owned()))
            })
            .collect()
    }
}

/// One line of a user namespace's id map: `INSIDE:OUTSIDE:COUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapLine {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

impl MapLine {
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<u32> = text.split(':').map(str::parse).collect::<Result<_, _>>().map_err(|_| bad(text))?;
        match parts[..] {
            [inside, outside, count] if count > 0 => Ok(Self { inside, outside, count }),
            _ => Err(bad(text)),
        }
    }

    pub fn all(args: &Args, flag: &str) -> Result<Vec<Self>, String> {
        let lines: Vec<Self> = args
            .all(flag)
            .map(|v| Self::parse(v.to_str().ok_or_else(|| bad(&v.to_string_lossy()))?))
            .collect::<Result<_, _>>()?;
        if lines.is_empty() {
            return Err(format!("--{flag} is required"));
        }
        Ok(lines)
    }
}

fn bad(text: &str) -> String {
    format!("id map line {text:?}: expected INSIDE:OUTSIDE:COUNT")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn flags_switches_and_the_program() {
        let args = Args::parse(
            os(&["--pid", "7", "--detach", "--env", "A=1", "--env", "B=2", "--", "sh", "-c", "x"]),
            &["detach"],
        )
        .unwrap();
        assert_eq!(args.required("pid").unwrap(), "7");
        assert!(args.switch("detach") && !args.switch("setsid"));
        assert_eq!(args.assignments("env").unwrap(), vec![("A".into(), "1".into()), ("B".into(), "2".into())]);
        assert_eq!(args.program, os(&["sh", "-c", "x"]));
        assert!(Args::parse(os(&["--pid"]), &[]).is_err());
        assert!(Args::parse(os(&["stray"]), &[]).is_err());
    }

    #[test]
    fn map_lines() {
        assert_eq!(MapLine::parse("0:100000:65536").unwrap(), MapLine { inside: 0, outside: 100_000, count: 65_536 });
        assert!(MapLine::parse("0:1").is_err());
        assert!(MapLine::parse("0:1:0").is_err());
        assert!(MapLine::parse("a:b:c").is_err());
    }
}
