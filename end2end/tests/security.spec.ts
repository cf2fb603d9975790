import { test, expect, type Page } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say } from './fixtures';

/** Records every Content-Security-Policy violation the page reports. */
async function watchCsp(page: Page) {
  const console: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) console.push(m.text());
  });
  await page.addInitScript(() => {
    (window as any).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as any).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return async () => {
    const events = await page.evaluate(() => (window as any).__csp as string[]);
    return [...console, ...events];
  };
}

test('the app hydrates and chats under the strict policy without a violation', async ({ browser }) => {
  const room = freshRoom('csp');
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations = await watchCsp(page);
  const res = await page.goto(`/r/${room}`);
  const csp = res!.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'nonce-");
  expect(csp).not.toContain('unsafe-inline');
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByLabel('Display name').fill('carol');
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expectConnected(page);
  await say(page, 'hello under CSP');
  await expect(log(page).getByText('hello under CSP')).toBeVisible();
  // A reload (the cached visitor page is not involved: carol is signed in) works too.
  await page.reload();
  await expectConnected(page);
  expect(await violations()).toEqual([]);
  await context.close();
});

test('a visitor page served from the cache still hydrates under its nonce', async ({ browser }) => {
  const room = freshRoom('cached');
  const alice = await joinAs(browser, room, 'alice');
  await say(alice.page, 'cached hello');
  await expect(log(alice.page).getByText('cached hello')).toBeVisible();
  for (let i = 0; i < 2; i++) {
    // The second visit is served from the visitor cache.
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = await watchCsp(page);
    await page.goto(`/r/${room}`);
    await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
    await expect(log(page).getByText('cached hello')).toBeVisible();
    expect(await violations()).toEqual([]);
    await context.close();
  }
  await alice.context.close();
});

test("a reader's page, served from the room's kept copy, is theirs alone and hydrates", async ({ browser }) => {
  const room = freshRoom('readers');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  await say(alice.page, 'from alice');
  await say(bob.page, 'from bob');
  await expect(log(alice.page).getByText('from bob')).toBeVisible();
  for (const [me, other] of [[alice, 'bob'], [bob, 'alice']] as const) {
    const name = other === 'bob' ? 'alice' : 'bob';
    const errors: string[] = [];
    me.page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    me.page.on('pageerror', (e) => errors.push(e.message));
    const violations = await watchCsp(me.page);
    // Twice: the second is the room's kept page with this reader's part put in.
    for (let i = 0; i < 2; i++) {
      await me.page.reload();
      await me.page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
      await expectConnected(me.page);
      await expect(me.page.getByText(`Signed in as ${name}`)).toBeVisible();
      await expect(me.page.getByText(`Signed in as ${other}`)).toHaveCount(0);
      // What is the reader's own in the log comes with hydration.
      await expect(log(me.page).getByRole('link', { name: `Message ${other}` }).first()).toBeVisible();
      await expect(log(me.page).getByRole('link', { name: `Message ${name}` })).toHaveCount(0);
      const own = log(me.page).getByRole('article', { name: `Messages from ${name}` }).first();
      await expect(own.getByRole('img').first()).toHaveAccessibleName(/Read|Delivered|Sent/);
      await own.hover();
      await expect(own.getByRole('button', { name: 'Delete message' }).first()).toBeVisible();
    }
    await say(me.page, `${name} again`);
    await expect(log(me.page).getByText(`${name} again`)).toBeVisible();
    expect(errors).toEqual([]);
    expect(await violations()).toEqual([]);
  }
  for (const c of [alice, bob]) await c.context.close();
});

test('a script in the URL never runs', async ({ page }) => {
  await page.goto('/r/%3C%2Ftitle%3E%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E');
  await expect(page).toHaveTitle('No such room · cloud_msg');
  await expect(page.getByRole('heading', { name: 'No such room' })).toBeVisible();
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
});

test('markup and a right-to-left override in a message stay inside their own text', async ({ browser }) => {
  const room = freshRoom('bidi');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  await say(alice.page, '<img src=x onerror="window.__pwned=1">');
  await say(alice.page, 'abc\u202Edef');
  await expect(log(bob.page).getByText('<img src=x onerror="window.__pwned=1">')).toBeVisible();
  const text = log(bob.page).getByText('abc\u202Edef');
  await expect(text).toBeVisible();
  expect(await text.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe('isolate');
  const author = log(bob.page).locator('bdi.author').first();
  await expect(author).toHaveText('alice');
  expect(await bob.page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await alice.context.close();
  await bob.context.close();
});

test('invisible and direction-changing names are refused with a reason', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/r/${freshRoom('names')}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByLabel('Display name').fill('\u202Eecila');
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('alert')).toContainText('invisible or text-direction');
  await page.getByLabel('Display name').fill('\u3164');
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('alert')).toContainText(/invisible|letter or digit/);
  await context.close();
});

test('Sign out ends the session: the page is a visitor\'s again, also after a reload', async ({ browser }) => {
  const room = freshRoom('signout');
  const { context, page } = await joinAs(browser, room, 'dora');
  await expect(page.getByText('Signed in as')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Join chat' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(/Read-only/);
  await page.reload();
  await expect(page.getByRole('button', { name: 'Join chat' })).toBeVisible();
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'cloud_msg_session')).toBeUndefined();
  await context.close();
});

test('sending faster than allowed says "Slow down" and still delivers everything', async ({ browser }) => {
  const room = freshRoom('slow');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  const box = alice.page.getByRole('textbox', { name: 'Message' });
  // Watched from before the burst: the alert goes away again once all is sent.
  const slowDown = alice.page.getByRole('alert').filter({ hasText: 'Slow down' }).waitFor({ timeout: 20_000 });
  // 60: more than the bucket (30, and 3 more a second) holds even on a slow machine.
  for (let i = 1; i <= 60; i++) {
    await box.fill(`burst ${i}`);
    await box.press('Enter');
  }
  await slowDown;
  // Every message arrives, in order, once the bucket refills.
  await expect(log(bob.page).getByText('burst 60', { exact: true })).toBeVisible({ timeout: 20_000 });
  const texts = await log(bob.page).locator('.msg .text').allTextContents();
  expect(texts.filter((t) => t.startsWith('burst '))).toHaveLength(60);
  await expect(log(alice.page).getByText(/not sent/)).toHaveCount(0);
  // Once everything has gone out, the alert goes too.
  await expect(alice.page.getByRole('alert').filter({ hasText: 'Slow down' })).toHaveCount(0);
  await alice.context.close();
  await bob.context.close();
});
