// The real desktop app driven over WebDriver (tauri-driver + WebKitWebDriver): a bad name is
// refused in the create dialog; a container is created with a generated SSH key, its card turns running, stops and
// starts; its Terminal chip opens the URL (the caller checks what xdg-open received); it is
// deleted with a snapshot first. Screenshots go to SCREENSHOT_DIR.
// Settings make it start at login. Then a remote hoodyd is added in the Servers dialog and its container, shown under the
// remote's name, has its Terminal opened and is stopped from its card. Then the remote is
// killed: its card stays, faded, saying the server is unreachable (screenshot); the remote is
// started again where it was (HOODYD, REMOTE_DATA) and its card is live again; from its card's
// menu it is copied to this machine, where it arrives (screenshot of the dialog); dragged onto a
// card of this machine, the copy's dialog opens with this machine chosen.
// Usage: node tests/browser/app-webdriver.mjs DRIVER_URL APP IMAGE SCREENSHOT_DIR REMOTE_URL REMOTE_TOKEN
//        REMOTE_PID HOODYD REMOTE_DATA
import { spawn } from "node:child_process";
import { screenshot } from "./xshot.mjs";

const [driver, application, image, shots, remoteUrl, remoteToken, remotePid, hoodyd, remoteData] = process.argv.slice(2);
if (!remoteData) {
  throw new Error("usage: app-webdriver.mjs DRIVER_URL APP IMAGE SCREENSHOT_DIR REMOTE_URL REMOTE_TOKEN REMOTE_PID HOODYD REMOTE_DATA");
}
const ELEMENT = "element-6066-11e4-a52f-4a5c6b3f3d3e";
const step = (text) => console.log(`step: ${text}`);

