// The kit's pages in a real browser (Debian's chromium, driven by playwright-core): each carries
// its container's name, project and colour (title, favicon, frame); the terminal page runs a
// typed command and shows its output, keeps the session over a reload; the display page says
// what it waits for, resizes the display to its window and draws the container's screen on its
// canvas; the exec page lists scripts and runs one; the sqlite page creates a table, lists it
// and shows its rows; the files page browses, makes a folder, uploads, downloads and deletes.
// Usage: node tests/browser/kit-pages.mjs TERMINAL_URL DISPLAY_URL EXEC_URL SQLITE_URL FILES_URL SCREENSHOT_DIR
import { createRequire } from "node:module";
import { shoot } from "./shots.mjs";
// playwright-core is one of the UI package's development dependencies (ui/node_modules).
const { chromium } = createRequire(new URL("../../ui/package.json", import.meta.url))("playwright-core");

const [terminalUrl, displayUrl, execUrl, sqliteUrl, filesUrl, shots] = process.argv.slice(2);
if (!shots) throw new Error("usage: kit-pages.mjs TERMINAL_URL DISPLAY_URL EXEC_URL SQLITE_URL FILES_URL SCREENSHOT_DIR");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const openPage = async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    // What the page says goes to stderr, so a failure shows its cause.
    page.on("console", (message) => console.error(`page console: ${message.text()}`));
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    page.on("requestfailed", (request) => console.error(`request failed: ${request.url()} ${request.failure()?.errorText}`));
    return page;
  };
  let page = await openPage();
  const terminalText = () => page.evaluate(() => document.querySelector(".xterm-rows")?.textContent ?? "");
  // Whose page it is: its title, the frame's colour (computed) and the favicon.
  const identity = (what) =>
    page.evaluate((what) => {
      const frame = document.getElementById("hoody-frame");
      const icon = document.querySelector("link[rel=icon]")?.getAttribute("href") ?? "";
      return `${what}: title "${document.title}", frame ${getComputedStyle(frame).borderLeftColor}, icon ${icon.startsWith("data:image/svg+xml") ? "svg" : "none"}`;
    }, what);

  // Keys typed while the page's connection still opens wait for it: the page's first connection
  // reaches the server only once the command is typed.
  let typed;
  const typing = new Promise((resolve) => (typed = resolve));
  await page.routeWebSocket(/\/api\/v1\/terminal\/ws/, async (socket) => {
    await typing;
    socket.connectToServer();
  });
  await page.goto(terminalUrl);
  await page.waitForSelector(".xterm-rows");
  await page.click("#terminal");
  await page.keyboard.type("echo from-the-browser-$((40+2)) $(hostname)\n");
  const connection = await page.evaluate(() => ["connecting", "open", "closing", "closed"][socket?.readyState] ?? "none");
  typed();
  await page.waitForFunction(
    () => document.querySelector(".xterm-rows")?.textContent.includes("from-the-browser-42"),
    null,
    { timeout: 30000 },
  );
  await shoot(page, shots, "terminal");

  // A reload re-attaches to the same shell and re-draws what it showed.
  await page.reload();
  await page.waitForFunction(
    () => document.querySelector(".xterm-rows")?.textContent.includes("from-the-browser-42"),
    null,
    { timeout: 30000 },
  );
  console.log(`terminal: ${(await terminalText()).match(/from-the-browser-42 browsed/)[0]} (typed while the connection was ${connection})`);
  console.log(await identity("terminal page"));

  // The other pages in a page of their own: a routed WebSocket is Playwright's stand-in for every
  // socket of its page, which noVNC does not take.
  await page.close();
  page = await openPage();
  await page.goto(displayUrl);
  await page.waitForFunction(() => window.hoodyDisplayConnected === true, null, { timeout: 30000 });
  console.log(`display says: ${await page.locator("#status").textContent()}`);
  console.log(await identity("display page"));
  // The container's xlogo window (white) shows up on the canvas noVNC draws, and the display takes
  // the size of the page's screen (noVNC asks for it once the server says it can; under load the
  // answer can come after the first frames, so wait for both rather than read the size too early).
  await page.evaluate(() => {
    window.displaySeen = () => {
      const canvas = document.querySelector("#screen canvas");
      const screen = document.getElementById("screen");
      if (!canvas || canvas.width === 0) return { white: 0, size: "no canvas", fits: false };
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let white = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] > 200 && data[i + 2] > 200) white++;
      const size = `${canvas.width}x${canvas.height} in a ${screen.clientWidth}x${screen.clientHeight} screen`;
      return { white, size, fits: canvas.width === screen.clientWidth && canvas.height === screen.clientHeight };
    };
  });
  const drawn = await page
    .waitForFunction(() => {
      const seen = window.displaySeen();
      return seen.white > 50000 && seen.fits ? seen : null;
    }, null, { timeout: 30000, polling: 200 })
    .then((handle) => handle.jsonValue())
    // What was seen last goes to the output, which the test's assertions then name.
    .catch(() => page.evaluate(() => window.displaySeen()));
  await shoot(page, shots, "display");
  console.log(`display: canvas ${drawn.size}, ${drawn.white} white pixels`);

  // Exec: the scripts in /hoody/exec, each run from its row.
  await page.goto(execUrl);
  const row = page.locator('tr[data-script="hello"]');
  await row.waitFor();
  await page.getByLabel("input for hello").fill("from the page");
  await page.getByRole("button", { name: "run hello" }).click();
  const output = page.getByLabel("output of hello");
  await output.filter({ hasText: "200" }).waitFor({ timeout: 15000 });
  console.log(`exec page ran hello: ${(await output.textContent()).replace(/\s+/g, " ").trim()}`);
  console.log(await identity("exec page"));
  await shoot(page, shots, "exec");

  // SQLite: a statement creates a table; the table list offers it; a click shows its rows.
  await page.goto(sqliteUrl);
  await page.getByLabel("Database").fill("pagetest");
  await page.getByLabel("SQL").fill("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
  await page.getByRole("button", { name: "Run statement (changes data)" }).click();
  await page.getByRole("status").filter({ hasText: "changed" }).waitFor();
  await page.getByLabel("SQL").fill("INSERT INTO notes (body) VALUES ('written from the page'), (NULL)");
  await page.getByRole("button", { name: "Run statement (changes data)" }).click();
  await page.getByRole("status").filter({ hasText: "2 rows changed" }).waitFor();
  await page.getByRole("button", { name: "notes", exact: true }).click();
  await page.getByRole("status").filter({ hasText: /^2 rows$/ }).waitFor();
  const cells = await page.locator("#result td").allTextContents();
  console.log(`sqlite page rows: ${cells.join(" | ")}`);
  // A write through the read-only query is refused, and says so.
  await page.getByLabel("SQL").fill("DELETE FROM notes");
  await page.getByRole("button", { name: "Run query (read only)" }).click();
  console.log(`sqlite page refused: ${await page.getByRole("alert").textContent()}`);
  console.log(await identity("sqlite page"));
  await shoot(page, shots, "sqlite");

  // Files: from the root into /hoody/exec (the script is there), a folder made, a file uploaded
  // into it, read back, deleted.
  page.on("dialog", (dialog) => dialog.accept());
  await page.goto(filesUrl);
  await page.locator('tr[data-name="hoody"] a').click();
  await page.locator('tr[data-name="exec"] a').click();
  await page.locator('tr[data-name="hello"]').waitFor();
  console.log(`files page at ${new URL(page.url()).pathname}: ${(await page.locator("#entries tr").allTextContents()).length} entries`);
  await page.getByLabel("new folder name").fill("made here");
  await page.getByRole("button", { name: "Make folder" }).click();
  await page.locator('tr[data-name="made here"] a').click();
  await page.waitForURL(/made%20here\/$/);
  await page.locator("#upload").setInputFiles({ name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("uploaded from the page\n") });
  await page.getByRole("status").filter({ hasText: "note.txt uploaded" }).waitFor();
  const link = page.locator('tr[data-name="note.txt"] a');
  const back = await page.evaluate(async (href) => (await fetch(href)).text(), await link.getAttribute("href"));
  console.log(`files page read back: ${back.trim()}`);
  console.log(await identity("files page"));
  await shoot(page, shots, "files");
  await page.getByRole("button", { name: "delete note.txt" }).click();
  await page.getByRole("status").filter({ hasText: "note.txt deleted" }).waitFor();
  await page.locator('tr[data-name="note.txt"]').waitFor({ state: "detached" });
  console.log(`files page deleted note.txt: ${await page.locator('tr[data-name="note.txt"]').count() === 0}`);
} finally {
  await browser.close();
}
