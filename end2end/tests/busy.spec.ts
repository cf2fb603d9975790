import { expect, test, type Page } from '@playwright/test';
import { freshRoom, joinBusy, log, seedRoom } from './fixtures';

// A room with thousands of messages: the page holds a bounded window of them, brings
// older ones back (from the server) when the reader scrolls up, and what the reader is
// looking at never jumps while rows come and go above it.

/** The first message whose top is inside the log's visible area: its seq and offset. */
async function topVisible(page: Page): Promise<{ seq: string; y: number; rows: number }> {
  return log(page).evaluate((el) => {
    const top = el.getBoundingClientRect().top;
    const rows = el.querySelectorAll('.msg');
    for (const row of rows) {
      const y = row.getBoundingClientRect().top - top;
      if (y >= 0) return { seq: (row as HTMLElement).dataset.seq!, y, rows: rows.length };
    }
    throw new Error('no message in view');
  });
}

/** Where the message `seq` is now, relative to the top of the log (null: not in the page). */
async function offsetOf(page: Page, seq: string): Promise<number | null> {
  return log(page).evaluate((el, seq) => {
    const row = el.querySelector(`.msg[data-seq="${seq}"]`);
    return row ? row.getBoundingClientRect().top - el.getBoundingClientRect().top : null;
  }, seq);
}

/** Resolves after the next frame is drawn (scroll events and layout of it done). */
async function nextFrame(page: Page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(true))));
}

/** Scrolls the log by `dy` pixels, as a wheel would, and checks that once the rows brought
 *  back (or dropped) have settled, the message at the top has not moved. */
async function scrollAndCheck(page: Page, dy: number) {
  await log(page).evaluate((el, dy) => el.scrollBy(0, dy), dy);
  // A frame later the scroll event has run (and asked for older rows, if it needed them).
  await nextFrame(page);
  const anchor = await topVisible(page);
  // The log says when the rows it asked for (from memory or the server) are in place.
  await expect(log(page)).toHaveAttribute('aria-busy', 'false');
  await nextFrame(page);
  const now = await offsetOf(page, anchor.seq);
  expect(now, `message ${anchor.seq} left the page`).not.toBeNull();
  expect(Math.abs(now! - anchor.y), `message ${anchor.seq} jumped`).toBeLessThanOrEqual(2);
  expect(anchor.rows).toBeLessThanOrEqual(800);
}

test('a 2,000-message room scrolls back to its first message and down again without a jump', async ({ browser }) => {
  test.setTimeout(180_000);
  const room = freshRoom('busy');
  await seedRoom(browser, room, 2000);
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinBusy(page, room, 'reader');
  const messages = log(page).locator('.msg .text');
  await expect(messages.last()).toHaveText('m 1999');
  // The page starts at the end (and brings back a page more when that is less than a screen).
  expect(await log(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(80);

  // Up to the very first message.
  const atTop = () => log(page).evaluate((el) => el.scrollTop === 0 && el.querySelector('.msg[data-seq="1"]') !== null);
  for (let steps = 0; !(await atTop()); steps++) {
    expect(steps, 'the first message never came').toBeLessThan(200);
    await scrollAndCheck(page, -1200);
  }
  await expect(messages.first()).toHaveText('m 0');
  await expect(log(page).getByRole('article').first()).toHaveAccessibleName('Messages from bot');
  expect(await log(page).locator('.msg').count(), 'the page holds a bounded window').toBeLessThanOrEqual(800);

  // And down to the end again.
  const atEnd = () =>
    log(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight <= 2 && el.querySelector('.msg[data-seq="2000"]') !== null);
  for (let steps = 0; !(await atEnd()); steps++) {
    expect(steps, 'the end never came').toBeLessThan(200);
    await scrollAndCheck(page, 1200);
  }
  await expect(messages.last()).toHaveText('m 1999');
  // Following the end again: a new message shows, and the page stays bounded.
  await seedRoom(browser, room, 1, 'after the scroll');
  await expect(messages.last()).toHaveText('after the scroll 0');
  expect(await log(page).locator('.msg').count()).toBeLessThanOrEqual(800);
  await context.close();
});

test('a burst of 1,000 messages arrives in order and the log follows its end', async ({ browser }) => {
  test.setTimeout(60_000);
  const room = freshRoom('burst');
  await seedRoom(browser, room, 1);
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinBusy(page, room, 'reader');
  await seedRoom(browser, room, 1000, 'b');
  const texts = log(page).locator('.msg .text');
  await expect(texts.last()).toHaveText('b 999', { timeout: 10_000 });
  // The newest are in the page, in order, without gaps; the oldest have left it.
  const shown = await texts.allTextContents();
  const tail = shown.filter((t) => t.startsWith('b ')).map((t) => Number(t.slice(2)));
  expect(tail.length).toBeGreaterThanOrEqual(300);
  expect(tail.length).toBeLessThanOrEqual(600);
  tail.forEach((n, i) => expect(n).toBe(tail[0] + i));
  // The reader is at the end.
  expect(await log(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(80);
  await context.close();
});
