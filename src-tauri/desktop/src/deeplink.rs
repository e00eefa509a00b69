//! `hoody://` links: `hoody://containers/{id}/terminal`, `…/display`, `…/files`, `…/exec`,
//! `…/sqlite`, or any service slug (`terminal-2`, `http-8080`). Anything else is refused with
//! a message that says what a link looks like; nothing is opened for it.

use hoody_model::ContainerId;
use hoody_model::services::Service;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeepLink {
    pub container: ContainerId,
    pub service: Service,
}

const SHAPE: &str = "links look like hoody://containers/ID/terminal (or display, files, exec, sqlite, http-PORT)";

impl DeepLink {
    pub fn parse(link: &str) -> Result<Self, String> {
        let refuse = |why: &str| format!("cannot open {:?}: {why}; {SHAPE}", shorten(link));
        let rest = link.strip_prefix("hoody://").ok_or_else(|| refuse("it is not a hoody:// link"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
        let mut parts = rest.split('/');
        let (Some("containers"), Some(id), Some(service), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(refuse("it does not name a container and a service"));
        };
        let container = ContainerId::parse(id).map_err(|_| refuse(&format!("{id:?} is not a container id")))?;
        let service = match service {
            "terminal" => Service::Terminal(1),
            "display" => Service::Display(1),
            "files" => Service::Files,
            "exec" => Service::Exec,
            "sqlite" => Service::Sqlite,
            slug => Service::from_slug(slug).ok_or_else(|| refuse(&format!("{slug:?} is not a service")))?,
        };
        Ok(Self { container, service })
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef01234567";

    #[test]
    fn links_name_a_container_and_a_service() {
        let link = DeepLink::parse(&format!("hoody://containers/{ID}/terminal")).unwrap();
        assert_eq!((link.container.as_str(), link.service), (ID, Service::Terminal(1)));
        assert_eq!(DeepLink::parse(&format!("hoody://containers/{ID}/display/")).unwrap().service, Service::Display(1));
        assert_eq!(
            DeepLink::parse(&format!("hoody://containers/{ID}/http-8080")).unwrap().service,
            Service::Http(8080)
        );
        assert_eq!(
            DeepLink::parse(&format!("hoody://containers/{ID}/terminal-3")).unwrap().service,
            Service::Terminal(3)
        );
        assert_eq!(DeepLink::parse(&format!("hoody://containers/{ID}/sqlite?x=1")).unwrap().service, Service::Sqlite);
    }

    #[test]
    fn anything_else_is_refused_with_the_shape_of_a_link() {
        for bad in [
            "https://example.com".to_owned(),
            "hoody://".to_owned(),
            "hoody://containers".to_owned(),
            format!("hoody://containers/{ID}"),
            format!("hoody://containers/{ID}/shell"),
            format!("hoody://containers/{ID}/terminal/extra"),
            "hoody://containers/NOT-AN-ID/terminal".to_owned(),
            format!("hoody://projects/{ID}/terminal"),
            format!("hoody://containers/{ID}/http-0"),
        ] {
            let why = DeepLink::parse(&bad).unwrap_err();
            assert!(why.contains("links look like hoody://containers/ID/terminal"), "{bad}: {why}");
        }
    }
}
