import { test, expect, type Page } from '@playwright/test';
import { expectConnected, freshRoom, joinAs, log, say } from './fixtures';

const background = (page: Page) =>
  page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
const LIGHT = 'rgb(246, 247, 249)';
const DARK = 'rgb(20, 23, 28)';

test('the theme follows the system, and the Dark theme toggle overrides it, remembered across reloads', async ({ browser }) => {
  const room = freshRoom('look');
  // A system in dark mode: dark, without anyone picking it.
  const night = await joinAs(browser, room, 'owl', { colorScheme: 'dark' });
  expect(await background(night.page)).toBe(DARK);
  await night.context.close();

  const alice = await joinAs(browser, room, 'alice', { colorScheme: 'light' });
  const page = alice.page;
  await say(page, 'how does this look?');
  await expect(log(page).getByText('how does this look?')).toBeVisible();
  expect(await background(page)).toBe(LIGHT);
  const toggle = page.getByRole('button', { name: 'Dark theme' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');

  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expectConnected(page);
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  expect(await background(page)).toBe(DARK);
  await page.screenshot({ path: 'test-results/room-dark.png' });

  // Remembered: a reload (the room's kept page, with this reader's theme put in) is dark.
  await page.reload();
  await expectConnected(page);
  expect(await background(page)).toBe(DARK);
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');

  // And back.
  await toggle.click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(await background(page)).toBe(LIGHT);
  await page.screenshot({ path: 'test-results/room-light.png' });
  await alice.context.close();
});

test('everything Tab reaches shows where the focus is, in both themes', async ({ browser }) => {
  const room = freshRoom('focus');
  for (const colorScheme of ['light', 'dark'] as const) {
    const { context, page } = await joinAs(browser, room, `tabber-${colorScheme}`, { colorScheme });
    await say(page, `a ${colorScheme} message with a status to tab to`);
    await expect(log(page).getByText(`a ${colorScheme} message with a status to tab to`)).toBeVisible();
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    const seen = new Set<string>();
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const focus = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        const name = el.getAttribute('aria-label') || el.textContent?.trim() || el.tagName;
        return { name: `${el.tagName} ${name}`.slice(0, 60), style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
      });
      if (!focus) continue;
      seen.add(focus.name);
      expect(focus.style, `${focus.name} shows its focus`).not.toBe('none');
      expect(focus.width, `${focus.name} shows its focus`).toBeGreaterThanOrEqual(2);
    }
    // The sidebar, the header, the log and the composer were all reached.
    expect([...seen].join(' | ')).toMatch(/Dark theme/);
    expect([...seen].join(' | ')).toMatch(/Members/);
    expect([...seen].join(' | ')).toMatch(/TEXTAREA/);
    await context.close();
  }
});

test('on a phone the sidebar is a drawer behind Menu, closed by Esc, Close menu, a tap beside it or going to a room', async ({ browser }) => {
  const room = freshRoom('phone');
  const other = freshRoom('phone-b');
  const phone = { viewport: { width: 390, height: 760 }, hasTouch: true, isMobile: true };
  const alice = await joinAs(browser, other, 'alice', phone);
  await alice.page.goto(`/r/${room}`);
  await expectConnected(alice.page);
  const { page } = alice;
  const menu = page.getByRole('button', { name: 'Menu', exact: true });
  const rooms = page.getByRole('navigation', { name: 'Rooms' });
  await expect(menu).toBeVisible();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await expect(rooms).toBeHidden();
  // The room and its composer have the whole width.
  const box = await log(page).boundingBox();
  expect(box!.width).toBeGreaterThan(350);

  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(rooms).toBeVisible();
  await expect(page.getByRole('searchbox', { name: 'Search' })).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search' }).focus();
  await page.keyboard.press('Escape');
  await expect(rooms).toBeHidden();

  await menu.click();
  await page.getByRole('button', { name: 'Close menu' }).click();
  await expect(rooms).toBeHidden();

  // A tap on the dimmed room beside the drawer closes it.
  await menu.click();
  await expect(rooms).toBeVisible();
  await page.touchscreen.tap(370, 400);
  await expect(rooms).toBeHidden();

  await menu.click();
  await rooms.getByRole('link', { name: other }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${other}$`));
  await expect(page.getByRole('heading', { name: other })).toBeVisible();
  await expect(rooms).toBeHidden();
  await alice.context.close();
});

test('on a wide screen the sidebar is always there and there is no Menu', async ({ browser }) => {
  const alice = await joinAs(browser, freshRoom('wide'), 'alice');
  await expect(alice.page.getByRole('navigation', { name: 'Rooms' })).toBeVisible();
  await expect(alice.page.getByRole('button', { name: 'Menu', exact: true })).toBeHidden();
  await expect(alice.page.getByRole('button', { name: 'Close menu' })).toBeHidden();
  await alice.context.close();
});
