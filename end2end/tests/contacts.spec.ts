import { test, expect, openWidget, startChat, signIn, takeFromQueue, send } from './fixtures';

test('two contacts with the same phone: the agent is asked, reviews them side by side and unites them; the merged visitor goes on writing', async ({ server, visitor, agent, agent2: otherVisitor }) => {
  await signIn(agent, server);
  const ada = await openWidget(visitor, server);
  await startChat(ada, 'Ada', 'Hello from my laptop', '+1 555 765 0001');
  const lovelace = await openWidget(otherVisitor, server);
  await startChat(lovelace, 'Lovelace', 'Hello from my phone', '+15557650001');
  await takeFromQueue(agent, 'Ada');

  // Nothing is merged by itself: the agent is asked.
  const prompt = agent.locator('[data-testid=merge-prompt]');
  await expect(prompt).toContainText('Lovelace has the same phone number as this contact');
  await prompt.locator('[data-testid=merge-review]').click();
  const panel = agent.locator('[data-testid=merge-panel]');
  await expect(panel.locator('[data-testid=merge-left] [data-testid=card-name]')).toHaveText('Ada');
  await expect(panel.locator('[data-testid=merge-right] [data-testid=card-name]')).toHaveText('Lovelace');
  await expect(panel.locator('[data-testid=merge-right] [data-testid=card-email]')).toHaveText('lovelace@example.com');
  await panel.locator('[data-testid=merge-confirm]').click();
  await expect(panel).toHaveCount(0);
  await expect(prompt).toHaveCount(0);

  // Both timelines are the contact's: Lovelace's chat is among Ada's previous chats.
  await agent.locator('[data-testid=previous-open]').click();
  const previous = agent.locator('[data-testid=previous-chat]');
  await expect(previous).toHaveCount(1);
  await expect(previous).toContainText('Hello from my phone');
  await previous.click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Ada');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'merged the contact Lovelace into Ada' })).toHaveCount(1);
  // The visitors never see that note, and the merged one's widget keeps working.
  await expect(lovelace.locator('[data-testid=message]').filter({ hasText: 'merged' })).toHaveCount(0);
  await send(lovelace, 'Still here on my phone');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Still here on my phone' })).toHaveCount(1);
  await expect(lovelace.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
  // Reloaded, it resumes its own chat.
  await otherVisitor.reload();
  await otherVisitor.locator('[data-switchboard=launcher]').click();
  const reopened = otherVisitor.frameLocator('[data-switchboard=frame]');
  await expect(reopened.locator('[data-testid=message]').filter({ hasText: 'Still here on my phone' })).toHaveCount(1);
  await expect(reopened.locator('[data-testid=message]').filter({ hasText: 'Hello from my laptop' })).toHaveCount(0);
});

test('merge by search: the agent finds the other contact, swaps which one stays, and unites them', async ({ server, visitor, agent, agent2: otherVisitor }) => {
  await signIn(agent, server);
  const bo = await openWidget(visitor, server);
  await startChat(bo, 'Bo', 'First question');
  const beatrice = await openWidget(otherVisitor, server);
  await startChat(beatrice, 'Beatrice', 'Second question', '+15557650002');
  await takeFromQueue(agent, 'Bo');
  await expect(agent.locator('[data-testid=merge-prompt]')).toHaveCount(0);

  await agent.locator('[data-testid=merge-open]').click();
  const panel = agent.locator('[data-testid=merge-panel]');
  await panel.locator('[data-testid=merge-search]').fill('beat');
  const hit = panel.locator('[data-testid=merge-hit]');
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText('Beatrice');
  await hit.click();
  await expect(panel.locator('[data-testid=merge-left] [data-testid=card-name]')).toHaveText('Bo');
  // Beatrice should stay: swap sides.
  await panel.locator('[data-testid=merge-swap]').click();
  await expect(panel.locator('[data-testid=merge-left] [data-testid=card-name]')).toHaveText('Beatrice');
  await expect(panel.locator('[data-testid=merge-right] [data-testid=card-name]')).toHaveText('Bo');
  await panel.locator('[data-testid=merge-confirm]').click();
  await expect(panel).toHaveCount(0);
  // Bo's chat is Beatrice's now, with her phone on it; Bo's widget goes on.
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Beatrice');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'merged the contact Bo into Beatrice' })).toHaveCount(1);
  await send(bo, 'Did it work?');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Did it work?' })).toHaveCount(1);
  await send(agent, 'It did.');
  await expect(bo.locator('[data-testid=message]').filter({ hasText: 'It did.' })).toHaveCount(1);
});
