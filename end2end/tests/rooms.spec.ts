import { test, expect, type Browser, type Page } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say } from './fixtures';

const PASSWORD = 'correct horse battery';

/** A fresh name for an account (unique per run, names are owned for good). */
const fresh = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Signs up as `name` on the sign-in page reached from `room`'s join form. */
async function signUp(browser: Browser, room: string, name: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/r/${room}`);
  await page.getByRole('link', { name: 'Sign in with a password' }).click();
  const form = page.getByRole('form', { name: 'Create an account' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${room}$`));
  await expectConnected(page);
  return { context, page };
}

test('sign up, sign out and sign in again with a password, without and with mistakes', async ({ browser }) => {
  const room = freshRoom('signin');
  const name = fresh('amy');
  const { context, page } = await signUp(browser, room, name);
  await expect(page.getByText(`Signed in as ${name}`)).toBeVisible();
  await say(page, 'hello as an account');
  await expect(log(page)).toContainText('hello as an account');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('status')).toHaveText(/Read-only/);
  await page.getByRole('link', { name: 'Sign in with a password' }).click();
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Password').fill('not my password');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(form.getByRole('alert')).toHaveText('Wrong name or password.');
  await page.screenshot({ path: 'test-results/sign-in-error.png', fullPage: true });
  await expect(form.getByLabel('Name')).toHaveValue(name);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${room}$`));
  await expectConnected(page);
  await expect(log(page)).toContainText('hello as an account');

  // A weak password is refused with the reason.
  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto('/signin');
  const signUpForm = p2.getByRole('form', { name: 'Create an account' });
  await signUpForm.getByLabel('Name').fill(fresh('weak'));
  await signUpForm.getByLabel('Password').fill('password123');
  await signUpForm.getByRole('button', { name: 'Create account' }).click();
  await expect(signUpForm.getByRole('alert')).toContainText('common');
  await p2.screenshot({ path: 'test-results/sign-up-error.png', fullPage: true });
  await other.close();
  await context.close();
});

test('an owner makes a private room, adds someone, and bans them; outsiders never see it', async ({ browser }) => {
  const lobby = freshRoom('lobby');
  const ownerName = fresh('olga');
  const guestName = fresh('gus');
  const owner = await signUp(browser, lobby, ownerName);
  const friend = await signUp(browser, lobby, guestName);
  const outsider = await signUp(browser, lobby, fresh('otto'));
  const secret = freshRoom('secret');

  // New room, private.
  await owner.page.getByRole('link', { name: 'New room' }).click();
  await owner.page.getByLabel('Room name').fill(secret);
  await owner.page.getByLabel(/Private/).check();
  await owner.page.screenshot({ path: 'test-results/new-room.png', fullPage: true });
  await owner.page.getByRole('button', { name: 'Create room' }).click();
  await expect(owner.page).toHaveURL(new RegExp(`/r/${secret}$`));
  await expectConnected(owner.page);
  await say(owner.page, 'the secret plan');
  await expect(log(owner.page)).toContainText('the secret plan');
  // A lock after its name, which screen readers hear as "private".
  await expect(owner.page.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: secret })).toHaveAccessibleName(/private$/);
  await owner.page.screenshot({ path: 'test-results/private-room.png' });

  // Outsiders: the page is as empty as a room that does not exist.
  await outsider.page.goto(`/r/${secret}`);
  await expectConnected(outsider.page);
  await expect(log(outsider.page)).not.toContainText('the secret plan');
  await expect(outsider.page.getByRole('alert').filter({ hasText: 'There is no room called' })).toBeVisible();

  // Add the friend on the Members page.
  await owner.page.getByRole('link', { name: 'Members' }).click();
  await expect(owner.page.getByRole('heading', { name: `Members of #${secret} (private)` })).toBeVisible();
  await owner.page.getByLabel('Account name').fill(guestName);
  await owner.page.getByRole('button', { name: 'Add' }).click();
  const members = owner.page.getByRole('list', { name: 'Members' });
  await expect(members.getByRole('listitem')).toHaveCount(2);
  await owner.page.screenshot({ path: 'test-results/members.png', fullPage: true });

  await friend.page.goto(`/r/${secret}`);
  await expectConnected(friend.page);
  await expect(log(friend.page)).toContainText('the secret plan');
  await say(friend.page, 'count me in');
  await expect(log(friend.page)).toContainText('count me in');

  // Ban: the friend's open page is told at once, and the room is gone for them.
  await owner.page.getByRole('button', { name: `Ban ${guestName}` }).click();
  await expect(members.getByRole('listitem')).toHaveCount(1);
  await expect(friend.page.getByRole('alert').filter({ hasText: `You were banned from #${secret}.` })).toBeVisible();
  await friend.page.reload();
  await expectConnected(friend.page);
  await expect(log(friend.page)).not.toContainText('the secret plan');
  for (const c of [owner, friend, outsider]) await c.context.close();
});

