//! The colour follows the container: every kit page carries the name, project and colour of the
//! container it serves — in its title, its favicon and a coloured frame around the window — as
//! Qubes marks every window of a qube, so a terminal of an untrusted container is never taken
//! for another's. Pages hold two markers that the frame fills: `<!--hoody:head-->` in `<head>`
//! and `<!--hoody:frame-->` first in `<body>`; a page lays itself out below `var(--hoody-top)`.

use crate::proxy::escape;

/// Who a service belongs to, as its pages show it, and the gates in front of its services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub project: String,
    /// The container's colour as stored (`#rrggbb`, `rgb`, …); none shows gray, as the app does.
    pub color: Option<String>,
    /// Its proxy permissions; None: open (nothing set).
    pub gates: Option<std::sync::Arc<hoody_model::ProxyPermissions>>,
    /// Its proxy hooks; None: none.
    pub hooks: Option<std::sync::Arc<hoody_model::ProxyHooks>>,
}

/// The app's colour for a container without one (its "gray" label).
const DEFAULT_COLOR: &str = "#555753";
const HEAD: &str = "<!--hoody:head-->";
const FRAME: &str = "<!--hoody:frame-->";

impl Identity {
    /// `#rrggbb`, lowercase.
    pub fn color(&self) -> String {
        self.color.as_deref().and_then(normalize_hex).unwrap_or_else(|| DEFAULT_COLOR.to_owned())
    }

    /// Black or white, whichever reads better on the colour (WCAG contrast).
    fn ink(&self) -> &'static str {
        if luminance(&self.color()) > 0.179 { "#000000" } else { "#ffffff" }
    }

    /// What the page's title says: whose it is first, as a window list shows it.
    pub fn title(&self, service: &str) -> String {
        format!("{} ({}) · {service}", self.name, self.project)
    }
}

/// `page` with its title, favicon and frame filled in for `identity`'s `service` page.
pub(crate) fn framed(page: &str, identity: &Identity, service: &str) -> String {
    debug_assert!(page.contains(HEAD) && page.contains(FRAME), "a kit page lacks the frame's markers");
    let (color, ink) = (identity.color(), identity.ink());
    let letter = identity.name.chars().next().unwrap_or('?').to_uppercase().to_string();
    let icon = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' rx='3' \
         fill='{color}'/><text x='8' y='12.5' font-size='11' font-family='sans-serif' font-weight='700' \
         text-anchor='middle' fill='{ink}'>{}</text></svg>",
        escape(&letter)
    );
    let head = format!(
        "<title>{}</title>\n<link rel=\"icon\" href=\"data:image/svg+xml,{}\">\n<style>\
         :root {{ --hoody-top: 24px; --hoody-color: {color}; --hoody-ink: {ink}; }}\
         #hoody-frame {{ position: fixed; inset: 0; border: 3px solid {color}; border-top-width: 24px; \
           pointer-events: none; z-index: 2147483646; box-sizing: border-box; }}\
         #hoody-frame p {{ margin: 0; position: absolute; top: -22px; left: 6px; right: 6px; height: 20px; \
           font: 600 12px/20px system-ui, sans-serif; color: {ink}; white-space: nowrap; overflow: hidden; \
           text-overflow: ellipsis; }}\
         #hoody-frame span {{ font-weight: 400; opacity: 0.8; }}</style>",
        escape(&identity.title(service)),
        percent_encode_svg(&icon),
    );
    let frame = format!(
        "<div id=\"hoody-frame\" data-container=\"{name}\" data-project=\"{project}\" data-color=\"{color}\">\
         <p>{name} <span>· {project} · {service}</span></p></div>",
        name = escape(&identity.name),
        project = escape(&identity.project),
        service = escape(service),
    );
    page.replacen(HEAD, &head, 1).replacen(FRAME, &frame, 1)
}

/// Enough escaping for an SVG in a `data:` URL inside a double-quoted attribute.
fn percent_encode_svg(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len() + 32);
    for c in svg.chars() {
        match c {
            '#' => out.push_str("%23"),
            '"' => out.push_str("%22"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '%' => out.push_str("%25"),
            '&' => out.push_str("%26"),
            c => out.push(c),
        }
    }
    out
}

/// `#rgb`, `rgb`, `#rrggbb` or `rrggbb` → `#rrggbb`; none when it is not HEX.
fn normalize_hex(value: &str) -> Option<String> {
    let hex = value.trim().trim_start_matches('#').to_ascii_lowercase();
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{hex}")),
        3 => Some(hex.chars().fold(String::from("#"), |mut s, c| {
            s.push(c);
            s.push(c);
            s
        })),
        _ => None,
    }
}

/// WCAG relative luminance of `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let n = u32::from_str_radix(&hex[1..], 16).unwrap_or(0);
    let channel = |shift: u32| {
        let c = f64::from((n >> shift) & 255) / 255.0;
        if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web(color: Option<&str>) -> Identity {
        Identity {
            name: "web<1>".into(),
            project: "team \"a\"".into(),
            color: color.map(str::to_owned),
            gates: None,
            hooks: None,
        }
    }

    #[test]
    fn pages_carry_the_name_project_and_colour_escaped() {
        let page = "<head><!--hoody:head--></head><body><!--hoody:frame--><main></main></body>";
        let out = framed(page, &web(Some("73D216")), "Terminal 1");
        assert!(out.contains("<title>web&lt;1&gt; (team &quot;a&quot;) · Terminal 1</title>"), "{out}");
        assert!(
            out.contains("data-container=\"web&lt;1&gt;\" data-project=\"team &quot;a&quot;\" data-color=\"#73d216\"")
        );
        assert!(out.contains("border: 3px solid #73d216"));
        // The favicon: the colour with the name's letter in black (green is light).
        assert!(
            out.contains("data:image/svg+xml,%3Csvg") && out.contains("fill='%2373d216'") && out.contains("W%3C/text")
        );
        assert!(out.contains("fill='%23000000'"));
        assert!(!out.contains("<!--hoody:"), "{out}");
    }

    #[test]
    fn colours_normalise_and_default_to_gray_with_readable_ink() {
        assert_eq!(web(Some("#ABC")).color(), "#aabbcc");
        assert_eq!(web(None).color(), DEFAULT_COLOR);
        assert_eq!(web(Some("not a colour")).color(), DEFAULT_COLOR);
        assert_eq!(web(Some("#000000")).ink(), "#ffffff");
        assert_eq!(web(Some("#edd400")).ink(), "#000000");
        assert_eq!(web(None).ink(), "#ffffff");
    }
}
