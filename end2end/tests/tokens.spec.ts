import { test, expect, openWidget, startChat, signIn, takeFromQueue, send, reopenWidget } from './fixtures';

test('an agent signs a visitor out of the widget: it starts afresh, even after a reload, and a new chat works', async ({ server, visitor, agent }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Ada', 'I used a library computer');
  await takeFromQueue(agent, 'Ada');

  await agent.locator('[data-testid=details]').click();
  await agent.locator('[data-testid=sign-out-visitor]').click();
  await agent.locator('[data-testid=sign-out-confirm]').click();
  await expect(agent.locator('[data-testid=signed-out]')).toBeVisible();
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'signed the visitor out of the chat widget' })).toHaveCount(1);

  // The open widget forgets the chat at once.
  await expect(widget.locator('[data-testid=talk-to-agent]')).toBeVisible();
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'I used a library computer' })).toHaveCount(0);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'signed the visitor out' })).toHaveCount(0);

  // Reloaded, it does not come back.
  const again = await reopenWidget(visitor);
  await expect(again.locator('[data-testid=talk-to-agent]')).toBeVisible();
  await expect(again.locator('[data-testid=message]').filter({ hasText: 'I used a library computer' })).toHaveCount(0);

  // A new chat from here works live both ways.
  await startChat(again, 'Ada', 'Back from my own laptop');
  await send(again, 'Are you there?');
  await takeFromQueue(agent, 'Ada');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Are you there?' })).toHaveCount(1);
  await send(agent, 'Yes, go on.');
  await expect(again.locator('[data-testid=message]').filter({ hasText: 'Yes, go on.' })).toHaveCount(1);
});
