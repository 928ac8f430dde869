import { test, expect, openWidget, startChat, signIn, takeFromQueue, send } from './fixtures';
import type { Page } from '@playwright/test';

/** Records what the page would show and play: notifications (with their tags) and sounds. */
async function recordAlerts(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as any;
    w.__notes = [];
    // The agent may be away from the page (another tab or window).
    w.__away = false;
    Object.defineProperty(Document.prototype, 'visibilityState', { get: () => (w.__away ? 'hidden' : 'visible') });
    Document.prototype.hasFocus = () => !w.__away;
    w.__asked = 0;
    w.__tones = 0;
    class FakeNotification {
      // Kept across reloads, as the browser keeps it.
      static permission = sessionStorage.getItem('permission') ?? 'default';
      static requestPermission() {
        w.__asked += 1;
        sessionStorage.setItem('permission', 'granted');
        FakeNotification.permission = 'granted';
        return Promise.resolve('granted');
      }
      onclick: (() => void) | null = null;
      constructor(title: string, opts: { body?: string; tag?: string }) {
        w.__notes.push({ title, body: opts?.body, tag: opts?.tag });
      }
      close() {}
    }
    w.Notification = FakeNotification;
    const Real = w.AudioContext;
    w.AudioContext = class extends Real {
      createOscillator() {
        w.__tones += 1;
        return super.createOscillator();
      }
    };
  });
}

const notes = (page: Page) => page.evaluate(() => (window as any).__notes as { title: string; body: string; tag: string }[]);
const tones = (page: Page) => page.evaluate(() => (window as any).__tones as number);

test('a visitor message in another conversation alerts: sound, a notification per conversation, the tab blinks; never for the one on screen; each can be turned off', async ({ server, visitor, agent, agent2: visitor2 }) => {
  await recordAlerts(agent);
  await signIn(agent, server);
  // Permission is asked from the button, not on load.
  expect(await agent.evaluate(() => (window as any).__asked)).toBe(0);
  await agent.locator('[data-testid=alerts]').click();
  await agent.locator('[data-testid=allow-notifications]').click();
  await expect(agent.locator('[data-testid=alert-permission]')).toContainText('allowed');
  expect(await agent.evaluate(() => (window as any).__asked)).toBe(1);

  const one = await openWidget(visitor, server);
  await startChat(one, 'Una', 'First chat');
  await takeFromQueue(agent, 'Una');
  const two = await openWidget(visitor2, server);
  await startChat(two, 'Tom', 'Second chat');
  await takeFromQueue(agent, 'Tom');
  const before = (await notes(agent)).length;
  const tonesBefore = await tones(agent);

  // Tom's room is on screen: Una writes, so that alerts; Tom writes, that does not.
  await send(one, 'Are you still there?');
  await expect.poll(async () => (await notes(agent)).length).toBe(before + 1);
  const first = (await notes(agent))[before];
  expect(first.title).toBe('Una wrote');
  expect(first.body).toBe('Are you still there?');
  await expect.poll(() => tones(agent)).toBeGreaterThan(tonesBefore);
  await send(two, 'Tom here again');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Tom here again' })).toHaveCount(1);
  // The agent is away from the page; Una writes again: a newer notification with the same tag
  // replaces the older, and the tab's title blinks with who wrote until the agent is back.
  await agent.evaluate(() => { (window as any).__away = true; });
  await send(one, 'Hello?');
  await expect.poll(() => agent.title(), { intervals: [50] }).toBe('New message from Una');
  await expect.poll(() => agent.title(), { intervals: [50] }).toMatch(/^\* \(\d\) Inbox/);
  await agent.evaluate(() => { (window as any).__away = false; });
  await expect.poll(async () => (await notes(agent)).length).toBe(before + 2);
  const all = await notes(agent);
  expect(all.filter((n) => n.title === 'Tom wrote')).toHaveLength(0);
  expect(all[before + 1].tag).toBe(first.tag);
  expect(all[before + 1].body).toBe('Hello?');

  // Turned off (kept for this agent across reloads): nothing more.
  await agent.locator('[data-testid=alert-sound]').uncheck();
  await agent.locator('[data-testid=alert-desktop]').uncheck();
  await agent.reload();
  await expect(agent.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
  await agent.locator('[data-testid=alerts]').click();
  await expect(agent.locator('[data-testid=alert-sound]')).not.toBeChecked();
  await expect(agent.locator('[data-testid=alert-desktop]')).not.toBeChecked();
  await send(one, 'One more');
  await expect(agent.locator('[data-testid=conversation-row]').filter({ hasText: 'One more' })).toHaveCount(1);
  expect(await notes(agent)).toHaveLength(0);
  expect(await tones(agent)).toBe(0);
});

test('conversations stay open as tabs, each with how long the visitor has waited for an answer', async ({ server, visitor, agent, agent2: visitor2 }) => {
  await signIn(agent, server);
  const one = await openWidget(visitor, server);
  await startChat(one, 'Ivy', 'Waiting here');
  await takeFromQueue(agent, 'Ivy');
  const two = await openWidget(visitor2, server);
  await startChat(two, 'Max', 'Me too');
  await takeFromQueue(agent, 'Max');
  const tab = (name: string) => agent.locator('[data-testid=room-tab]').filter({ hasText: name });
  await expect(agent.locator('[data-testid=room-tab]')).toHaveCount(2);
  await expect(tab('Max')).toHaveClass(/active/);

  // Ivy writes again, unanswered: her tab counts the wait.
  await send(one, 'Still waiting');
  await expect(tab('Ivy').locator('[data-testid=tab-waited]')).toHaveText(/^\d+ s$/);
  // Back to Ivy by her tab; the answer clears the wait.
  await tab('Ivy').locator('button').first().click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Ivy');
  await send(agent, 'Sorry, here now');
  await expect(tab('Ivy').locator('[data-testid=tab-waited]')).toHaveCount(0);
  // Closing the open tab shows the other one.
  await tab('Ivy').locator('[data-testid=tab-close]').click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Max');
});
