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
  // He does not go offline: an absence, watched for the second in which he would have.
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

test('between 701 and 1099 px wide, Members opens the live list as a drawer; Esc closes it', async ({ browser }) => {
  const room = freshRoom('drawer');
  const alice = await joinAs(browser, room, 'alice', { viewport: { width: 900, height: 700 } });
  const { page } = alice;
  const toggle = page.getByRole('button', { name: 'Members', exact: true });
  const members = page.getByRole('list', { name: 'Members' });
  // Closed: the list is not shown, and the header has a button rather than the page link.
  await expect(members).toBeHidden();
  await expect(page.getByRole('link', { name: 'Members' })).toBeHidden();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(members.getByRole('listitem')).toHaveText(['alice online']);
  // Live while open: bob comes, and shows at once.
  const bob = await joinAs(browser, room, 'bob');
  await expect(members.getByRole('listitem')).toHaveText(['alice online', 'bob online'], { timeout: 3_000 });
  await page.screenshot({ path: 'test-results/members-drawer.png' });
  await page.keyboard.press('Escape');
  await expect(members).toBeHidden();
  await expect(toggle).toBeFocused();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  // Close members does the same (the drawer covers the button that opened it).
  await toggle.press('Enter');
  await expect(members).toBeVisible();
  await page.getByRole('button', { name: 'Close members' }).click();
  await expect(members).toBeHidden();
  await expect(toggle).toBeFocused();
  await alice.context.close();
  await bob.context.close();
});
