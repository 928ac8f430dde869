import { test as base, expect, Page, FrameLocator, BrowserContext, Browser, TestInfo } from '@playwright/test';
import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
const serverBin = path.resolve(process.env.SWITCHBOARD_SERVER_BIN || path.join(repo, 'target', 'debug', 'server'));
let nextPort = 3400 + Math.floor(Math.random() * 500);
// Ports that browsers and Node's fetch refuse to connect to (the Fetch standard's "bad
// ports"): a server there is unreachable however healthy it is.
const BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
  512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
  995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668,
  6669, 6679, 6697, 10080,
]);

/** The next port to try, never one the browser would refuse. */
function takePort(): number {
  while (BAD_PORTS.has(nextPort)) nextPort++;
  return nextPort++;
}

/** A Switchboard process on a database, which a test can stop and start again. */
export class Server {
  private proc?: ChildProcess;
  private log: string[] = [];
  /** Set by the first successful start; a restart uses the same address. */
  private started = false;

  /** `database`: a folder for a fresh SQLite file, or a `postgres://` URL; `env`: more
   * variables for the process (test hooks). */
  constructor(private _port: number, readonly database: string, private env: Record<string, string> = {}) {}

  get port(): number {
    return this._port;
  }

  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  /** Starts the process and waits until it is healthy. A process that fails to start is
   * killed before this throws: nothing outlives a test. A first start on a port something
   * else holds moves to the next port. */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.spawnAndWait();
        this.started = true;
        return;
      } catch (e) {
        await this.kill();
        const taken = this.log.join('').includes('Address already in use');
        if (!taken || this.started || attempt >= 5) throw e;
        this._port = takePort();
        this.log = [];
      }
    }
  }

  private async spawnAndWait(): Promise<void> {
    this.proc = spawn(serverBin, [], {
      cwd: repo,
      env: {
        ...process.env,
        ...this.env,
        SWITCHBOARD_ADDR: `127.0.0.1:${this._port}`,
        DATABASE_URL: this.database.startsWith('postgres') ? this.database : `sqlite://${this.database}/e2e.db`,
        LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT || path.join(repo, 'target', 'site'),
        // Nodes on one database share its files (as they would share a bucket).
        SWITCHBOARD_FILES: this.database.startsWith('postgres')
          ? path.join(os.tmpdir(), `switchboard-e2e-files-${this.database.split('/').pop()}`)
          : path.join(this.database, 'files'),
        // Domain events are logged at info: the log printed with a failure tells what happened.
        RUST_LOG: process.env.E2E_RUST_LOG || 'info,sqlx=warn,sea_orm=warn,tower_sessions=warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout?.on('data', (d) => this.log.push(String(d)));
    this.proc.stderr?.on('data', (d) => this.log.push(String(d)));
    // Generous: on a loaded 2-core machine, starting the binary alone has taken half a minute.
    const deadline = Date.now() + 60_000;
    // What the probes saw, for the message if the server never answers.
    const seen = new Map<string, number>();
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`server exited: ${this.log.join('')}`);
      let outcome: string;
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(5_000) });
        if (res.ok) return;
        outcome = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
      } catch (e: any) {
        outcome = `${e?.name ?? 'error'}: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? e}`;
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 100));
    }
    const probes = [...seen].map(([what, n]) => `${n} x ${what}`).join('; ');
    throw new Error(`server on port ${this._port} did not become healthy (probes: ${probes}): ${this.log.join('')}`);
  }

  output(): string {
    return this.log.join('');
  }

  /** Kills the process outright, like a crash or a pulled plug. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}

/** A page in a context of its own, closed when the test ends. Browser console errors and
 * uncaught exceptions (a hydration panic, say) are printed when the test fails. */
async function freshPage({ browser }: { browser: Browser }, use: (page: Page) => Promise<void>, testInfo: TestInfo): Promise<void> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`[console.${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
  await use(page);
  if (testInfo.status !== testInfo.expectedStatus && problems.length > 0) {
    console.log(`browser problems in ${page.url()}:\n  ${problems.join('\n  ')}`);
  }
  await ctx.close();
}

/** A fresh PostgreSQL database for several nodes (TEST_POSTGRES_URL, as `.ci/test` sets it). */
function postgresDatabase(): string | undefined {
  const base = process.env.TEST_POSTGRES_URL;
  if (!base) return undefined;
  const name = `sb_e2e_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  execFileSync('psql', [`${base}/postgres`, '-qc', `CREATE DATABASE ${name}`]);
  return `${base}/${name}`;
}

type Fixtures = { serverEnv: Record<string, string>; server: Server; cluster: Server[]; visitor: Page; agent: Page; agent2: Page; admin: Page };

