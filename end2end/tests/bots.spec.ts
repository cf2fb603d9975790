import { test, expect, request } from '@playwright/test';
import { busyURL, freshRoom, log } from './fixtures';

// On the server with every limit off, where no other test makes an account: the account
// made here is that server's first, so it is its admin and may make bots.
test("a bot's messages are marked bot, in the page and live", async ({ browser }) => {
  const api = await request.newContext({ baseURL: busyURL() });
  const stamp = Date.now().toString(36);
  const admin = await api.post('/api/accounts', {
    data: { name: `boss${stamp}`, password: 'correct horse battery' },
  });
  expect(admin.status()).toBe(201);
  const adminToken = (await admin.json()).token;
  const made = await api.post('/api/bots', {
    headers: { authorization: `Bearer ${adminToken}` },
    data: { name: `ci${stamp}` },
  });
  expect(made.status(), 'the first account is the admin').toBe(201);
  const bot = await made.json();
  const room = freshRoom('bots');
  const created = await api.post('/api/rooms', {
    headers: { authorization: `Bearer ${adminToken}` },
    data: { name: room },
  });
  expect(created.status()).toBe(201);
  const post = (text: string) =>
    api.post(`/api/rooms/${room}/messages`, {
      headers: { authorization: `Bearer ${bot.token}` },
      data: { client_id: crypto.randomUUID(), text },
    });
  expect((await post('build 41 passed')).status()).toBe(201);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${busyURL()}/r/${room}`);
  await expect(page.getByRole('status')).toHaveText(/Read-only/);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  const group = log(page).getByRole('article', { name: `Messages from ${bot.name}` });
  await expect(group).toContainText('build 41 passed');
  await expect(group.getByText('bot', { exact: true })).toBeVisible();
  // A visitor's page is read-only; joining opens the socket for live messages.
  await page.getByLabel('Display name').fill(`pat${stamp}`);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expect(page.getByRole('status')).toHaveText(/Connected/, { timeout: 15_000 });

  // Live: a person's message has no mark, the bot's next one has.
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('thanks!');
  await box.press('Enter');
  expect((await post('deploying <b>v42</b>')).status()).toBe(201);
  const groups = log(page).getByRole('article');
  await expect(groups).toHaveCount(3);
  await expect(groups.nth(1)).toContainText('thanks!');
  await expect(groups.nth(1).getByText('bot', { exact: true })).toHaveCount(0);
  await expect(groups.nth(2)).toContainText('deploying <b>v42</b>');
  await expect(groups.nth(2).getByText('bot', { exact: true })).toBeVisible();
  await page.screenshot({ path: 'test-results/bot-messages.png' });
  await context.close();
  await api.dispose();
});
