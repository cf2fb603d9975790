import { test, expect, type Page } from '@playwright/test';
import { freshRoom, joinAs, log, say } from './fixtures';

// Reactions: **Add reaction** on a message (on hover and on keyboard focus) opens the emoji
// picker; an emoji becomes a chip named by it and its count ("👍 1"), pressed when it
// includes mine, its title listing who reacted. Clicking a chip gives or takes back mine.
// Everyone sees it live, and after a reload.

const row = (page: Page, text: string) => log(page).locator('.msg').filter({ hasText: text });
const chip = (page: Page, text: string, name: string) =>
  row(page, text).getByRole('button', { name, exact: true });

test('a reaction is added from the picker, toggled by its chip, and seen by everyone', async ({ browser }) => {
  const room = freshRoom('react');
  const ann = await joinAs(browser, room, 'ann');
  const bob = await joinAs(browser, room, 'bob');
  const text = 'lunch at noon?';
  await say(ann.page, text);
  await expect(row(bob.page, text)).toBeVisible();

  // By keyboard, on someone else's message: the message is a Tab stop, its focus brings
  // its action bar, and Tab goes on into it.
  await expect(row(bob.page, text).getByRole('button', { name: 'Add reaction' })).toHaveCount(0);
  await row(bob.page, text).focus();
  await expect(row(bob.page, text).getByRole('button', { name: 'Add reaction' })).toHaveCount(1);
  await bob.page.keyboard.press('Tab');
  await expect(row(bob.page, text).getByRole('button', { name: 'Add reaction' })).toBeFocused();
  await bob.page.keyboard.press('Tab');
  await expect(row(bob.page, text).getByRole('button', { name: 'Reply' })).toBeFocused();

  // bob: Add reaction → the picker → thumbs up.
  await row(bob.page, text).hover();
  const add = row(bob.page, text).getByRole('button', { name: 'Add reaction' });
  await expect(add).toBeVisible();
  await add.click();
  const picker = bob.page.getByRole('group', { name: 'Pick a reaction' });
  await expect(picker).toBeVisible();
  await bob.page.screenshot({ path: 'test-results/reaction-picker.png' });
  await picker.getByRole('button', { name: 'thumbs up' }).click();
  await expect(picker).toBeHidden();
  for (const p of [ann.page, bob.page]) {
    await expect(chip(p, text, '👍 1')).toHaveAttribute('title', 'bob');
  }
  await expect(chip(bob.page, text, '👍 1')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(ann.page, text, '👍 1')).toHaveAttribute('aria-pressed', 'false');

  // ann clicks the chip: two, hers pressed; the title lists both.
  await chip(ann.page, text, '👍 1').click();
  for (const p of [ann.page, bob.page]) {
    await expect(chip(p, text, '👍 2')).toHaveAttribute('title', 'bob, ann');
  }
  await expect(chip(ann.page, text, '👍 2')).toHaveAttribute('aria-pressed', 'true');

  // By keyboard: focus shows Add reaction; Enter opens the picker, Esc closes it and
  // gives focus back; a second emoji from the picker.
  const annAdd = row(ann.page, text).getByRole('button', { name: 'Add reaction' });
  await annAdd.focus();
  await expect(annAdd).toBeVisible();
  await annAdd.press('Enter');
  const annPicker = ann.page.getByRole('group', { name: 'Pick a reaction' });
  await expect(annPicker).toBeVisible();
  await annPicker.getByRole('button', { name: 'party popper' }).focus();
  await ann.page.keyboard.press('Escape');
  await expect(annPicker).toBeHidden();
  await expect(annAdd).toBeFocused();
  await annAdd.press('Enter');
  await annPicker.getByRole('button', { name: 'party popper' }).press('Enter');
  await expect(chip(bob.page, text, '🎉 1')).toHaveAttribute('title', 'ann');

  // bob takes his 👍 back with its chip.
  await chip(bob.page, text, '👍 2').click();
  for (const p of [ann.page, bob.page]) {
    await expect(chip(p, text, '👍 1')).toHaveAttribute('title', 'ann');
  }
  await expect(chip(bob.page, text, '👍 1')).toHaveAttribute('aria-pressed', 'false');
  await ann.page.screenshot({ path: 'test-results/reactions.png' });

  // After a reload (the server's page), the same, pressed for ann only.
  for (const c of [ann, bob]) await c.page.reload();
  await expect(chip(ann.page, text, '👍 1')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(bob.page, text, '👍 1')).toHaveAttribute('aria-pressed', 'false');
  await expect(chip(bob.page, text, '🎉 1')).toBeVisible();
  // And it still toggles after the reload.
  await chip(bob.page, text, '🎉 1').click();
  await expect(chip(ann.page, text, '🎉 2')).toHaveAttribute('title', 'ann, bob');
  for (const c of [ann, bob]) await c.context.close();
});

test('on a phone in the dark theme, a tap on a message shows Add reaction and Reply', async ({ browser }) => {
  const room = freshRoom('reactphone');
  const bob = await joinAs(browser, room, 'bob');
  const ann = await joinAs(browser, room, 'ann', {
    viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, colorScheme: 'dark',
  });
  const text = 'deploy on friday?';
  await say(bob.page, text);
  await expect(row(ann.page, text)).toBeVisible();
  // A tap selects the message: its action bar shows.
  await row(ann.page, text).tap();
  const add = row(ann.page, text).getByRole('button', { name: 'Add reaction' });
  await expect(add).toBeVisible();
  await expect(add).toHaveCSS('opacity', '1');
  await add.tap();
  await ann.page.getByRole('group', { name: 'Pick a reaction' }).getByRole('button', { name: 'eyes', exact: true }).tap();
  await expect(chip(ann.page, text, '👀 1')).toHaveAttribute('aria-pressed', 'true');
  await expect(chip(bob.page, text, '👀 1')).toHaveAttribute('title', 'ann');
  // Reply from the phone: the strip, then the quote.
  await row(ann.page, text).tap();
  await row(ann.page, text).getByRole('button', { name: 'Reply' }).tap();
  await expect(ann.page.getByText('Replying to bob')).toBeVisible();
  await ann.page.getByRole('textbox', { name: 'Message' }).fill('not on a friday');
  await ann.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(row(bob.page, 'not on a friday').getByRole('button', { name: "Go to bob's message" }))
    .toContainText(text);
  await ann.page.screenshot({ path: 'test-results/reactions-phone-dark.png' });
  for (const c of [ann, bob]) await c.context.close();
});
