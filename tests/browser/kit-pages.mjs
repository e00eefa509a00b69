// The kit's pages in a real browser (Debian's chromium, driven by playwright-core): the
// terminal page runs a typed command and shows its output, keeps the session over a reload;
// the display page connects, resizes the display to its window and draws the container's screen
// on its canvas.
// Usage: node tests/browser/kit-pages.mjs TERMINAL_URL DISPLAY_URL SCREENSHOT_DIR
import { createRequire } from "node:module";
// playwright-core is one of the UI package's development dependencies (ui/node_modules).
const { chromium } = createRequire(new URL("../../ui/package.json", import.meta.url))("playwright-core");

const [terminalUrl, displayUrl, shots] = process.argv.slice(2);
if (!shots) throw new Error("usage: kit-pages.mjs TERMINAL_URL DISPLAY_URL SCREENSHOT_DIR");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
  // What the page says goes to stderr, so a failure shows its cause.
  page.on("console", (message) => console.error(`page console: ${message.text()}`));
  page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
  page.on("requestfailed", (request) => console.error(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  const terminalText = () => page.evaluate(() => document.querySelector(".xterm-rows")?.textContent ?? "");

  await page.goto(terminalUrl);
  await page.waitForSelector(".xterm-rows");
  await page.click("#terminal");
  await page.keyboard.type("echo from-the-browser-$((40+2)) $(hostname)\n");
  await page.waitForFunction(
    () => document.querySelector(".xterm-rows")?.textContent.includes("from-the-browser-42"),
    null,
    { timeout: 30000 },
  );
  await page.screenshot({ path: `${shots}/terminal.png` });

  // A reload re-attaches to the same shell and re-draws what it showed.
  await page.reload();
  await page.waitForFunction(
    () => document.querySelector(".xterm-rows")?.textContent.includes("from-the-browser-42"),
    null,
    { timeout: 30000 },
  );
  console.log(`terminal: ${(await terminalText()).match(/from-the-browser-42 browsed/)[0]}`);

  await page.goto(displayUrl);
  await page.waitForFunction(() => window.hoodyDisplayConnected === true, null, { timeout: 30000 });
  // The container's xlogo window (white) shows up on the canvas noVNC draws.
  const white = await page.waitForFunction(
    () => {
      const canvas = document.querySelector("#screen canvas");
      if (!canvas || canvas.width === 0) return 0;
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] > 200 && data[i + 2] > 200) count++;
      return count > 50000 ? count : 0;
    },
    null,
    { timeout: 30000, polling: 200 },
  );
  const size = await page.evaluate(() => {
    const c = document.querySelector("#screen canvas");
    return `${c.width}x${c.height}`;
  });
  await page.screenshot({ path: `${shots}/display.png` });
  console.log(`display: canvas ${size}, ${await white.jsonValue()} white pixels`);
} finally {
  await browser.close();
}
