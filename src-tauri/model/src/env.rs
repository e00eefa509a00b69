//! The platform's environment variable calls (`/containers/{id}/env`): their bodies, and the
//! `.env` text a bulk set sends.

use crate::{ErrorCode, ModelError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// `PATCH /containers/{id}/env`: every variable at once, as `.env` text (`KEY=value` lines;
/// blank lines, `#` comments and `export ` are allowed; values may be quoted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EnvVarsText {
    pub body: String,
}

/// `PATCH /containers/{id}/env/{key}`: one variable's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EnvVarValue {
    pub value: String,
}

/// The variables of `.env` text; a line that is not `KEY=value` is refused, naming it.
pub fn parse_env_text(text: &str) -> Result<BTreeMap<String, String>, ModelError> {
    let mut vars = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) = line.split_once('=') else {
            return Err(ModelError::new(
                ErrorCode::InvalidEnvironment,
                format!(
                    "line {} of the environment is not KEY=value: {:?}",
                    n + 1,
                    line.chars().take(60).collect::<String>()
                ),
            ));
        };
        let value = value.trim();
        let unquoted = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(open, close)| value.strip_prefix(*open).and_then(|v| v.strip_suffix(*close)))
            .unwrap_or(value);
        vars.insert(key.trim().to_owned(), unquoted.to_owned());
    }
    crate::validate::environment_vars(&vars)?;
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_text_is_read_as_dotenv_files_are_written() {
        let vars = parse_env_text("# the app\nexport MODE=test\n\nNAME=\"a b\"\nEMPTY=\nQ='it''s'\n").unwrap();
        assert_eq!(vars["MODE"], "test");
        assert_eq!(vars["NAME"], "a b");
        assert_eq!(vars["EMPTY"], "");
        assert_eq!(vars["Q"], "it''s");
        assert_eq!(parse_env_text("").unwrap().len(), 0);
    }

    #[test]
    fn a_line_that_is_no_assignment_is_refused_by_number() {
        let e = parse_env_text("A=1\njust words\n").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidEnvironment);
        assert!(e.message.contains("line 2"), "{}", e.message);
        assert!(parse_env_text("1BAD=x").is_err(), "names are checked as everywhere");
    }
}
