//! A container carried through its export and an import on a real hoodyd (what a copy to
//! another server is made of; the fleet's tests carry one between two): the export's layer is
//! read whole or from a byte on; an import takes its bytes at the offset it has got to, and
//! becomes a container only when every byte is in and the SHA-256 holds. Bad input — bad ids,
//! a wrong offset, too many bytes, a wrong checksum, a taken name — is refused and makes
//! nothing.

use crate::process::Hoodyd;
use crate::proxy::{server_with, wait_running};
use futures_util::StreamExt;
use hoody_client::ClientError;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

async fn call(d: &Hoodyd, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = d.client.raw(method, path, body.as_ref()).await.unwrap();
    (r.status, r.body)
}

/// The export's layer from byte `offset` on, or the server's refusal (status, code).
async fn layer(d: &Hoodyd, export: &str, offset: u64) -> Result<Vec<u8>, (u16, String)> {
    let refused =
        |e: ClientError| (e.status().unwrap_or(0), e.code().map(|c| c.as_str().to_owned()).unwrap_or_default());
    let mut chunks = d.client.download(&format!("/exports/{export}/layer"), offset).await.map_err(refused)?;
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    Ok(bytes)
}

/// Sends `bytes` to the import from `offset`: its answer's `data`, or (status, message).
async fn send(d: &Hoodyd, import: &str, offset: u64, bytes: &[u8]) -> Result<Value, (u16, String)> {
    let path = format!("/imports/{import}/layer?offset={offset}");
    d.client.upload(&path, reqwest::Body::from(bytes.to_vec())).await.map_err(|e| match e {
        ClientError::Api { status, message, .. } => (status, message),
        other => panic!("{other}"),
    })
}

/// `announce` with its source's `field` set to `value`.
fn with_source(announce: &Value, field: &str, value: Value) -> Value {
    let mut changed = announce.clone();
    changed["source"][field] = value;
    changed
}

