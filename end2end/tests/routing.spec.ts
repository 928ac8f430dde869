import { test, expect, openWidget, startChat, signIn, send, thread, messages, takeFromQueue, row, configureRouting, setPresence, reopenWidget } from './fixtures';
import type { Page } from '@playwright/test';

test('broadcast: two agents see the request, one starts it, it vanishes for the other', async ({ server, visitor, agent, agent2 }) => {
  await signIn(agent, server, 'agent1@demo.test');
  await signIn(agent2, server, 'agent2@demo.test');
  await expect(agent.locator('[data-testid=filter-mine]')).toHaveClass(/on/); // Engaged: my chats by default
  for (const a of [agent, agent2]) await a.locator('[data-testid=folder-queued]').click();
  await expect(agent.locator('[data-testid=filter-mine]')).toBeHidden(); // the queue is the team's

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Bea', 'Is anyone there?');
  for (const a of [agent, agent2]) {
    await expect(row(a, 'Bea')).toHaveCount(1);
    await expect(row(a, 'Bea').locator('[data-testid=timer]')).toHaveText(/^\d+:\d\d$/);
  }

  await row(agent2, 'Bea').locator('[data-testid=start-chat]').click();
  await expect(agent2.locator('[data-testid=thread-title]')).toHaveText('Bea');
  await expect(row(agent, 'Bea')).toHaveCount(0);
  await send(agent2, 'Sam here, how can I help?');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Sam here, how can I help?' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=queue-info]')).toHaveCount(0);
});

/** Which of two agents has an offer waiting (Accept button in Engaged). */
async function offeredTo(pages: Page[], contact: string): Promise<Page> {
  await expect(async () => {
    const counts = await Promise.all(pages.map((p) => row(p, contact).locator('[data-testid=accept]').count()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
  }).toPass({ timeout: 15_000 });
  for (const p of pages) if (await row(p, contact).locator('[data-testid=accept]').count()) return p;
  throw new Error('no offer');
}

test('time-based: offered to one agent, re-routed to the other when the acceptance time runs out', async ({ server, visitor, agent, agent2, admin }) => {
  await signIn(admin, server, 'admin@demo.test');
  await setPresence(admin, 'offline');
  await configureRouting(admin, server, { mode: 'time_based', accept: 5 });
  await signIn(agent, server, 'agent1@demo.test');
  await signIn(agent2, server, 'agent2@demo.test');

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Tim', 'Timed request');
  const first = await offeredTo([agent, agent2], 'Tim');
  const second = first === agent ? agent2 : agent;
  await expect(first.locator('[data-testid=notice]')).toContainText('New chat from Tim');
  await expect(row(first, 'Tim').locator('[data-testid=timer]')).toBeVisible();

  // Nobody accepts in time: it moves to the other agent and leaves the first.
  await expect(row(second, 'Tim').locator('[data-testid=accept]')).toHaveCount(1, { timeout: 15_000 });
  await expect(row(first, 'Tim').locator('[data-testid=accept]')).toHaveCount(0);
  await row(second, 'Tim').locator('[data-testid=accept]').click();
  await expect(second.locator('[data-testid=thread-title]')).toHaveText('Tim');
  await send(second, 'Got it, sorry for the wait!');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Got it, sorry for the wait!' })).toHaveCount(1);
});

test('hold accepts without leaving the current view; decline hands the chat to the next agent', async ({ server, visitor, agent, agent2, admin, browser }) => {
  await signIn(admin, server, 'admin@demo.test');
  await setPresence(admin, 'offline');
  await configureRouting(admin, server, { mode: 'time_based', accept: 60 });
  await signIn(agent, server, 'agent1@demo.test');
  await signIn(agent2, server, 'agent2@demo.test');

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Hal', 'Hold me');
  const holder = await offeredTo([agent, agent2], 'Hal');
  const other = holder === agent ? agent2 : agent;
  await row(holder, 'Hal').locator('[data-testid=hold]').click();
  // Accepted (the visitor is told), but the agent stays where they were.
  await expect(widget.locator('[data-testid=message].system')).toContainText('joined the chat');
  await expect(holder.locator('.thread .empty')).toBeVisible();
  await expect(row(holder, 'Hal').locator('[data-testid=accept]')).toHaveCount(0);
  await expect(row(holder, 'Hal')).toHaveAttribute('data-status', 'open');

  // The next chat goes to the less loaded agent; they decline, so it goes to the holder.
  const ctx = await browser.newContext();
  const visitor2 = await ctx.newPage();
  const widget2 = await openWidget(visitor2, server);
  await startChat(widget2, 'Dee', 'Decline me');
  await expect(row(other, 'Dee').locator('[data-testid=decline]')).toHaveCount(1, { timeout: 15_000 });
  await row(other, 'Dee').locator('[data-testid=decline]').click();
  await expect(row(other, 'Dee')).toHaveCount(0);
  await expect(row(holder, 'Dee').locator('[data-testid=accept]')).toHaveCount(1);
  await ctx.close();
});

test('transfer with a comment: the colleague is notified and sees it, the visitor never does', async ({ server, visitor, agent, agent2 }) => {
  await signIn(agent, server, 'agent1@demo.test');
  await signIn(agent2, server, 'agent2@demo.test');
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Tara', 'I need a refund');
  await takeFromQueue(agent, 'Tara');

  await agent.locator('[data-testid=transfer]').click();
  await agent.locator('[data-testid=transfer-to]').selectOption({ label: 'Sam Agent (0 chats)' });
  await agent.locator('[data-testid=transfer-comment]').fill('Refund approved, please process');
  await agent.locator('[data-testid=transfer-submit]').click();

  await expect(agent2.locator('[data-testid=notice]')).toContainText("Tara's chat was transferred to you");
  await agent2.locator('[data-testid=notice]').click();
  await expect(agent2.locator('[data-testid=thread-title]')).toHaveText('Tara');
  const note = agent2.locator('[data-testid=message].internal').filter({ hasText: 'Refund approved, please process' });
  await expect(note).toHaveCount(1);
  await agent2.locator('[data-testid=details]').click();
  await expect(agent2.locator('[data-testid=participant]')).toHaveText([/Sam Agent/]);

  await send(agent2, 'Hi Tara, Sam here. Your refund is on its way.');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Your refund is on its way' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Refund approved' })).toHaveCount(0);
  const again = await reopenWidget(visitor);
  await expect(messages(again)).toHaveCount(2);
  await expect(again.locator('[data-testid=message]').filter({ hasText: 'Refund approved' })).toHaveCount(0);
});

