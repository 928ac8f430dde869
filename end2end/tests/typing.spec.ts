import { test, expect, openWidget, startChat, signIn, takeFromQueue } from './fixtures';

test('the visitor and the agent see each other typing; a pause or a send clears it; an internal note is never announced', async ({ server, visitor, agent }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Ada', 'Hi, where is my order?');
  await agent.locator('[data-testid=folder-queued]').click();
  await takeFromQueue(agent, 'Ada');
  const agentLine = agent.locator('[data-testid=typing]');
  const widgetLine = widget.locator('[data-testid=typing]');
  const widgetBox = widget.locator('[data-testid=composer-input]');
  const agentBox = agent.locator('[data-testid=composer-input]');

  // The visitor types: the agent sees it; emptying the box clears it.
  await widgetBox.pressSequentially('Order 10', { delay: 30 });
  await expect(agentLine).toHaveText('Ada is typing…');
  await widgetBox.fill('');
  await expect(agentLine).toHaveText('');

  // A pause in typing clears it too (the widget says it stopped after 5 s).
  await widgetBox.pressSequentially('Also', { delay: 30 });
  await expect(agentLine).toHaveText('Ada is typing…');
  await expect(agentLine).toHaveText('', { timeout: 12_000 });

  // The agent types: the visitor sees the agent's name; sending clears it.
  await agentBox.pressSequentially('Let me check', { delay: 30 });
  await expect(widgetLine).toHaveText('Alex Agent is typing…');
  await agentBox.press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Let me check' })).toHaveCount(1);
  await expect(widgetLine).toHaveText('');

  // Typing an internal note is never shown to the visitor: watch the line the whole time.
  await widgetLine.evaluate((el) => {
    (window as any).__typingSeen = '';
    new MutationObserver(() => {
      if (el.textContent) (window as any).__typingSeen = el.textContent;
    }).observe(el, { childList: true, subtree: true, characterData: true });
  });
  await agent.locator('[data-testid=internal-toggle]').check();
  await agentBox.pressSequentially('They sound upset', { delay: 30 });
  await agentBox.press('Enter');
  await expect(agent.locator('[data-testid=message].internal').filter({ hasText: 'They sound upset' })).toHaveCount(1);
  // A typing frame takes milliseconds; give a leak ample time to show.
  await visitor.waitForTimeout(1500);
  expect(await widgetLine.evaluate(() => (window as any).__typingSeen)).toBe('');
  await agent.locator('[data-testid=internal-toggle]').uncheck();
  await agentBox.pressSequentially('It ships tomorrow.', { delay: 20 });
  await expect(widgetLine).toHaveText('Alex Agent is typing…');
  await agentBox.press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'It ships tomorrow.' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'They sound upset' })).toHaveCount(0);
});
