//! The sqlite service on a real container: transactions, shareable queries and the KV store,
//! data that outlives a restart, and database paths that cannot reach the host.

use crate::proxy::{browser, server_with};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn sqlite_service_keeps_data_inside_the_container() {
    let (_dir, d, _, c) = server_with("ledger").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let base = format!("{}/api/v1/sqlite", c["urls"]["sqlite-1"].as_str().expect("a sqlite URL"));
    let http = browser(&d, &base);
    let post = |q: &str, body: Value| http.post(format!("{base}/db?{q}")).json(&body).send();

    // No database yet, and no creation unless asked.
    let tx = json!({"transaction": [{"statement": "CREATE TABLE entries (id INTEGER PRIMARY KEY, note TEXT, amount REAL)"}]});
    let r = post("db=ledger", tx.clone()).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "DB_NOT_FOUND");
    let r = post("db=ledger&create_db_if_missing=true", tx).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let r: Value = post(
        "db=./ledger",
        json!({"transaction": [
            {"statement": "INSERT INTO entries (note, amount) VALUES (?, ?)", "values": ["first", 1.5]},
            {"statement": "INSERT INTO entries (note, amount) VALUES (:note, :amount)",
             "valuesBatch": [{":note": "second", ":amount": 2}, {":note": "third", ":amount": null}]},
            {"query": "SELECT note, amount FROM entries ORDER BY id"}
        ]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(r["results"][0]["rowsUpdated"], 1);
    assert_eq!(r["results"][1]["rowsUpdated"], 2);
    assert_eq!(
        r["results"][2]["resultSet"],
        json!([{"note": "first", "amount": 1.5}, {"note": "second", "amount": 2.0}, {"note": "third", "amount": null}])
    );

    // A failing step rolls the whole transaction back and names the step.
    let r = post(
        "db=ledger",
        json!({"transaction": [
            {"statement": "INSERT INTO entries (note) VALUES ('lost')"},
            {"statement": "INSERT INTO nowhere VALUES (1)"}
        ]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().starts_with("step 2:"), "{body}");

    // Shareable queries: base64 SQL, read-only.
    let count = |http: reqwest::Client, base: String| async move {
        let sql = "U0VMRUNUIGNvdW50KCopLCBtYXgobm90ZSkgRlJPTSBlbnRyaWVz"; // SELECT count(*), max(note) FROM entries
        let r: Value =
            http.get(format!("{base}/query?db=ledger&sql={sql}")).send().await.unwrap().json().await.unwrap();
        r
    };
    let r = count(http.clone(), base.clone()).await;
    assert_eq!(r, json!({"columns": ["count(*)", "max(note)"], "rows": [[3, "third"]]}));
    let delete = "REVMRVRFIEZST00gZW50cmllcw=="; // DELETE FROM entries
    let r = http.get(format!("{base}/query?db=ledger&sql={delete}")).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // The key-value store: JSON values in, the same JSON out.
    let kv = format!("{base}/kv");
    let r =
        http.put(format!("{kv}/greeting?db=ledger")).body(r#"{"hello": "world", "n": [1, 2]}"#).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let r = http.put(format!("{kv}/greeting?db=ledger")).body("not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = http.get(format!("{kv}/greeting?db=ledger")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-updated-at"));
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"hello": "world", "n": [1, 2]}));
    http.put(format!("{kv}/other%2Fkey?db=ledger")).body("42").send().await.unwrap();
    let list: Value = http.get(format!("{kv}?db=ledger")).send().await.unwrap().json().await.unwrap();
    let keys: Vec<&str> = list["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["greeting", "other/key"]);
    assert_eq!(http.delete(format!("{kv}/greeting?db=ledger")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{kv}/greeting?db=ledger")).send().await.unwrap().status(), 404);

    // The database is a file in the container, where its files service sees it.
    let files = c["urls"]["files-1"].as_str().unwrap();
    let r =
        browser(&d, files).get(format!("{files}/api/v1/files/stat/hoody/databases/ledger.db")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // A database on the host, and a link to it planted inside the container: the link resolves
    // in the container's root, where there is no such file, so nothing of the host is read.
    let host_dir = tempfile::tempdir().unwrap();
    let host_db = host_dir.path().join("host.db");
    std::process::Command::new("sqlite3")
        .arg(&host_db)
        .arg("CREATE TABLE secret (v TEXT); INSERT INTO secret VALUES ('host-only');")
        .status()
        .unwrap();
    let init = c["runtime_info"]["processes"].as_array().unwrap().iter().find(|p| p["pid"] == 1).unwrap();
    let inside = format!("/proc/{}/root/hoody/databases/evil.db", init["host_pid"]);
    std::os::unix::fs::symlink(&host_db, &inside).unwrap();
    let secret = "U0VMRUNUIHYgRlJPTSBzZWNyZXQ="; // SELECT v FROM secret
    for db in ["evil", &host_db.display().to_string()] {
        let r = http.get(format!("{base}/query?db={db}&sql={secret}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{db}");
        assert!(!r.text().await.unwrap().contains("host-only"));
    }
    // A container file that is not a database is refused, and left as it was.
    let r = http.get(format!("{base}/query?db=/etc/passwd&sql={secret}")).send().await.unwrap();
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()["error"].clone()),
        (400, json!("INVALID_SQLITE_HEADER"))
    );

    // Rows survive a restart of the container.
    d.client.raw(Method::POST, &format!("/containers/{id}/stop"), None).await.unwrap();
    d.client.raw(Method::POST, &format!("/containers/{id}/start"), None).await.unwrap();
    let after = count(http.clone(), base.clone()).await;
    assert_eq!(after["rows"], json!([[3, "third"]]));
    d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap();
}
