// A container that dies at boot says why in its own words, in a real browser (Debian's chromium,
// driven by playwright-core): its Start is clicked on its card, the notice says what systemd
// said, and its detail view's status log and Console show the same line.
// Usage: node tests/browser/last-words.mjs UI_URL TOKEN CONTAINER_NAME WORDS SCREENSHOT_DIR
import { createRequire } from "node:module";
import { shoot } from "./shots.mjs";
// playwright-core is one of the UI package's development dependencies (ui/node_modules).
const { chromium } = createRequire(new URL("../../ui/package.json", import.meta.url))("playwright-core");

const [url, token, name, words, shots] = process.argv.slice(2);
if (!shots) throw new Error("usage: last-words.mjs UI_URL TOKEN CONTAINER_NAME WORDS SCREENSHOT_DIR");
const step = (text) => console.log(`step: ${text}`);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${url}/#token=${token}`);
  const card = page.locator(`[data-container="${name}"]`);
  await card.getByRole("button", { name: "Start", exact: true }).click();
  const notice = page.locator(".notices li").filter({ hasText: words });
  await notice.waitFor({ timeout: 60000 });
  step(`notice: ${(await notice.innerText()).replace("✕", "").trim()}`);
  await shoot(page, shots, "ui-last-words-notice");

  await card.getByRole("button", { name, exact: true }).click();
  const detail = page.getByRole("dialog");
  const logged = detail.getByRole("cell", { name: new RegExp(words.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")) });
  await logged.first().waitFor({ timeout: 30000 });
  step(`status log: ${(await logged.first().innerText()).trim()}`);
  await detail.getByRole("tab", { name: "Console" }).click();
  const console_ = detail.getByRole("log");
  await console_.getByText(words).first().waitFor({ timeout: 30000 });
  step(`console shows: ${words}`);
  await shoot(page, shots, "ui-last-words-console");
} finally {
  await browser.close();
}
