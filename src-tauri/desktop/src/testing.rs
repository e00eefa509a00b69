//! Helpers for the unit tests of this crate.

use hoody_model::{Container, ContainerStatus};

/// A container as the API lists it ("web" gets a red label).
pub(crate) fn container(name: &str, id: &str, status: ContainerStatus) -> Container {
    serde_json::from_value(serde_json::json!({
        "id": id, "project_id": "0123456789abcdef01234567", "server_id": "0123456789abcdef01234567",
        "server_name": "local", "name": name, "status": status, "error": null,
        "container_image": "debian/13", "hoody_kit": true, "dev_kit": true, "realm_ids": [],
        "environment_vars": {}, "ssh_public_key": null, "color": if name == "web" { Some("#cc0000") } else { None },
        "comment": null, "autostart": false, "ai": false, "cache": false, "prespawn": false, "ramdisk": true,
        "source_container_id": null, "snapshot_count": 0, "created_at": "2026-11-28T10:00:00Z",
        "updated_at": "2026-11-28T10:00:00Z", "urls": {}
    }))
    .unwrap()
}
