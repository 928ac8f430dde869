import { test, expect, openWidget, startChat, signIn, takeFromQueue } from './fixtures';

test('both composers have an emoji picker: search, pick at the cursor, send', async ({ server, visitor, agent }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Emma', 'Hello');
  await takeFromQueue(agent, 'Emma');

  // The visitor searches and picks: it goes where the cursor is.
  const box = widget.locator('[data-testid=composer-input]');
  await box.fill('Thanks  a lot');
  await box.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(7, 7));
  await widget.locator('[data-testid=emoji-button]').click();
  await widget.locator('[data-testid=emoji-search]').fill('thumbs up');
  await expect(widget.locator('[data-testid=emoji]')).toHaveCount(1);
  await widget.locator('[data-testid=emoji]').click();
  await expect(widget.locator('[data-testid=emoji-picker]')).toHaveCount(0);
  await expect(box).toHaveValue('Thanks 👍 a lot');
  await box.press('Enter');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Thanks 👍 a lot' })).toHaveCount(1);

  // The agent picks from the grid; nothing matching says so; Escape closes.
  await agent.locator('[data-testid=emoji-button]').click();
  await agent.locator('[data-testid=emoji-search]').fill('zebra unicorn');
  await expect(agent.locator('[data-testid=emoji-picker]')).toContainText('No emoji matches.');
  await agent.locator('[data-testid=emoji-search]').press('Escape');
  await expect(agent.locator('[data-testid=emoji-picker]')).toHaveCount(0);
  await agent.locator('[data-testid=emoji-button]').click();
  await agent.locator('[data-testid=emoji][title="package parcel box delivery"]').click();
  await agent.locator('[data-testid=composer-input]').press('End');
  await agent.locator('[data-testid=composer-input]').pressSequentially(' on its way');
  await agent.locator('[data-testid=composer-input]').press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: '📦 on its way' })).toHaveCount(1);
});
