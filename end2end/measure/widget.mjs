// What opening the chat widget costs a visitor, measured in Chromium: every request the demo
// page and the widget make (bytes on the wire, encoding), the loader's main-thread time on the
// host page, and the time from the click to an interactive widget, with and without Chrome's
// "Fast 4G" throttling. Needs a running server (`bash .ci/serve`).
//
//   node end2end/measure/widget.mjs [http://127.0.0.1:3000]
//
// Then, with a demo agent signed in (so the widget offers a chat), what starting a chat costs
// on top (the chat room's chunk, fetched on first use) and what a returning visitor's widget,
// which opens straight into the room, transfers; both with the browser's cache off.
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

/** Counts the bytes of every response in `context` into the latest entry of `phases`. */
async function counting(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const phases = [{ bytes: 0, chunks: 0 }];
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    const phase = phases[phases.length - 1];
    phase.bytes += e.encodedDataLength;
    if (/\/split_[^/]*\.wasm$/.test(new URL(urls.get(e.requestId) ?? base).pathname)) phase.chunks += 1;
  });
  return phases;
}

/** A demo agent signed in (kept Online by its open inbox), or null if that fails. */
async function agentOnline(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${base}/login`, { timeout: TIMEOUT_MS });
    await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: TIMEOUT_MS });
    await page.locator('input[name=email]').fill(process.env.AGENT_EMAIL || 'agent1@demo.test');
    await page.locator('input[name=password]').fill(process.env.AGENT_PASSWORD || 'switchboard');
    await page.locator('button[type=submit]').click();
    await page.locator('[data-testid=connection][data-state=online]').waitFor({ timeout: TIMEOUT_MS });
    return context;
  } catch (e) {
    console.log(`(no agent could sign in, so no chat is started: ${e.message.split('\n')[0]})`);
    await context.close();
    return null;
  }
}

/** Starts a chat from a fresh widget, then comes back to it as a returning visitor. */
async function chat(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const phases = await counting(context, page);
  await page.goto(`${base}/demo`, { waitUntil: 'load', timeout: TIMEOUT_MS });
  await page.locator('[data-switchboard=launcher]').click();
  let widget = page.frameLocator('[data-switchboard=frame]');
  const talk = widget.locator('[data-testid=talk-to-agent]');
  const form = widget.locator('[data-testid=prechat-form]');
  await talk.or(form).first().waitFor({ timeout: TIMEOUT_MS });
  if (await talk.isVisible()) await talk.click();
  await form.locator('input[name=name]').fill('Measure');
  await form.locator('input[name=email]').fill('measure@example.com');
  await form.locator('textarea[name=message]').fill('How much does starting a chat cost?');
  await page.waitForTimeout(500);
  phases.push({ bytes: 0, chunks: 0 });
  const submitted = Date.now();
  await form.locator('button[type=submit]').click();
  await widget.locator('[data-testid=composer-input]').waitFor({ timeout: TIMEOUT_MS });
  const startMs = Date.now() - submitted;
  await page.waitForTimeout(1000);

  phases.push({ bytes: 0, chunks: 0 });
  await page.reload({ waitUntil: 'load', timeout: TIMEOUT_MS });
  const clicked = Date.now();
  await page.locator('[data-switchboard=launcher]').click();
  widget = page.frameLocator('[data-switchboard=frame]');
  await widget.locator('[data-testid=composer-input]').waitFor({ timeout: TIMEOUT_MS });
  const returnMs = Date.now() - clicked;
  await page.waitForTimeout(1000);
  await context.close();
  return { start: phases[1], startMs, returning: phases[2], returnMs };
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
  const agent = await agentOnline(browser);
  const started = agent ? await chat(browser) : null;
  if (agent) await agent.close();
  if (started) {
    console.log(
      `starting a chat: ${started.start.bytes} more bytes (${started.start.chunks} chunk), ` +
        `submit to the room's composer ${started.startMs} ms`,
    );
    console.log(
      `a returning visitor (the page reloaded, cache off): ${started.returning.bytes} bytes with the host page ` +
        `(${started.returning.chunks} chunk), click to the room's composer ${started.returnMs} ms`,
    );
  }
  console.log(
    JSON.stringify({
      start_chat_bytes: started?.start.bytes ?? null,
      start_chat_ms: started?.startMs ?? null,
      returning_bytes_with_host_page: started?.returning.bytes ?? null,
      returning_ms: started?.returnMs ?? null,
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
