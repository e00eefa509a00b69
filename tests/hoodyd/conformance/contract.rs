//! The contract's tables: one row per operation, as `shared/hoody-api/*.md` write them.

/// One documented parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    /// path, query, body or header
    pub place: String,
    /// string, number, boolean, string[], json, map
    pub kind: String,
    pub required: bool,
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The contract file it is in (`containers`, `terminal`…).
    pub file: &'static str,
    pub name: String,
    pub method: String,
    pub path: String,
    pub params: Vec<Param>,
}

/// The files and the service each one's kit paths are relative to (None: the API origin).
pub const FILES: &[(&str, Option<&str>, &str)] = &[
    ("containers", None, include_str!("contract/containers.md")),
    ("terminal", Some("terminal-1"), include_str!("contract/terminal.md")),
    ("files", Some("files-1"), include_str!("contract/files.md")),
    ("exec", Some("exec-1"), include_str!("contract/exec.md")),
    ("sqlite", Some("sqlite-1"), include_str!("contract/sqlite.md")),
    ("display", Some("display-1"), include_str!("contract/display.md")),
];

/// Every operation of `text`'s table.
pub fn operations(file: &'static str, text: &str) -> Vec<Operation> {
    text.lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| operation ") && !line.starts_with("|---"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").map(|c| c.trim_matches(|ch| ch == '|' || ch == ' ')).collect();
            assert!(cells.len() >= 4, "a row of {file} with fewer than 4 cells: {line}");
            Operation {
                file,
                name: cells[0].to_owned(),
                method: cells[1].to_owned(),
                path: cells[2].trim_matches('`').to_owned(),
                params: params(cells[3]),
            }
        })
        .collect()
}

/// "`name` place type (required); …" (a type may carry its default: `(default "1")`).
fn params(cell: &str) -> Vec<Param> {
    if cell == "–" {
        return Vec::new();
    }
    cell.split("; ")
        .filter_map(|p| {
            let (name, rest) = p.strip_prefix('`')?.split_once('`')?;
            let mut words = rest.split_whitespace();
            Some(Param {
                name: name.to_owned(),
                place: words.next()?.to_owned(),
                kind: words.next()?.to_owned(),
                required: rest.contains("(required"),
            })
        })
        .collect()
}

#[test]
fn the_contract_is_read_whole() {
    let counts: Vec<(&str, usize)> = FILES.iter().map(|(f, _, text)| (*f, operations(f, text).len())).collect();
    // The counts each file's heading states ("133 operations of …").
    for ((file, n), (_, _, text)) in counts.iter().zip(FILES) {
        let stated: usize = text.lines().nth(2).and_then(|l| l.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
        assert_eq!(*n, stated, "{file}");
    }
    let create = operations("containers", FILES[0].2).into_iter().find(|o| o.name == "createProjectContainer").unwrap();
    let server = create.params.iter().find(|p| p.name == "server_id").unwrap();
    assert!(server.required && server.place == "body" && server.kind == "string");
}