test('closing moves the chat to History; the visitor writing again reopens it with the whole history', async ({ server, visitor, agent }) => {
  await signIn(agent, server, 'agent1@demo.test');
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Cleo', 'First question');
  await takeFromQueue(agent, 'Cleo');
  await send(agent, 'Answered!');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Answered!' })).toHaveCount(1);

  await agent.locator('[data-testid=close-conversation]').click();
  await expect(widget.locator('[data-testid=widget-status]')).toContainText('This chat was closed');
  await expect(widget.locator('[data-testid=message].system').filter({ hasText: 'closed this conversation' })).toHaveCount(1);
  await agent.locator('[data-testid=folder-history]').click();
  await expect(row(agent, 'Cleo')).toHaveCount(1);
  await agent.locator('[data-testid=folder-engaged]').click();
  await expect(row(agent, 'Cleo')).toHaveCount(0);

  await send(widget, 'One more thing');
  await expect(widget.locator('[data-testid=widget-status]')).toContainText('Waiting for an agent');
  await takeFromQueue(agent, 'Cleo');
  await expect(messages(agent)).toHaveCount(3);
  expect(await thread(agent)).toEqual(['First question', 'Answered!', 'One more thing']);
});

test('with nobody online the widget takes a message, which lands in Leads', async ({ server, visitor, agent }) => {
  const widget = await openWidget(visitor, server);
  const form = widget.locator('[data-testid=offline-form]');
  await expect(form).toBeVisible();
  await form.locator('input[name=name]').fill('Otto');
  await form.locator('input[name=email]').fill('otto@example.com');
  await form.locator('textarea[name=message]').fill('Please call me tomorrow');
  await form.locator('button[type=submit]').click();
  await expect(widget.locator('[data-testid=left-message]')).toContainText('otto@example.com');

  await signIn(agent, server, 'agent1@demo.test');
  await agent.locator('[data-testid=folder-leads]').click();
  await expect(row(agent, 'Otto')).toContainText('Please call me tomorrow');
  await agent.locator('[data-testid=search]').fill('otto@');
  await expect(agent.locator('[data-testid=search-hit]')).toHaveCount(1);
});
