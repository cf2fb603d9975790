import { test, expect, type Page } from '@playwright/test';
import { busyURL, expectConnected, freshRoom, joinAs, log, say, seedTexts, joinBusy } from './fixtures';

// Replies: **Reply** on a message quotes it above the box ("Replying to ann", an excerpt,
// **Cancel reply**; Esc cancels too). The sent message shows a compact quote of the
// original, a button "Go to ann's message" that scrolls to it, fetching it first when it
// is older than the page. A deleted original leaves "Message deleted" in the quote.

const box = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const row = (page: Page, text: string) => log(page).locator('.msg').filter({ hasText: text });
const strip = (page: Page) => page.locator('form.composer .replying');

test('a reply quotes its message above the box and in the log, for everyone', async ({ browser }) => {
  const room = freshRoom('reply');
  const ann = await joinAs(browser, room, 'ann');
  const bob = await joinAs(browser, room, 'bob');
  await say(ann.page, 'lunch at **noon**?\nor at one');
  await expect(row(bob.page, 'lunch at noon?')).toBeVisible();

  // Reply, then Cancel reply: nothing quoted.
  await row(bob.page, 'lunch at noon?').hover();
  await row(bob.page, 'lunch at noon?').getByRole('button', { name: 'Reply' }).click();
  await expect(strip(bob.page)).toBeVisible();
  await expect(strip(bob.page)).toContainText('Replying to ann');
  await expect(strip(bob.page)).toContainText('lunch at noon?');
  await expect(box(bob.page)).toBeFocused();
  await bob.page.getByRole('button', { name: 'Cancel reply' }).click();
  await expect(strip(bob.page)).toBeHidden();
  await expect(box(bob.page)).toBeFocused();
  // Reply, then Esc: nothing quoted either.
  await row(bob.page, 'lunch at noon?').hover();
  await row(bob.page, 'lunch at noon?').getByRole('button', { name: 'Reply' }).click();
  await expect(strip(bob.page)).toBeVisible();
  await box(bob.page).press('Escape');
  await expect(strip(bob.page)).toBeHidden();

  // Reply and send: the strip goes, the message shows the quote for both.
  await row(bob.page, 'lunch at noon?').hover();
  await row(bob.page, 'lunch at noon?').getByRole('button', { name: 'Reply' }).click();
  await box(bob.page).fill('noon works');
  await bob.page.screenshot({ path: 'test-results/replying.png' });
  await box(bob.page).press('Enter');
  await expect(strip(bob.page)).toBeHidden();
  for (const p of [ann.page, bob.page]) {
    const quote = row(p, 'noon works').getByRole('button', { name: "Go to ann's message" });
    await expect(quote).toContainText('ann');
    await expect(quote).toContainText('lunch at noon?');
    await expect(quote).not.toContainText('or at one');
    await expect(quote).not.toContainText('*');
  }
  // A message sent after it answers nothing.
  await say(bob.page, 'see you');
  await expect(row(ann.page, 'see you')).toBeVisible();
  await expect(row(ann.page, 'see you').locator('.quote')).toHaveCount(0);
  await ann.page.screenshot({ path: 'test-results/reply.png' });

  // The quote goes to the original.
  await row(ann.page, 'noon works').getByRole('button', { name: "Go to ann's message" }).click();
  await expect(ann.page).toHaveURL(/#m-1$/);
  const original = (p: Page) => log(p).locator('#m-1');
  await expect(original(ann.page)).toContainText('or at one');
  await expect(original(ann.page)).toBeInViewport();

  // After a reload, the same; deleting the original leaves no words in the quote, live.
  await bob.page.reload();
  await expect(row(bob.page, 'noon works').getByRole('button', { name: "Go to ann's message" }))
    .toContainText('lunch at noon?');
  await expectConnected(bob.page);
  ann.page.once('dialog', (d) => d.accept());
  await original(ann.page).hover();
  await original(ann.page).getByRole('button', { name: 'Delete message' }).click();
  for (const p of [ann.page, bob.page]) {
    const quote = row(p, 'noon works').getByRole('button', { name: "Go to ann's message" });
    await expect(quote).toContainText('Message deleted');
    await expect(log(p)).not.toContainText('lunch at');
  }
  for (const c of [ann, bob]) await c.context.close();
});

test('a quote of a message older than the page fetches it and shows it', async ({ browser }) => {
  const room = freshRoom('replyold');
  const word = `tapir${Date.now().toString(36)}`;
  await seedTexts(browser, room, [`the ${word} plan`, ...Array.from({ length: 70 }, (_, i) => `later ${i}`)]);
  const context = await browser.newContext();
  const page = await context.newPage();
  await joinBusy(page, room, 'asker');
  // Scrolled up until the first message is there, it is answered.
  const original = row(page, `the ${word} plan`);
  await expect(async () => {
    await log(page).evaluate((el) => { el.scrollTop = 0; });
    await expect(original).toBeVisible({ timeout: 500 });
  }).toPass();
  await original.hover();
  await original.getByRole('button', { name: 'Reply' }).click();
  await box(page).fill('is this still on?');
  await box(page).press('Enter');
  await expect(row(page, 'is this still on?')).toBeInViewport();

  // The page as served has the reply, not the original; its quote fetches it.
  await page.reload();
  await expectConnected(page);
  const served = await (await page.request.get(`${busyURL()}/r/${room}`)).text();
  expect(served).not.toContain(`the ${word} plan</div>`);
  const quote = row(page, 'is this still on?').getByRole('button', { name: "Go to bot's message" });
  await expect(quote).toContainText(`the ${word} plan`);
  await quote.click();
  await expect(page).toHaveURL(/#m-1$/);
  await expect(log(page).locator('#m-1')).toContainText(`the ${word} plan`);
  await expect(log(page).locator('#m-1')).toBeInViewport();
  await expect(row(page, 'is this still on?')).not.toBeInViewport();
  await context.close();
});
