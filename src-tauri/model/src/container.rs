use crate::ids::{ContainerId, ProjectId, RealmId, ServerId};
use crate::status::ContainerStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// A container as the Hoody API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Container {
    pub id: ContainerId,
    pub project_id: ProjectId,
    pub server_id: ServerId,
    pub server_name: String,
    pub name: String,
    pub status: ContainerStatus,
    /// Why the container is `failed` (or what the last failed operation said); null otherwise.
    pub error: Option<String>,
    pub container_image: String,
    pub hoody_kit: bool,
    pub dev_kit: bool,
    pub realm_ids: Vec<RealmId>,
    pub environment_vars: BTreeMap<String, String>,
    pub ssh_public_key: Option<String>,
    pub color: Option<String>,
    pub comment: Option<String>,
    pub autostart: bool,
    pub ai: bool,
    pub cache: bool,
    pub prespawn: bool,
    pub ramdisk: bool,
    /// Outbound connectivity and DNS (a Hoody Desktop addition; on unless turned off): off
    /// leaves the container its loopback only. Its services are reached through the proxy
    /// either way.
    #[serde(default = "on")]
    pub network: bool,
    /// Nested user namespaces inside (a Hoody Desktop addition; off unless asked): what
    /// Podman, Docker, `unshare -U` or a sandboxing browser need. Off, the container's processes
    /// cannot make one (see the README's defaults). A change needs a stop.
    #[serde(default)]
    pub nesting: bool,
    pub source_container_id: Option<ContainerId>,
    pub snapshot_count: u32,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
    /// Present when asked for with `?runtime=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub runtime_info: Option<RuntimeInfo>,
    /// The URL of each service the running container offers, by slug (`http-8080` → …), when
    /// read with its runtime details (`?runtime=true`); empty otherwise.
    #[serde(default)]
    pub urls: std::collections::BTreeMap<String, String>,
}

/// What the runtime reports about a running container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct RuntimeInfo {
    /// False when the container has no live processes (it is not running).
    pub running: bool,
    #[ts(type = "string | null")]
    pub started_at: Option<DateTime<Utc>>,
    pub processes: Vec<ProcessInfo>,
    /// TCP ports listening in the container's network namespace.
    pub listening_ports: Vec<u16>,
    /// CPU time used by the container's processes since it started, in nanoseconds.
    #[ts(type = "number")]
    pub cpu_usage_ns: u64,
    /// Memory charged to the container's cgroup, in bytes.
    #[ts(type = "number")]
    pub memory_bytes: u64,
    /// The kit services that run for the container: terminal sessions, displays, and the
    /// services the server answers itself.
    #[serde(default)]
    pub kit_services: Vec<KitServiceInfo>,
}

/// A kit service running for a container, as `runtime_info` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct KitServiceInfo {
    /// `terminal-1`, `display-1`, `files-1`…
    pub service: String,
    /// Host pid of the service's own process (a terminal's shell, a display's X server, by
    /// way of their nsenter parent); null for services the server answers itself.
    pub pid: Option<u32>,
    /// The port of the loopback proxy that serves it.
    pub port: u16,
    /// Clients attached over WebSocket (terminal viewers, VNC connections).
    pub clients: u32,
    /// Terminal size or display geometry, `COLSxROWS` or `WIDTHxHEIGHT`.
    pub size: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct ProcessInfo {
    pub host_pid: u32,
    pub pid: u32,
    pub command: String,
}

/// `POST /projects/{id}/containers`. Every field is optional; the engine fills the platform's
/// defaults. Unknown fields are refused so a typo never passes silently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ContainerCreate {
    /// 3-100 of [A-Za-z0-9_-]; "rand" or absent → a generated name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// The server to create it on (required, as on the platform: this server's id is in
    /// `GET /servers`); absent, the create is refused saying so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub server_id: Option<String>,
    /// `os/release`; absent or null → debian/13.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub container_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hoody_kit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dev_kit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub environment_vars: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ssh_public_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub autostart: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ai: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cache: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub prespawn: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ramdisk: Option<bool>,
    /// Outbound connectivity and DNS (on unless `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub network: Option<bool>,
    /// Nested user namespaces inside (off unless `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub nesting: Option<bool>,
    /// Skip the warm pool and create the container from scratch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub bypass_prespawn: Option<bool>,
    /// Keep the image in the server's store for the next create. This server keeps every image
    /// it holds until it is deleted (Images), so either value is what it does already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cache_image: Option<bool>,
    /// Hardware virtualisation (`/dev/kvm`) inside the container: refused, saying why, where
    /// this server cannot give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kvm: Option<bool>,
    /// The developer kit's KVM tools: as `kvm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dev_kvm: Option<bool>,
}

