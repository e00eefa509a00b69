//! Which of a token's permission flags each operation needs (the platform's `permissions.*`).
//! The match is over every declared operation, so a new one does not compile until it says
//! what it needs. Fields that turn a feature on need that feature's flag too (`ai` on a
//! create, which is on unless the body turns it off).

use super::Request;
use crate::{Principal, Result};
use hoody_model::{Operation, PermissionLevel};

/// The flags `request` needs.
pub fn needed(request: &Request) -> Vec<&'static str> {
    use Request::*;
    let on = |flag: Option<bool>, default: bool| flag.unwrap_or(default);
    match request {
        CreateProject { .. } => vec!["projects.create"],
        ListProjects { .. } | GetProject { .. } => vec!["projects.read"],
        ProjectStatsOf { .. } => vec!["projects.read", "containers.read"],
        ProjectPermissionsOf { .. } => vec!["projects.read"],
        AddProjectPermission { .. } => vec!["projects.members.invite"],
        UpdateProjectPermission { .. } => vec!["projects.members.change_roles"],
        RemoveProjectPermission { .. } => vec!["projects.members.remove"],
        UpdateProject { .. } => vec!["projects.update"],
        DeleteProject { .. } => vec!["projects.delete"],
        ListProjectContainers { .. } | ListContainers { .. } | GetContainer { .. } | ContainerEnv { .. } => {
            vec!["containers.read"]
        }
        ContainerStats { .. } | StatusLogs { .. } => vec!["containers.read"],
        CreateContainer { body, .. } => {
            let mut flags = vec!["containers.create"];
            flags.extend(on(body.ai, true).then_some("containers.features.ai"));
            flags.extend(on(body.hoody_kit, true).then_some("containers.features.hoody_kit"));
            flags.extend(body.network.is_some().then_some("containers.features.networking"));
            flags
        }
        UpdateContainer { body, .. } => {
            let mut flags = vec!["containers.update"];
            flags.extend((body.ai == Some(true)).then_some("containers.features.ai"));
            flags.extend(body.network.is_some().then_some("containers.features.networking"));
            flags.extend(body.hoody_kit.is_some().then_some("containers.features.hoody_kit"));
            flags
        }
        SetContainerEnv { .. } | SetContainerEnvVar { .. } | DeleteContainerEnvVar { .. } => {
            vec!["containers.update"]
        }
        DeleteContainer { .. } => vec!["containers.delete"],
        Operate { operation, .. } => vec![match operation {
            Operation::Start | Operation::Resume => "containers.actions.start",
            Operation::Stop | Operation::ForceStop | Operation::Pause => "containers.actions.stop",
            Operation::Restart => "containers.actions.restart",
        }],
        CopyContainer { .. } => vec!["containers.read", "containers.create"],
        GetNetwork { .. } => vec!["containers.read"],
        FirewallRulesOf { .. } => vec!["containers.read"],
        StorageSharesOf { .. } | GetStorageShare { .. } | IncomingStorageShares { .. } => {
            vec!["containers.read", "resources.storage_shares"]
        }
        CreateStorageShare { .. } | UpdateStorageShare { .. } | SetIncomingShareMount { .. } => {
            vec!["containers.update", "resources.storage_shares"]
        }
        UpdateNetwork { .. }
        | ResetNetwork { .. }
        | StartNetwork { .. }
        | StopNetwork { .. }
        | ResetFirewall { .. }
        | AddEgressRule { .. }
        | RemoveEgressRule { .. }
        | ToggleEgressRule { .. }
        | AddIngressRule { .. }
        | RemoveIngressRule { .. }
        | ToggleIngressRule { .. } => {
            vec!["containers.update", "containers.features.networking"]
        }
        SyncContainer { .. } => vec!["containers.read", "containers.update"],
        // Carrying a container to another server reads it here and makes one there.
        CreateExport { .. } | GetExport { .. } | DeleteExport { .. } => vec!["containers.read"],
        // A container coming in has its source's features: the flags a create of them needs.
        CreateImport { body, .. } => {
            let mut flags = vec!["containers.create"];
            flags.extend(body.source.ai.then_some("containers.features.ai"));
            flags.extend(body.source.hoody_kit.then_some("containers.features.hoody_kit"));
            flags
        }
        GetImport { .. } | FinishImport { .. } | DeleteImport { .. } => vec!["containers.create"],
        SetContainerKvm { body, .. } => {
            let mut flags = vec!["containers.update"];
            flags.extend(body.kvm.then_some("containers.features.kvm"));
            flags
        }
        ListSnapshots { .. } => vec!["containers.read", "containers.features.snapshots"],
        CreateSnapshot { .. } | RestoreSnapshot { .. } | RenameSnapshot { .. } | DeleteSnapshot { .. } => {
            vec!["containers.update", "containers.features.snapshots"]
        }
        ContainerLogs { .. } => vec!["containers.actions.logs"],
        GetProxyPermissions { .. }
        | ProxySettingsOf { .. }
        | ProxyGroups { .. }
        | ProxyServices { .. }
        | ProxyServiceOf { .. }
        | ListProxyHooks { .. }
        | ListServiceHooks { .. }
        | GetProxyHook { .. } => vec!["containers.read"],
        AddProxyHook { .. }
        | ClearServiceHooks { .. }
        | UpdateProxyHook { .. }
        | RemoveProxyHook { .. }
        | MoveProxyHook { .. } => vec!["containers.update"],
        UpdateProxySettings { .. } => vec!["containers.update"],
        ProjectGetProxyPermissions { .. } => vec!["projects.read"],
        ProjectReplaceProxyPermissions { .. }
        | ProjectDeleteProxyPermissions { .. }
        | ProjectSetProxyDefault { .. }
        | ProjectSetProxyState { .. }
        | ProjectSetProxyPasswordGroup { .. }
        | ProjectSetProxyTokenGroup { .. }
        | ProjectSetProxyIpGroup { .. }
        | ProjectSetProxyJwtGroup { .. }
        | ProjectRemoveProxyGroup { .. }
        | ProjectSetProxyAccess { .. }
        | ProjectRemoveProxyGroupAccess { .. }
        | ProjectRemoveProxyProgramAccess { .. } => vec!["projects.update"],
        ReplaceProxyPermissions { .. }
        | DeleteProxyPermissions { .. }
        | SetProxyDefault { .. }
        | SetProxyState { .. }
        | SetProxyPasswordGroup { .. }
        | SetProxyTokenGroup { .. }
        | SetProxyIpGroup { .. }
        | SetProxyJwtGroup { .. }
        | RemoveProxyGroup { .. }
        | SetProxyAccess { .. }
        | RemoveProxyGroupAccess { .. }
        | RemoveProxyProgramAccess { .. } => vec!["containers.update"],
        ListEvents { .. }
        | DeleteEvents { .. }
        | CleanUpEvents { .. }
        | EventStatistics { .. }
        | GetEvent { .. }
        | DeleteEvent { .. } => vec!["resources.events"],
        Realms { .. } | CreateRealm { .. } => vec!["resources.realms"],
        CreateToken { .. } | CopyToken { .. } => vec!["resources.create_tokens"],
        ListTokens { .. }
        | GetToken { .. }
        | UpdateToken { .. }
        | DeleteToken { .. }
        | AddTokenRealm { .. }
        | RemoveTokenRealm { .. } => vec!["resources.create_tokens"],
        // What any token may know of itself and of the server it talks to.
        ServerCommands { .. } | ExecuteCommand { .. } => vec!["admin.servers"],
        UpdatePublicProfile { .. } => vec!["resources.auth_token_public_profile"],
        PublicProfileOf { .. } => vec![],
        CurrentToken { .. } | Rentals { .. } | GetRental { .. } | Servers { .. } | GetServer { .. } => vec![],
        Images { .. } | UserImages { .. } | GetImage { .. } | ImageIcon { .. } => vec![],
        // The cloud's marketplace: refused here whoever asks (the flags guard nothing here).
        ExtendRental { .. }
        | RentalMarketplace { .. }
        | RentServer { .. }
        | PurchaseImage { .. }
        | RateImage { .. } => {
            vec![]
        }
        PullImage { .. } | BuildImage { .. } | ImportImage { .. } | DeleteImage { .. } => vec![],
    }
}

/// The level a grant of a project must have to reach it for `request` (a `GET` when `reads`):
/// reading needs `read`; changing the project, deleting it, managing its grants or removing
/// its events needs `admin`; anything else (containers changed, operated, made, deleted) needs
/// `write`.
pub fn level(request: &Request, reads: bool) -> PermissionLevel {
    let admin = needed(request).iter().any(|flag| {
        matches!(*flag, "projects.update" | "projects.delete")
            || flag.starts_with("projects.members.")
            || (*flag == "resources.events" && !reads)
    });
    match (admin, reads) {
        (true, _) => PermissionLevel::Admin,
        (false, true) => PermissionLevel::Read,
        (false, false) => PermissionLevel::Write,
    }
}

/// Refuses `request` when `caller`'s token lacks a flag it needs.
pub fn check(caller: &Principal, request: &Request) -> Result<()> {
    needed(request).into_iter().try_for_each(|flag| caller.require(flag))
}
