// The create dialog's checks: the server's rules (bindings/rules.json), worded as it words them.
import rules from "./bindings/rules.json";
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
