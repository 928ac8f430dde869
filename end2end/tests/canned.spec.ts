import { test, expect, openWidget, startChat, signIn, takeFromQueue, visit } from './fixtures';
import type { Page } from '@playwright/test';

async function addResponse(page: Page, title: string, shortcut: string, text: string): Promise<void> {
  const form = page.locator('[data-testid=canned-form]');
  await form.locator('[data-testid=canned-title]').fill(title);
  await form.locator('[data-testid=canned-shortcut]').fill(shortcut);
  await form.locator('[data-testid=canned-text]').fill(text);
  await form.locator('[data-testid=canned-save]').click();
  await expect(page.locator('[data-testid=canned-saved]')).toHaveText(`Saved /${shortcut}.`);
}

test('canned responses: the admin keeps the team library, an agent their own; insert and edit, /shortcut, send as is', async ({ server, visitor, agent, admin }) => {
  // The team's library, kept on the admin page.
  await signIn(admin, server, 'admin@demo.test');
  await visit(admin, `${server.url}/admin`);
  await admin.locator('[data-testid=admin-tab-responses]').click();
  await expect(admin.locator('[data-testid=canned-shared]')).toBeChecked();
  await addResponse(admin, 'Greeting', 'hello', 'Hi {visitor_name}, this is {agent_name}. How can I help?');
  await expect(admin.locator('[data-testid=canned-team] [data-testid=canned-row]')).toHaveCount(1);
  // A bad one is refused, naming the rule.
  await admin.locator('[data-testid=canned-title]').fill('Broken');
  await admin.locator('[data-testid=canned-shortcut]').fill('broken');
  await admin.locator('[data-testid=canned-text]').fill('Hi {name}');
  await admin.locator('[data-testid=canned-save]').click();
  await expect(admin.locator('[data-testid=canned-error]')).toHaveText('{name} is not a placeholder: use {visitor_name} or {agent_name}.');

  // An agent's own, from the inbox's Responses page; the team's is there, not editable.
  await signIn(agent, server);
  await agent.locator('[data-testid=responses-link]').click();
  await expect(agent).toHaveURL(/\/responses$/);
  await expect(agent.locator('[data-testid=canned-shared]')).toHaveCount(0);
  await expect(agent.locator('[data-testid=canned-team] [data-testid=canned-row]')).toHaveCount(1);
  await expect(agent.locator('[data-testid=canned-team] [data-testid=canned-edit]')).toHaveCount(0);
  await addResponse(agent, 'Refunds', 'refund', 'Refunds take 5 days, {visitor_name}.');
  await expect(agent.locator('[data-testid=canned-mine] [data-testid=canned-row]')).toHaveCount(1);
  await agent.locator('[data-testid=back-to-inbox]').click();
  await expect(agent.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Ada', 'Can I get my money back?');
  await takeFromQueue(agent, 'Ada');

  // Search the list, insert, edit, send.
  await agent.locator('[data-testid=canned-open]').click();
  await agent.locator('[data-testid=canned-search]').fill('money back');
  await expect(agent.locator('[data-testid=canned-empty]')).toBeVisible();
  await agent.locator('[data-testid=canned-search]').fill('5 days');
  const item = agent.locator('[data-testid=canned-item]');
  await expect(item).toHaveCount(1);
  await item.locator('[data-testid=canned-insert]').click();
  const input = agent.locator('[data-testid=composer-input]');
  await expect(input).toHaveValue('Refunds take 5 days, Ada.');
  await expect(input).toBeFocused();
  await input.press('End');
  await input.pressSequentially(' Anything else?');
  await input.press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Refunds take 5 days, Ada. Anything else?' })).toHaveCount(1);

  // /shortcut suggests; arrows choose, Enter inserts, Enter again sends.
  await input.pressSequentially('/');
  const suggestions = agent.locator('[data-testid=canned-suggestion]');
  await expect(suggestions).toHaveCount(2);
  await input.pressSequentially('he');
  await expect(suggestions).toHaveCount(1);
  await expect(suggestions).toContainText('/hello');
  await input.press('Enter');
  await expect(input).toHaveValue('Hi Ada, this is Alex Agent. How can I help?');
  await expect(suggestions).toHaveCount(0);
  await input.press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Hi Ada, this is Alex Agent. How can I help?' })).toHaveCount(1);
  // Escape closes the suggestions: Enter then sends what was typed.
  await input.pressSequentially('/re');
  await expect(suggestions).toHaveCount(1);
  await input.press('Escape');
  await expect(suggestions).toHaveCount(0);
  await input.press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: '/re' })).toHaveCount(1);

  // Send as is, from the list.
  await agent.locator('[data-testid=canned-open]').click();
  await agent.locator('[data-testid=canned-search]').fill('greet');
  await agent.locator('[data-testid=canned-item] [data-testid=canned-send]').click();
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Hi Ada, this is Alex Agent.' })).toHaveCount(2);
  await expect(agent.locator('[data-testid=canned-pop]')).toHaveCount(0);
});
