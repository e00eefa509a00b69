mod events;
mod layers;
mod operations;

use crate::AppState;
use crate::envelope::ApiError;
use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::response::IntoResponse;
use axum::routing::get;
use hoody_model::ErrorCode;

/// Every declared operation, the live event stream and the OpenAPI document, under `/api/v1`.
pub(crate) fn router(state: AppState) -> Router {
    let mut api = Router::new();
    for (path, methods) in operations::routes() {
        api = api.route(&path, methods);
    }
    let api = api
        .route(events::STREAM, get(events::stream))
        .route(layers::EXPORT, get(layers::export))
        .route(layers::IMPORT, axum::routing::put(layers::import))
        .route("/openapi.json", get(openapi))
        .layer(axum::middleware::from_fn_with_state(state.clone(), events::stream_when_asked));
    Router::new()
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The OpenAPI document of this server (public: it holds no data).
async fn openapi() -> axum::response::Response {
    axum::Json(crate::openapi::document()).into_response()
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route {}: see /api/v1/openapi.json for the routes this server has", uri.path()),
    )
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    let mut e = ApiError::new(ErrorCode::InvalidRequest, format!("{method} is not allowed on {}", uri.path()));
    e.status_code = 405;
    e.error = "Method Not Allowed".into();
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, axum::Json(e)).into_response()
}

/// Query parameters as given; a malformed query string is a 400 in the platform's shape.
pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| {
        ApiError::new(ErrorCode::InvalidRequest, format!("the query string is malformed: {}", e.body_text()))
    })
}