test('"Message" on the Members page opens a direct conversation, listed under Direct messages', async ({ browser }) => {
  const room = freshRoom('team');
  const annName = fresh('ann');
  const bobName = fresh('bob');
  const ann = await signUp(browser, room, annName);
  const bob = await signUp(browser, room, bobName);
  await say(bob.page, 'hi all');
  await expect(log(ann.page)).toContainText('hi all');

  await ann.page.getByRole('link', { name: 'Members' }).click();
  await ann.page.getByRole('button', { name: `Message ${bobName}` }).click();
  await expect(ann.page).toHaveURL(/\/r\/dm-[0-9a-f]+$/);
  await expectConnected(ann.page);
  await expect(ann.page.getByRole('heading', { level: 1 })).toHaveText(`@${bobName}`);
  const dms = ann.page.getByRole('list', { name: 'Direct messages' });
  await expect(dms.getByRole('link', { name: bobName })).toHaveAttribute('aria-current', 'page');
  await say(ann.page, 'just us');
  await expect(log(ann.page)).toContainText('just us');
  // Stored (not only on its way) before Bob's page is asked for.
  await expect(log(ann.page).getByRole('img', { name: /^(Sent|Delivered|Read)/ })).toBeVisible();
  await ann.page.screenshot({ path: 'test-results/direct-message.png' });

  // Bob finds it in his list, by Ann's name, with the message unread.
  await bob.page.reload();
  await expectConnected(bob.page);
  const bobsDms = bob.page.getByRole('list', { name: 'Direct messages' });
  // Ann is there (her page is in the conversation): a dot, "online" for screen readers.
  await expect(bobsDms.getByRole('link', { name: `${annName}, online, 1 unread` })).toBeVisible();
  await bobsDms.getByRole('link', { name: new RegExp(annName) }).click();
  await expect(log(bob.page)).toContainText('just us');
  const dmURL = ann.page.url();

  // A name in the log opens the same conversation; one's own name is no link.
  await ann.page.goto(`/r/${room}`);
  await expectConnected(ann.page);
  await say(ann.page, 'back in the team room');
  await expect(log(ann.page)).toContainText('back in the team room');
  await expect(log(ann.page).getByRole('link', { name: `Message ${annName}` })).toHaveCount(0);
  await log(ann.page).getByRole('link', { name: `Message ${bobName}` }).click();
  await expect(ann.page).toHaveURL(dmURL);
  await expect(log(ann.page)).toContainText('just us');
  // Ann leaves: Bob's list takes her dot away, live.
  await bob.page.goto(`/r/${room}`);
  await expectConnected(bob.page);
  const annLink = bobsDms.getByRole('link', { name: new RegExp(annName) });
  await expect(annLink).toHaveClass(/online/);
  await expect(annLink).toHaveAccessibleName(new RegExp(`^${annName}, online`));
  await ann.context.close();
  await expect(annLink).not.toHaveClass(/online/, { timeout: 3_000 });
  await bob.page.screenshot({ path: 'test-results/direct-presence.png' });
  for (const c of [ann, bob]) await c.context.close();
});

