//! Writes `rules.json` beside the generated TypeScript types: the status machine's legal
//! operations and the field limits, as data, so the UI enables exactly the buttons the engine
//! accepts and checks fields by the server's numbers. CI fails when the committed file differs.

use hoody_model::validate;
use hoody_model::{ContainerStatus, ContainerUpdate, Operation};
use serde_json::{Map, Value, json};

fn statuses(pick: impl Fn(ContainerStatus) -> bool) -> Value {
    Value::from(ContainerStatus::ALL.into_iter().filter(|s| pick(*s)).map(|s| s.as_str()).collect::<Vec<_>>())
}

#[test]
fn rules_for_the_ui() {
    let mut operations = Map::new();
    for op in Operation::ALL {
        operations.insert(op.as_str().into(), op.allowed_from().iter().map(|s| s.as_str()).collect());
    }
    let rules = json!({
        "operations": operations,
        "delete": statuses(ContainerStatus::can_delete),
        "snapshot": statuses(ContainerStatus::can_snapshot),
        "copy": statuses(ContainerStatus::can_copy),
        "restore": statuses(ContainerStatus::can_restore),
        "update_config": statuses(ContainerStatus::accepts_config_update),
        "fields_needing_stop": ContainerUpdate::FIELDS_NEEDING_STOP,
        "transitional": statuses(ContainerStatus::is_transitional),
        "name": { "min": validate::NAME_MIN, "max": validate::NAME_MAX, "pattern": "^[A-Za-z0-9_-]+$",
                  "random": hoody_model::names::RANDOM_NAME },
        "comment_max": validate::COMMENT_MAX,
        "env_max_vars": validate::ENV_MAX_VARS,
        "env_name_pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "env_max_bytes": validate::ENV_MAX_BYTES,
        "default_image": validate::DEFAULT_IMAGE,
    });
    let dir = std::env::var("TS_RS_EXPORT_DIR").expect(".cargo/config.toml sets TS_RS_EXPORT_DIR");
    let text = serde_json::to_string_pretty(&rules).unwrap() + "\n";
    std::fs::write(std::path::Path::new(&dir).join("rules.json"), text).unwrap();
}
