//! A display's screenshots: each capture kept (the last [`KEPT`], in memory, gone with the
//! display) so a client can read the last one or one by its timestamp again, as PNG or base64
//! JSON, whole, as metadata only, or as a thumbnail.

use super::xwd::{self, Rgb};
use crate::error::{KitCode, KitError};
use crate::proxy::{Body, json, with_type};
use base64::Engine;
use hyper::{Response, StatusCode};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::Arc;

/// Screenshots kept per display.
pub const KEPT: usize = 16;
/// A thumbnail's width at most.
pub const THUMBNAIL_WIDTH: usize = 320;

/// One capture.
#[derive(Debug)]
pub struct Shot {
    /// Milliseconds since the epoch, unique per display: the screenshot's id.
    pub timestamp: u64,
    pub image: Rgb,
    pub png: Vec<u8>,
}

/// Which screenshot a request reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Which {
    /// A new capture.
    Now,
    Last,
    At(u64),
}

/// How a screenshot is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Png,
    Base64,
    Metadata,
}

/// The screenshots of one display.
#[derive(Debug, Default)]
pub struct Shots(std::sync::Mutex<VecDeque<Arc<Shot>>>);

impl Shots {
    /// Keeps a capture of `image` (dropping the oldest past [`KEPT`]).
    pub fn keep(&self, image: Rgb) -> Result<Arc<Shot>, KitError> {
        let png = xwd::encode_png(&image).map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?;
        let now = chrono::Utc::now().timestamp_millis().max(0) as u64;
        let mut shots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let timestamp = shots.back().map_or(now, |last| now.max(last.timestamp + 1));
        let shot = Arc::new(Shot { timestamp, image, png });
        shots.push_back(shot.clone());
        while shots.len() > KEPT {
            shots.pop_front();
        }
        Ok(shot)
    }

    pub fn find(&self, which: &Which) -> Result<Arc<Shot>, KitError> {
        let shots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let found = match which {
            Which::Now | Which::Last => shots.back(),
            Which::At(timestamp) => shots.iter().find(|s| s.timestamp == *timestamp),
        };
        found.cloned().ok_or_else(|| {
            let why = match which {
                Which::At(t) => format!("no screenshot {t} on this display: GET /api/v1/display/screenshots lists the kept ones (the last {KEPT})"),
                _ => "this display has no screenshot yet: GET /api/v1/display/screenshot takes one".to_owned(),
            };
            KitError::new(KitCode::NotFound, why)
        })
    }

    /// `data.screenshots`: the kept ones, newest first.
    pub fn list(&self) -> Response<Body> {
        let shots = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let listed: Vec<_> = shots.iter().rev().map(|s| metadata(s)).collect();
        json(StatusCode::OK, &json!({ "data": { "screenshots": listed }, "count": listed.len(), "kept_at_most": KEPT }))
    }
}

fn metadata(shot: &Shot) -> serde_json::Value {
    json!({
        "id": shot.timestamp.to_string(),
        "name": format!("screenshot-{}.png", shot.timestamp),
        "timestamp": shot.timestamp,
        "width": shot.image.width,
        "height": shot.image.height,
        "size": shot.png.len(),
        "format": "png",
    })
}

/// The answer for `shot` in `form`, whole or as a thumbnail.
pub fn answer(shot: &Shot, form: Form, thumbnail: bool) -> Result<Response<Body>, KitError> {
    let small = thumbnail.then(|| shot.image.shrink(THUMBNAIL_WIDTH));
    let png = match &small {
        None => shot.png.clone(),
        Some(small) => xwd::encode_png(small).map_err(|e| KitError::new(KitCode::Internal, e.to_string()))?,
    };
    Ok(match form {
        Form::Png => with_type(StatusCode::OK, png.into(), "image/png"),
        Form::Base64 | Form::Metadata => {
            let mut value = metadata(shot);
            if let Some(small) = &small {
                value["width"] = json!(small.width);
                value["height"] = json!(small.height);
                value["size"] = json!(png.len());
                value["thumbnail"] = json!(true);
            }
            if form == Form::Base64 {
                value["image"] = json!(base64::engine::general_purpose::STANDARD.encode(&png));
                value["mime_type"] = json!("image/png");
            }
            value["success"] = json!(true);
            json(StatusCode::OK, &value)
        }
    })
}

/// A region `"x,y,width,height"` (as input actions name the part of their screenshot).
pub fn region(text: &str) -> Result<(usize, usize, usize, usize), KitError> {
    let parts: Vec<usize> = text.split(',').map(|p| p.trim().parse()).collect::<Result<_, _>>().map_err(|_| {
        KitError::new(KitCode::InvalidParameters, format!("screenshotRegion is \"x,y,width,height\", not {text:?}"))
    })?;
    match parts[..] {
        [x, y, width, height] if width > 0 && height > 0 => Ok((x, y, width, height)),
        _ => Err(KitError::new(
            KitCode::InvalidParameters,
            format!("screenshotRegion is \"x,y,width,height\", not {text:?}"),
        )),
    }
}
