import { expect, type Browser, type Page } from '@playwright/test';

/** A room name of its own for each test, so tests never see each other's messages. */
export function freshRoom(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Waits until the page has hydrated and its socket is open. */
export async function expectConnected(page: Page) {
  await expect(page.getByRole('status')).toHaveText(/Connected/, { timeout: 15_000 });
}

/** Opens `room` in a new browser context and joins the chat as `name`. */
export async function joinAs(browser: Browser, room: string, name: string, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`/r/${room}`);
  await expect(page.getByRole('status')).toHaveText(/Read-only/);
  // The join form works once the client has hydrated.
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expectConnected(page);
  return { context, page };
}

/** Types `text` into the message box and presses Enter. */
export async function say(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

export const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
