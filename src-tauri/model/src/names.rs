//! Generated container names for `"name": "rand"` or an absent name: `adjective-noun-xxxx`.

use crate::ids::random_hex;

const ADJECTIVES: &[&str] = &[
    "amber", "brave", "calm", "clever", "swift", "quiet", "bright", "bold", "eager", "gentle", "happy", "jolly",
    "keen", "lively", "lucky", "mellow", "nimble", "proud", "rapid", "sunny", "tidy", "vivid", "witty", "zesty",
];
const NOUNS: &[&str] = &[
    "otter", "falcon", "maple", "comet", "harbor", "lynx", "meadow", "orbit", "pine", "quartz", "raven", "river",
    "sparrow", "summit", "tiger", "willow", "badger", "cedar", "dolphin", "ember", "fjord", "glacier", "heron",
    "island",
];

/// The sentinel a client sends to ask for a generated name.
pub const RANDOM_NAME: &str = "rand";

pub fn random_container_name() -> String {
    let r = random_hex(4);
    let pick = |list: &[&str], hex: &str| list[usize::from_str_radix(hex, 16).unwrap_or(0) % list.len()].to_owned();
    format!("{}-{}-{}", pick(ADJECTIVES, &r[0..2]), pick(NOUNS, &r[2..4]), &r[4..8])
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_names_pass_the_name_rule() {
        for _ in 0..100 {
            let n = super::random_container_name();
            assert!(crate::validate::container_name(&n).is_ok(), "{n}");
        }
    }
}
