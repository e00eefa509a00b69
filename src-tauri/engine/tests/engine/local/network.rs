//! A container's network: outbound connections reach a server outside it (in a network
//! namespace the test makes, where the network helper runs: the helper's loopback stays out of
//! reach, the gateway does not lead there), DNS goes through the resolver its /etc/resolv.conf
//! names to the helper's resolver (here one the test runs there), and a container with network
//! off has its loopback only. The network helper ends with the container.

use super::{Local, admin};
use hoody_model::{ContainerStatus, Operation};
use std::net::{Ipv4Addr, UdpSocket};
use std::process::Command;

/// Runs a command in every namespace of the container (as `nsenter -a` does, its user
/// namespace included); its output and whether it succeeded.
fn inside(pid: u32, script: &str) -> (bool, String) {
    let out =
        Command::new("nsenter").args(["-t", &pid.to_string(), "-a", "--", "/bin/sh", "-c", script]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text.trim().to_owned())
}

/// A DNS server on `address`:53 that answers every A question with 203.0.113.7.
fn dns_server(address: Ipv4Addr) {
    let socket = UdpSocket::bind((address, 53)).expect("port 53 (the tests run as root)");
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let question_end = 12 + buf[12..n].iter().position(|b| *b == 0).unwrap_or(0) + 5;
            let mut answer = buf[..question_end].to_vec();
            answer[2] |= 0x80; // a response
            answer[3] = 0x80; // recursion available, no error
            answer[6..8].copy_from_slice(&1u16.to_be_bytes()); // one answer
            answer[8..12].fill(0);
            answer.extend([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 7]);
            let _ = socket.send_to(&answer, from);
        }
    });
}

/// slirp4netns with the host's resolver replaced by the test's (in a mount namespace of its
/// own, where /etc/resolv.conf names `resolver`). It runs as the container's root: `dir` must
/// be open to it.
fn slirp4netns_asking(resolver: Ipv4Addr, dir: &std::path::Path) -> std::path::PathBuf {
    let resolv = dir.join("resolv.conf");
    std::fs::write(&resolv, format!("nameserver {resolver}\n")).unwrap();
    let wrapper = dir.join("slirp4netns");
    let script = format!(
        "#!/bin/sh\nexec unshare --mount --propagation private sh -c 'mount --bind {} /etc/resolv.conf && exec slirp4netns \"$@\"' slirp4netns \"$@\"\n",
        resolv.display()
    );
    std::fs::write(&wrapper, script).unwrap();
    Command::new("chmod").arg("755").arg(&wrapper).status().unwrap();
    wrapper
}

#[tokio::test]
async fn containers_reach_out_and_resolve_names_unless_their_network_is_off() {
    let outside = hoody_e2e::OutsideNetwork::make();
    let host = outside.address;
    let port = outside.http_server("hello from the host");
    outside.spawn_inside(move || dns_server(host));
    let scratch = tempfile::tempdir().unwrap();
    std::fs::set_permissions(scratch.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let wrapper = slirp4netns_asking(host, scratch.path());
    let local = Local::with(|config| {
        config.slirp4netns = Some(wrapper);
        config.egress_netns = Some(outside.netns());
    })
    .await;

    let online = local.create("online", |_| {}).await;
    assert_eq!(online.status, ContainerStatus::Running, "{:?}", online.error);
    assert!(online.network, "on unless turned off");
    let pid = local.init_pid(&online.id).await;
    let (_, routes) = inside(pid, "ip route");
    assert!(routes.contains("default via 10.0.2.2"), "{routes}");
    let (ok, page) = inside(pid, &format!("timeout 5 wget -q -O- http://{host}:{port}/"));
    assert!(ok && page == "hello from the host", "a server outside: {page}");
    let (ok, refused) = inside(pid, &format!("timeout 5 wget -q -O- http://10.0.2.2:{port}/"));
    assert!(!ok, "the helper's loopback is not the container's: {refused}");
    let (_, resolv) = inside(pid, "cat /etc/resolv.conf");
    assert!(resolv.lines().any(|l| l == "nameserver 10.0.2.3"), "{resolv}");
    let (ok, answer) = inside(pid, "nslookup hoody-test.example");
    assert!(ok && answer.contains("203.0.113.7"), "the name resolved through the host's resolver: {answer}");

    let offline = local.create("offline", |r| r.network = Some(false)).await;
    assert_eq!(offline.status, ContainerStatus::Running, "{:?}", offline.error);
    assert!(!offline.network);
    let quiet = local.init_pid(&offline.id).await;
    let (_, links) = inside(quiet, "ip -o link");
    assert_eq!(links.lines().count(), 1, "loopback only: {links}");
    assert!(links.contains("lo"), "{links}");
    let (ok, _) = inside(quiet, &format!("timeout 3 wget -q -O- http://{host}:{port}/"));
    assert!(!ok, "no way out");
    let (ok, _) = inside(quiet, "nslookup hoody-test.example 10.0.2.3");
    assert!(!ok, "no resolver either");

    // The network's helper ends with the container, and comes back with it.
    let helper = std::fs::read_to_string(local.runtime.layout().container(&online.id).join("network.pid")).unwrap();
    local.engine.operate(&admin(), &online.id, Operation::Stop).await.unwrap();
    super::eventually("the network helper to end", || async {
        !std::path::Path::new(&format!("/proc/{}", helper.trim())).exists() || zombie(helper.trim())
    })
    .await;
    local.engine.operate(&admin(), &online.id, Operation::Start).await.unwrap();
    let pid = local.init_pid(&online.id).await;
    let (ok, page) = inside(pid, &format!("timeout 5 wget -q -O- http://{host}:{port}/"));
    assert!(ok && page == "hello from the host", "after a restart: {page}");
    local.delete_all_and_check_clean().await;
}

fn zombie(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, r)| r.trim_start().starts_with('Z')))
}
