// The create and edit dialogs' checks and updates: the server's rules (bindings/rules.json),
// worded as it words them.
import rules from "./bindings/rules.json";
import type { Container } from "./bindings/Container";
import type { ContainerStatus } from "./bindings/ContainerStatus";
import type { ContainerUpdate } from "./bindings/ContainerUpdate";
import { normalizeHex } from "./colors";

export interface EnvRow {
  key: string;
  value: string;
}

export interface CreateFields {
  name: string;
  color: string;
  comment: string;
  env: EnvRow[];
  /** The alias of a project to create, or null when an existing one is chosen. */
  newProject: string | null;
}

export type Problems = Partial<Record<"name" | "color" | "comment" | "env" | "newProject", string>>;

const NAME = new RegExp(rules.name.pattern);
const ENV_KEY = new RegExp(rules.env_name_pattern);

export function checkCreate(f: CreateFields): Problems {
  const problems: Problems = {};
  const name = f.name.trim();
  if (name && name !== rules.name.random && (name.length < rules.name.min || name.length > rules.name.max || !NAME.test(name))) {
    problems.name = `container name '${name}' is invalid: it must be ${rules.name.min}-${rules.name.max} characters of letters, digits, '-' or '_' (or "${rules.name.random}" for a generated name)`;
  }
  if (f.color.trim() && !normalizeHex(f.color)) {
    problems.color = `color '${f.color.trim()}' is not a HEX colour: use 6 hex digits with or without '#', like "#3498db"`;
  }
  if (f.comment.length > rules.comment_max) {
    problems.comment = `the comment is longer than ${rules.comment_max} characters`;
  }
  const keys = f.env.map((r) => r.key.trim());
  const bad = keys.find((k) => !ENV_KEY.test(k));
  if (bad !== undefined) {
    problems.env = `'${bad}' is not a variable name: letters, digits and '_', not starting with a digit`;
  } else if (new Set(keys).size !== keys.length) {
    problems.env = "each variable may appear once";
  } else if (keys.length > rules.env_max_vars) {
    problems.env = `at most ${rules.env_max_vars} variables`;
  }
  if (f.newProject !== null && !f.newProject.trim()) {
    problems.newProject = "name the new project";
  }
  return problems;
}

/** What the edit dialog holds: the updatable fields of a container. */
export interface EditFields {
  name: string;
  color: string;
  comment: string;
  env: EnvRow[];
  sshKey: string;
  realmIds: string[];
  autostart: boolean;
  ai: boolean;
  cache: boolean;
  ramdisk: boolean;
  network: boolean;
  nesting: boolean;
}

export function editFieldsOf(c: Container): EditFields {
  return {
    name: c.name,
    color: c.color ?? "",
    comment: c.comment ?? "",
    env: Object.entries(c.environment_vars).map(([key, value]) => ({ key, value })),
    sshKey: c.ssh_public_key ?? "",
    realmIds: [...c.realm_ids],
    autostart: c.autostart,
    ai: c.ai,
    cache: c.cache,
    ramdisk: c.ramdisk,
    network: c.network,
    nesting: c.nesting,
  };
}

/** The update that turns `c` into what the dialog holds: only the fields that changed. */
export function updateFor(c: Container, f: EditFields): ContainerUpdate {
  const update: ContainerUpdate = {};
  const name = f.name.trim();
  if (name !== c.name) update.name = name;
  const color = normalizeHex(f.color) ?? null;
  if (color !== (c.color ? normalizeHex(c.color) : null)) update.color = color;
  const comment = f.comment.trim() || null;
  if (comment !== (c.comment ?? null)) update.comment = comment;
  const env = Object.fromEntries(f.env.map((r) => [r.key.trim(), r.value]));
  const sameEnv = JSON.stringify(Object.entries(env).sort()) === JSON.stringify(Object.entries(c.environment_vars).sort());
  if (!sameEnv) update.environment_vars = env;
  const key = f.sshKey.trim() || null;
  if (key !== (c.ssh_public_key ?? null)) update.ssh_public_key = key;
  if ([...f.realmIds].sort().join() !== [...c.realm_ids].sort().join()) update.realm_ids = f.realmIds;
  for (const flag of ["autostart", "ai", "cache", "ramdisk", "network", "nesting"] as const) if (f[flag] !== c[flag]) update[flag] = f[flag];
  return update;
}

/** The fields of an update that a running container has baked in (the engine's list). */
export function fieldsNeedingStop(update: ContainerUpdate): string[] {
  return rules.fields_needing_stop.filter((field) => field in update);
}

/** Whether saving must stop the container first (and start it again after). */
export function mustStopToSave(status: ContainerStatus, update: ContainerUpdate): boolean {
  return fieldsNeedingStop(update).length > 0 && !rules.update_config.includes(status);
}

export function checkEdit(f: EditFields): Problems {
  const problems = checkCreate({ ...f, newProject: null });
  if (!f.name.trim()) problems.name = "the container needs a name";
  return problems;
}
