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

/// The KV store as the platform documents it: `if_match` (a stale ETag is a 412 that writes
/// nothing; it used to overwrite), `ttl` (an expired key is gone; it used to be ignored),
/// incr/decr, push/pop/remove, batches, a list's window, a table made before expiries; what is
/// documented but not kept here (paths inside values, reads of a key as it was) a 501 naming it.
#[tokio::test]
async fn kv_store_as_the_platform_documents_it() {
    let (_dir, d, _, c) = server_with("keyed").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let base = format!("{}/api/v1/sqlite", c["urls"]["sqlite-1"].as_str().expect("a sqlite URL"));
    let http = browser(&d, &base);
    let kv = format!("{base}/kv");
    let send = |method: Method, path: &str, body: Option<Value>| {
        let mut request = http.request(method, format!("{kv}{path}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let r = request.send().await.unwrap();
            let (status, etag) = (r.status().as_u16(), r.headers().get("etag").map(|v| v.to_str().unwrap().to_owned()));
            (status, r.json::<Value>().await.unwrap_or(Value::Null), etag)
        }
    };

    // A table made by an older kit (no expiry column) is read and then upgraded in place.
    let old = json!({"transaction": [
        {"statement": "CREATE TABLE kv_store (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)"},
        {"statement": "INSERT INTO kv_store VALUES ('legacy', '\"kept\"', 1, 1)"}]});
    let r = http.post(format!("{base}/db?db=keyed&create_db_if_missing=true")).json(&old).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(send(Method::GET, "/legacy?db=keyed", None).await.1, json!("kept"));

    // if_match: the ETag read is the one a write must name.
    let (status, _, _) = send(Method::PUT, "/doc?db=keyed", Some(json!({"v": 1}))).await;
    assert_eq!(status, 201);
    let (_, _, etag) = send(Method::GET, "/doc?db=keyed", None).await;
    let etag = etag.expect("an ETag").trim_matches('"').to_owned();
    let (status, answer, _) = send(Method::PUT, &format!("/doc?db=keyed&if_match={etag}"), Some(json!({"v": 2}))).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer, _) = send(Method::PUT, &format!("/doc?db=keyed&if_match={etag}"), Some(json!({"v": 3}))).await;
    assert_eq!((status, answer["error"].as_str()), (412, Some("PRECONDITION_FAILED")), "{answer}");
    assert_eq!(send(Method::GET, "/doc?db=keyed", None).await.1, json!({"v": 2}), "the stale write changed nothing");
    let stale = http.put(format!("{kv}/doc?db=keyed")).header("if-match", format!("\"{etag}\"")).json(&json!(4));
    assert_eq!(stale.send().await.unwrap().status(), 412);
    assert_eq!(send(Method::PUT, "/new?db=keyed&if_match=*", Some(json!(1))).await.0, 412, "* needs a value");

    // ttl: gone once it passes.
    assert_eq!(send(Method::PUT, "/brief?db=keyed&ttl=1", Some(json!("soon gone"))).await.0, 201);
    assert_eq!(send(Method::GET, "/brief?db=keyed", None).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(send(Method::GET, "/brief?db=keyed", None).await.0, 404);
    let listed = send(Method::GET, "?db=keyed", None).await.1;
    assert!(!listed.to_string().contains("brief"), "{listed}");
    assert_eq!(send(Method::PUT, "/brief?db=keyed&ttl=0", Some(json!(1))).await.0, 400);

    // Counting and arrays.
    assert_eq!(send(Method::POST, "/hits/incr?db=keyed", None).await.1["value"], 1);
    assert_eq!(send(Method::POST, "/hits/incr?db=keyed&delta=10", None).await.1["value"], 11);
    assert_eq!(send(Method::POST, "/hits/decr?db=keyed&delta=2.5", None).await.1["value"], 8.5);
    assert_eq!(send(Method::POST, "/doc/incr?db=keyed", None).await.0, 409, "an object is not a number");
    for item in ["a", "b", "c"] {
        assert_eq!(send(Method::POST, "/queue/push?db=keyed", Some(json!(item))).await.0, 200);
    }
    assert_eq!(send(Method::POST, "/queue/pop?db=keyed", None).await.1["result"], "c");
    assert_eq!(send(Method::POST, "/queue/remove?db=keyed&index=0", None).await.1["value"], json!(["b"]));
    assert_eq!(send(Method::POST, "/queue/remove?db=keyed", Some(json!("b"))).await.1["value"], json!([]));
    assert_eq!(send(Method::POST, "/queue/pop?db=keyed", None).await.0, 404);

    // Batches.
    let items =
        json!({"items": [{"key": "x", "value": 1}, {"key": "y", "value": [2]}, {"key": "z", "value": "3", "ttl": 60}]});
    assert_eq!(send(Method::POST, "/batch/set?db=keyed", Some(items)).await.1["count"], 3);
    let got = send(Method::POST, "/batch/get?db=keyed", Some(json!({"keys": ["x", "y", "nope"]}))).await.1;
    assert_eq!((got["values"].clone(), got["missing"].clone()), (json!({"x": 1, "y": [2]}), json!(["nope"])));
    let gone = send(Method::POST, "/batch/delete?db=keyed", Some(json!({"keys": ["x", "y", "nope"]}))).await.1;
    assert_eq!(gone["deleted"], 2);
    let window = send(Method::GET, "?db=keyed&limit=2&offset=1", None).await.1;
    assert_eq!((window["count"].as_u64(), window["total"].as_u64()), (Some(2), Some(5)), "{window}");

    // Documented, not kept here: a 501 naming it; malformed: a 400.
    for (method, path, names) in
        [(Method::GET, "/doc?db=keyed&path=v", "path"), (Method::GET, "/doc?db=keyed&at_timestamp=1", "at_timestamp")]
    {
        let (status, answer, _) = send(method, path, None).await;
        assert_eq!((status, answer["error"].as_str()), (501, Some("NOT_IMPLEMENTED")), "{path}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(names), "{path}: {answer}");
    }
    assert_eq!(send(Method::POST, "/batch/set?db=keyed", Some(json!({"items": 5}))).await.0, 400);
    assert_eq!(send(Method::POST, "/hits/incr?db=keyed&delta=lots", None).await.0, 400);
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}

/// The histories: every KV write recorded (unless history=false) — a key's history, its value
/// after its Nth change, a key rolled back, the table at a time, what changed between two times,
/// the table rolled back (dry run first) — and the queries run on a database, with their
/// statistics, one entry deleted, all cleared.
#[tokio::test]
async fn kv_and_query_histories_as_the_platform_documents_them() {
    let (_dir, d, _, c) = server_with("remembering").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let base = format!("{}/api/v1/sqlite", c["urls"]["sqlite-1"].as_str().expect("a sqlite URL"));
    let http = browser(&d, &base);
    let send = |method: Method, path: &str, body: Option<Value>| {
        let mut request = http.request(method, format!("{base}{path}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let now_ms = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(20));

    assert_eq!(send(Method::PUT, "/kv/color?db=mem&create_db_if_missing=true", Some(json!("red"))).await.0, 201);
    assert_eq!(send(Method::PUT, "/kv/size?db=mem", Some(json!(1))).await.0, 201);
    pause().await;
    let before_blue = now_ms();
    pause().await;
    assert_eq!(send(Method::PUT, "/kv/color?db=mem", Some(json!("blue"))).await.0, 200);
    assert_eq!(send(Method::POST, "/kv/size/incr?db=mem&delta=2", None).await.0, 200);
    assert_eq!(send(Method::PUT, "/kv/quiet?db=mem&history=false", Some(json!(0))).await.0, 201);
    assert_eq!(send(Method::DELETE, "/kv/size?db=mem", None).await.0, 200);

    let (status, h) = send(Method::GET, "/kv/color/history?db=mem", None).await;
    assert_eq!(status, 200, "{h}");
    let values: Vec<&Value> = h["history"].as_array().unwrap().iter().map(|c| &c["value"]).collect();
    assert_eq!(values, [&json!("blue"), &json!("red")], "newest first: {h}");
    let (_, size) = send(Method::GET, "/kv/size/history?db=mem", None).await;
    let ops: Vec<&str> = size["history"].as_array().unwrap().iter().map(|c| c["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["delete", "incr", "set"], "{size}");
    assert_eq!(send(Method::GET, "/kv/quiet/history?db=mem", None).await.1["total"], 0, "history=false");
    let (_, first) = send(Method::GET, "/kv/color/snapshot?db=mem&op_number=1", None).await;
    assert_eq!(first["snapshot"]["value"], "red", "{first}");
    assert_eq!(send(Method::GET, "/kv/color/snapshot?db=mem&op_number=9", None).await.0, 404);
    assert_eq!(send(Method::GET, "/kv/color/snapshot?db=mem", None).await.0, 400, "op_number is required");

    // The table as it was, and what changed since.
    let (_, then) = send(Method::GET, &format!("/kv/snapshot?db=mem&timestamp={before_blue}"), None).await;
    assert_eq!(then["keys"], json!([{"key": "color", "value": "red"}, {"key": "size", "value": 1}]), "{then}");
    let (_, diff) = send(Method::GET, &format!("/kv/diff?db=mem&from={before_blue}&to={}", now_ms()), None).await;
    let changes: Vec<(&str, &str)> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap(), c["change"].as_str().unwrap()))
        .collect();
    assert_eq!(changes, [("color", "changed"), ("size", "removed")], "{diff}");
    assert_eq!(send(Method::GET, "/kv/diff?db=mem&from=5&to=1", None).await.0, 400);

    // The table rolled back: a dry run changes nothing; then color is red and size back.
    let dry = send(Method::POST, &format!("/kv/rollback?db=mem&to_timestamp={before_blue}&dry_run=true"), None).await.1;
    assert_eq!(dry["count"], 2, "{dry}");
    assert_eq!(send(Method::GET, "/kv/color?db=mem", None).await.1, "blue", "a dry run changes nothing");
    let body = json!({"exclude_keys": ["size"]});
    let done = send(Method::POST, &format!("/kv/rollback?db=mem&to_timestamp={before_blue}"), Some(body)).await.1;
    assert_eq!(done["count"], 1, "{done}");
    assert_eq!(send(Method::GET, "/kv/color?db=mem", None).await.1, "red");
    assert_eq!(send(Method::GET, "/kv/size?db=mem", None).await.0, 404, "excluded");
    // One key a step back: the rollback is itself a step.
    let (status, back) = send(Method::POST, "/kv/color/rollback?db=mem", None).await;
    assert_eq!((status, &back["value"]), (200, &json!("blue")), "{back}");
    assert_eq!(send(Method::POST, "/kv/color/rollback?db=mem&steps=99", None).await.0, 400);

    // The queries run on a database.
    let tx =
        json!({"transaction": [{"statement": "CREATE TABLE t (n)"}, {"statement": "INSERT INTO t VALUES (1), (2)"}]});
    assert_eq!(send(Method::POST, "/db?db=mem", Some(tx)).await.0, 200);
    let sql = "U0VMRUNUIG4gRlJPTSB0"; // SELECT n FROM t
    assert_eq!(send(Method::GET, &format!("/query?db=mem&sql={sql}"), None).await.0, 200);
    assert_eq!(send(Method::GET, "/query?db=mem&sql=U0VMRUNUIHggRlJPTSBub3doZXJl", None).await.0, 400); // a failing one
    let (status, history) = send(Method::GET, "/history?db=mem", None).await;
    assert_eq!(status, 200, "{history}");
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{history}");
    assert!(entries[0]["error"].as_str().unwrap().contains("nowhere"), "newest first, with its error: {history}");
    assert_eq!((entries[1]["sql"].as_str(), entries[1]["rows"].as_u64()), (Some("SELECT n FROM t"), Some(2)));
    assert_eq!(entries[2]["kind"], "transaction");
    let stats = send(Method::GET, "/history/stats?db=mem", None).await.1;
    assert_eq!(
        (stats["total"].as_u64(), stats["errors"].as_u64(), stats["queries"].as_u64()),
        (Some(3), Some(1), Some(2))
    );
    let index = entries[0]["index"].as_i64().unwrap();
    assert_eq!(send(Method::DELETE, &format!("/history/{index}?db=mem"), None).await.0, 200);
    assert_eq!(send(Method::DELETE, &format!("/history/{index}?db=mem"), None).await.0, 404);
    assert_eq!(send(Method::DELETE, "/history?db=mem", None).await.1["cleared"], 2);
    assert_eq!(send(Method::GET, "/history?db=nowhere", None).await.0, 404);
    let names = send(Method::GET, "/query?db=mem&sql=U0VMRUNUIG5hbWUgRlJPTSBzcWxpdGVfbWFzdGVy", None).await.1;
    assert!(!names.to_string().contains("queries"), "the query history is kept beside the database: {names}");
    assert_eq!(d.client.raw(Method::DELETE, &format!("/containers/{id}"), None).await.unwrap().status, 200);
}