export const test = base.extend<Fixtures>({
  // More environment for the `server` fixture's process: `test.use({ serverEnv: {...} })`.
  serverEnv: [{}, { option: true }],
  server: async ({ serverEnv }, use, testInfo) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-'));
    const server = new Server(takePort(), dir, serverEnv);
    await server.start();
    await use(server);
    await server.kill();
    if (testInfo.status !== testInfo.expectedStatus) console.log(`server log:\n${server.output()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  },
  // Two nodes on one PostgreSQL database, as behind a load balancer.
  cluster: async ({}, use, testInfo) => {
    const db = postgresDatabase();
    if (!db) {
      if (process.env.SWITCHBOARD_REQUIRE_POSTGRES === '1') throw new Error('TEST_POSTGRES_URL is not set');
      testInfo.skip(true, 'several nodes need PostgreSQL (TEST_POSTGRES_URL)');
      return;
    }
    const nodes = [new Server(takePort(), db), new Server(takePort(), db)];
    try {
      for (const n of nodes) await n.start();
    } catch (e) {
      // A node that started is stopped with the one that did not.
      for (const n of nodes) await n.kill();
      throw e;
    }
    await use(nodes);
    for (const n of nodes) await n.kill();
    if (testInfo.status !== testInfo.expectedStatus) nodes.forEach((n, i) => console.log(`node ${i} log:\n${n.output()}`));
  },
  // Separate browser contexts: a visitor and each agent share nothing, as in real life.
  visitor: freshPage,
  agent: freshPage,
  agent2: freshPage,
  admin: freshPage,
});

export { expect };

/** Navigates and waits until the page is hydrated (clicks before that would be lost). */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await hydrated(page);
}

export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated]')).toHaveCount(1);
}

/** After a reload of the demo page: opens the launcher again and returns the widget. */
export async function reopenWidget(page: Page): Promise<FrameLocator> {
  await page.reload();
  await page.locator('[data-switchboard=launcher]').click();
  const widget = page.frameLocator('[data-switchboard=frame]');
  await expect(widget.locator('body[data-hydrated]')).toHaveCount(1);
  return widget;
}

/** The widget iframe on the demo page, opened with the launcher. */
export async function openWidget(page: Page, server: Server): Promise<FrameLocator> {
  await page.goto(`${server.url}/demo`);
  await page.locator('[data-switchboard=launcher]').click();
  const widget = page.frameLocator('[data-switchboard=frame]');
  await expect(widget.locator('body[data-hydrated]')).toHaveCount(1);
  await expect(widget.locator('[data-testid=widget]')).toBeVisible();
  return widget;
}

export async function startChat(widget: FrameLocator, name: string, message: string, phone?: string): Promise<void> {
  // The demo greets with the chatbot first; "Talk to an agent" leads to the form.
  await widget.locator('[data-testid=talk-to-agent]').click();
  const form = widget.locator('[data-testid=prechat-form]');
  await expect(form).toBeVisible();
  await form.locator('input[name=name]').fill(name);
  await form.locator('input[name=email]').fill(`${name.toLowerCase()}@example.com`);
  if (phone) await form.locator('input[name=phone]').fill(phone);
  await form.locator('textarea[name=message]').fill(message);
  await form.locator('button[type=submit]').click();
  await expect(widget.locator('[data-testid=message]').filter({ hasText: message })).toHaveCount(1);
  await expect(widget.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
}

export async function signIn(page: Page, server: Server, email = 'agent1@demo.test'): Promise<void> {
  await visit(page, `${server.url}/login`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill('switchboard');
  await page.locator('button[type=submit]').click();
  await expect(page).toHaveURL(/\/inbox$/);
  await expect(page.locator('[data-testid=inbox]')).toBeVisible();
  await hydrated(page);
  await expect(page.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
}

/** Types into a composer (page or widget) and sends with Enter. */
export async function send(scope: Page | FrameLocator, text: string): Promise<void> {
  const input = scope.locator('[data-testid=composer-input]');
  await input.fill(text);
  await input.press('Enter');
}

/** Messages people wrote (not system notes like "X joined the chat"). */
export function messages(scope: Page | FrameLocator) {
  return scope.locator('[data-testid=message]:not(.system)');
}

/** The message bodies people wrote, in order, checking their seqs strictly increase. */
export async function thread(scope: Page | FrameLocator): Promise<string[]> {
  const all = scope.locator('[data-testid=message]');
  const seqs = (await all.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq')))));
  for (let i = 1; i < seqs.length; i++) {
    if (!(seqs[i] > seqs[i - 1])) throw new Error(`messages out of order or duplicated: ${seqs}`);
  }
  return (await messages(scope).locator('.body').allTextContents()).map((s) => s.trim());
}

/** An agent takes a waiting chat from the Queued folder with Start chat; the room opens. */
export async function takeFromQueue(agent: Page, contact: string): Promise<void> {
  await agent.locator('[data-testid=folder-queued]').click();
  const row = agent.locator('[data-testid=conversation-row]').filter({ hasText: contact });
  await expect(row).toHaveCount(1);
  await row.locator('[data-testid=start-chat]').click();
  await expect(agent.locator('[data-testid=folder-engaged]')).toHaveClass(/active/);
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText(contact);
}

/** A row in the agent's current folder. */
export function row(agent: Page, contact: string) {
  return agent.locator('[data-testid=conversation-row]').filter({ hasText: contact });
}

/** Admin: change routing settings through the admin page. */
export async function configureRouting(admin: Page, server: Server, opts: { mode?: string; accept?: number; queue?: number }): Promise<void> {
  await visit(admin, `${server.url}/admin`);
  await admin.locator('[data-testid=admin-tab-routing]').click();
  const form = admin.locator('[data-testid=routing-form]');
  await expect(form).toBeVisible();
  if (opts.mode) await form.locator('[data-testid=routing-mode]').selectOption(opts.mode);
  if (opts.accept) await form.locator('[data-testid=accept-timeout]').fill(String(opts.accept));
  if (opts.queue) await form.locator('[data-testid=queue-timeout]').fill(String(opts.queue));
  await form.locator('[data-testid=save-settings]').click();
  await expect(admin.locator('[data-testid=settings-saved]')).toBeVisible();
}

export async function setPresence(page: Page, presence: 'online' | 'away' | 'offline'): Promise<void> {
  await page.locator('[data-testid=presence]').selectOption(presence);
  await expect(page.locator('[data-testid=presence]')).toHaveValue(presence);
}

export type { BrowserContext };
