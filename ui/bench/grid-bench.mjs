// `node ui/bench/grid-bench.mjs` (after `npx vite build --config bench/vite.config.ts`): the
// grid of 2,000 containers in Debian's chromium. Prints the time from mounting to the first
// screen of cards drawn, frame times while scrolling from top to bottom (the grid is windowed:
// only the rows in view are in the page), and checks that the last card shows at the bottom.
// Then the fleet: 3 servers × 1,000 and 10 × 500 containers drawn from the last known ones
// alone (the servers never answer), and the merge of a burst of one server's events.
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";

const dist = new URL("./dist/", import.meta.url).pathname;
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
const server = createServer(async (req, res) => {
  try {
    const path = join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname));
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    res.end(await readFile(path));
  } catch {
    res.writeHead(404).end();
  }
}).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const { port } = server.address();

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });

/** The ms from mounting the App to the frame after its first cards are in the page. */
const firstScreen = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) => {
        const check = () =>
          document.querySelectorAll(".card").length > 0
            ? requestAnimationFrame(() => resolve(performance.now() - window.hoodyBenchStart))
            : requestAnimationFrame(check);
        check();
      }),
  );

const rows = [];
try {
  for (let run = 0; run < 5; run++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/grid.html?count=2000`);
    const drawn = await firstScreen(page);
    const frames = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const times = [];
          let last = performance.now();
          const step = () => {
            const now = performance.now();
            times.push(now - last);
            last = now;
            window.scrollBy(0, 400);
            if (window.scrollY + window.innerHeight >= document.body.scrollHeight - 2) resolve(times);
            else requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        }),
    );
    await page.waitForTimeout(100);
    const inPage = await page.evaluate(() => document.querySelectorAll(".card").length);
    const last = await page.locator('[data-container="box-999"]').count();
    if (last !== 1) throw new Error("at the bottom of the grid, its last card (box-999, sorted by name) is not drawn");
    frames.sort((a, b) => a - b);
    rows.push({ drawn, inPage, p50: frames[Math.floor(frames.length / 2)], p95: frames[Math.floor(frames.length * 0.95)], n: frames.length });
    await page.close();
  }
} catch (e) {
  await browser.close();
  server.close();
  throw e;
}
rows.sort((a, b) => a.drawn - b.drawn);
const median = rows[Math.floor(rows.length / 2)];
console.log("\n2,000 container cards in chromium (5 runs; the median run)\n");
console.log("| figure | value |\n|---|---:|");
console.log(`| mount → first screen of cards drawn | ${median.drawn.toFixed(0)} ms |`);
console.log(`| cards in the page at the bottom (of 2,000) | ${median.inPage} |`);
console.log(`| scroll top → bottom, frame time p50 | ${median.p50.toFixed(1)} ms (${median.n} frames) |`);
console.log(`| scroll top → bottom, frame time p95 | ${median.p95.toFixed(1)} ms |`);

// The fleet from its local cache: the first full grid, and a burst of one server's events.
const fleetRows = [];
try {
  for (const [servers, each] of [[3, 1000], [10, 500]]) {
    const runs = [];
    for (let run = 0; run < 5; run++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`http://127.0.0.1:${port}/grid.html?count=${servers * each}&servers=${servers}&cache=1`);
      const drawn = await firstScreen(page);
      const burst = await page.evaluate(() => window.hoodyBenchBurst(1000));
      runs.push({ drawn, burst });
      await page.close();
    }
    runs.sort((a, b) => a.drawn - b.drawn);
    const median = runs[Math.floor(runs.length / 2)];
    const bursts = runs.map((r) => r.burst.ms).sort((a, b) => a - b);
    fleetRows.push({ servers, each, drawn: median.drawn, worst: runs[runs.length - 1].drawn, burst: bursts[Math.floor(bursts.length / 2)], events: median.burst.count });
  }
} finally {
  await browser.close();
  server.close();
}
console.log("\nThe fleet from its local cache, in chromium (5 runs each; target: first full grid ≤ 300 ms)\n");
console.log("| servers × containers | first full grid (median / worst ms) | merge of one server's event burst (events, median ms) |\n|---|---:|---:|");
for (const r of fleetRows) {
  console.log(`| ${r.servers} × ${r.each} | ${r.drawn.toFixed(0)} / ${r.worst.toFixed(0)} | ${r.events} events: ${r.burst.toFixed(0)} |`);
}
