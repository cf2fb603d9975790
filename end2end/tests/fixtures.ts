import { expect, type Browser, type Page } from '@playwright/test';

/** A room name of its own for each test, so tests never see each other's messages. */
export function freshRoom(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Waits until the page has hydrated and the server answered its socket's join: the
 *  person is a member of the room, caught up, and receives it live. */
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

/** The delivery status icon of my message `text` (named Sending, Sent, Delivered, Read…). */
export const statusOf = (page: Page, text: string) =>
  log(page).locator('.msg', { hasText: text }).getByRole('img');

/** The server with every limit off (see playwright.config.ts). */
export const busyURL = () => process.env.E2E_BUSY_URL ?? 'http://127.0.0.1:3101';

/** Opens `room` on the busy server in `page` and joins as `name`. */
export async function joinBusy(page: Page, room: string, name: string) {
  await page.goto(`${busyURL()}/r/${room}`);
  await page.waitForFunction(() => (window as any).__cloud_msg_hydrated === true);
  await page.getByLabel('Display name').fill(name);
  await page.getByRole('button', { name: 'Join chat' }).click();
  await expectConnected(page);
}

/**
 * Posts `count` messages (`${prefix} 0`, `${prefix} 1`, …) into `room` on the busy server as
 * a bot, over the real socket from a page of its own, and waits until all are stored.
 */
export async function seedRoom(browser: Browser, room: string, count: number, prefix = 'm') {
  await seedTexts(browser, room, Array.from({ length: count }, (_, i) => `${prefix} ${i}`));
}

/** Posts `texts` into `room` on the busy server as a bot, in order, and waits until all are stored. */
export async function seedTexts(browser: Browser, room: string, texts: string[]) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${busyURL()}/healthz`);
  await page.evaluate(
    async ({ room, texts }) => {
      const count = texts.length;
      const res = await fetch('/api/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bot' }),
      });
      if (!res.ok) throw new Error(`sign-in: ${res.status}`);
      const ws = new WebSocket(`ws://${location.host}/ws`);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      let acked = 0;
      const done = new Promise<void>((resolve, reject) => {
        ws.onmessage = (ev) => {
          const frame = JSON.parse(ev.data);
          if (frame.type === 'error') reject(new Error(frame.message));
          if (frame.type === 'ack' && ++acked === count) resolve();
        };
        // A socket the server closed says so at once, never as the test's timeout.
        ws.onclose = (ev) => reject(new Error(`the bot's socket closed (${ev.code}) after ${acked} acks`));
      });
      // A send needs no join: the bot does not receive its own messages back, so a busy
      // machine's slow page never makes it a slow consumer.
      for (const text of texts) {
        ws.send(JSON.stringify({ type: 'send', room, client_id: crypto.randomUUID(), text }));
      }
      await done;
      ws.close();
    },
    { room, texts },
  );
  await context.close();
}
