// A first run in a real browser (Debian's chromium, driven by playwright-core): a server with no
// image yet offers to download one; the download shows its progress, and then the first
// container can be created. Usage: node tests/browser/first-run.mjs UI_URL TOKEN SCREENSHOT_DIR
import { createRequire } from "node:module";
import { shoot } from "./shots.mjs";
// playwright-core is one of the UI package's development dependencies (ui/node_modules).
const { chromium } = createRequire(new URL("../../ui/package.json", import.meta.url))("playwright-core");

const [url, token, shots] = process.argv.slice(2);
if (!shots) throw new Error("usage: first-run.mjs UI_URL TOKEN SCREENSHOT_DIR");
const step = (text) => console.log(`step: ${text}`);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${url}/#token=${token}`);
  const start = page.getByRole("region", { name: "getting started" });
  await start.getByText("no image to create them from").waitFor();
  const offer = start.getByRole("button", { name: /^Download / });
  step(`the empty grid offers: ${(await offer.textContent()).trim()}`);
  await shoot(page, shots, "ui-first-run");
  await offer.click();
  await start.getByRole("button", { name: "Create one" }).waitFor({ timeout: 60000 });
  step("downloaded; the first container can be created");
  await start.getByRole("button", { name: "Create one" }).click();
  const select = page.getByRole("dialog").locator("select[name=image]");
  await select.locator("option").first().waitFor({ state: "attached" });
  const image = await select.inputValue();
  step(`the create dialog proposes ${image}`);
} finally {
  await browser.close();
}
