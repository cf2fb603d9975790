import { defineConfig } from '@playwright/test';

// Browser tests run Debian's Chromium against the release build (what `make run` serves),
// started on its own port with a fresh database.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// A second server with every limit off, for tests that need a room with thousands of
// messages (a bot posting them would be rate limited on the first).
const busyPort = port + 1;
process.env.E2E_BUSY_URL = `http://127.0.0.1:${busyPort}`;

export default defineConfig({
  testDir: './end2end/tests',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  workers: 2,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: [
    {
      command: 'rm -rf target/e2e-data && exec ./target/release/cloud_msg',
      url: `${baseURL}/healthz`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
        LEPTOS_SITE_ROOT: 'target/site',
        LEPTOS_OUTPUT_NAME: 'cloud_msg',
        DATABASE_URL: 'sqlite://target/e2e-data/chat.db',
        RUST_LOG: 'warn',
        // Every browser of the suite signs in from 127.0.0.1; the other limits stay as shipped.
        CLOUD_MSG_LIMITS: 'sign_in=1000/1m',
      },
    },
    {
      command: 'rm -rf target/e2e-busy && exec ./target/release/cloud_msg',
      url: `${process.env.E2E_BUSY_URL}/healthz`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${busyPort}`,
        LEPTOS_SITE_ROOT: 'target/site',
        LEPTOS_OUTPUT_NAME: 'cloud_msg',
        DATABASE_URL: 'sqlite://target/e2e-busy/chat.db',
        RUST_LOG: 'warn',
        CLOUD_MSG_LIMITS: 'off',
      },
    },
  ],
});
