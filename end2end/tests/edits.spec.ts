import { test, expect, type Page } from '@playwright/test';
import { freshRoom, joinAs, log, say } from './fixtures';

// Editing my messages: **Edit message** on one (or Up arrow in the empty box for my
// latest) puts its text in the box; Enter or **Save** saves, Esc or **Cancel** leaves it.
// Everyone sees the new text and "(edited)", live and after a reload; nobody else can.

const box = (page: Page) => page.getByRole('textbox', { name: 'Message' });
const row = (page: Page, text: string) => log(page).locator('.msg').filter({ hasText: text });

test('a person edits with Edit message and with Up arrow; everyone sees the new text and "(edited)"', async ({ browser }) => {
  const room = freshRoom('edits');
  const ann = await joinAs(browser, room, 'ann');
  const bob = await joinAs(browser, room, 'bob');
  await say(ann.page, 'teh plan is on');
  await expect(row(bob.page, 'teh plan is on')).toBeVisible();

  // Edit message: the text in the box, the box saying so, Enter saves.
  await row(ann.page, 'teh plan is on').hover();
  await row(ann.page, 'teh plan is on').getByRole('button', { name: 'Edit message' }).click();
  await expect(box(ann.page)).toHaveValue('teh plan is on');
  await expect(box(ann.page)).toBeFocused();
  await expect(ann.page.getByText('Editing message')).toBeVisible();
  await expect(ann.page.getByRole('button', { name: 'Save' })).toBeVisible();
  // The message being edited is marked in the log (for ann only).
  const current = (p: Page) => log(p).locator('[aria-current="true"]');
  await expect(current(ann.page)).toHaveCount(1);
  await expect(current(ann.page)).toContainText('teh plan is on');
  await expect(current(bob.page)).toHaveCount(0);
  await ann.page.screenshot({ path: 'test-results/editing.png' });
  await box(ann.page).fill('the **plan** is on');
  await box(ann.page).press('Enter');
  await expect(box(ann.page)).toHaveValue('');
  await expect(ann.page.getByText('Editing message')).toBeHidden();
  await expect(ann.page.getByRole('button', { name: 'Send' })).toBeVisible();
  await expect(current(ann.page)).toHaveCount(0);
  for (const p of [ann.page, bob.page]) {
    const edited = row(p, 'the plan is on');
    await expect(edited.locator('strong')).toHaveText('plan');
    await expect(edited).toContainText('(edited)');
    await expect(log(p)).not.toContainText('teh plan');
  }

  // Up arrow in the empty box: my latest message; Esc leaves it as it was.
  await say(ann.page, 'see you at 9');
  await expect(row(bob.page, 'see you at 9')).toBeVisible();
  // A message still on its way is not edited yet (nor the one before it in its place): Up
  // arrow picks it once ann's page has it stored, which may be a moment after bob sees it.
  await expect(async () => {
    await box(ann.page).press('ArrowUp');
    await expect(box(ann.page)).toHaveValue('see you at 9', { timeout: 500 });
  }).toPass();
  await expect(current(ann.page)).toContainText('see you at 9');
  await box(ann.page).press('Escape');
  await expect(box(ann.page)).toHaveValue('');
  await expect(ann.page.getByText('Editing message')).toBeHidden();
  await expect(current(ann.page)).toHaveCount(0);
  await box(ann.page).press('ArrowUp');
  await box(ann.page).fill('see you at 10');
  await ann.page.getByRole('button', { name: 'Save' }).click();
  await expect(row(bob.page, 'see you at 10')).toContainText('(edited)');
  await expect(log(bob.page)).not.toContainText('see you at 9');
  // Nothing new was sent: two messages, both edited.
  await expect(log(bob.page).locator('.msg')).toHaveCount(2);
  await ann.page.screenshot({ path: 'test-results/edited.png' });

  // bob may not edit ann's messages: no button on them; Up arrow finds none of his.
  await row(bob.page, 'see you at 10').hover();
  await expect(row(bob.page, 'see you at 10').getByRole('button', { name: 'Edit message' })).toHaveCount(0);
  await box(bob.page).press('ArrowUp');
  await expect(box(bob.page)).toHaveValue('');

  // After a reload (the server's page), the same.
  await bob.page.reload();
  await expect(log(bob.page).getByText('(edited)')).toHaveCount(2);
  await expect(row(bob.page, 'the plan is on').locator('strong')).toHaveText('plan');
  await expect(log(bob.page)).not.toContainText('teh plan');
  for (const c of [ann, bob]) await c.context.close();
});
