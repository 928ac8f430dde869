import { test, expect, hydrated, openWidget, startChat, signIn, send, thread, messages, takeFromQueue, reopenWidget } from './fixtures';

test('visitor and agent chat live both ways, and history survives a reload', async ({ server, visitor, agent }) => {
  await signIn(agent, server);
  await expect(agent.locator('[data-testid=conversation-row]')).toHaveCount(0);
  const posted: string[] = [];
  visitor.on('request', (r) => { if (r.url().includes('/api/visitor/send')) posted.push(r.url()); });

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Ada', 'Hi, where is my order?');

  // The new request appears in the Queued folder live, without a reload.
  await agent.locator('[data-testid=folder-queued]').click();
  const row = agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Ada' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Hi, where is my order?');
  await expect(row.locator('[data-testid=timer]')).toBeVisible();
  await expect(widget.locator('[data-testid=queue-info]')).toContainText("You're next in line");
  await takeFromQueue(agent, 'Ada');
  await expect(widget.locator('[data-testid=message].system')).toContainText('Alex Agent joined the chat.');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Hi, where is my order?' })).toHaveCount(1);

  await send(agent, 'Hello Ada, let me look that up.');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Hello Ada, let me look that up.' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=widget-status]')).toContainText("chatting with our team");

  await send(widget, 'Order number 1042.');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Order number 1042.' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Order number 1042.' })).toHaveCount(1);
  // With its socket up, the widget writes on it rather than posting.
  expect(posted).toEqual([]);

  // An internal note stays with the agents.
  await agent.locator('[data-testid=internal-toggle]').check();
  await send(agent, 'Customer sounds worried');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Customer sounds worried' })).toHaveCount(1);
  await agent.locator('[data-testid=internal-toggle]').uncheck();
  await send(agent, 'It ships tomorrow.');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'It ships tomorrow.' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Customer sounds worried' })).toHaveCount(0);

  // A reload keeps the visitor's identity and the whole conversation.
  const again = await reopenWidget(visitor);
  await expect(messages(again)).toHaveCount(4);
  expect(await thread(again)).toEqual([
    'Hi, where is my order?', 'Hello Ada, let me look that up.', 'Order number 1042.', 'It ships tomorrow.',
  ]);
  await expect(again.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
  await send(again, 'Thanks!');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Thanks!' })).toHaveCount(1);
});

test('a server restart mid-conversation loses and duplicates nothing', async ({ server, visitor, agent }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Grace', 'Before the restart');
  await takeFromQueue(agent, 'Grace');
  await send(agent, 'Agent before restart');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Agent before restart' })).toHaveCount(1);

  await server.kill();
  await expect(widget.locator('[data-testid=connection]')).toHaveAttribute('data-state', /reconnecting|connecting/);
  await expect(agent.locator('[data-testid=connection]')).toHaveAttribute('data-state', /reconnecting|connecting/);
  await expect(widget.locator('[data-testid=connection]')).toContainText(/Retrying|Reconnecting|Connecting/);

  // The visitor writes while the server is down: it waits as pending, then goes through.
  await send(widget, 'Written during the outage');
  await expect(widget.locator('[data-testid=pending-message]')).toHaveCount(1);

  await server.start();
  await expect(widget.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online', { timeout: 30_000 });
  await expect(agent.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online', { timeout: 30_000 });
  await expect(widget.locator('[data-testid=pending-message]')).toHaveCount(0, { timeout: 30_000 });
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Written during the outage' })).toHaveCount(1);

  await send(agent, 'Agent after restart');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Agent after restart' })).toHaveCount(1);
  await send(widget, 'Visitor after restart');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Visitor after restart' })).toHaveCount(1);

  const expected = ['Before the restart', 'Agent before restart', 'Written during the outage', 'Agent after restart', 'Visitor after restart'];
  expect(await thread(widget)).toEqual(expected);
  expect(await thread(agent)).toEqual(expected);

  // And the same after reloading both sides.
  await agent.reload();
  await hydrated(agent);
  await agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Grace' }).click();
  await expect(messages(agent)).toHaveCount(expected.length);
  expect(await thread(agent)).toEqual(expected);
});

test('agent pages need a sign-in; wrong passwords are refused; sign out works', async ({ server, agent }) => {
  await agent.goto(`${server.url}/inbox`);
  await expect(agent).toHaveURL(/\/login$/);
  await hydrated(agent);

  await agent.locator('input[name=email]').fill('agent1@demo.test');
  await agent.locator('input[name=password]').fill('not-the-password');
  await agent.locator('button[type=submit]').click();
  await expect(agent.locator('[role=alert]')).toContainText('do not match');
  await expect(agent).toHaveURL(/\/login$/);

  await signIn(agent, server, 'admin@demo.test');
  await expect(agent.locator('[data-testid=me]')).toContainText('Avery Admin');
  await agent.locator('[data-testid=logout]').click();
  await expect(agent).toHaveURL(/\/login$/);
  await agent.goto(`${server.url}/inbox`);
  await expect(agent).toHaveURL(/\/login$/);
});
