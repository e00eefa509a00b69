//! The OpenAPI 3.1 document of the API. Schemas come from the model types (utoipa); the routes
//! are one table here, next to which the router in `routes/mod.rs` must stay in step (a test
//! calls every route and validates its answer against this document).

use crate::envelope::ApiError;
use hoody_model::*;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(components(schemas(
    ApiError,
    Container,
    ContainerCreate,
    ContainerUpdate,
    ContainerStatus,
    ContainerEvent,
    CreatedToken,
    ErrorCode,
    EventKind,
    WorkProgress,
    Image,
    Operation,
    Pagination,
    container::ProcessInfo,
    container::KitServiceInfo,
    Project,
    ProjectCreate,
    ProjectUpdate,
    Realm,
    RealmCreate,
    Rental,
    RuntimeInfo,
    Server,
    ServerStatus,
    Snapshot,
    SnapshotCreate,
    StatusLogEntry,
    Token,
    TokenCreate,
    Trigger,
    ContainerId,
    ProjectId,
    RealmId,
    ServerId,
    SnapshotId,
    TokenId,
    Id
)))]
struct Schemas;

/// What `data` holds in a success answer.
enum Data {
    One(&'static str),
    Many(&'static str),
    /// `{ <key>: [<schema>], pagination }`
    Page(&'static str, &'static str),
}

struct Route {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
    status: u16,
    data: Data,
    errors: &'static [u16],
    query: &'static [(&'static str, &'static str)],
}

const PAGE: &[(&str, &str)] = &[("page", "Page number, from 1"), ("limit", "Items per page, 1-200 (default 20)")];
const LIST: &[(&str, &str)] = &[
    ("page", "Page number, from 1"),
    ("limit", "Items per page, 1-200 (default 20)"),
    ("sort_by", "created_at | updated_at | name | status"),
    ("sort_order", "asc | desc (default desc)"),
    ("status", "Only containers in this status"),
    ("name", "Only names containing this (case-insensitive)"),
    ("project_id", "Only this project's containers"),
    ("realm_id", "Only containers in this realm"),
    ("runtime", "true: add runtime_info to running containers"),
];
const RUNTIME: &[(&str, &str)] = &[("runtime", "true: add runtime_info when the container runs")];

#[rustfmt::skip]
const ROUTES: &[Route] = &[
    Route { method: "post", path: "/projects/", summary: "Create a project", body: Some("ProjectCreate"), status: 201, data: Data::One("Project"), errors: &[400, 401, 403], query: &[] },
    Route { method: "get", path: "/projects", summary: "List projects", body: None, status: 200, data: Data::Page("projects", "Project"), errors: &[400, 401], query: PAGE },
    Route { method: "get", path: "/projects/{id}", summary: "Get a project", body: None, status: 200, data: Data::One("Project"), errors: &[400, 401, 404], query: &[] },
    Route { method: "put", path: "/projects/{id}", summary: "Update a project", body: Some("ProjectUpdate"), status: 200, data: Data::One("Project"), errors: &[400, 401, 403, 404], query: &[] },
    Route { method: "patch", path: "/projects/{id}", summary: "Update a project", body: Some("ProjectUpdate"), status: 200, data: Data::One("Project"), errors: &[400, 401, 403, 404], query: &[] },
    Route { method: "delete", path: "/projects/{id}", summary: "Delete a project and its containers", body: None, status: 200, data: Data::One("Project"), errors: &[400, 401, 404, 409, 503], query: &[] },
    Route { method: "get", path: "/projects/{id}/containers", summary: "List a project's containers", body: None, status: 200, data: Data::Page("containers", "Container"), errors: &[400, 401, 404], query: LIST },
    Route { method: "post", path: "/projects/{id}/containers", summary: "Create a container", body: Some("ContainerCreate"), status: 201, data: Data::One("Container"), errors: &[400, 401, 403, 404, 409], query: &[] },
    Route { method: "get", path: "/containers/", summary: "List containers", body: None, status: 200, data: Data::Page("containers", "Container"), errors: &[400, 401], query: LIST },
    Route { method: "get", path: "/containers/{id}", summary: "Get a container", body: None, status: 200, data: Data::One("Container"), errors: &[400, 401, 404, 503], query: RUNTIME },
    Route { method: "put", path: "/containers/{id}", summary: "Update a container", body: Some("ContainerUpdate"), status: 200, data: Data::One("Container"), errors: &[400, 401, 403, 404, 409], query: &[] },
    Route { method: "patch", path: "/containers/{id}", summary: "Update a container", body: Some("ContainerUpdate"), status: 200, data: Data::One("Container"), errors: &[400, 401, 403, 404, 409], query: &[] },
    Route { method: "delete", path: "/containers/{id}", summary: "Delete a container (stopping it first)", body: None, status: 200, data: Data::One("Container"), errors: &[400, 401, 404, 409, 503], query: &[] },
    Route { method: "post", path: "/containers/{id}/{operation}", summary: "start | stop | force-stop | restart | pause | resume", body: None, status: 200, data: Data::One("Container"), errors: &[400, 401, 404, 409, 500, 503], query: &[] },
    Route { method: "post", path: "/containers/{id}/copy", summary: "Copy a container", body: None, status: 201, data: Data::One("Container"), errors: &[400, 401, 404, 409, 501, 503], query: &[] },
    Route { method: "get", path: "/containers/{id}/snapshots", summary: "List snapshots", body: None, status: 200, data: Data::Many("Snapshot"), errors: &[400, 401, 404], query: &[] },
    Route { method: "post", path: "/containers/{id}/snapshots", summary: "Take a snapshot", body: Some("SnapshotCreate"), status: 201, data: Data::One("Snapshot"), errors: &[400, 401, 404, 409, 501, 503], query: &[] },
    Route { method: "put", path: "/containers/{id}/snapshots/{name}", summary: "Restore a snapshot", body: None, status: 200, data: Data::One("Container"), errors: &[400, 401, 404, 409, 501, 503], query: &[] },
    Route { method: "delete", path: "/containers/{id}/snapshots/{name}", summary: "Delete a snapshot", body: None, status: 200, data: Data::One("Snapshot"), errors: &[400, 401, 404, 501, 503], query: &[] },
    Route { method: "get", path: "/containers/{id}/stats", summary: "Live figures of a running container", body: None, status: 200, data: Data::One("RuntimeInfo"), errors: &[400, 401, 404, 409, 503], query: &[] },
    Route { method: "get", path: "/containers/{id}/status-logs", summary: "Status changes of a container", body: None, status: 200, data: Data::Many("StatusLogEntry"), errors: &[400, 401, 404], query: &[] },
    Route { method: "get", path: "/rentals", summary: "Servers to place containers on", body: None, status: 200, data: Data::Many("Rental"), errors: &[401], query: &[] },
    Route { method: "get", path: "/servers", summary: "List servers", body: None, status: 200, data: Data::Many("Server"), errors: &[401], query: &[] },
    Route { method: "get", path: "/servers/{id}", summary: "Get a server", body: None, status: 200, data: Data::One("Server"), errors: &[400, 401, 404], query: &[] },
    Route { method: "get", path: "/images/public", summary: "Images in the local store", body: None, status: 200, data: Data::Many("Image"), errors: &[400, 401], query: &[("os", "Only images of this OS (debian, ubuntu, alpine…), any case")] },
    Route { method: "get", path: "/realms/", summary: "List realms", body: None, status: 200, data: Data::Many("Realm"), errors: &[401], query: &[] },
    Route { method: "post", path: "/realms/", summary: "Create a realm", body: Some("RealmCreate"), status: 201, data: Data::One("Realm"), errors: &[400, 401, 403, 409], query: &[] },
    Route { method: "post", path: "/auth/tokens", summary: "Create an API token (optionally realm-scoped)", body: Some("TokenCreate"), status: 201, data: Data::One("CreatedToken"), errors: &[400, 401, 403], query: &[] },
];

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn data_schema(data: &Data) -> Value {
    match data {
        Data::One(s) => schema_ref(s),
        Data::Many(s) => json!({ "type": "array", "items": schema_ref(s) }),
        Data::Page(key, s) => json!({
            "type": "object",
            "required": [key, "pagination"],
            "properties": { *key: { "type": "array", "items": schema_ref(s) }, "pagination": schema_ref("Pagination") },
        }),
    }
}

fn operation(r: &Route) -> Value {
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    params.extend(r.query.iter().map(|(name, description)| {
        json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
    }));
    let mut responses = Map::new();
    responses.insert(
        r.status.to_string(),
        json!({
            "description": r.summary,
            "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["statusCode", "message", "data"],
                "properties": {
                    "statusCode": { "type": "integer", "const": r.status },
                    "message": { "type": "string" },
                    "data": data_schema(&r.data),
                },
            } } },
        }),
    );
    for code in r.errors {
        responses.insert(
            code.to_string(),
            json!({ "description": "An error in the platform's shape", "content": { "application/json": { "schema": schema_ref("ApiError") } } }),
        );
    }
    let mut op = json!({ "summary": r.summary, "parameters": params, "responses": responses });
    if let Some(body) = r.body {
        op["requestBody"] =
            json!({ "required": true, "content": { "application/json": { "schema": schema_ref(body) } } });
    }
    op
}

/// The whole document, as served at `/api/v1/openapi.json` and committed as `openapi.json`.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(Schemas::openapi()).expect("the OpenAPI document serialises");
    doc["info"] = json!({
        "title": "Hoody API (hoodyd)",
        "description": "The Hoody platform's REST API as served by hoodyd over the local engine.",
        "version": env!("CARGO_PKG_VERSION"),
    });
    doc["servers"] = json!([{ "url": "/api/v1" }]);
    doc["components"]["securitySchemes"] = json!({ "bearer": { "type": "http", "scheme": "bearer" } });
    doc["security"] = json!([{ "bearer": [] }]);
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path).or_insert_with(|| json!({}));
        entry[r.method] = operation(r);
    }
    doc["paths"] = Value::Object(paths);
    doc
}
