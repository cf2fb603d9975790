import { test, expect, type Page } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say, statusOf } from './fixtures';

/** Lets a test pretend the page is in a background tab. */
async function controllableVisibility(page: Page) {
  await page.addInitScript(() => {
    Object.defineProperty(document, 'hidden', { get: () => (window as any).__hidden === true });
  });
}

test('status goes Sending → Sent → Delivered → Read, then Read by N', async ({ browser }) => {
  const room = freshRoom('status');
  const alice = await joinAs(browser, room, 'alice');
  await say(alice.page, 'is anyone there?');
  await expect(statusOf(alice.page, 'is anyone there?')).toHaveAccessibleName('Sent');

  // Bob opens the room in a background tab: delivered, not read.
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await controllableVisibility(bobPage);
  await bobPage.addInitScript(() => ((window as any).__hidden = true));
  await bobPage.goto(`/r/${room}`);
  await bobPage.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await bobPage.getByLabel('Display name').fill('bob');
  await bobPage.getByRole('button', { name: 'Join chat' }).click();
  await expectConnected(bobPage);
  await expect(statusOf(alice.page, 'is anyone there?')).toHaveAccessibleName('Delivered');

  // Bob looks at it.
  await bobPage.evaluate(() => ((window as any).__hidden = false));
  const status = statusOf(alice.page, 'is anyone there?');
  await expect(status).toHaveAccessibleName('Read');
  await expect(status).toHaveAttribute('title', 'Read by bob');

  // With a third member the count and the names show.
  const carol = await joinAs(browser, room, 'carol');
  await expect(log(carol.page).getByText('is anyone there?')).toBeVisible();
  await expect(status).toHaveAccessibleName('Read by 2');
  await expect(status).toHaveAttribute('title', 'Read by bob, carol');
  // The status survives a reload (the page carries the receipts; it shows once hydrated).
  await alice.page.reload();
  await expect(statusOf(alice.page, 'is anyone there?')).toHaveAccessibleName('Read by 2');
  for (const c of [alice.context, bobContext, carol.context]) await c.close();
});

test('offline: messages queue as Sending and arrive once, in order, when back', async ({ browser }) => {
  const room = freshRoom('offline');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');

  await alice.context.setOffline(true);
  await expect(alice.page.getByRole('status')).toHaveText(/Reconnecting…/);
  for (const text of ['queued one', 'queued two', 'queued three']) await say(alice.page, text);
  for (const text of ['queued one', 'queued two', 'queued three']) {
    await expect(statusOf(alice.page, text)).toHaveAccessibleName('Sending');
  }
  // Nothing reaches bob meanwhile: an absence, so it is watched for a while.
  await bob.page.waitForTimeout(500);
  await expect(log(bob.page).locator('.msg')).toHaveCount(0);

  await alice.context.setOffline(false);
  await expectConnected(alice.page);
  await expect(log(bob.page).locator('.msg .text')).toHaveText(['queued one', 'queued two', 'queued three']);
  await expect(statusOf(alice.page, 'queued three')).toHaveAccessibleName(/Delivered|Read/);
  // A duplicate would reach bob before a later message does: one more is the fence.
  await say(alice.page, 'and then');
  await expect(log(bob.page).locator('.msg .text')).toHaveText(['queued one', 'queued two', 'queued three', 'and then']);
  await alice.context.close();
  await bob.context.close();
});

test('a reader offline for 20 messages gets all 20, exactly once, in order', async ({ browser }) => {
  const room = freshRoom('catchup');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  await bob.context.setOffline(true);
  await expect(bob.page.getByRole('status')).toHaveText(/Reconnecting…/);
  const texts = Array.from({ length: 20 }, (_, i) => `missed ${i + 1}`);
  for (const text of texts) await say(alice.page, text);
  await expect(statusOf(alice.page, 'missed 20')).toHaveAccessibleName('Sent');

  await bob.context.setOffline(false);
  await expectConnected(bob.page);
  await expect(log(bob.page).locator('.msg .text')).toHaveText(texts);
  await say(alice.page, 'and now live');
  await expect(log(bob.page).locator('.msg .text')).toHaveText([...texts, 'and now live']);
  await alice.context.close();
  await bob.context.close();
});

test('queued messages survive a reload while offline', async ({ browser }) => {
  const room = freshRoom('reload');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  await alice.context.setOffline(true);
  await expect(alice.page.getByRole('status')).toHaveText(/Reconnecting…/);
  await say(alice.page, 'written offline 1');
  await say(alice.page, 'written offline 2');
  await expect(statusOf(alice.page, 'written offline 2')).toHaveAccessibleName('Sending');

  // The reload fails while offline; the messages wait in localStorage.
  await alice.page.reload().catch(() => {});
  await alice.context.setOffline(false);
  await alice.page.goto(`/r/${room}`);
  await expectConnected(alice.page);
  await expect(log(bob.page).locator('.msg .text')).toHaveText(['written offline 1', 'written offline 2']);
  await expect(log(alice.page).locator('.msg .text')).toHaveText(['written offline 1', 'written offline 2']);
  await expect(statusOf(alice.page, 'written offline 2')).toHaveAccessibleName(/Sent|Delivered|Read/);
  await alice.page.reload();
  await expect(log(alice.page).locator('.msg')).toHaveCount(2);
  await alice.context.close();
  await bob.context.close();
});

test('a room I am not looking at shows an unread count', async ({ browser }) => {
  const main = freshRoom('main');
  const side = freshRoom('side');
  const alice = await joinAs(browser, side, 'alice');
  // The server has made alice a member of the side room (her socket's join is stored).
  await expect
    .poll(async () => (await alice.page.request.get(`/r/${main}`)).text())
    .toContain(`/r/${side}`);
  await alice.page.goto(`/r/${main}`);
  await expectConnected(alice.page);
  const rooms = alice.page.getByRole('navigation', { name: 'Rooms' });
  await expect(rooms.getByRole('link', { name: side })).toBeVisible();
  await expect(rooms.getByRole('link', { name: main })).toHaveAttribute('aria-current', 'page');

  const bob = await joinAs(browser, side, 'bob');
  await say(bob.page, 'psst, over here');
  await say(bob.page, 'two unread now');
  await expect(rooms.getByRole('link', { name: `${side}, 2 unread` })).toBeVisible();

  // The count is kept by the server: it is there after a reload too.
  await alice.page.reload();
  await expect(rooms.getByRole('link', { name: `${side}, 2 unread` })).toBeVisible();
  await rooms.getByRole('link', { name: new RegExp(side) }).click();
  await expect(log(alice.page).getByText('two unread now')).toBeVisible();
  await expect(rooms.getByRole('link', { name: side, exact: false })).toHaveAttribute('aria-current', 'page');
  await alice.context.close();
  await bob.context.close();
});
