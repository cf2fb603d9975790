import { test, expect } from '@playwright/test';
import { freshRoom, joinAs, log } from './fixtures';

// "alice is typing…": seen by the others within a moment, gone when the message arrives
// or a few seconds after the last keystroke; two typers are named together.

test('the others see who is typing, until the message comes or they stop', async ({ browser }) => {
  test.setTimeout(45_000);
  const room = freshRoom('typing');
  const alice = await joinAs(browser, room, 'alice');
  const bob = await joinAs(browser, room, 'bob');
  const carol = await joinAs(browser, room, 'carol');
  const box = (p: typeof alice) => p.page.getByRole('textbox', { name: 'Message' });
  const typing = bob.page.getByText(/typing…$/);

  await box(alice).pressSequentially('hello the');
  await expect(bob.page.getByText('alice is typing…')).toBeVisible({ timeout: 3_000 });
  // Nobody is told that they themselves are typing.
  await expect(alice.page.getByText('alice is typing…')).toHaveCount(0);

  await box(carol).pressSequentially('me too');
  await expect(bob.page.getByText('alice and carol are typing…')).toBeVisible({ timeout: 3_000 });

  await box(alice).pressSequentially('re');
  await box(alice).press('Enter');
  await expect(log(bob.page).getByText('hello there')).toBeVisible();
  await expect(typing).toHaveText('carol is typing…');

  // carol stops typing: the line empties a few seconds later.
  await expect(typing).toHaveCount(0, { timeout: 8_000 });
  for (const p of [alice, bob, carol]) await p.context.close();
});
