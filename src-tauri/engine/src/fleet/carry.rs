//! A copy to another member of the fleet (the platform's `target_server_id` naming a server
//! other than the source's): the source exports the container, the target is told what is
//! coming, the layer's bytes are relayed from one to the other — after a cut, from the byte
//! the target has got to — and the target makes the container once its SHA-256 holds. Any
//! failure removes the import (nothing is made) and the export, whatever happened.

use super::{Fleet, FleetEvent, LIST_TIMEOUT, Member};
use crate::ByteStream;
use crate::error::{EngineError, Result};
use crate::server::{ContainerView, Server};
use futures_util::StreamExt;
use hoody_model::{
    Container, ContainerCopy, ContainerEvent, ContainerExport, ContainerId, ContainerImport, ErrorCode, EventKind,
    ExportCreate, ImportCreate, ProjectId, WorkProgress,
};
use std::time::Duration;

/// How many times in a row a relay may be cut without the target getting any further.
const RESUMES: u32 = 3;

/// The wait before a cut relay goes on (doubled each time it gets no further).
const RESUME_AFTER: Duration = Duration::from_millis(500);

impl Fleet {
    /// The member that is the server `server_id` (as the servers it answers for say): `source`
    /// when it is (a copy within it, asked of no other), else the one of the others that is.
    pub(super) async fn member_for_server(&self, server_id: &str, source: &Member) -> Result<Member> {
        let is = |(name, server): Member| async move {
            let ids = tokio::time::timeout(LIST_TIMEOUT, server.servers((), ())).await;
            let ids = ids.ok().and_then(|answer| answer.ok()).unwrap_or_default();
            ids.iter().any(|s| s.id.as_str() == server_id).then_some((name, server))
        };
        if let Some(source) = is(source.clone()).await {
            return Ok(source);
        }
        let others = self.members().into_iter().filter(|(name, _)| *name != source.0).map(is);
        futures_util::future::join_all(others).await.into_iter().flatten().next().ok_or_else(|| {
            EngineError::rule(
                ErrorCode::NotFound,
                format!("target_server_id: no server of this desktop's (that answers now) is {server_id}"),
            )
        })
    }

    /// Copies container `id` of `source` to `target` (another member) as `req` asks.
    pub(super) async fn carry(
        &self,
        source: &Member,
        target: &Member,
        id: ContainerId,
        req: ContainerCopy,
    ) -> Result<Container> {
        let project = req.target_project_id.as_deref().ok_or_else(|| {
            EngineError::rule(
                ErrorCode::InvalidField,
                format!("target_project_id: a copy to {} goes into one of its projects: name it", target.0),
            )
        })?;
        let project = ProjectId::parse(project)?;
        crate::containers::refuse_kvm(req.kvm, req.dev_kvm)?;
        let export =
            source.1.create_export(id, (), ExportCreate { source_snapshot: req.source_snapshot.clone() }).await?;
        let made = self.import(source, target, &export, project, req).await;
        if let Err(e) = source.1.delete_export(export.id.clone(), (), ()).await {
            tracing::warn!(server = %source.0, export = %export.id, "cannot delete the export (it expires within the hour): {e}");
        }
        let made = made?;
        self.place(made.id.as_str(), &target.0);
        Ok(made)
    }

    /// Has `target` import `export`: announced, relayed, made; the import removed if it fails.
    async fn import(
        &self,
        source: &Member,
        target: &Member,
        export: &ContainerExport,
        project: ProjectId,
        req: ContainerCopy,
    ) -> Result<Container> {
        let announce = ImportCreate {
            source: Box::new(export.container.clone()),
            name: req.name,
            ssh_public_key: req.ssh_public_key,
            copy_network_rules: req.copy_network_rules,
            size_bytes: export.size_bytes,
            sha256: export.sha256.clone(),
        };
        let import = target.1.create_import(project, (), announce).await?;
        // Whether the target may have made it all the same (its answer to the finish was lost).
        let progress = Progress { events: self.events.clone(), export: export.clone(), target: target.0.clone() };
        let (made, unsure) = match relay(source.1.as_ref(), target.1.as_ref(), export, &import, &progress).await {
            Ok(()) => finish(target.1.as_ref(), &import).await,
            Err(e) => (Err(e), false),
        };
        if made.is_err() {
            // Gone already when the finish refused it (a checksum that did not hold).
            let _ = target.1.delete_import(import.id.clone(), (), ()).await;
        }
        made.map_err(|e| {
            let (name, target) = (&export.container.name, &target.0);
            let left = if unsure { "" } else { ", nothing is left of it there" };
            EngineError::rule(e.code(), format!("the copy of {name} to {target} failed{left}: {e}"))
        })
    }
}