async function wd(method, path, body) {
  // A call the window never answers fails the test, naming it, instead of hanging it.
  const response = await fetch(`${driver}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(path === "/session" ? 120000 : 30000),
  }).catch((e) => {
    throw new Error(`${method} ${path} ${body === undefined ? "" : JSON.stringify(body).slice(0, 200)}: ${e.message}`);
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

const session = await wd("POST", "/session", { capabilities: { alwaysMatch: { "tauri:options": { application } } } });
const s = (method, path, body) => wd(method, `/session/${session.sessionId}${path}`, body);
const run = (script, ...args) => s("POST", "/execute/sync", { script, args });

async function until(what, check, timeout = 30000) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeout) throw new Error(`${what} did not happen within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
/** The WebDriver id of the first element `css` matches, once there is one. */
const find = (css) =>
  until(`${css} to appear`, async () => {
    try {
      const found = await s("POST", "/element", { using: "css selector", value: css });
      return found[ELEMENT] ?? Object.values(found)[0];
    } catch {
      return null;
    }
  });
const click = async (css) => s("POST", `/element/${await find(css)}/click`, {});
const type = async (css, text) => {
  const id = await find(css);
  await s("POST", `/element/${id}/clear`, {});
  await s("POST", `/element/${id}/value`, { text });
};
const textOf = (css) => run(`return document.querySelector(arguments[0])?.textContent ?? ""`, css);
// The screen's pixels where the window is (what a person's screenshot tool takes), not
// WebKitWebDriver's redrawing, which never answers for some dialogs (see xshot.mjs).
const shot = async (name) => screenshot(process.env.DISPLAY, `${shots}/${name}.png`, await s("GET", "/window/rect"));

try {
  await until("the grid", () => run(`return document.body.innerText.includes("No containers yet")`));
  step("the window shows the empty grid");

  await click(".toolbar button.primary");
  await type("dialog input[name=name]", "bad name!");
  await run(
    `const select = document.querySelector("dialog select[name=image]");
     select.value = arguments[0]; select.dispatchEvent(new Event("change", { bubbles: true }));`,
    image,
  );
  await click('dialog button[aria-label="green"]');
  const state = await run(
    `const d = document.querySelector("dialog");
     return [d.querySelector("input[name=name]").value, d.querySelector("select[name=image]").value, d.querySelector("input[name=color]").value];`,
  );
  console.error(`dialog state: ${JSON.stringify(state)}`);
  await click("dialog button[type=submit]");
  await until("the name's problem", async () => (await textOf("dialog .problem")).includes("must be 3-100 characters"));
  await shot("app-create-dialog");
  step("a bad name is refused in the dialog");

  await type("dialog input[name=name]", "web-1");
  // A new ed25519 key for it, saved under the (temporary) HOME's .ssh; the caller checks the file.
  await click("dialog .ssh-generate button");
  const publicKey = await until("the generated key", () =>
    run(`const v = document.querySelector("dialog textarea[name=ssh]").value; return v.startsWith("ssh-ed25519 ") ? v : null`),
  );
  step(`generated key ${publicKey}`);
  await click("dialog button[type=submit]");
  const card = '[data-container="web-1"]';
  await find(`${card}[data-status="running"]`);
  const fill = await run(`return getComputedStyle(document.querySelector(arguments[0])).backgroundColor`, card);
  step(`created; the card is running, filled ${fill}`);

  await click(`${card} .chip`);
  step("clicked Terminal");

  await click(`${card} .action-stop`);
  await find(`${card}[data-status="stopped"]`);
  await click(`${card} .action-start`);
  await find(`${card}[data-status="running"]`);
  step("stopped and started");
  await shot("app-grid");
  // The menu holds what is not the primary action; Images lists what the engine holds.
  await click(`${card} .more`);
  const items = await until("the card's menu", async () => {
    const texts = await run(`return [...document.querySelectorAll('[role="menu"] [role="menuitem"]')].map((i) => i.textContent.trim())`);
    return texts.length ? texts : null;
  });
  step(`menu: ${items.join(" | ")}`);
  await run(`document.querySelector('[role="menu"]').dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }))`);
  await click("header .images");
  const held = await until("the images", () =>
    run(`const r = document.querySelector('table.held tr[data-image]'); return r ? r.dataset.image + " used by " + r.children[2].textContent.trim() : null`),
  );
  await shot("app-images");
  step(`images: ${held}`);
  await click("dialog .buttons button");

  // The detail view in the window: its console, its journal explained, its terminal embedded.
  await click(`${card} button.name`);
  await until("the console", async () => (await run(`return document.querySelector('dialog.detail [role="log"]')?.getAttribute("aria-label")`)) === "console of web-1");
  const tab = (name) => run(`[...document.querySelectorAll('dialog.detail [role="tab"]')].find((t) => t.textContent.trim() === arguments[0]).click()`, name);
  await tab("Journal");
  await until("the journal's reason", async () => (await textOf("dialog.detail")).includes("No journal"));
  await tab("Console");
  await run(`[...document.querySelectorAll("dialog.detail button")].find((b) => b.textContent.trim() === "Open here").click()`);
  const embedded = await until("the embedded terminal", () => run(`return document.querySelector('iframe[title="terminal of web-1"]')?.src`));
  await until("the memory sparkline", () => run(`return !!document.querySelector('dialog.detail [aria-label="memory over the last two minutes"]')`));
  await shot("app-detail");
  step(`detail view: console and journal, the terminal embedded from ${new URL(embedded).hostname.split(".")[0].split("-").slice(-2).join("-")}`);
  await click("dialog.detail button.close");
  // The list view: its line, with live figures.
  await click(".toolbar .layout button:last-child");
  const bytes = await until("the list's figures", () =>
    run(`return document.querySelector('.line[data-container="web-1"] [data-figure="memory"]')?.dataset.bytes`),
  );
  await shot("app-list");
  step(`list view: web-1 ${Number(bytes) > 0 ? "uses memory" : "uses none"}`);
  await click(".toolbar .layout button:first-child");
  await find(`.card${card}`);

  await click(`${card} .more`);
  await click('[role="menu"] .action-delete');
  await until("the delete dialog", async () => (await textOf("dialog")).includes("Deleting loses"));
  await click("dialog button.danger");
  await until("the card leaving", async () => !(await run(`return !!document.querySelector(arguments[0])`, card)));
  const errors = await run(`return [...document.querySelectorAll(".notice-error")].map((n) => n.textContent)`);
  if (errors.length) throw new Error(`the UI reported errors: ${errors.join(" / ")}`);
  step("deleted with a snapshot first");

  // Settings: start at login (the caller checks the autostart entry in HOME).
  await click("header .settings");
  await click("dialog input[name=start-at-login]");
  await until("the login setting", () => run(`return document.querySelector("dialog input[name=start-at-login]")?.checked`));
  await shot("app-settings");
  await click("dialog .buttons button");
  step("start at login ticked in Settings");

  await click("header .servers");
  await type("dialog input[name=server-name]", "edge");
  await type("dialog input[name=server-url]", remoteUrl);
  await type("dialog input[name=server-token]", remoteToken);
  await click("dialog button[type=submit]");
  const added = await until("the server to be added", async () => {
    const text = await textOf('dialog .hint[role="status"]');
    return text.includes("added") ? text : null;
  });
  step(`remote added: ${added}`);
  await shot("app-servers");
  await click("dialog button[type=button]");
  const far = '[data-container="far-1"]';
  await find(`${far}[data-status="running"]`);
  step(`remote card: ${(await textOf(`${far} .meta`)).trim()}`);
  // Its Terminal opens through this machine's proxy (the caller checks the URL).
  await click(`${far} .chip`);
  step("clicked the remote's Terminal");
  await click(`${far} .action-stop`);
  await find(`${far}[data-status="stopped"]`);
  step("the remote container stopped from its card");

  // The remote dies: its card stays as last known, faded, and says why.
  process.kill(Number(remotePid), "SIGKILL");
  await find(`${far}.stale`);
  step(`remote away: ${(await textOf(`${far} .away`)).trim()}`);
  await shot("app-server-unreachable");
  // It comes back where it was: the card is live again.
  const listen = remoteUrl.replace("http://", "");
  const args = ["serve", "--listen", listen, "--proxy-listen", "127.0.0.1:0", "--data-dir", remoteData];
  const back = spawn(hoodyd, args, { detached: true, stdio: "ignore", env: { ...process.env, HOODY_LOG: "error" } });
  back.unref();
  step(`remote restarted: pid ${back.pid}`);
  await until("the card live again", async () => !(await run(`return !!document.querySelector(arguments[0])`, `${far}.stale`)));
  step(`remote back: ${(await textOf(`${far} .meta`)).trim()}`);

  // Copied from the remote to this machine from its card's menu: its files travel through the
  // app, and it arrives stopped, as it is there.
  await click(`${far} .more`);
  await click('[role="menu"] .copy-to');
  await find("dialog select[name=project] option");
  await type("dialog input[name=name]", "far-here");
  await shot("app-copy-to-server");
  await click("dialog button[type=submit]");
  const here = '[data-container="far-here"]';
  await find(`${here}[data-status="stopped"]`);
  step(`copied here: ${(await textOf(`${here} .meta`)).trim()}`);
  // Dragged onto a card of this machine, it is to be copied here: the dialog opens with this
  // machine chosen (the drag made as a pointer makes it: dragstart, dragover, drop).
  await run(
    `const [from, to] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])];
     const data = new DataTransfer();
     from.dispatchEvent(new DragEvent("dragstart", { bubbles: true, dataTransfer: data }));
     to.dispatchEvent(new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: data }));
     to.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: data }));`,
    far,
    here,
  );
  await find("dialog select[name=server]");
  step(`dropped: ${await textOf("#copy-to-title")} to ${await run(`return document.querySelector("dialog select[name=server]").value`)}`);
  await click("dialog button[type=button]");
} catch (e) {
  // What the window showed when it went wrong.
  console.error(`window text: ${await run("return document.body.innerText").catch(() => "?")}`);
  await shot("app-failure").catch(() => {});
  throw e;
} finally {
  await s("DELETE", "");
}
