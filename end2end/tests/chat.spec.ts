import { test, expect } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say } from './fixtures';

test('two people chat in real time', async ({ browser }) => {
  const room = freshRoom('duo');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');

  await say(alice.page, 'Hello Bob!');
  await expect(log(bob.page).getByText('Hello Bob!')).toBeVisible();
  await expect(log(bob.page).getByRole('article', { name: 'Messages from alice' })).toBeVisible();

  await say(bob.page, 'Hi Alice');
  await expect(log(alice.page).getByText('Hi Alice')).toBeVisible();
  // The message box is cleared after sending, and the sender sees their own message.
  await expect(alice.page.getByRole('textbox', { name: 'Message' })).toHaveValue('');
  await expect(log(alice.page).getByText('Hello Bob!')).toBeVisible();
  await alice.context.close();
  await bob.context.close();
});

test('consecutive messages by one author are grouped under one name', async ({ browser }) => {
  const room = freshRoom('group');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  for (const text of ['first', 'second', 'third']) await say(alice.page, text);
  await expect(log(bob.page).getByText('third')).toBeVisible();
  await say(bob.page, 'my turn');
  await expect(log(alice.page).getByText('my turn')).toBeVisible();
  await say(alice.page, 'fourth');
  await expect(log(bob.page).getByText('fourth')).toBeVisible();

  const groups = log(bob.page).getByRole('article');
  await expect(groups).toHaveCount(3);
  await expect(groups.nth(0)).toHaveAccessibleName('Messages from alice');
  await expect(groups.nth(0).locator('.author')).toHaveText('alice');
  await expect(groups.nth(0).locator('.text')).toHaveText(['first', 'second', 'third']);
  await expect(groups.nth(1)).toHaveAccessibleName('Messages from bob');
  await expect(groups.nth(2)).toHaveAccessibleName('Messages from alice');
  // Today's messages sit under one day separator.
  await expect(log(bob.page).getByRole('separator')).toHaveCount(1);
  await alice.context.close();
  await bob.context.close();
});

test('timestamps are <time datetime> shown in the reader\'s time zone', async ({ browser }) => {
  const room = freshRoom('time');
  const alice = await joinAs(browser, room, 'alice', { timezoneId: 'Asia/Tokyo' });
  await say(alice.page, 'what time is it?');
  const time = log(alice.page).locator('time').first();
  await expect(time).toHaveText(/^\d\d:\d\d$/);
  const iso = await time.getAttribute('datetime');
  expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const expected = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(new Date(iso!));
  await expect(time).toHaveText(expected);

  // A reader in New York sees the same message at their own local time.
  const ny = await browser.newContext({ timezoneId: 'America/New_York' });
  const page = await ny.newPage();
  await page.goto(`/r/${room}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  const nyExpected = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hour12: false,
  }).format(new Date(iso!));
  await expect(log(page).locator('time').first()).toHaveText(nyExpected);
  await ny.close();
  await alice.context.close();
});

test('emoji: the picker inserts at the cursor, shortcodes expand, emoji-only is larger', async ({ browser }) => {
  const room = freshRoom('emoji');
  const alice = await joinAs(browser, room, 'alice');
  const { page } = alice;
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('ab');
  await box.press('ArrowLeft');
  await page.getByRole('button', { name: 'Emoji' }).click();
  await page.getByRole('button', { name: 'party popper' }).click();
  await expect(box).toHaveValue('a🎉b');
  await box.press('Enter');
  await expect(log(page).getByText('a🎉b')).toBeVisible();

  await say(page, ':smile: shortcodes :+1:');
  await expect(log(page).getByText('😄 shortcodes 👍')).toBeVisible();

  await say(page, '🚀🚀');
  // Measure once every message is stored (rows re-render when a send is settled).
  await expect(log(page).locator('.msg:not(.pending)')).toHaveCount(3);
  const size = (text: string) =>
    log(page).locator('.msg:not(.pending) .text', { hasText: text })
      .evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  await expect.poll(async () => (await size('🚀🚀')) / (await size('a🎉b'))).toBeGreaterThan(1.5);
  await alice.context.close();
});

test('history is in the HTML itself: visible with JavaScript disabled', async ({ browser }) => {
  const room = freshRoom('nojs');
  const alice = await joinAs(browser, room, 'alice');
  await say(alice.page, 'rendered by the server');
  await say(alice.page, 'second line of history');
  await expect(log(alice.page).locator('.msg:not(.pending)')).toHaveCount(2);

  const html = await (await alice.page.request.get(`/r/${room}`)).text();
  expect(html).toContain('rendered by the server');

  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const page = await noJs.newPage();
  await page.goto(`/r/${room}`);
  await expect(log(page).getByText('rendered by the server')).toBeVisible();
  await expect(log(page).getByText('second line of history')).toBeVisible();
  await expect(page.getByLabel('Display name')).toBeVisible();
  await noJs.close();

  // A reload shows the history at once, then goes live.
  await alice.page.reload();
  await expect(log(alice.page).getByText('second line of history')).toBeVisible();
  await expectConnected(alice.page);
  await alice.context.close();
});

test('a <script> message is shown as text and never runs', async ({ browser }) => {
  const room = freshRoom('xss');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  const evil = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"><b>bold</b>';
  await say(alice.page, evil);
  for (const page of [alice.page, bob.page]) {
    await expect(log(page).getByText(evil, { exact: true })).toBeVisible();
    await expect(log(page).locator('img, b, script')).toHaveCount(0);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  }
  // Also after a server render.
  await bob.page.reload();
  await expect(log(bob.page).getByText(evil, { exact: true })).toBeVisible();
  expect(await bob.page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await alice.context.close();
  await bob.context.close();
});

test('an over-long message shows an alert and keeps the text', async ({ browser }) => {
  const room = freshRoom('long');
  const alice = await joinAs(browser, room, 'alice');
  const { page } = alice;
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('x'.repeat(4001));
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('alert')).toContainText('too long');
  await expect(box).toHaveValue('x'.repeat(4001));
  await expect(log(page).locator('.msg')).toHaveCount(0);
  // Shortening it clears the problem and sends.
  await box.press('Backspace');
  await box.press('Enter');
  await expect(log(page).locator('.msg:not(.pending)')).toHaveCount(1);
  await expect(page.getByRole('alert')).toBeHidden();
  await alice.context.close();
});

test('Enter sends, Shift+Enter starts a new line', async ({ browser }) => {
  const room = freshRoom('keys');
  const alice = await joinAs(browser, room, 'alice');
  const box = alice.page.getByRole('textbox', { name: 'Message' });
  await box.pressSequentially('line one');
  await box.press('Shift+Enter');
  await box.pressSequentially('line two');
  await expect(box).toHaveValue('line one\nline two');
  await box.press('Enter');
  const msg = log(alice.page).locator('.msg:not(.pending) .text').first();
  await expect(msg).toHaveText('line one\nline two');
  await expect.poll(async () => (await msg.boundingBox())?.height ?? 0).toBeGreaterThan(30);
  await alice.context.close();
});

test('an invalid display name gets an alert', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/r/${freshRoom('names')}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('alert')).toHaveText('Please enter a display name.');
  await page.getByLabel('Display name').fill('n'.repeat(33));
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('alert')).toContainText('at most 32');
  await expect(page.getByRole('status')).toHaveText(/Read-only/);
  await context.close();
});

test('/ opens #general and a bad room name says why', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/r\/general$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('general');
  const res = await page.goto('/r/Not-Valid');
  expect(res!.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('Room names are 1 to 64 characters');
});
