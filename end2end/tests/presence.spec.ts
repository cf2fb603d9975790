import { test, expect } from '@playwright/test';
import { freshRoom, joinAs } from './fixtures';

// The member list beside the room: who is online now first, marked "online" for screen
// readers; a person with two tabs is one person; closing the last tab takes them offline
// for everyone within a moment.

test('the member list shows who is here, and follows joins and tabs closing', async ({ browser }) => {
  test.setTimeout(45_000);
  const room = freshRoom('presence');
  const alice = await joinAs(browser, room, 'alice');
  const members = (p: typeof alice) => p.page.getByRole('list', { name: 'Members' });
  const online = (p: typeof alice) =>
    members(p).getByRole('listitem').filter({ hasText: /online$/ });

  await expect(online(alice)).toHaveText(['alice online']);
  const bob = await joinAs(browser, room, 'bob');
  // Online first, by name, on both screens.
  for (const p of [alice, bob]) {
    await expect(online(p)).toHaveText(['alice online', 'bob online'], { timeout: 3_000 });
  }

  // Bob's second tab (same session): still one Bob.
  const bobTab = await bob.context.newPage();
  await bobTab.goto(`/r/${room}`);
  await expect(members({ ...bob, page: bobTab }).getByRole('listitem')).toHaveText([
    'alice online',
    'bob online',
  ]);
  // Closing one tab leaves him online; closing the last one does not.
  await bob.page.close();
  await alice.page.waitForTimeout(1_000);
  await expect(online(alice)).toHaveText(['alice online', 'bob online']);
  await bobTab.close();
  await expect(online(alice)).toHaveText(['alice online'], { timeout: 2_000 });
  // Bob stays listed, offline, after those online.
  await expect(members(alice).getByRole('listitem')).toHaveText(['alice online', 'bob']);
  await alice.context.close();
  await bob.context.close();
});

test('while my connection is away the member list says "Presence paused", and comes back with it', async ({ browser }) => {
  const room = freshRoom('paused');
  const alice = await joinAs(browser, room, 'alice');
  const paused = alice.page.getByText('Presence paused');
  await expect(paused).toBeHidden();
  await alice.context.setOffline(true);
  await expect(alice.page.getByRole('status')).toHaveText(/Reconnecting…/);
  await expect(paused).toBeVisible();
  await alice.page.screenshot({ path: 'test-results/presence-paused.png' });
  await alice.context.setOffline(false);
  await expect(alice.page.getByRole('status')).toHaveText(/Connected/, { timeout: 15_000 });
  await expect(paused).toBeHidden();
  await alice.context.close();
});
