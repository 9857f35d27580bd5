// Drives the real page in Debian's Chromium with playwright-core: draws a digit with the mouse, uploads a file,
// uses the URL form, checks an error and the phone layout, and saves screenshots. Prints one JSON line of results.
// Usage: node page.e2e.mjs  (settings in environment variables, set by BrowserTests.cs)
//   BASE_URL      the running server, e.g. http://127.0.0.1:5123
//   UPLOAD_FILE   an image file to upload
//   IMAGE_URL     an image URL the server may fetch
//   PRIVATE_URL   a URL the server must refuse
//   SHOTS         folder for screenshots;  PLAYWRIGHT_DIR  folder holding node_modules/playwright-core
import { createRequire } from "node:module";
import path from "node:path";
import fs from "node:fs";

const env = name => { const v = process.env[name]; if (!v) throw new Error(`${name} is not set`); return v; };
const require = createRequire(path.join(env("PLAYWRIGHT_DIR"), "package.json"));
const { chromium } = require("playwright-core");

const shots = env("SHOTS");
fs.mkdirSync(shots, { recursive: true });
const results = {};
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
});

const answers = page => page.evaluate(() => Number(document.body.dataset.answers ?? 0));

// Does `action`, waits for the page's next answer, then returns what it shows: the digit, or the error text.
async function shown(page, action) {
  const before = await answers(page);
  await action();
  await page.waitForFunction(n => Number(document.body.dataset.answers ?? 0) > n && !document.body.hasAttribute("aria-busy"), before, { timeout: 30000 });
  return page.evaluate(() => ({
    digit: document.body.dataset.digit ?? null,
    error: document.getElementById("error").hidden ? null : document.getElementById("error").textContent,
    bars: document.querySelectorAll("#bars li").length,
    // Rendered width of the winning digit's bar as a fraction of its track: what a person sees.
    bestBarFill: (() => {
      const best = document.querySelector("#bars li.best");
      if (!best) return 0;
      const track = best.querySelector(".track").getBoundingClientRect().width;
      return track > 0 ? best.querySelector(".fill").getBoundingClientRect().width / track : 0;
    })(),
    confidence: Number.parseFloat(document.getElementById("confidence").textContent),
    modelInput: (document.getElementById("model-input").getAttribute("src") ?? "").startsWith("data:image/png;base64,"),
  }));
}

async function drawSeven(page) {
  const box = await (await page.$("#pad")).boundingBox();
  const at = (x, y) => [box.x + box.width * x / 280, box.y + box.height * y / 280];
  async function stroke(points) {
    await page.mouse.move(...at(...points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 8 });
    await page.mouse.up();
  }
  // A 7: the top bar, then the diagonal, as two strokes (the page predicts after each one).
  results.firstStroke = await shown(page, () => stroke([[70, 60], [210, 60]]));
  return shown(page, () => stroke([[210, 60], [180, 130], [150, 200], [130, 240]]));
}

try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(env("BASE_URL"), { waitUntil: "load" });
  results.title = await page.title();
  results.liveRegion = await page.getAttribute("#status", "aria-live");
  results.canvasLabel = await page.evaluate(() => document.getElementById(document.getElementById("pad").getAttribute("aria-labelledby")).textContent);

  results.drawn = await drawSeven(page);
  await page.screenshot({ path: path.join(shots, "1-drawn.png"), fullPage: true });

  await page.click("#clear");
  results.clearedDigit = await page.evaluate(() => document.body.dataset.digit ?? null);

  results.upload = await shown(page, () => page.setInputFiles("#file", env("UPLOAD_FILE")));
  await page.screenshot({ path: path.join(shots, "2-upload.png"), fullPage: true });

  await page.fill("#url", env("IMAGE_URL"));
  results.url = await shown(page, () => page.press("#url", "Enter")); // the keyboard path: submit with Enter
  await page.screenshot({ path: path.join(shots, "3-url.png"), fullPage: true });

  await page.fill("#url", env("PRIVATE_URL"));
  results.refused = await shown(page, () => page.click("#url-form button[type=submit]"));
  await page.screenshot({ path: path.join(shots, "4-refused.png"), fullPage: true });

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.goto(env("BASE_URL"), { waitUntil: "load" });
  results.phone = await shown(phone, () => phone.setInputFiles("#file", env("UPLOAD_FILE")));
  results.phoneOverflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await phone.screenshot({ path: path.join(shots, "5-phone.png"), fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(results));
