import { test, expect, openWidget, startChat, signIn, send, row, setPresence, configureRouting } from './fixtures';

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

test('on a phone-sized screen the agent holds one offered chat, declines another, and answers with a canned response', async ({ server, visitor, agent, agent2, admin, browser }) => {
  await signIn(admin, server, 'admin@demo.test');
  await setPresence(admin, 'offline');
  await configureRouting(admin, server, { mode: 'time_based', accept: 60 });
  await agent.setViewportSize({ width: 390, height: 844 });
  await signIn(agent, server);
  const saved = await agent.request.post(`${server.url}/api/canned/save`, {
    data: { id: null, shared: false, title: 'On my way', shortcut: 'otw', text: 'Thanks {visitor_name}, looking into it now.' },
  });
  expect(saved.ok()).toBeTruthy();

  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Hal', 'Hold me');
  await expect(row(agent, 'Hal').locator('[data-testid=hold]')).toBeVisible({ timeout: 15_000 });
  await row(agent, 'Hal').locator('[data-testid=hold]').click();
  await expect(row(agent, 'Hal')).toHaveAttribute('data-status', 'open');
  await expect(agent.locator('.sidebar')).toBeVisible();

  const ctx = await browser.newContext();
  const widget2 = await openWidget(await ctx.newPage(), server);
  await startChat(widget2, 'Dee', 'Decline me');
  await expect(row(agent, 'Dee').locator('[data-testid=decline]')).toBeVisible({ timeout: 15_000 });
  // A colleague comes online: the declined chat goes to them.
  await signIn(agent2, server, 'agent2@demo.test');
  await row(agent, 'Dee').locator('[data-testid=decline]').click();
  await expect(row(agent, 'Dee')).toHaveCount(0);
  await expect(row(agent2, 'Dee').locator('[data-testid=accept]')).toHaveCount(1);
  await ctx.close();

  await agent.locator('[data-testid=folder-engaged]').click();
  await row(agent, 'Hal').click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Hal');
  await agent.locator('[data-testid=canned-open]').click();
  await expect(agent.locator('[data-testid=canned-pop]')).toBeInViewport();
  await agent.locator('[data-testid=canned-item] [data-testid=canned-insert]').click();
  await expect(agent.locator('[data-testid=composer-input]')).toHaveValue('Thanks Hal, looking into it now.');
  await agent.locator('[data-testid=composer-input]').press('Enter');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Thanks Hal, looking into it now.' })).toHaveCount(1);
  const overflow = await agent.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
