import { test, expect, type Page } from '@playwright/test';
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freshRoom, joinAs, log, say } from './fixtures';

// Two nodes of a cluster (the release binary, on one fresh Postgres database and Redis),
// each reached through a small load balancer of its own that fails over to the other node
// when its first choice is gone, as nginx or HAProxy would.
const base = Number(process.env.E2E_PORT ?? 3100) + 2;
const nodePorts = [base, base + 1];
const balancerPorts = [base + 2, base + 3];
const pgAdmin = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redis = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const db = `cloud_msg_test_e2e_${process.pid}`;
const dbURL = pgAdmin.replace(/\/[^/]*$/, `/${db}`);

// psql without its NOTICEs.
const quiet = { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } };
const nodes: (ChildProcess | null)[] = [null, null];
const balancers: net.Server[] = [];

async function startNode(i: number) {
  const node = spawn('./target/release/cloud_msg', [], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${nodePorts[i]}`,
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_OUTPUT_NAME: 'cloud_msg',
      DATABASE_URL: dbURL,
      REDIS_URL: redis,
      CLOUD_MSG_REDIS_PREFIX: `e2e${process.pid}:`,
      CLOUD_MSG_LIMITS: 'sign_in=1000/1m',
      RUST_LOG: 'warn',
    },
  });
  nodes[i] = node;
  for (let t = 0; t < 200; t++) {
    try {
      if ((await fetch(`http://127.0.0.1:${nodePorts[i]}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node ${i} did not become healthy`);
}

/** Forwards each connection to the first of `targets` that accepts it. */
function balancer(port: number, targets: number[]): Promise<net.Server> {
  const server = net.createServer((client) => {
    client.pause();
    const attempt = (i: number) => {
      if (i >= targets.length) return client.destroy();
      const upstream = net.connect(targets[i], '127.0.0.1');
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => (connected ? client.destroy() : attempt(i + 1)));
      upstream.on('close', () => connected && client.destroy());
      client.on('close', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
    };
    attempt(0);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  execSync(`psql "${pgAdmin}" -qc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)"`, quiet);
  execSync(`psql "${pgAdmin}" -qc "CREATE DATABASE ${db}"`);
  await startNode(0);
  await startNode(1);
  balancers.push(await balancer(balancerPorts[0], [nodePorts[0], nodePorts[1]]));
  balancers.push(await balancer(balancerPorts[1], [nodePorts[1], nodePorts[0]]));
});

test.afterAll(async () => {
  for (const b of balancers) b.close();
  // Each node gone (its connections to the database closed) before the database is dropped.
  await Promise.all(
    nodes.map((node) =>
      node && node.exitCode === null && node.signalCode === null
        ? new Promise((r) => node.once('exit', r).kill('SIGKILL'))
        : undefined,
    ),
  );
  execSync(`psql "${pgAdmin}" -qc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)"`, quiet);
});

const message = (page: Page, text: string) => log(page).locator('.msg', { hasText: text });

test('two people on two nodes chat, and one keeps chatting after its node is killed', async ({
  browser,
}) => {
  test.setTimeout(60_000);
  const room = freshRoom('cluster');
  const alice = await joinAs(browser, room, 'alice', {
    baseURL: `http://127.0.0.1:${balancerPorts[0]}`,
  });
  const bob = await joinAs(browser, room, 'bob', {
    baseURL: `http://127.0.0.1:${balancerPorts[1]}`,
  });

  await say(alice.page, 'hello from node A');
  await expect(message(bob.page, 'hello from node A')).toBeVisible();
  await say(bob.page, 'hello from node B');
  await expect(message(alice.page, 'hello from node B')).toBeVisible();

  // Alice's node dies without a goodbye; her page reconnects through her balancer to the
  // other node, and what she writes meanwhile goes out once.
  nodes[0]!.kill('SIGKILL');
  await say(alice.page, 'still here after node A died');
  await expect(message(bob.page, 'still here after node A died')).toBeVisible({ timeout: 20_000 });
  await expect(alice.page.getByRole('status')).toHaveText(/Connected/, { timeout: 20_000 });
  await say(bob.page, 'welcome to node B');
  await expect(message(alice.page, 'welcome to node B')).toBeVisible();
  // Each message once, in the same order on both pages.
  const order = ['hello from node A', 'hello from node B', 'still here after node A died', 'welcome to node B'];
  for (const page of [alice.page, bob.page]) {
    const texts = await log(page).locator('.msg').allInnerTexts();
    const seen = order.map((t) => texts.findIndex((x) => x.includes(t)));
    expect(seen.every((i) => i >= 0)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    for (const t of order) expect(texts.filter((x) => x.includes(t))).toHaveLength(1);
  }
  await expect(alice.page.locator('.msg', { hasText: 'still here after node A died' }).getByRole('img')).toHaveAccessibleName(/Delivered|Read/);
  await alice.page.screenshot({ path: 'test-results/cluster-after-failover.png' });
  await alice.context.close();
  await bob.context.close();
});
