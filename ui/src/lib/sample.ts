// A whole container with plain defaults, for the UI's unit tests and the grid benchmark.
import type { Container } from "./bindings/Container";

export function sampleContainer(name: string, fields: Partial<Container> = {}): Container {
  return {
    id: `id-${name}`,
    project_id: "p1",
    server_id: "s1",
    server_name: "local",
    name,
    status: "running",
    error: null,
    container_image: "debian/13",
    hoody_kit: true,
    dev_kit: true,
    realm_ids: [],
    environment_vars: {},
    ssh_public_key: null,
    color: null,
    comment: null,
    autostart: false,
    ai: false,
    cache: false,
    prespawn: false,
    ramdisk: true,
    network: true,
    nesting: false,
    source_container_id: null,
    snapshot_count: 0,
    created_at: "2026-11-28T10:00:00Z",
    updated_at: "2026-11-28T10:00:00Z",
    urls: {},
    ...fields,
  } as Container;
}