/// Has the target make the container; answers too whether it may have made it although this
/// says it failed. A finish whose answer was lost may have been acted on: the container it
/// makes has the id the import gave it, so it is looked for before the copy is called failed.
async fn finish(target: &dyn Server, import: &ContainerImport) -> (Result<Container>, bool) {
    match target.finish_import(import.id.clone(), (), ()).await {
        Err(EngineError::Unanswered(lost)) => {
            let view = ContainerView { with_runtime: false };
            let found = target.get_container(import.container_id.clone(), view, ()).await.map_err(|_| {
                EngineError::Unanswered(format!(
                    "{lost}; it may have made {} (id {}) all the same: look for it there before copying again",
                    import.name, import.container_id
                ))
            });
            let unsure = found.is_err();
            (found, unsure)
        }
        made => (made, false),
    }
}

/// Relays the export's bytes to the import until the target has them all, going on from where
/// the target got to after a cut.
async fn relay(
    source: &dyn Server,
    target: &dyn Server,
    export: &ContainerExport,
    import: &ContainerImport,
    progress: &Progress,
) -> Result<()> {
    let (mut cuts, mut at) = (0, import.received_bytes);
    loop {
        if at == export.size_bytes {
            progress.report(at);
            return Ok(());
        }
        let sent = match source.export_bytes(export.id.clone(), at).await {
            Ok(bytes) => {
                let bytes = progress.counting(bytes, at);
                target.import_bytes(import.id.clone(), at, bytes).await.map(|got| got.received_bytes)
            }
            Err(e) => Err(e),
        };
        let before = at;
        at = match sent {
            Ok(received) => received,
            Err(e) if resumable(&e) => target.get_import(import.id.clone(), (), ()).await?.received_bytes,
            Err(e) => return Err(e),
        };
        cuts = if at > before { 0 } else { cuts + 1 };
        if cuts > RESUMES {
            return Err(EngineError::Unanswered(format!(
                "the transfer stopped at byte {at} of {} and did not go further after {RESUMES} more tries",
                export.size_bytes
            )));
        }
        if cuts > 0 {
            tokio::time::sleep(RESUME_AFTER * 2u32.pow(cuts - 1)).await;
        }
    }
}

/// How far a copy's bytes have got, told as progress of its source (its card and the copy's
/// dialog show it): at most every [`REPORT_EVERY`], and once all are in.
#[derive(Clone)]
struct Progress {
    events: tokio::sync::broadcast::Sender<FleetEvent>,
    export: ContainerExport,
    target: String,
}

const REPORT_EVERY: Duration = Duration::from_millis(250);

impl Progress {
    fn report(&self, done: u64) {
        let source = &self.export.container;
        let _ = self.events.send(FleetEvent::Container(ContainerEvent {
            kind: EventKind::Progress,
            container_id: source.id.clone(),
            project_id: source.project_id.clone(),
            realm_ids: source.realm_ids.clone(),
            from: None,
            to: source.status,
            reason: None,
            trigger: None,
            at: crate::now(),
            progress: Some(WorkProgress {
                stage: format!("copying to {}", self.target),
                done,
                total: self.export.size_bytes,
            }),
        }));
    }

    /// `bytes` (from byte `from` of the layer on), reported as they pass.
    fn counting(&self, bytes: ByteStream, from: u64) -> ByteStream {
        let progress = self.clone();
        let (mut done, mut last) = (from, std::time::Instant::now());
        Box::pin(bytes.inspect(move |chunk| {
            if let Ok(chunk) = chunk {
                done += chunk.len() as u64;
                if last.elapsed() >= REPORT_EVERY {
                    last = std::time::Instant::now();
                    progress.report(done);
                }
            }
        }))
    }
}

/// A failure the relay goes on after: the bytes stopped coming, an answer was lost, or the
/// target has more than the relay knew (what a cut write had sent reached it after the relay
/// asked how far it had got).
fn resumable(e: &EngineError) -> bool {
    matches!(e, EngineError::Unanswered(_)) || matches!(e.code(), ErrorCode::RuntimeUnavailable | ErrorCode::WrongState)
}