fn count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn a_container_travels_through_its_export_and_an_import_and_bad_input_makes_nothing() {
    let (_dir, d, _, source) = server_with("traveller").await;
    let id = source["id"].as_str().unwrap().to_owned();

    // The export: the layer's size and SHA-256, the settings; bad input refused.
    let (status, answer) = call(&d, Method::POST, &format!("/containers/{id}/exports"), None).await;
    assert_eq!(status, 201, "{answer}");
    let export = answer["data"].clone();
    let export_id = export["id"].as_str().unwrap().to_owned();
    assert_eq!(export["container"]["name"], "traveller");
    let (status, answer) =
        call(&d, Method::POST, &format!("/containers/{id}/exports"), Some(json!({"source_snapshot": "nope"}))).await;
    assert_eq!(status, 404, "{answer}");
    let (status, answer) =
        call(&d, Method::POST, &format!("/containers/{id}/exports"), Some(json!({"colour": "red"}))).await;
    assert_eq!(status, 400, "{answer}");

    // Its layer, whole and from a byte on; bad ids and offsets refused.
    let whole = layer(&d, &export_id, 0).await.unwrap();
    assert_eq!(whole.len() as u64, export["size_bytes"].as_u64().unwrap());
    assert_eq!(hex::encode(Sha256::digest(&whole)), export["sha256"].as_str().unwrap());
    assert_eq!(layer(&d, &export_id, 1000).await.unwrap(), whole[1000..]);
    let past = whole.len() as u64 + 1;
    assert_eq!(layer(&d, &export_id, past).await.unwrap_err(), (400, "invalid_field".into()));
    assert_eq!(layer(&d, "not-an-id", 0).await.unwrap_err(), (400, "invalid_id".into()));
    assert_eq!(layer(&d, &"0".repeat(24), 0).await.unwrap_err(), (404, "not_found".into()));

    // An import announced with a wrong checksum takes its bytes, and refuses to become a
    // container: nothing is made, the import is gone.
    let (_, answer) = call(&d, Method::POST, "/projects/", Some(json!({"alias": "arrivals"}))).await;
    let project = answer["data"]["id"].as_str().unwrap().to_owned();
    let imports = format!("/projects/{project}/imports");
    let announce = |name: &str, sha256: &str| json!({"source": export["container"], "name": name, "size_bytes": whole.len(), "sha256": sha256});
    for (bad, field) in [
        (announce("fine", "xyz"), "sha256"),
        (announce("not a name!", export["sha256"].as_str().unwrap()), "name"),
        (json!({"size_bytes": 1, "sha256": "0".repeat(64)}), "source"),
        (with_source(&announce("tinted", export["sha256"].as_str().unwrap()), "color", json!("not a colour")), "colo"),
        (with_source(&announce("kitless", export["sha256"].as_str().unwrap()), "hoody_kit", json!(false)), "dev_kit"),
    ] {
        let (status, answer) = call(&d, Method::POST, &imports, Some(bad)).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["message"].as_str().unwrap().contains(field), "{field}: {answer}");
    }
    let (status, answer) = call(&d, Method::POST, &imports, Some(announce("forged", &"0".repeat(64)))).await;
    assert_eq!(status, 201, "{answer}");
    let forged = answer["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(send(&d, &forged, 0, &whole).await.unwrap()["received_bytes"].as_u64(), Some(whole.len() as u64));
    let (status, answer) = call(&d, Method::POST, &format!("/imports/{forged}/container"), None).await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("checksum_mismatch")), "{answer}");
    assert_eq!(call(&d, Method::GET, &format!("/imports/{forged}"), None).await.0, 404);

    // The real one, in two pieces: a wrong offset is refused with where to go on from, bytes
    // past the announced size are refused and not kept, finishing early is refused.
    let (status, answer) =
        call(&d, Method::POST, &imports, Some(announce("arrived", export["sha256"].as_str().unwrap()))).await;
    assert_eq!(status, 201, "{answer}");
    let import = answer["data"]["id"].as_str().unwrap().to_owned();
    let half = whole.len() / 2;
    send(&d, &import, 0, &whole[..half]).await.unwrap();
    let (status, message) = send(&d, &import, 0, &whole[..half]).await.unwrap_err();
    assert_eq!(status, 409);
    assert!(message.contains(&format!("send from byte {half}")), "{message}");
    let (status, answer) = call(&d, Method::POST, &format!("/imports/{import}/container"), None).await;
    assert_eq!(status, 409, "{answer}");
    let mut too_much = whole[half..].to_vec();
    too_much.push(0);
    assert_eq!(send(&d, &import, half as u64, &too_much).await.unwrap_err().0, 400);
    let (_, answer) = call(&d, Method::GET, &format!("/imports/{import}"), None).await;
    assert!(answer["data"]["received_bytes"].as_u64().unwrap() < whole.len() as u64, "{answer}");
    let at = answer["data"]["received_bytes"].as_u64().unwrap();
    send(&d, &import, at, &whole[at as usize..]).await.unwrap();
    let (status, answer) = call(&d, Method::POST, &format!("/imports/{import}/container"), None).await;
    assert_eq!(status, 201, "{answer}");
    let arrived = answer["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (answer["data"]["name"].as_str(), answer["data"]["project_id"].as_str()),
        (Some("arrived"), Some(project.as_str()))
    );
    // Its source ran, so it does: its web server answers.
    wait_running(&d, &arrived).await;
    assert_eq!(call(&d, Method::POST, &format!("/imports/{import}/container"), None).await.0, 404, "made once");

    // A taken name: the bytes arrive, the container is refused, its files go with it.
    let bundles = count(&d.data_dir.join("containers"));
    let (_, answer) =
        call(&d, Method::POST, &imports, Some(announce("arrived", export["sha256"].as_str().unwrap()))).await;
    let twin = answer["data"]["id"].as_str().unwrap().to_owned();
    send(&d, &twin, 0, &whole).await.unwrap();
    let (status, answer) = call(&d, Method::POST, &format!("/imports/{twin}/container"), None).await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("duplicate_name")), "{answer}");
    assert_eq!(count(&d.data_dir.join("containers")), bundles, "no files of the refused container");

    // Deleting the export and an import leaves nothing of either.
    let (_, answer) =
        call(&d, Method::POST, &imports, Some(announce("abandoned", export["sha256"].as_str().unwrap()))).await;
    let abandoned = answer["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(call(&d, Method::DELETE, &format!("/imports/{abandoned}"), None).await.0, 200);
    assert_eq!(call(&d, Method::DELETE, &format!("/exports/{export_id}"), None).await.0, 200);
    assert_eq!(call(&d, Method::GET, &format!("/exports/{export_id}"), None).await.0, 404);
    assert_eq!(count(&d.data_dir.join("transfers")), 0, "no transfer files left");
    for c in [&id, &arrived] {
        assert_eq!(call(&d, Method::DELETE, &format!("/containers/{c}"), None).await.0, 200);
    }
}
