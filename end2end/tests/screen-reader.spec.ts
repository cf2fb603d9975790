import { test, expect, type Page } from '@playwright/test';
import { freshRoom, joinAs, log, say } from './fixtures';

// Screen readers hear each new message from others once: the log (`role="log"`) is not
// live itself, because it is laid out again at hydration and older pages come into it; a
// polite live region beside it says "name: text" for each new message, never my own and
// never the history a page opens with.

const heard = (page: Page) => page.locator('[aria-live="polite"]').filter({ hasText: /\w+: / });

test('new messages from others are read out once; my own and the history are not', async ({ browser }) => {
  const room = freshRoom('heard');
  const ann = await joinAs(browser, room, 'ann');
  const bob = await joinAs(browser, room, 'bob');
  await expect(log(ann.page)).toHaveAttribute('aria-live', 'off');

  await say(bob.page, 'hello ann');
  await expect(heard(ann.page)).toHaveText('bob: hello ann');
  await expect(heard(bob.page)).toHaveCount(0);

  await say(ann.page, 'hi bob');
  await expect(heard(bob.page)).toHaveText('ann: hi bob');
  // ann's region still holds bob's words, not her own.
  await expect(heard(ann.page)).toHaveText('bob: hello ann');

  // The same words again are news again (the region's text changes).
  await say(bob.page, 'hello ann');
  await expect(log(ann.page).getByText('hello ann')).toHaveCount(2);
  await expect.poll(() => heard(ann.page).evaluate((el) => el.textContent)).toBe('bob: hello ann\u200B');

  // A reload opens with the history: nothing is read out.
  await ann.page.reload();
  await expect(log(ann.page).getByText('hi bob')).toBeVisible();
  await ann.page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await expect(heard(ann.page)).toHaveCount(0);
  for (const c of [ann, bob]) await c.context.close();
});
