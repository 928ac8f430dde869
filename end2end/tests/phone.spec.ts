import { test, expect, openWidget, startChat, signIn, send, row } from './fixtures';

test('on a phone-sized screen (390x844) the agent goes from the list to the room and back, takes and answers a chat', async ({ server, visitor, agent }) => {
  await agent.setViewportSize({ width: 390, height: 844 });
  await signIn(agent, server);
  // The app can be added to a home screen: a manifest with its icons.
  const manifest = await agent.locator('link[rel=manifest]').getAttribute('href');
  const answer = await agent.request.get(`${server.url}${manifest}`);
  expect(answer.ok()).toBeTruthy();
  const icons = (await answer.json()).icons as { src: string; sizes: string }[];
  expect(icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  for (const icon of icons) expect((await agent.request.get(`${server.url}${icon.src}`)).ok()).toBeTruthy();

  // The list fills the screen; no room beside it.
  await expect(agent.locator('.sidebar')).toBeVisible();
  await expect(agent.locator('.thread')).toBeHidden();

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Pia', 'Are you there on your phone?');
  await agent.locator('[data-testid=folder-queued]').click();
  // Status colours: a waiting chat reads as such.
  await expect(row(agent, 'Pia').locator('.chip.status')).toHaveCount(1);
  await row(agent, 'Pia').locator('[data-testid=start-chat]').click();

  // The room takes the screen, the list is gone; the agent answers from it.
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Pia');
  await expect(agent.locator('.sidebar')).toBeHidden();
  await expect(agent.locator('[data-testid=room-back]')).toBeVisible();
  await send(agent, 'Yes, right here.');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Yes, right here.' })).toHaveCount(1);
  // Nothing spills sideways.
  const overflow = await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // Back to the list, and into the room again.
  await agent.locator('[data-testid=room-back]').click();
  await expect(agent.locator('.sidebar')).toBeVisible();
  await expect(agent.locator('.thread')).toBeHidden();
  await row(agent, 'Pia').click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Pia');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Yes, right here.' })).toHaveCount(1);
});
