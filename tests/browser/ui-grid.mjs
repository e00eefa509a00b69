// The UI in a real browser (Debian's chromium, driven by playwright-core) against a running
// hoodyd that serves it: a bad name is refused in the dialog and nothing is created; a
// container is created, its coloured card turns running, stops and starts again; its Terminal
// chip opens the terminal URL; its menu ("⋯" and right click) copies it and asks before a
// force stop; the grid is one Tab stop; it is deleted with a snapshot first. Screenshots of the
// views, light and dark, go to SCREENSHOT_DIR.
// Usage: node tests/browser/ui-grid.mjs UI_URL TOKEN IMAGE SCREENSHOT_DIR TARBALL (a rootfs
// tarball on the server, imported from the Images view)
import { createRequire } from "node:module";
import { shoot } from "./shots.mjs";
// playwright-core is one of the UI package's development dependencies (ui/node_modules).
const { chromium } = createRequire(new URL("../../ui/package.json", import.meta.url))("playwright-core");

const [url, token, image, shots, tarball] = process.argv.slice(2);
if (!tarball) throw new Error("usage: ui-grid.mjs UI_URL TOKEN IMAGE SCREENSHOT_DIR TARBALL");
const step = (text) => console.log(`step: ${text}`);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, colorScheme: "light" });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  const opened = [];
  page.on("popup", (popup) => opened.push(popup.url()));

  await page.goto(`${url}/#token=${token}`);
  await page.getByText("No containers yet").waitFor();
  step("the grid is empty");
  // Its words (a warning when nearly full) and, in its title, the figures.
  const disk = await page.getByRole("status", { name: "disk" }).getAttribute("title");
  step(`the header shows the disk: ${disk.trim()}`);

  // Images: what the server holds and what its image server offers; one downloaded, then deleted.
  await page.getByRole("button", { name: "Images", exact: true }).click();
  const images = page.getByRole("dialog", { name: "Images" });
  await images.locator(`table.held tr[data-image="${image}"][data-status="ready"]`).waitFor();
  await images.getByRole("button", { name: "download busybox/1.36" }).click();
  await images.locator('table.held tr[data-image="busybox/1.36"][data-status="ready"]').waitFor({ timeout: 60000 });
  const held = await images.locator("table.held tr[data-image]").evaluateAll((rows) => rows.map((r) => r.dataset.image));
  await shoot(page, shots, "ui-images");
  step(`images view holds ${held.join(", ")}`);
  await images.getByRole("button", { name: "delete busybox/1.36" }).click();
  await images.locator('table.offered tr[data-image="busybox/1.36"]').waitFor();
  await images.getByRole("status").filter({ hasText: "busybox/1.36 deleted" }).waitFor();
  step("busybox/1.36 downloaded from the Images view, then deleted (offered again)");
  // A tarball on the server imported from the view: a relative path is refused in the form.
  await images.getByLabel("image name").fill("mine/1");
  await images.getByLabel("tarball path").fill("rootfs.tar");
  await images.getByRole("button", { name: "Import", exact: true }).click();
  const refused = await images.getByRole("alert").textContent();
  await images.getByLabel("tarball path").fill(tarball);
  await images.getByRole("button", { name: "Import", exact: true }).click();
  await images.locator('table.held tr[data-image="mine/1"][data-status="ready"]').waitFor({ timeout: 60000 });
  await images.getByRole("status").filter({ hasText: "mine/1 is imported" }).waitFor();
  step(`imported mine/1 from the Images view (a relative path first: "${refused}")`);
  await images.getByRole("button", { name: "delete mine/1" }).click();
  await images.locator('table.held tr[data-image="mine/1"]').waitFor({ state: "detached" });
  await images.getByRole("button", { name: "Close" }).click();
  await images.waitFor({ state: "detached" });

  // A bad name: the dialog says why, and nothing is created.
  await page.keyboard.press("n");
  const dialog = page.getByRole("dialog");
  await dialog.locator("select[name=image] option").first().waitFor({ state: "attached" });
  const offeredImages = await dialog.locator("select[name=image] option").allTextContents();
  step(`the create dialog offers ${offeredImages.join(" | ")}`);
  await dialog.getByLabel("Name", { exact: true }).fill("bad name!");
  await dialog.locator("select[name=image]").selectOption(image);
  await dialog.getByRole("button", { name: "green" }).click();
  await dialog.getByRole("button", { name: "Create", exact: true }).click();
  await dialog.getByText("must be 3-100 characters").waitFor();
  await shoot(page, shots, "ui-create-dialog");
  step("a bad name is refused in the dialog");

  await dialog.getByLabel("Name", { exact: true }).fill("web-1");
  await dialog.getByLabel("team-a").check();
  await dialog.getByRole("button", { name: "Create", exact: true }).click();
  await dialog.waitFor({ state: "detached" });
  const card = page.locator('[data-container="web-1"]');
  await card.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30000 });
  const fill = await card.evaluate((el) => getComputedStyle(el).backgroundColor);
  step(`created; the card is running, filled ${fill}`);
  // In the realm it was given: grouped by realm, it sits under the realm's name.
  await page.getByLabel("group by").selectOption("realm");
  await page.getByRole("heading", { name: /team-a/ }).waitFor();
  await page.getByLabel("group by").selectOption("none");
  step("grouped under its realm, team-a");

  await card.getByRole("button", { name: "Terminal", exact: true }).click();
  await page.waitForTimeout(500);
  step(`terminal chip opened ${opened.at(-1)}`);
  // The terminal page stays open through stop, start and delete, as a user would leave it.

  // "?" lists the keys.
  await page.locator("body").press("?");
  const keys = page.getByRole("dialog", { name: "Keyboard" });
  await keys.getByText("start or stop it").waitFor();
  await keys.getByRole("button", { name: "Close" }).click();
  await keys.waitFor({ state: "detached" });
  step("? lists the keys");

  // Keyboard first: Ctrl+K, a few letters, Enter focuses the card; "s" stops it.
  await page.keyboard.press("Control+k");
  await page.getByRole("combobox", { name: "command" }).fill("web-1");
  await shoot(page, shots, "ui-palette");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-container") === "web-1");
  await page.keyboard.press("s");
  // At once, before the engine answers (busybox takes seconds to halt): the card says so.
  await card.getByText("stopping…", { exact: true }).waitFor({ timeout: 2000 });
  await card.and(page.locator('[data-status="stopped"]')).waitFor({ timeout: 30000 });
  step("stopped from the keyboard (command palette, then s)");
  // At a glance: a stopped card is no longer filled, but framed in its colour.
  const stopped = await card.evaluate((el) => {
    const style = getComputedStyle(el);
    return { background: style.backgroundColor, frame: style.borderTopColor, width: style.borderTopWidth };
  });
  if (stopped.background === fill) throw new Error(`a stopped card looks like a running one: ${stopped.background}`);
  if (stopped.frame !== fill || stopped.width !== "3px") throw new Error(`a stopped card lost its colour: ${JSON.stringify(stopped)}`);
  await card.screenshot({ path: `${shots}/ui-card-stopped.png` });
  step(`stopped card framed in ${stopped.frame} on ${stopped.background}`);
  // Steady controls: where Start was, after the click, there is never an action that loses work.
  const startButton = card.getByRole("button", { name: "Start", exact: true });
  const box = await startButton.boundingBox();
  await startButton.click();
  await card.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30000 });
  const under = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.textContent?.trim() ?? "", [
    box.x + box.width / 2,
    box.y + box.height / 2,
  ]);
  if (under !== "Stop") throw new Error(`after Start, "${under}" is under the pointer, not Stop`);
  const destructiveOnCard = await card.getByRole("button", { name: /Force stop|Delete/ }).count();
  if (destructiveOnCard) throw new Error("a destructive action is on the card itself");
  step(`started again; "${under}" is where Start was, and nothing destructive is on the card`);
  // The rest is in the card's menu: safe actions, then apart the ones that lose work.
  await card.getByRole("button", { name: "more actions for web-1" }).click();
  const menu = page.getByRole("menu", { name: "web-1 actions" });
  const items = (await menu.getByRole("menuitem").allTextContents()).map((t) => t.trim());
  await shoot(page, shots, "ui-card-menu");
  step(`menu: ${items.join(" | ")}`);
  // Copy from it: a second card appears, running.
  await menu.getByRole("menuitem", { name: "Copy", exact: true }).click();
  const copyCard = page.locator('[data-container]:not([data-container="web-1"])');
  await copyCard.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30000 });
  const copyName = await copyCard.getAttribute("data-container");
  step(`copied from the menu to ${copyName}`);
  // A copy, stopped, is synced from its source from its menu (the source's is offered no sync).
  await copyCard.getByRole("button", { name: "Stop", exact: true }).click();
  await copyCard.and(page.locator('[data-status="stopped"]')).waitFor({ timeout: 30000 });
  await copyCard.click({ button: "right", position: { x: 60, y: 50 } });
  await page.getByRole("menu", { name: `${copyName} actions` }).getByRole("menuitem", { name: "Sync from source" }).click();
  await page.getByText(`${copyName} has its source's files again`).waitFor({ timeout: 30000 });
  if (items.includes("Sync from source")) throw new Error("the source's menu offers a sync");
  await copyCard.getByRole("button", { name: "Start", exact: true }).click();
  await copyCard.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30000 });
  step(`${copyName} stopped, synced from web-1 through its menu, started again`);
  // The grid is one Tab stop: only one card's controls take the focus by Tab; arrows move it.
  const tabbable = () =>
    page.evaluate(() => {
      const grid = document.querySelector('[role="grid"]');
      const stops = [...grid.querySelectorAll("button, input, [tabindex]")].filter((e) => e.tabIndex >= 0 && !e.disabled);
      return [...new Set(stops.map((e) => e.closest("[data-container]")?.getAttribute("data-container")))];
    });
  const before = await tabbable();
  if (before.length !== 1) throw new Error(`Tab stops in ${before.length} cards: ${before}`);
  const order = await page.locator("[data-container]").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-container")));
  const arrow = order[0] === before[0] ? "ArrowRight" : "ArrowLeft";
  await page.locator(`[data-container="${before[0]}"]`).focus();
  await page.keyboard.press(arrow);
  const after = await tabbable();
  if (after.length !== 1 || after[0] === before[0]) throw new Error(`the arrow did not move the Tab stop: ${before} → ${after}`);
  step(`one Tab stop in the grid (${before[0]}); ${arrow} moved it to ${after[0]}`);
  // A right click opens the same menu; a force stop asks first, and offers the graceful stop.
  await card.click({ button: "right", position: { x: 60, y: 50 } });
  await menu.getByRole("menuitem", { name: "Force stop…" }).click();
  const ask = page.getByRole("dialog", { name: "Force-stop web-1?" });
  await ask.waitFor();
  await ask.getByRole("button", { name: "Cancel", exact: true }).click();
  await ask.waitFor({ state: "detached" });
  if ((await card.getAttribute("data-status")) !== "running") throw new Error("a cancelled force stop stopped it");
  step("force stop asked first; cancelled, still running");

  await shoot(page, shots, "ui-grid");
  // The list view: a line per container with live figures; a column head sorts, twice turns it.
  await page.getByRole("button", { name: "List", exact: true }).click();
  const line = page.locator('.line[data-container="web-1"][data-status="running"]');
  await line.waitFor();
  await line.getByRole("img", { name: "memory of web-1" }).waitFor({ timeout: 15000 });
  const memory = await line.locator('[data-figure="memory"] .value').textContent();
  await page.waitForFunction(() => [...document.querySelectorAll('.line [data-figure="memory"]')].every((e) => e.dataset.bytes));
  await page.getByRole("button", { name: /^sort by Memory/ }).click();
  const sorted = await page.locator('.heads [data-sorted]:not([data-sorted="none"])').evaluate((b) => `${b.textContent.trim()} ${b.dataset.sorted}`);
  // Busiest first: each line's memory (as drawn, in bytes) at most the one above's.
  const lines = await page.locator(".line[data-container]").evaluateAll((rows) =>
    rows.map((r) => [r.getAttribute("data-container"), Number(r.querySelector('[data-figure="memory"]').dataset.bytes)]),
  );
  for (let i = 1; i < lines.length; i++) {
    if (!(lines[i][1] <= lines[i - 1][1])) throw new Error(`not busiest first: ${JSON.stringify(lines)}`);
  }
  await shoot(page, shots, "ui-list");
  await page.getByRole("button", { name: "Grid", exact: true }).click();
  await card.waitFor();
  step(`list view: web-1 uses ${memory} with a sparkline; sorted by ${sorted}: ${lines.map(([name]) => name).join(", ")}`);
  // Settings: a theme chosen there holds over the system's, also after a reload.
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  const settings = page.getByRole("dialog", { name: "Settings" });
  await settings.getByLabel("Dark").check();
  await settings.getByLabel("Image proposed first").selectOption("busybox/1");
  await page.screenshot({ path: `${shots}/ui-settings-dark.png` });
  await settings.getByRole("button", { name: "Close" }).click();
  await page.reload();
  await card.waitFor();
  const dark = await page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor]);
  await page.getByRole("button", { name: "Settings", exact: true }).click();
  await settings.getByLabel("As the system").check();
  await settings.getByRole("button", { name: "Close" }).click();
  const system = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  step(`settings: dark theme kept over a reload (${dark.join(" on ")}), back to the system's (${system})`);

  // The detail view: live figures, the status log, a snapshot taken from it.
  await card.getByRole("button", { name: "web-1", exact: true }).click();
  const detail = page.getByRole("dialog");
  await detail.getByText("Memory").waitFor();
  await detail.getByText("measuring…").or(detail.getByText(/\d+\.\d %/)).first().waitFor();
  await detail.getByRole("cell", { name: "stopped → running" }).waitFor();
  await detail.getByRole("button", { name: "Take snapshot" }).click();
  await detail.getByText("Snapshots (1)").waitFor();
  // Its logs: busybox has no journal, and the view says why.
  await detail.getByRole("tab", { name: "Journal" }).click();
  await detail.getByText("No journal: its init is not systemd").waitFor();
  await detail.getByRole("tab", { name: "Console" }).click();
  await detail.getByRole("log").waitFor();
  // Its terminal, in the view: typed into, it answers.
  await detail.getByRole("button", { name: "open the terminal here" }).click();
  const embedded = page.frameLocator('iframe[title="terminal of web-1"]');
  await embedded.locator(".xterm-rows").waitFor({ timeout: 20000 });
  await embedded.locator(".xterm-helper-textarea").pressSequentially("echo embedded-$((6*7))\n");
  await embedded.locator(".xterm-rows").filter({ hasText: "embedded-42" }).waitFor({ timeout: 20000 }).catch(async (e) => {
    await page.screenshot({ path: `${shots}/ui-detail-terminal-failed.png` });
    throw e;
  });
  step("detail view: its journal explained, its console shown, its terminal embedded and typed into");
  // Its files, in the view too: the root's folders listed.
  await detail.getByRole("button", { name: "open the files here" }).click();
  const files = page.frameLocator('iframe[title="files of web-1"]');
  await files.locator('tr[data-name="etc"]').waitFor({ timeout: 20000 });
  step(`detail view: its files embedded (${await files.locator("#entries tr").count()} entries at /)`);
  await detail.getByRole("button", { name: "hide the files here" }).click();
  const spark = detail.getByRole("img", { name: "memory over the last two minutes" });
  await spark.waitFor({ timeout: 10000 });
  const points = (await spark.locator("polyline").getAttribute("points")).split(" ").length;
  step(`detail view: a memory sparkline of ${points > 1 ? "several" : "one"} samples`);
  await shoot(page, shots, "ui-detail");
  const cpu = await detail.locator("dd").filter({ hasText: "%" }).first().textContent({ timeout: 5000 }).catch(() => "none");
  step(`detail view: status log, snapshot taken, cpu ${cpu}`);

  // One click puts the container's URLs behind a password, shown once; a browser without it is
  // refused (401), one with it gets in; one click opens them again.
  await detail.getByText("Anyone who has its URLs.").waitFor();
  await detail.getByRole("button", { name: "Require a password" }).click();
  const said = await detail.getByRole("status").filter({ hasText: "shown this once" }).textContent();
  const password = said.match(/password (\S+): shown/)[1];
  await detail.getByText("Only with the password of user hoody.").waitFor();
  const webId = await page.locator('[data-container="web-1"]').getAttribute("data-id");
  const filesUrl = await page.evaluate(
    async ([id, token]) => {
      const answer = await fetch(`/api/v1/containers/${id}?runtime=true`, { headers: { authorization: `Bearer ${token}` } });
      return (await answer.json()).data.urls["files-1"];
    },
    [webId, token],
  );
  const visit = async (credentials) => {
    const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
    try {
      return (await (await context.newPage()).goto(filesUrl)).status();
    } catch (e) {
      // Chromium gives up on credentials the server keeps refusing (401 each time).
      if (String(e).includes("ERR_INVALID_AUTH_CREDENTIALS")) return 401;
      throw e;
    } finally {
      await context.close();
    }
  };
  const [without, wrong, right] = [await visit(null), await visit({ username: "hoody", password: "guess" }), await visit({ username: "hoody", password })];
  if (without !== 401 || wrong !== 401 || right !== 200) throw new Error(`the gate answered ${without}, ${wrong}, ${right}`);
  await shoot(page, shots, "ui-detail-gate");
  await detail.getByRole("button", { name: "Open to anyone with the URLs" }).click();
  await detail.getByText("Anyone who has its URLs.").waitFor();
  if ((await visit(null)) !== 200) throw new Error("the URLs did not open again");
  step(`detail view: its URLs behind a password in one click (${without} without it, ${right} with it), then open again`);

  // Edit from the detail view: a rename needs the container stopped, so the dialog offers
  // stop → save → start, and the card comes back running under its new name.
  await detail.getByRole("button", { name: "Edit", exact: true }).click();
  const edit = page.getByRole("dialog", { name: "Edit web-1" });
  await edit.getByLabel("Name", { exact: true }).fill("web 2");
  await edit.getByRole("button", { name: "Stop, save and start" }).click();
  await edit.getByText("must be 3-100 characters").waitFor();
  await edit.getByLabel("Name", { exact: true }).fill("web-2");
  await edit.getByRole("button", { name: "Stop, save and start" }).click();
  await edit.waitFor({ state: "detached", timeout: 30000 });
  await page.getByRole("dialog").getByRole("button", { name: "close" }).click();
  const renamed = page.locator('[data-container="web-2"]');
  await renamed.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30000 });
  step("renamed to web-2 through stop, save and start");

  await renamed.click({ button: "right", position: { x: 60, y: 50 } });
  await page.getByRole("menu", { name: "web-2 actions" }).getByRole("menuitem", { name: "Delete…" }).click();
  const confirm = page.getByRole("dialog");
  await confirm.getByText("Deleting loses").waitFor();
  await confirm.getByLabel("Take a snapshot first").check();
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await renamed.waitFor({ state: "detached", timeout: 30000 });
  const errors = await page.locator(".notice-error").allTextContents();
  if (errors.length) throw new Error(`the UI reported errors: ${errors.join(" / ")}`);
  step("deleted with a snapshot first");
  await copyCard.click({ button: "right", position: { x: 60, y: 50 } });
  await page.getByRole("menu", { name: `${copyName} actions` }).getByRole("menuitem", { name: "Delete…" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await copyCard.waitFor({ state: "detached", timeout: 30000 });
  step(`${copyName} deleted from its menu`);

  // A failed container (its image is nowhere) is created again, with an image that exists.
  const api = (path, init = {}) =>
    page.evaluate(
      async ([path, init, token]) => {
        const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
        return (await fetch(`/api/v1${path}`, { ...init, headers })).json();
      },
      [path, init, token],
    );
  const project = (await api("/projects")).data.projects[0].id;
  const server = (await api("/servers")).data[0].id;
  const body = JSON.stringify({ name: "broken", container_image: "busybox/9", server_id: server });
  await api(`/projects/${project}/containers`, { method: "POST", body });
  const broken = page.locator('[data-container="broken"]');
  await broken.and(page.locator('[data-status="failed"]')).waitFor({ timeout: 30000 });
  const headline = (await broken.getByRole("alert").textContent()).trim();
  // The notice says it in a sentence too, not in the engine's words.
  const notice = (await page.locator(".notice-error").filter({ hasText: "broken" }).first().textContent()).trim();
  await broken.getByRole("button", { name: "Create again…" }).click();
  const again = page.getByRole("dialog", { name: "Create broken again" });
  await again.locator("select[name=image] option").first().waitFor({ state: "attached" });
  await shoot(page, shots, "ui-create-again");
  const chosen = await again.locator("select[name=image]").inputValue();
  await again.getByRole("button", { name: "Delete and create again" }).click();
  await again.waitFor({ state: "detached", timeout: 30000 });
  await broken.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30000 });
  step(`the failed card said "${headline}"; created again from ${chosen}, running`);
  step(`the failure's notice: ${notice}`);
  await api(`/containers/${await broken.getAttribute("data-id")}`, { method: "DELETE" });
  await broken.waitFor({ state: "detached", timeout: 30000 });
} finally {
  await browser.close();
}
