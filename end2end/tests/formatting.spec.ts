import { test, expect, type Page } from '@playwright/test';
import hostileJson from '../fixtures/hostile-markdown.json';
import { expectConnected, freshRoom, joinAs, log, say, seedTexts, joinBusy } from './fixtures';

// Formatting: the safe Markdown subset and bare links render for everyone, live and after
// a reload; hostile markup never runs, never loads and never links anywhere unsafe.

const hostile: string[] = hostileJson;

test('bold, italic, strike, code, quotes, lists and links render for everyone, live and after a reload', async ({ browser }) => {
  const room = freshRoom('md');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  await say(alice.page, '**ship** it *now* ~~later~~ with `cargo test`');
  await say(alice.page, 'docs at https://example.com/guide.');
  await alice.page.getByRole('textbox', { name: 'Message' }).fill('> quoted\n\n- one\n- two\n\n```\nlet x = 1;\n```');
  await alice.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await say(alice.page, '🎉');

  for (const page of [bob.page, alice.page]) {
    for (let pass = 0; pass < 2; pass++) {
      const l = log(page);
      await expect(l.locator('strong', { hasText: 'ship' })).toBeVisible();
      await expect(l.locator('em', { hasText: 'now' })).toBeVisible();
      await expect(l.locator('del', { hasText: 'later' })).toBeVisible();
      await expect(l.locator('code', { hasText: 'cargo test' })).toBeVisible();
      const link = l.getByRole('link', { name: 'https://example.com/guide' });
      await expect(link).toHaveAttribute('href', 'https://example.com/guide');
      await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
      await expect(link).toHaveAttribute('target', '_blank');
      await expect(l.locator('blockquote', { hasText: 'quoted' })).toBeVisible();
      await expect(l.getByRole('listitem').filter({ hasText: 'two' })).toBeVisible();
      await expect(l.locator('pre code', { hasText: 'let x = 1;' })).toBeVisible();
      // The text around a link is text; an emoji-only message stays large.
      await expect(l.getByText('docs at')).toBeVisible();
      const size = await l.getByText('🎉', { exact: true }).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      expect(size).toBeGreaterThan(30);
      await page.reload();
      await expectConnected(page);
    }
  }
  await alice.context.close();
  await bob.context.close();
});

/** Every way the log could have been made to run, load or link something unsafe. */
async function expectInert(page: Page) {
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  const found = await log(page).evaluate((el) => {
    const bad = el.querySelectorAll('script, img, iframe, svg, style, form, input, meta, object, base, link, details, math, embed');
    const attrs: string[] = [];
    for (const node of el.querySelectorAll('.text *')) {
      for (const a of node.getAttributeNames()) {
        if (a.startsWith('on') || !['href', 'rel', 'target', 'class', 'start'].includes(a)) attrs.push(`${node.tagName} ${a}`);
      }
    }
    const hrefs = [...el.querySelectorAll('.text a')].map((a) => (a as HTMLAnchorElement).protocol);
    return { tags: [...bad].map((n) => n.tagName), attrs, hrefs };
  });
  expect(found.tags).toEqual([]);
  expect(found.attrs).toEqual([]);
  for (const p of found.hrefs) expect(['http:', 'https:', 'mailto:']).toContain(p);
}

test(`${hostile.length} hostile payloads all render inert, live and after a reload`, async ({ browser }) => {
  expect(hostile.length).toBeGreaterThanOrEqual(30);
  const room = freshRoom('hostile');
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  await joinBusy(page, room, 'reader');

  await seedTexts(browser, room, hostile);
  const rows = log(page).locator('.msg');
  await expect(rows).toHaveCount(hostile.length, { timeout: 15_000 });
  // The text of what was sent is shown as text where it is not formatting.
  await expect(log(page).getByText('<script>window.__pwned=1</script>', { exact: true }).first()).toBeVisible();
  await expectInert(page);
  await page.reload();
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await expect(rows).toHaveCount(hostile.length);
  await expectInert(page);
  // Hovering and clicking what is there runs nothing either.
  for (const el of await log(page).locator('.text').all()) await el.hover();
  await expectInert(page);
  expect(dialogs).toEqual([]);
  await context.close();
});
