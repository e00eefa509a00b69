//! Pagination and list queries: page=1, limit=20, limit ≤ 200, as on the platform.

use crate::error::{ErrorCode, ModelError};
use crate::status::ContainerStatus;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, utoipa::ToSchema)]
#[ts(export)]
pub struct Pagination {
    pub total: u64,
    pub page: u32,
    pub limit: u32,
    #[serde(rename = "totalPages")]
    pub total_pages: u32,
}

impl Pagination {
    pub fn new(total: u64, page: PageRequest) -> Self {
        let total_pages = total.div_ceil(u64::from(page.limit)) as u32;
        Self { total, page: page.page, limit: page.limit, total_pages }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub limit: u32,
}

impl PageRequest {
    pub fn new(page: Option<i64>, limit: Option<i64>) -> Result<Self, ModelError> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(i64::from(DEFAULT_LIMIT));
        if page < 1 || page > i64::from(u32::MAX) {
            return Err(ModelError::new(ErrorCode::InvalidPagination, format!("page must be 1 or more (got {page})")));
        }
        if !(1..=i64::from(MAX_LIMIT)).contains(&limit) {
            return Err(ModelError::new(
                ErrorCode::InvalidPagination,
                format!("limit must be between 1 and {MAX_LIMIT} (got {limit})"),
            ));
        }
        Ok(Self { page: page as u32, limit: limit as u32 })
    }

    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, limit: DEFAULT_LIMIT }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    CreatedAt,
    UpdatedAt,
    Name,
    Status,
}

impl SortField {
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        match s {
            "created_at" => Ok(Self::CreatedAt),
            "updated_at" => Ok(Self::UpdatedAt),
            "name" => Ok(Self::Name),
            "status" => Ok(Self::Status),
            _ => Err(ModelError::new(
                ErrorCode::InvalidPagination,
                format!("sort_by '{s}' is not supported; use created_at, updated_at, name or status"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Name => "name",
            Self::Status => "status",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

impl SortOrder {
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        match s.to_ascii_lowercase().as_str() {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err(ModelError::new(ErrorCode::InvalidPagination, format!("sort_order '{s}' must be asc or desc"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// A validated `GET /containers` query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerListQuery {
    pub page: PageRequest,
    pub sort_by: SortField,
    pub sort_order: SortOrder,
    pub realm_id: Option<crate::RealmId>,
    pub project_id: Option<crate::ProjectId>,
    pub status: Option<ContainerStatus>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    pub with_runtime: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(PageRequest::new(None, None).unwrap(), PageRequest { page: 1, limit: 20 });
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(None, Some(201)).is_err());
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert_eq!(PageRequest::new(Some(3), Some(10)).unwrap().offset(), 20);
    }

    #[test]
    fn total_pages_rounds_up() {
        let p = Pagination::new(41, PageRequest { page: 1, limit: 20 });
        assert_eq!(p.total_pages, 3);
        assert_eq!(serde_json::to_value(p).unwrap()["totalPages"], 3);
        assert_eq!(Pagination::new(0, PageRequest::default()).total_pages, 0);
    }
}