test('an owner deletes a spammer\'s message and a person deletes their own; everyone sees "Message deleted"', async ({ browser }) => {
  const lobby = freshRoom('lobby');
  const ownerName = fresh('opal');
  const owner = await signUp(browser, lobby, ownerName);
  const room = freshRoom('tidy');
  await owner.page.getByRole('link', { name: 'New room' }).click();
  await owner.page.getByLabel('Room name').fill(room);
  await owner.page.getByRole('button', { name: 'Create room' }).click();
  await expect(owner.page).toHaveURL(new RegExp(`/r/${room}$`));
  await expectConnected(owner.page);
  await say(owner.page, 'welcome, everyone');

  const spammerName = fresh('spam');
  const spammer = await joinAs(browser, room, spammerName);
  await say(spammer.page, 'buy cheap pills at example.com');
  await say(spammer.page, 'I meant to say hello');
  const fromSpammer = (page: Page) => log(page).getByRole('article', { name: `Messages from ${spammerName}` });
  await expect(fromSpammer(owner.page)).toContainText('I meant to say hello');

  // A person deletes their own message: asked once, then it is a tombstone for everyone.
  let asked = '';
  spammer.page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  const own = fromSpammer(spammer.page).locator('.msg').filter({ hasText: 'I meant to say hello' });
  await own.hover();
  await own.getByRole('button', { name: 'Delete message' }).click();
  expect(asked).toBe('Delete this message for everyone?');
  await expect(fromSpammer(owner.page)).not.toContainText('I meant to say hello');
  await expect(fromSpammer(owner.page)).toContainText('Message deleted');

  // Nobody but owners may delete someone else's: the spammer has no button on the owner's.
  const fromOwner = log(spammer.page).getByRole('article', { name: `Messages from ${ownerName}` });
  await fromOwner.hover();
  await expect(fromOwner.getByRole('button', { name: 'Delete message' })).toHaveCount(0);

  // The owner deletes the spam; cancelling first changes nothing.
  const spam = fromSpammer(owner.page).locator('.msg').filter({ hasText: 'buy cheap pills' });
  owner.page.once('dialog', (d) => d.dismiss());
  await spam.hover();
  await owner.page.screenshot({ path: 'test-results/delete-button.png' });
  await spam.getByRole('button', { name: 'Delete message' }).click();
  await expect(fromSpammer(spammer.page)).toContainText('buy cheap pills');
  owner.page.once('dialog', (d) => d.accept());
  await spam.getByRole('button', { name: 'Delete message' }).click();
  await expect(fromSpammer(spammer.page)).not.toContainText('buy cheap pills');
  await expect(fromSpammer(spammer.page).getByText('Message deleted')).toHaveCount(2);
  await owner.page.screenshot({ path: 'test-results/deleted-messages.png' });

  // After a reload (the server's page) and for a newcomer, the same.
  await spammer.page.reload();
  await expect(fromSpammer(spammer.page).getByText('Message deleted')).toHaveCount(2);
  await expect(log(spammer.page)).not.toContainText('cheap pills');
  await expect(log(spammer.page)).toContainText('welcome, everyone');
  for (const c of [owner, spammer]) await c.context.close();
});

test('an invite link brings a newcomer into a private room, and someone with an account joins with it', async ({ browser }) => {
  const lobby = freshRoom('lobby');
  const owner = await signUp(browser, lobby, fresh('iris'));
  const club = freshRoom('club');
  await owner.page.getByRole('link', { name: 'New room' }).click();
  await owner.page.getByLabel('Room name').fill(club);
  await owner.page.getByLabel(/Private/).check();
  await owner.page.getByRole('button', { name: 'Create room' }).click();
  await expectConnected(owner.page);
  await say(owner.page, 'members only');
  await expect(log(owner.page)).toContainText('members only');

  await owner.page.getByRole('link', { name: 'Members' }).click();
  await owner.page.getByLabel('Uses').fill('2');
  await owner.page.getByRole('button', { name: 'Make invite link' }).click();
  const made = owner.page.getByRole('status');
  await expect(made).toContainText('Invite link (shown once)');
  const link = (await made.locator('code').textContent())!.trim();
  expect(link).toMatch(/\/invite\/[0-9a-f]+$/);

  // Someone new signs up with it and lands in the room.
  const newcomer = await browser.newContext();
  const page = await newcomer.newPage();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: `You are invited to #${club}` })).toBeVisible();
  const form = page.getByRole('form', { name: 'Create an account' });
  await form.getByLabel('Name').fill(fresh('nia'));
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${club}$`));
  await expectConnected(page);
  await expect(log(page)).toContainText('members only');

  // Someone signed in already is offered the room instead of a form.
  const member = await signUp(browser, lobby, fresh('max'));
  await member.page.goto(link);
  await member.page.screenshot({ path: 'test-results/invite-join.png' });
  await member.page.getByRole('button', { name: `Join #${club}` }).click();
  await expect(member.page).toHaveURL(new RegExp(`/r/${club}$`));
  await expectConnected(member.page);
  await expect(log(member.page)).toContainText('members only');
  for (const c of [owner.context, newcomer, member.context]) await c.close();
});

