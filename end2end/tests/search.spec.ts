import { test, expect } from '@playwright/test';
import { busyURL, expectConnected, freshRoom, joinAs, log, say, seedTexts, joinBusy } from './fixtures';

// Search: the sidebar's box finds messages by their words, the results show room, author,
// time and the words marked, and a result opens the room at the message.

test('a person searches from the sidebar and opens a result at the message', async ({ browser }) => {
  const room = freshRoom('find');
  const word = `zebra${Date.now().toString(36)}`;
  const alice = await joinAs(browser, room, 'alice');
  await say(alice.page, `the ${word} report is ready`);
  for (let i = 0; i < 30; i++) await say(alice.page, `filler ${i}`);
  await expect(log(alice.page).getByText('filler 29')).toBeVisible();

  const box = alice.page.getByRole('searchbox', { name: 'Search' });
  await box.fill(word.toUpperCase());
  await box.press('Enter');
  await expect(alice.page).toHaveURL(/\/search\?q=/);
  const results = alice.page.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('listitem')).toHaveCount(1);
  const hit = results.getByRole('link');
  await expect(hit).toContainText(`#${room}`);
  await expect(hit).toContainText('alice');
  await expect(hit.locator('mark')).toHaveText(word);
  // The results page keeps the query as typed.
  await expect(alice.page.getByRole('searchbox', { name: 'Search' })).toHaveValue(word.toUpperCase());

  await hit.click();
  await expect(alice.page).toHaveURL(new RegExp(`/r/${room}#m-1$`));
  await expectConnected(alice.page);
  const message = log(alice.page).getByText(`the ${word} report is ready`);
  await expect(message).toBeInViewport();
  // Not scrolled to the end: the newest filler is out of view.
  await expect(log(alice.page).getByText('filler 29')).not.toBeInViewport();

  // Nothing found says so; markup in a query is text.
  await alice.page.goto(`/search?q=${encodeURIComponent('<b>nothing-here</b>')}&room=${room}`);
  await expect(alice.page.getByText('No messages match')).toBeVisible();
  expect(await alice.page.locator('main b').count()).toBe(0);
  await alice.context.close();
});

test('a result older than the messages the page opens with is fetched and shown', async ({ browser }) => {
  const room = freshRoom('findold');
  const word = `okapi${Date.now().toString(36)}`;
  // 121 messages: the one to find first, so the room's page (the last 50) has not got it.
  await seedTexts(browser, room, [`the ${word} notes`, ...Array.from({ length: 120 }, (_, i) => `later ${i}`)]);
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinBusy(page, room, 'finder');
  // The room's page as served has not got it.
  const served = await (await page.request.get(`${busyURL()}/r/${room}`)).text();
  expect(served).not.toContain(word);

  const box = page.getByRole('searchbox', { name: 'Search' });
  await box.fill(word);
  await box.press('Enter');
  await page.getByRole('list', { name: 'Search results' }).getByRole('link').click();
  await expect(page).toHaveURL(new RegExp(`/r/${room}#m-1$`));
  const message = log(page).getByText(`the ${word} notes`);
  await expect(message).toBeInViewport();
  await expect(log(page).getByText('later 119')).not.toBeInViewport();
  // Esc goes back to the latest.
  await page.keyboard.press('Escape');
  await expect(log(page).getByText('later 119')).toBeInViewport();
  await context.close();
});
