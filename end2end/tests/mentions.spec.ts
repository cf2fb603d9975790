import { test, expect } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say } from './fixtures';

// Mentions: `@name` is marked in the log; a message that calls me is marked for me; the
// room list counts, apart, the unread messages that call me; and, once I turned them on,
// a notification shows while the tab is hidden.

const fresh = (prefix: string) => `${prefix}${Math.floor(Math.random() * 1e6).toString(36)}`;

test('a message that mentions me is marked for me, and the room list counts mentions apart', async ({ browser }) => {
  const room = freshRoom('ment');
  const elsewhere = freshRoom('else');
  const [ann, bob] = [fresh('ann'), fresh('bob')];
  const a = await joinAs(browser, room, ann);
  const b = await joinAs(browser, room, bob);
  // bob moves to another room; the first stays in his list.
  await b.page.goto(`/r/${elsewhere}`);
  await expectConnected(b.page);
  const entry = b.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: new RegExp(`^${room}`) });
  await expect(entry).toBeVisible();
  // On a phone, Menu carries a dot while another room has a mention for me.
  // (Hidden on a wide screen.)
  const menu = b.page.getByRole('button', { name: 'Menu', exact: true, includeHidden: true });
  await expect(menu).not.toHaveClass(/mentioned/);

  await say(a.page, `@${bob} can you look?`);
  await say(a.page, 'no one in particular');
  await say(a.page, `not @${bob}x either`);
  await expect(entry).toHaveAccessibleName(`${room}, 3 unread, 1 mentioning you`);
  await say(a.page, '@room standup now');
  await expect(entry).toHaveAccessibleName(`${room}, 4 unread, 2 mentioning you`);
  await b.page.screenshot({ path: 'test-results/mention-count.png' });
  await b.page.setViewportSize({ width: 390, height: 800 });
  await expect(menu).toHaveClass(/mentioned/);
  await expect(menu).toHaveAccessibleName('Menu');
  await b.page.screenshot({ path: 'test-results/mention-menu-phone.png' });
  await b.page.setViewportSize({ width: 1280, height: 720 });

  // In the room: the mention is marked for everyone, the message called bob for him only.
  await entry.click();
  await expect(b.page).toHaveURL(new RegExp(`/r/${room}$`));
  await expectConnected(b.page);
  const calls = log(b.page).getByText('Mentions you');
  await expect(calls).toHaveCount(2);
  await expect(log(b.page).getByText(`@${bob}`, { exact: true })).toBeVisible();
  await expect(log(a.page).getByText(`@${bob}`, { exact: true })).toBeVisible();
  await expect(log(a.page).getByText('Mentions you')).toHaveCount(0);
  await b.page.screenshot({ path: 'test-results/mention-log.png' });
  // Back in the room, nothing is unread or counted for it.
  await expect(b.page.getByRole('link', { name: new RegExp(`^${room}`) })).toHaveAccessibleName(room);
  for (const c of [a, b]) await c.context.close();
});

test('notifications are asked for from a button, never on load, and show mentions while the tab is hidden', async ({ browser }) => {
  const room = freshRoom('notify');
  const [ann, bob] = [fresh('ann'), fresh('bob')];
  const a = await joinAs(browser, room, ann);
  const context = await browser.newContext();
  // The browser's notifications, recorded; and a tab that can be made hidden.
  await context.addInitScript(() => {
    const w = window as any;
    w.__notes = [];
    w.__asked = 0;
    w.__hidden = false;
    class FakeNotification {
      static permission = 'default';
      static async requestPermission() {
        w.__asked += 1;
        FakeNotification.permission = 'granted';
        return 'granted';
      }
      constructor(title: string, options: any) {
        w.__notes.push({ title, body: options?.body });
      }
    }
    w.Notification = FakeNotification;
    Object.defineProperty(Document.prototype, 'hidden', { get: () => w.__hidden });
  });
  const page = await context.newPage();
  await page.goto(`/r/${room}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByLabel('Display name').fill(bob);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expectConnected(page);
  const turnOn = page.getByRole('button', { name: 'Notify me of mentions' });
  await expect(turnOn).toBeVisible();
  expect(await page.evaluate(() => (window as any).__asked)).toBe(0);

  // Not turned on yet: a mention while hidden shows nothing.
  await page.evaluate(() => { (window as any).__hidden = true; });
  await say(a.page, `@${bob} first`);
  await expect(log(page).getByText(`@${bob} first`)).toBeVisible();
  expect(await page.evaluate(() => (window as any).__notes.length)).toBe(0);

  await page.evaluate(() => { (window as any).__hidden = false; });
  await turnOn.click();
  await expect(page.getByText('Mentions notify you while this tab is hidden.')).toBeVisible();
  expect(await page.evaluate(() => (window as any).__asked)).toBe(1);

  // Visible: nothing. Hidden: a mention notifies; other messages do not.
  await say(a.page, `@${bob} while you look`);
  await expect(log(page).getByText(`@${bob} while you look`)).toBeVisible();
  await page.evaluate(() => { (window as any).__hidden = true; });
  await say(a.page, 'just chatting');
  await say(a.page, `@${bob} are you there?`);
  await expect.poll(() => page.evaluate(() => (window as any).__notes)).toEqual([
    { title: `${ann} mentioned you in #${room}`, body: `@${bob} are you there?` },
  ]);
  for (const c of [a.context, context]) await c.close();
});

test('typing @ offers the room\'s members; arrows pick, Enter completes, Esc closes', async ({ browser }) => {
  const room = freshRoom('complete');
  const [ann, bob, bea] = [fresh('ann'), fresh('bob'), fresh('bea')];
  const b1 = await joinAs(browser, room, bob);
  const b2 = await joinAs(browser, room, bea);
  const a = await joinAs(browser, room, ann);
  const { page } = a;
  await expect(page.getByRole('list', { name: 'Members', includeHidden: true })).toContainText(bea);
  const box = page.getByRole('textbox', { name: 'Message' });
  const list = page.getByRole('listbox', { name: 'Mention suggestions' });
  await expect(list).toBeHidden();

  await box.click();
  await page.keyboard.type('thanks @b');
  await expect(list).toBeVisible();
  const options = list.getByRole('option');
  // Online first, by name (as the member list has them).
  const [first, second] = [bob, bea].sort();
  await expect(options).toHaveText([`@${first}`, `@${second}`]);
  await expect(options.first()).toHaveAttribute('aria-selected', 'true');
  await page.screenshot({ path: 'test-results/mention-complete.png' });
  await page.keyboard.press('ArrowDown');
  await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true');
  await expect(box).toHaveAttribute('aria-activedescendant', 'mention-1');
  await page.keyboard.press('Enter');
  await expect(list).toBeHidden();
  await expect(box).toHaveValue(`thanks @${second} `);

  // Esc closes it and leaves the text; a click on a name completes too.
  await page.keyboard.type('and @ro');
  await expect(options).toHaveText(['@room']);
  await page.keyboard.press('Escape');
  await expect(list).toBeHidden();
  await expect(box).toHaveValue(`thanks @${second} and @ro`);
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(first.slice(0, 3));
  await list.getByRole('option', { name: `@${first}` }).click();
  await expect(box).toHaveValue(`thanks @${second} and @${first} `);
  await expect(box).toBeFocused();
  await page.keyboard.press('Enter');
  // Sent: both are called.
  await expect(log(b2.page).getByText('Mentions you')).toHaveCount(1);
  await expect(log(b1.page).getByText('Mentions you')).toHaveCount(1);
  for (const c of [a, b1, b2]) await c.context.close();
});
