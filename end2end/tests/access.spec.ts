import { test, expect, openWidget, startChat, signIn, takeFromQueue, visit } from './fixtures';

test("an admin hides colleagues' chats: an agent's inbox then shows only their own, and the admin still sees all", async ({ server, visitor, agent, agent2, admin }) => {
  await signIn(agent, server);
  await signIn(agent2, server, 'agent2@demo.test');
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Ada', 'Only for Alex');
  await takeFromQueue(agent, 'Ada');

  // By default a colleague reads it under Engaged → All (and may not act on it).
  await agent2.locator('[data-testid=folder-engaged]').click();
  await agent2.locator('[data-testid=filter-all]').click();
  await expect(agent2.locator('[data-testid=conversation-row]').filter({ hasText: 'Ada' })).toHaveCount(1);

  await signIn(admin, server, 'admin@demo.test');
  await visit(admin, `${server.url}/admin`);
  await admin.locator('[data-testid=admin-tab-routing]').click();
  const toggle = admin.locator('[data-testid=agents-see-colleagues]');
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await admin.locator('[data-testid=save-settings]').click();
  await expect(admin.locator('[data-testid=settings-saved]')).toBeVisible();

  // The colleague's inbox, reloaded: no "All" to pick, and Alex's chat is not there.
  await agent2.reload();
  await agent2.locator('[data-testid=folder-engaged]').click();
  await expect(agent2.locator('[data-testid=filter-all]')).toBeHidden();
  await expect(agent2.locator('[data-testid=conversation-row]').filter({ hasText: 'Ada' })).toHaveCount(0);
  // Alex still has it, and the admin sees it under All.
  await expect(agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Ada' })).toHaveCount(1);
  await visit(admin, `${server.url}/inbox`);
  await admin.locator('[data-testid=folder-engaged]').click();
  await admin.locator('[data-testid=filter-all]').click();
  await expect(admin.locator('[data-testid=conversation-row]').filter({ hasText: 'Ada' })).toHaveCount(1);
});

test("an admin deactivates an agent: their open inbox goes to the sign-in page, and their chat goes back to the queue", async ({ server, visitor, agent, admin }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Bo', 'Is anyone there?');
  await takeFromQueue(agent, 'Bo');

  await signIn(admin, server, 'admin@demo.test');
  await visit(admin, `${server.url}/admin`);
  const row = admin.locator('[data-testid=agent-row]').filter({ hasText: 'agent1@demo.test' });
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await expect(row).toContainText('deactivated');

  await expect(agent).toHaveURL(/\/login$/, { timeout: 15000 });
  await visit(admin, `${server.url}/inbox`);
  await admin.locator('[data-testid=folder-queued]').click();
  await expect(admin.locator('[data-testid=conversation-row]').filter({ hasText: 'Bo' })).toHaveCount(1);
});
