//! The tray menu as data: a line with running/total, each container (its colour label and
//! status) with the actions its state allows, then Show window and Quit. The app turns it into
//! a native menu; menu item ids come back as [`TrayAction`]s.

use hoody_model::{Container, ContainerStatus, Operation};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayMenu {
    /// `2 running / 5 containers`
    pub summary: String,
    pub containers: Vec<TrayContainer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayContainer {
    /// `web-1 — running`
    pub title: String,
    /// The card's colour (`#rrggbb`), for the item's icon.
    pub color: String,
    pub items: Vec<(String, TrayAction)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrayAction {
    Operate(String, Operation),
    OpenTerminal(String),
    OpenDisplay(String),
    Show,
    Quit,
}

/// The colour of a container without one, as the grid shows it.
pub const DEFAULT_COLOR: &str = "#555753";

impl TrayMenu {
    pub fn new(containers: &[Container]) -> Self {
        let mut sorted: Vec<&Container> = containers.iter().filter(|c| c.status != ContainerStatus::Deleted).collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        let running = sorted.iter().filter(|c| c.status == ContainerStatus::Running).count();
        let summary = format!("{running} running / {} containers", sorted.len());
        let containers = sorted
            .into_iter()
            .map(|c| {
                let id = c.id.to_string();
                let mut items = Vec::new();
                for op in [Operation::Start, Operation::Stop] {
                    if op.allowed_from().contains(&c.status) {
                        let label = if op == Operation::Start { "Start" } else { "Stop" };
                        items.push((label.to_owned(), TrayAction::Operate(id.clone(), op)));
                    }
                }
                if c.status == ContainerStatus::Running {
                    items.push(("Open Terminal".to_owned(), TrayAction::OpenTerminal(id.clone())));
                    items.push(("Open Display".to_owned(), TrayAction::OpenDisplay(id.clone())));
                }
                TrayContainer {
                    title: format!("{} — {}", c.name, c.status),
                    color: c.color.clone().unwrap_or_else(|| DEFAULT_COLOR.to_owned()),
                    items,
                }
            })
            .collect();
        Self { summary, containers }
    }
}

impl TrayAction {
    /// The id of its menu item.
    pub fn id(&self) -> String {
        match self {
            Self::Operate(id, op) => format!("{}:{id}", op.as_str()),
            Self::OpenTerminal(id) => format!("terminal:{id}"),
            Self::OpenDisplay(id) => format!("display:{id}"),
            Self::Show => "show".into(),
            Self::Quit => "quit".into(),
        }
    }

    /// The action of a menu item id; None for ids the menu never made.
    pub fn parse(id: &str) -> Option<Self> {
        match id {
            "show" => return Some(Self::Show),
            "quit" => return Some(Self::Quit),
            _ => {}
        }
        let (verb, container) = id.split_once(':')?;
        hoody_model::ContainerId::parse(container).ok()?;
        let container = container.to_owned();
        Some(match verb {
            "terminal" => Self::OpenTerminal(container),
            "display" => Self::OpenDisplay(container),
            op => Self::Operate(container, Operation::parse(op)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::container;

    #[test]
    fn the_menu_counts_and_offers_what_each_state_allows() {
        let web = "aaaaaaaaaaaaaaaaaaaaaaaa";
        let db = "bbbbbbbbbbbbbbbbbbbbbbbb";
        let menu = TrayMenu::new(&[
            container("web", web, ContainerStatus::Running),
            container("db", db, ContainerStatus::Stopped),
            container("gone", "cccccccccccccccccccccccc", ContainerStatus::Deleted),
        ]);
        assert_eq!(menu.summary, "1 running / 2 containers");
        assert_eq!(menu.containers[0].title, "db — stopped");
        assert_eq!(menu.containers[0].items, [("Start".to_owned(), TrayAction::Operate(db.into(), Operation::Start))]);
        assert_eq!(menu.containers[1].color, "#cc0000");
        let labels: Vec<&str> = menu.containers[1].items.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["Stop", "Open Terminal", "Open Display"]);
        assert_eq!(menu.containers[0].color, DEFAULT_COLOR);
    }

    #[test]
    fn menu_ids_round_trip_and_strangers_are_refused() {
        let id = "aaaaaaaaaaaaaaaaaaaaaaaa".to_owned();
        for action in [
            TrayAction::Operate(id.clone(), Operation::Start),
            TrayAction::Operate(id.clone(), Operation::Stop),
            TrayAction::OpenTerminal(id.clone()),
            TrayAction::OpenDisplay(id),
            TrayAction::Show,
            TrayAction::Quit,
        ] {
            assert_eq!(TrayAction::parse(&action.id()), Some(action));
        }
        for bad in ["", "start", "start:nope", "explode:aaaaaaaaaaaaaaaaaaaaaaaa", "terminal:"] {
            assert_eq!(TrayAction::parse(bad), None, "{bad}");
        }
    }
}
