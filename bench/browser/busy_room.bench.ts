import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';

// (i) A busy room in a real browser: a bot (`loadgen --bot`) posts into the room a
// signed-in tab has open. The page records, per applied batch, the frames applied and the
// main-thread time from applying them to rendering them (`window.__cloud_msg_perf`); a
// MutationObserver notes when a given message enters the DOM, and the next animation
// frame after it (when it is painted) is when it counts as visible.

const run = promisify(execFile);
const loadgen = process.env.LOADGEN ?? './target/release/loadgen';
const addr = new URL(process.env.BENCH_URL ?? 'http://127.0.0.1:3300').host;

/** Posts `count` messages `${text} 0…` at `rate`/s (0: at once); the bot's clock (Unix ms). */
async function bot(room: string, count: number, rate: number, text: string) {
  const { stdout } = await run(loadgen, ['--url', addr, '--bot', room, '--count', `${count}`, '--rate', `${rate}`, '--text', text], {
    maxBuffer: 1 << 20,
  });
  const m = stdout.match(/first sent at (\d+); last sent at (\d+); all acked by (\d+)/);
  if (!m) throw new Error(`unexpected bot output: ${stdout}`);
  return { first: Number(m[1]), last: Number(m[2]), stored: Number(m[3]) };
}

/** Resolves with the time (Unix ms) the message `text` was first painted. */
async function watchFor(page: Page, text: string) {
  await page.evaluate((text) => {
    const w = window as any;
    w.__seen = w.__seen ?? {};
    const mo = new MutationObserver((records) => {
      for (const r of records) {
        for (const node of r.addedNodes) {
          if (!(node instanceof Element)) continue;
          const hit = [...node.querySelectorAll('.msg .text'), ...(node.matches('.msg .text') ? [node] : [])].some(
            (p) => p.textContent === text,
          );
          if (hit) {
            mo.disconnect();
            requestAnimationFrame(() => (w.__seen[text] = Date.now()));
            return;
          }
        }
      }
    });
    mo.observe(document.querySelector('[role=log]')!, { childList: true, subtree: true });
  }, text);
  return async () => {
    const h = await page.waitForFunction((text) => (window as any).__seen?.[text], text, { timeout: 600_000 });
    return (await h.jsonValue()) as number;
  };
}

/** Takes the batches recorded so far: [frames, ms] each. */
async function takeBatches(page: Page): Promise<[number, number][]> {
  return page.evaluate(() => {
    const w = window as any;
    const out = w.__cloud_msg_perf;
    w.__cloud_msg_perf = [];
    return out;
  });
}

async function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const w = window as any;
    const out = w.__longtasks;
    w.__longtasks = [];
    return out;
  });
}

const pct = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

function report(name: string, batches: [number, number][], longTasks: number[]) {
  const frames = batches.reduce((n, [f]) => n + f, 0);
  const perMessage = batches.map(([f, ms]) => ms / f);
  const perBatch = batches.map(([, ms]) => ms);
  console.log(
    `${name}: ${frames} frames in ${batches.length} batches; main thread per message p50 ${f2(pct(perMessage, 0.5))} ms, ` +
      `p99 ${f2(pct(perMessage, 0.99))} ms; per batch p50 ${f2(pct(perBatch, 0.5))} ms, p99 ${f2(pct(perBatch, 0.99))} ms, ` +
      `max ${f2(Math.max(...perBatch))} ms; long tasks (>50 ms): ${longTasks.length}` +
      (longTasks.length ? `, longest ${f1(Math.max(...longTasks))} ms` : ''),
  );
}

test('(i) a busy room in a real browser', async ({ page }) => {
  const room = `busy-${Date.now().toString(36)}`;
  await page.goto(`/r/${room}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByLabel('Display name').fill('reader');
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('status')).toHaveText(/Connected/, { timeout: 15_000 });
  await page.evaluate(() => {
    const w = window as any;
    w.__cloud_msg_perf = [];
    w.__longtasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longtasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });

  // 5,000 messages at 50/s.
  let seen = await watchFor(page, 'a 4999');
  let sent = await bot(room, 5000, 50, 'a');
  let shown = await seen();
  report('steady: 5,000 messages at 50/s', await takeBatches(page), await takeLongTasks(page));
  console.log(`steady: the last message was visible ${shown - sent.last} ms after it was sent`);

  // A burst of 1,000 at once.
  seen = await watchFor(page, 'b 999');
  sent = await bot(room, 1000, 0, 'b');
  shown = await seen();
  report('burst: 1,000 messages at once', await takeBatches(page), await takeLongTasks(page));
  console.log(
    `burst: all 1,000 visible ${shown - sent.first} ms after the first was sent; the server had stored them ` +
      `${sent.stored - sent.first} ms after the first was sent, so the page showed the last ${shown - sent.stored} ms after it was stored`,
  );

  // Up to 10,000 messages in the room and the tab.
  seen = await watchFor(page, 'c 3999');
  await bot(room, 4000, 400, 'c');
  await seen();
  await takeBatches(page);
  await takeLongTasks(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  const dom = await page.evaluate(() => document.querySelector('[role=log]')!.querySelectorAll('*').length);
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')) ? 'loaded' : 'missing',
  );
  console.log(
    `after 10,000 messages: JS heap ${f1(metric('JSHeapUsedSize') / 1048576)} MB used ` +
      `(${f1(metric('JSHeapTotalSize') / 1048576)} MB total), ${metric('Nodes')} DOM nodes in the page, ` +
      `${dom} elements under the log (wasm ${wasm})`,
  );

  // And one more.
  seen = await watchFor(page, 'd 0');
  sent = await bot(room, 1, 0, 'd');
  shown = await seen();
  console.log(`one more after 10,000: visible ${shown - sent.last} ms after it was sent (${shown - sent.stored} ms after it was stored)`);
  expect(dom).toBeGreaterThan(0);
});
