// What opening the chat widget costs a visitor, measured in Chromium: every request the demo
// page and the widget make (bytes on the wire, encoding), the loader's main-thread time on the
// host page, and the time from the click to an interactive widget, with and without Chrome's
// "Fast 4G" throttling. Needs a running server (`bash .ci/serve`).
//
//   node end2end/measure/widget.mjs [http://127.0.0.1:3000]
//
// Prints a table and, last, one JSON line with the figures.
import { chromium } from '@playwright/test';

const base = (process.argv[2] || 'http://127.0.0.1:3000').replace(/\/$/, '');
// Chrome DevTools' "Fast 4G" preset (throughput in bytes per second).
const FAST_4G = {
  offline: false,
  latency: 60 * 2.75,
  downloadThroughput: ((9 * 1000 * 1000) / 8) * 0.9,
  uploadThroughput: ((1.5 * 1000 * 1000) / 8) * 0.9,
};
const TIMEOUT_MS = 60_000;

async function open(browser, throttle) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Performance.enable');
  if (throttle) await cdp.send('Network.emulateNetworkConditions', throttle);
  const requests = new Map();
  cdp.on('Network.responseReceived', (e) => {
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    requests.set(e.requestId, {
      url: e.response.url.replace(base, ''),
      status: e.response.status,
      encoding: h['content-encoding'] || 'identity',
      type: e.type,
      bytes: 0,
    });
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });

  await page.goto(`${base}/demo`, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('[data-switchboard=launcher]').waitFor({ timeout: TIMEOUT_MS });
  // Before the widget opens, the loader is the only script the host page ran.
  const metrics = Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]),
  );
  const hostRequests = new Set(requests.keys());

  const clicked = Date.now();
  await page.locator('[data-switchboard=launcher]').click();
  const widget = page.frameLocator('[data-switchboard=frame]');
  await widget.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: TIMEOUT_MS });
  const interactiveMs = Date.now() - clicked;
  // Anything the widget asks for right after it starts (its configuration, its socket).
  await page.waitForTimeout(1000);
  await context.close();

  const all = [...requests.entries()];
  return {
    interactiveMs,
    loaderScriptMs: Math.round(metrics.ScriptDuration * 1000 * 10) / 10,
    loader: all.map(([, r]) => r).find((r) => r.url.startsWith('/widget.js')),
    widget: all.filter(([id]) => !hostRequests.has(id)).map(([, r]) => r),
  };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const plain = await open(browser, null);
  const fast4g = await open(browser, FAST_4G);
  const kb = (n) => (n / 1000).toFixed(1).padStart(8);
  console.log('opening the widget (after the click), unthrottled:');
  console.log('  bytes(kB) encoding  status  url');
  for (const r of plain.widget) {
    console.log(`  ${kb(r.bytes)}  ${r.encoding.padEnd(8)}  ${String(r.status).padEnd(6)}  ${r.url.slice(0, 80)}`);
  }
  const total = plain.widget.reduce((n, r) => n + r.bytes, 0);
  console.log(`  ${kb(total)}  total`);
  console.log(
    `loader: ${plain.loader ? `${plain.loader.bytes} bytes (${plain.loader.encoding})` : 'not seen'}, ` +
      `host page script time ${plain.loaderScriptMs} ms`,
  );
  console.log(`click to interactive: ${plain.interactiveMs} ms unthrottled, ${fast4g.interactiveMs} ms on Fast 4G`);
  console.log(
    JSON.stringify({
      widget_bytes: total,
      loader_bytes: plain.loader?.bytes ?? null,
      loader_encoding: plain.loader?.encoding ?? null,
      loader_script_ms: plain.loaderScriptMs,
      interactive_ms: plain.interactiveMs,
      interactive_fast_4g_ms: fast4g.interactiveMs,
    }),
  );
} finally {
  await browser.close();
}
