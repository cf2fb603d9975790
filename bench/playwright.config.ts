import { defineConfig } from '@playwright/test';

// Scenario (i) of `make bench`: a busy room in a real browser. bench/run.sh starts the
// server (limits off) and passes its address in BENCH_URL, and the load tool in LOADGEN.
export default defineConfig({
  testDir: './browser',
  testMatch: '*.bench.ts',
  timeout: 900_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../target/bench-results',
  use: {
    baseURL: process.env.BENCH_URL ?? 'http://127.0.0.1:3300',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--enable-precise-memory-info',
      ],
    },
  },
});