test('Browse rooms lists the public rooms, filters them by name, and opens one', async ({ browser }) => {
  const room = freshRoom('dir');
  const other = freshRoom('dirfind');
  const alice = await joinAs(browser, room, 'alice');
  await say(alice.page, 'hello');
  const bob = await joinAs(browser, other, 'bob');
  await say(bob.page, 'over here');
  await expect(log(bob.page).getByText('over here')).toBeVisible();

  const page = alice.page;
  await page.getByRole('link', { name: 'Browse rooms' }).click();
  await expect(page.getByRole('heading', { name: 'Rooms' })).toBeVisible();
  const list = page.getByRole('list', { name: 'Public rooms' });
  await expect(list.getByRole('link', { name: `#${room}` })).toBeVisible();
  await expect(list.getByRole('link', { name: `#${other}` })).toBeVisible();
  await page.screenshot({ path: 'test-results/directory.png' });

  await page.getByRole('searchbox', { name: 'Filter by name or topic' }).fill(other.slice(0, -2).toUpperCase());
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(list.getByRole('link', { name: `#${other}` })).toBeVisible();
  await expect(list.getByRole('link', { name: `#${room}` })).toHaveCount(0);
  await page.getByRole('searchbox', { name: 'Filter by name or topic' }).fill('no-such-room-anywhere');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByText('No rooms match “no-such-room-anywhere”.')).toBeVisible();

  await page.goBack();
  await list.getByRole('link', { name: `#${other}` }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${other}$`));
  await expect(log(page).getByText('over here')).toBeVisible();
  for (const c of [alice, bob]) await c.context.close();
});

test('a room made with a Topic shows it in its header and Browse rooms, as text; a member changes it on the Members page and people in the room see it at once', async ({ browser }) => {
  const owner = await signUp(browser, freshRoom('lobby'), fresh('tina'));
  const room = freshRoom('topical');
  const { page } = owner;
  await page.getByRole('link', { name: 'New room' }).click();
  await page.getByLabel('Room name').fill(room);
  await page.getByLabel('Topic (optional)').fill('Release <b>plans</b> & dates');
  await page.getByRole('button', { name: 'Create room' }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${room}$`));
  await expectConnected(page);
  // Under the room's name, as text.
  await expect(page.getByText('Release <b>plans</b> & dates', { exact: true })).toBeVisible();
  const reader = await joinAs(browser, room, fresh('rita'));
  const readerTopic = (text: string) => reader.page.getByText(text, { exact: true });
  await expect(readerTopic('Release <b>plans</b> & dates')).toBeVisible();

  const entry = (p: Page) =>
    p.getByRole('list', { name: 'Public rooms' }).getByRole('listitem')
      .filter({ has: p.getByRole('link', { name: `#${room}`, exact: true }) });
  await page.getByRole('link', { name: 'Browse rooms' }).click();
  await expect(entry(page)).toContainText('Release <b>plans</b> & dates');
  await expect(entry(page).locator('b')).toHaveCount(0);
  await page.screenshot({ path: 'test-results/directory-topic.png' });

  await page.goto(`/r/${room}`);
  await page.getByRole('link', { name: 'Members', exact: true }).click();
  await expect(page.getByText('Topic: Release <b>plans</b> & dates')).toBeVisible();
  const field = page.getByLabel(`Topic of #${room}`);
  await expect(field).toHaveValue('Release <b>plans</b> & dates');
  await field.fill('Ship it on Friday');
  await page.getByRole('button', { name: 'Set topic' }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${room}/members$`));
  await expect(page.getByText('Topic: Ship it on Friday')).toBeVisible();
  await page.screenshot({ path: 'test-results/members-topic.png', fullPage: true });
  // rita, in the room all along, sees the new topic without reloading.
  await expect(readerTopic('Ship it on Friday')).toBeVisible();
  await expect(readerTopic('Release <b>plans</b> & dates')).toHaveCount(0);
  await reader.page.screenshot({ path: 'test-results/room-topic.png' });
  await page.goto('/rooms');
  await expect(entry(page)).toContainText('Ship it on Friday');
  // The filter finds it by a word of its topic.
  await page.getByRole('searchbox', { name: 'Filter by name or topic' }).fill('on  FRIDAY');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(entry(page)).toBeVisible();
  for (const c of [owner, reader]) await c.context.close();
});

test('a room a guest opened has no owner until a member with an account claims it on the Members page', async ({ browser }) => {
  const room = freshRoom('guestmade');
  const guest = await joinAs(browser, room, 'gus');
  await say(guest.page, 'I opened this');
  // The guest opened it and owns nothing: no topic form, no claim for a guest.
  await guest.page.getByRole('link', { name: 'Members', exact: true }).click();
  await expect(guest.page.getByRole('list', { name: 'Members' })).toContainText('gus');
  await expect(guest.page.getByRole('button', { name: 'Set topic' })).toHaveCount(0);
  await expect(guest.page.getByRole('button', { name: `Claim #${room}` })).toHaveCount(0);

  const name = fresh('cleo');
  const member = await signUp(browser, room, name);
  const { page } = member;
  await page.getByRole('link', { name: 'Members', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'No owner' })).toBeVisible();
  await page.screenshot({ path: 'test-results/members-claim.png', fullPage: true });
  await page.getByRole('button', { name: `Claim #${room}` }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${room}/members$`));
  const me = page.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: name });
  await expect(me).toContainText('owner');
  await expect(page.getByRole('button', { name: `Claim #${room}` })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Set topic' })).toBeVisible();
  await page.screenshot({ path: 'test-results/members-claimed.png', fullPage: true });
  for (const c of [guest, member]) await c.context.close();
});
