//! The OpenAPI 3.1 document of the API. Schemas come from the model types (utoipa); the paths
//! from the engine's declaration of the operations, the same table the router is built from
//! (a test calls every route and validates its answer against this document).

use crate::envelope::ApiError;
use hoody_engine::server::{Data, Method, OPERATIONS, OperationSpec};
use hoody_model::*;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(components(schemas(
    ApiError,
    Container,
    ContainerCreate,
    ContainerUpdate,
    ContainerCopy,
    CommandRequest,
    CommandRun,
    ServerCommand,
    KvmSettings,
    NetworkConfig,
    NetworkConfigUpdate,
    ContainerStatus,
    ContainerEvent,
    ContainerLogs,
    CreatedToken,
    ErrorCode,
    EventKind,
    EventStats,
    EventsCleanup,
    EventsRemoved,
    LoggedEvent,
    WorkProgress,
    Image,
    ImageStatus,
    ImageWork,
    EnvVarsText,
    EnvVarValue,
    ImageBuild,
    ImageImport,
    Operation,
    Pagination,
    container::ProcessInfo,
    container::KitServiceInfo,
    Project,
    ProxyPermissions,
    ProxyGroup,
    ProxyPermissionsReplace,
    ProxyDefault,
    ProxyState,
    ProxyPasswordGroup,
    ProxyTokenGroup,
    ProxyIpGroup,
    ProxyJwtGroup,
    ProxyAccess,
    ProxySettings,
    ProxySettingsUpdate,
    NamedProxyGroup,
    ProxyService,
    FirewallRule,
    FirewallRules,
    FirewallRuleCreate,
    FirewallRuleMatch,
    ProxyHook,
    ProxyHooks,
    ProxyHookWrite,
    HookPosition,
    HookMatch,
    HookScript,
    HookAppliesTo,
    ProjectCreate,
    ProjectUpdate,
    ProjectStats,
    StorageShare,
    StorageShareCreate,
    StorageShareUpdate,
    StorageShareFilter,
    IncomingShare,
    ContainerExport,
    ContainerImport,
    ExportCreate,
    ImportCreate,
    IncomingMount,
    ProjectPermission,
    ProjectPermissionCreate,
    ProjectPermissionUpdate,
    PermissionLevel,
    Realm,
    RealmCreate,
    Rental,
    RuntimeInfo,
    Server,
    ServerStatus,
    Snapshot,
    SnapshotCreate,
    SnapshotAlias,
    StatusLogEntry,
    Token,
    TokenCreate,
    TokenUpdate,
    TokenCopy,
    TokenPublicProfile,
    PublicProfile,
    TokenRealm,
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

fn operation(r: &OperationSpec) -> Value {
    let mut params: Vec<Value> = r
        .path_params()
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
                    "data": data_schema(&(r.data)()),
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
    for r in OPERATIONS {
        let entry = paths.entry(r.path).or_insert_with(|| json!({}));
        for method in r.methods {
            entry[Method::as_str(*method)] = operation(r);
        }
    }
    layer_paths(&mut paths);
    doc["paths"] = Value::Object(paths);
    doc
}

/// The two routes whose bodies are a container's layer (a tar), not JSON.
fn layer_paths(paths: &mut Map<String, Value>) {
    let id = |name: &str| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } });
    let tar = json!({ "application/x-tar": { "schema": { "type": "string", "format": "binary" } } });
    paths.insert(
        "/exports/{export}/layer".into(),
        json!({ "get": {
            "operationId": "export_layer",
            "summary": "An export's layer (a tar), from the byte a `Range: bytes=N-` header names (206) or whole",
            "parameters": [id("export"), { "name": "Range", "in": "header", "schema": { "type": "string" } }],
            "responses": {
                "200": { "description": "The whole layer", "content": tar },
                "206": { "description": "The layer from the byte asked for", "content": tar },
                "400": { "description": "Bad Request" }, "401": { "description": "Unauthorized" },
                "404": { "description": "Not Found" },
            },
        }}),
    );
    let answer = json!({ "application/json": { "schema": {
        "type": "object",
        "required": ["statusCode", "message", "data"],
        "properties": {
            "statusCode": { "type": "integer", "const": 200 },
            "message": { "type": "string" },
            "data": schema_ref("ContainerImport"),
        },
    } } });
    paths.insert(
        "/imports/{import}/layer".into(),
        json!({ "put": {
            "operationId": "import_layer",
            "summary": "Add bytes of the layer to an import, from byte `offset` (where it has got to)",
            "parameters": [id("import"), { "name": "offset", "in": "query", "schema": { "type": "integer" } }],
            "requestBody": { "required": true, "content": tar },
            "responses": {
                "200": { "description": "How far the import has got", "content": answer },
                "400": { "description": "Bad Request" }, "401": { "description": "Unauthorized" },
                "404": { "description": "Not Found" }, "409": { "description": "Conflict: send from the byte it has got to" },
            },
        }}),
    );
}
