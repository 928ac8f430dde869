import { defineConfig } from '@playwright/test';

// Each test starts its own Switchboard (fresh SQLite database, own port) through the
// fixtures in tests/fixtures.ts, so tests can restart it. One worker: 2-core CI machine.
export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    actionTimeout: 15_000,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    },
  },
});
