//! Tokens (and the engine's sealing key) in a real Secret Service (gnome-keyring, unlocked, in a D-Bus session of the test's
//! own) and, in a process with no session bus, in the kernel's key store. Each case runs the
//! ignored test `secrets_round_trip` in a child process with the environment it needs.

use hoody_desktop_core::sealing::sealing_key;
use hoody_desktop_core::secrets::{SecretStore, Secrets};
use std::process::Command;

fn child(expect: &str, command: &mut Command) -> String {
    let out = command.env("HOODY_KEYRING_EXPECT", expect).output().expect("the child test runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("1 passed"), "{expect}:\n{text}");
    text
}

#[test]
fn tokens_go_to_the_secret_service_or_else_the_kernel_key_store() {
    let exe = std::env::current_exe().unwrap();
    let args = ["--ignored", "--exact", "secrets_round_trip", "--nocapture"];
    // gnome-keyring makes its login keyring only for a non-empty password; a HOME of the test's
    // own keeps the user's keyrings out of it.
    let home = tempfile::tempdir().unwrap();
    let script = r#"printf 'hoody-test' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@""#;
    let mut with_bus = Command::new("dbus-run-session");
    with_bus.args(["--", "sh", "-c", script, "sh"]).arg(&exe).args(args).env("HOME", home.path());
    let text = child("secret_service", &mut with_bus);
    assert!(text.contains("stored in SecretService"), "{text}");

    let mut without_bus = Command::new(&exe);
    without_bus.args(args).env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent").env_remove("DISPLAY");
    let text = child("kernel_keyring", &mut without_bus);
    assert!(text.contains("stored in KernelKeyring"), "{text}");
}

/// Run by the test above, in the environment it sets up.
#[tokio::test]
#[ignore = "run by tokens_go_to_the_secret_service_or_else_the_kernel_key_store"]
async fn secrets_round_trip() {
    let expect = match std::env::var("HOODY_KEYRING_EXPECT").as_deref() {
        Ok("secret_service") => SecretStore::SecretService,
        Ok("kernel_keyring") => SecretStore::KernelKeyring,
        other => panic!("HOODY_KEYRING_EXPECT is {other:?}"),
    };
    let secrets = Secrets::new(format!("hoody-desktop-test-{}", std::process::id()));
    let account = "http://127.0.0.1:8700";
    assert_eq!(secrets.get(account).await.unwrap(), None);
    let store = secrets.set(account, "token-one").await.unwrap();
    assert_eq!(store, expect);
    println!("stored in {store:?}");
    assert_eq!(secrets.get(account).await.unwrap().as_deref(), Some("token-one"));
    secrets.set(account, "token-two").await.unwrap();
    assert_eq!(secrets.get(account).await.unwrap().as_deref(), Some("token-two"));
    assert_eq!(secrets.get("http://127.0.0.1:9").await.unwrap(), None);
    secrets.delete(account).await.unwrap();
    assert_eq!(secrets.get(account).await.unwrap(), None);
    secrets.delete(account).await.unwrap();

    // The engine's sealing key: kept by the Secret Service, else in a file of the data
    // directory's (the kernel's store forgets at reboot, and the sealed secrets with it).
    let data = tempfile::tempdir().unwrap();
    let key = sealing_key(data.path(), &secrets).await;
    let entry = format!("sealing-key:{}", data.path().display());
    match expect {
        SecretStore::SecretService => {
            let key = key.expect("a key in the Secret Service");
            assert_eq!(sealing_key(data.path(), &secrets).await.map(|k| k.0), Some(key.0), "the same key again");
            secrets.delete(&entry).await.unwrap();
        }
        SecretStore::KernelKeyring => {
            assert!(key.is_none(), "the key goes to a file");
            assert_eq!(secrets.get(&entry).await.unwrap(), None, "nothing left in the kernel's store");
        }
    }
}
