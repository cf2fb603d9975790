import { test, expect } from '@playwright/test';
import { freshRoom } from './fixtures';

test('a guest who picks a name an account owns (or one that looks like it) is told why', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/r/${freshRoom('accounts')}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  // An account, made over the API from another context (so this page stays a visitor).
  const owner = `owner${Date.now().toString(36)}`;
  const other = await browser.newContext();
  const res = await other.request.post('/api/accounts', {
    data: { name: owner, password: 'correct horse battery' },
  });
  expect(res.status()).toBe(201);
  await other.close();

  // The same name in capitals is the same name.
  await page.getByLabel('Display name').fill(owner.toUpperCase());
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('alert')).toContainText('belongs to an account');
  await expect(page.getByRole('status')).toHaveText(/Read-only/);
  // Another name works as before.
  await page.getByLabel('Display name').fill(`${owner}-guest`);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('status')).toHaveText(/Connected/, { timeout: 15_000 });
  await context.close();
});