/// `POST /containers/{id}/copy`. Every field may be left out: the copy goes to the source's
/// project on this server, named after the source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ContainerCopy {
    /// The project the copy joins (the platform's clients always send it; absent: the source's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target_project_id: Option<String>,
    /// Only this server: a copy to another server is the fleet's (refused here, saying so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub target_server_id: Option<String>,
    /// The copy's name; absent: `{source}-copy` (then `-copy-2`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// The copy's own SSH key (a key identifies one container, so the source's is never copied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ssh_public_key: Option<String>,
    /// Copy the files of this snapshot of the source rather than its current files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source_snapshot: Option<String>,
    /// Copy the source's firewall rules. This server has no firewall (every container's outbound
    /// path is open unless its network is off), so a source has none and either value copies none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub copy_firewall_rules: Option<bool>,
    /// Copy the source's network setting (on or off); otherwise the copy has the default: on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub copy_network_rules: Option<bool>,
    /// As on create: refused, saying why, where this server cannot give `/dev/kvm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kvm: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dev_kvm: Option<bool>,
}

/// `PUT /containers/{id}/kvm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct KvmSettings {
    pub kvm: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub dev_kvm: Option<bool>,
}

/// `PUT|PATCH /containers/{id}`. Absent fields stay as they are; `null` clears a nullable field.
/// The permanent fields are accepted only with their current value, so a client may send back
/// what it read; any other value is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ContainerUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub color: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub comment: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub environment_vars: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "double_option", skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "string | null")]
    #[schema(value_type = Option<String>)]
    pub ssh_public_key: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub realm_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub autostart: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ai: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cache: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ramdisk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub network: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub nesting: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub container_image: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub hoody_kit: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub dev_kit: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Option<Object>)]
    pub server_id: Option<serde_json::Value>,
}

impl ContainerUpdate {
    /// The fields a running container has baked in, so they can only change while it is
    /// stopped (the UI's edit dialog reads this list from `rules.json`).
    pub const FIELDS_NEEDING_STOP: [&'static str; 6] =
        ["name", "environment_vars", "ssh_public_key", "ramdisk", "ai", "nesting"];

    /// The fields set in this update that can only change while the container is stopped.
    pub fn fields_needing_stop(&self) -> Vec<&'static str> {
        let set = [
            self.name.is_some(),
            self.environment_vars.is_some(),
            self.ssh_public_key.is_some(),
            self.ramdisk.is_some(),
            self.ai.is_some(),
            self.nesting.is_some(),
        ];
        Self::FIELDS_NEEDING_STOP.into_iter().zip(set).filter(|(_, set)| *set).map(|(field, _)| field).collect()
    }
}

fn on() -> bool {
    true
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_tells_absent_from_null() {
        let u: ContainerUpdate = serde_json::from_str(r#"{"color": null}"#).unwrap();
        assert_eq!(u.color, Some(None));
        assert_eq!(u.comment, None);
        let u: ContainerUpdate = serde_json::from_str(r#"{"comment": "x"}"#).unwrap();
        assert_eq!(u.comment, Some(Some("x".into())));
    }

    #[test]
    fn unknown_fields_are_refused_with_their_name() {
        let e = serde_json::from_str::<ContainerUpdate>(r##"{"colour": "#fff"}"##).unwrap_err();
        assert!(e.to_string().contains("unknown field `colour`"), "{e}");
        let e = serde_json::from_str::<ContainerCreate>(r#"{"nmae": "abc"}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field `nmae`"), "{e}");
    }

    #[test]
    fn fields_needing_stop() {
        let u: ContainerUpdate =
            serde_json::from_str(r##"{"name":"abc","color":"#fff","environment_vars":{}}"##).unwrap();
        assert_eq!(u.fields_needing_stop(), vec!["name", "environment_vars"]);
    }
}
