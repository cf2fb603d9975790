import { test, expect, type Page } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say, seedTexts, joinBusy, statusOf } from './fixtures';

// The keyboard in a room: Alt+↑/↓ between rooms, Ctrl+K to a room by name, Esc back to the
// latest (marking the room read); and Jump to latest when new messages come while I am up.

test('Alt+Arrow moves between rooms and Ctrl+K jumps to one by name', async ({ browser }) => {
  const first = freshRoom('keysa');
  const second = freshRoom('keysb');
  const alice = await joinAs(browser, first, 'alice');
  const { page } = alice;
  await say(page, 'in the first');
  await page.goto(`/r/${second}`);
  await expectConnected(page);
  await say(page, 'in the second');
  // Stored, so the join before it made alice a member (the next page lists the room).
  await expect(log(page).getByRole('img', { name: /^(Sent|Delivered|Read)/ })).toBeVisible();
  const names = await page.getByRole('navigation', { name: 'Rooms' }).getByRole('list').first()
    .getByRole('link').allInnerTexts();
  const order = names.map((n) => n.replace(/^#/, '').trim().split(/\s/)[0]);
  expect(order).toEqual(expect.arrayContaining([first, second]));
  const [top, bottom] = order.indexOf(first) < order.indexOf(second) ? [first, second] : [second, first];

  await page.goto(`/r/${top}`);
  await expectConnected(page);
  await page.keyboard.press('Alt+ArrowDown');
  await expect(page).toHaveURL(new RegExp(`/r/${bottom}$`));
  await expect(page.getByRole('heading', { name: bottom })).toBeVisible();
  await expectConnected(page);
  await page.keyboard.press('Alt+ArrowUp');
  await expect(page).toHaveURL(new RegExp(`/r/${top}$`));
  await expect(page.getByRole('heading', { name: top })).toBeVisible();
  await expectConnected(page);
  // At the top of the list, up goes nowhere.
  await page.keyboard.press('Alt+ArrowUp');
  await expect(page).toHaveURL(new RegExp(`/r/${top}$`));

  await page.keyboard.press('Control+k');
  const open = page.getByRole('textbox', { name: 'Open a room' });
  await expect(open).toBeFocused();
  await page.keyboard.type(bottom);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/r/${bottom}$`));
  await alice.context.close();
});

async function scrollToTop(page: Page) {
  await log(page).evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
}

test('Jump to latest shows when new messages come while I read above; it and Esc bring me back', async ({ browser }) => {
  const room = freshRoom('jump');
  await seedTexts(browser, room, Array.from({ length: 60 }, (_, i) => `old ${i}`));
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinBusy(page, room, 'reader');
  const jump = page.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeHidden();

  await scrollToTop(page);
  await seedTexts(browser, room, ['new one']);
  await expect(jump).toBeVisible();
  await expect(log(page).getByText('new one')).not.toBeInViewport();
  await jump.click();
  await expect(log(page).getByText('new one')).toBeInViewport();
  await expect(jump).toBeHidden();

  await scrollToTop(page);
  await seedTexts(browser, room, ['new two']);
  await expect(jump).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(log(page).getByText('new two')).toBeInViewport();
  await expect(jump).toBeHidden();
  await context.close();
});

test('coming back to a room, "New messages" marks where I left off, and only then', async ({ browser }) => {
  const room = freshRoom('left');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  await say(alice.page, 'before I left');
  await expect(log(bob.page).getByText('before I left')).toBeVisible();
  const divider = bob.page.getByRole('separator', { name: 'New messages' });
  await expect(divider).toBeHidden();
  // bob has read it (alice sees his marker stored), then goes elsewhere.
  await expect(statusOf(alice.page, 'before I left')).toHaveAccessibleName('Read');
  await bob.page.goto(`/r/${freshRoom('elsewhere')}`);
  await expectConnected(bob.page);
  await say(alice.page, 'while you were away');
  await say(alice.page, 'and more');
  await expect(log(alice.page).getByText('and more')).toBeVisible();
  // Stored (not only shown as Sending), so that bob's page holds them: a message that
  // arrives live after the page is no unread one of the page.
  await expect(statusOf(alice.page, 'and more')).toHaveAccessibleName('Sent');

  await bob.page.goto(`/r/${room}`);
  await expectConnected(bob.page);
  await expect(divider).toBeVisible();
  // It stands right above the first message bob had not read.
  const row = bob.page.locator('.msg', { has: divider });
  await expect(row).toContainText('while you were away');
  await expect(bob.page.locator('.msg', { has: divider })).toHaveCount(1);

  // Read now (alice sees it): the next visit has no divider.
  await expect(statusOf(alice.page, 'and more')).toHaveAccessibleName('Read');
  await bob.page.reload();
  await expectConnected(bob.page);
  await expect(log(bob.page).getByText('and more')).toBeVisible();
  await expect(divider).toBeHidden();
  await alice.context.close();
  await bob.context.close();
});
