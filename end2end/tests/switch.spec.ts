import { test, expect, openWidget, startChat, signIn, takeFromQueue, visit, send } from './fixtures';

test('the visitor switches from web chat to SMS: the phone gets the welcome, the thread goes on in the same conversation', async ({ server, visitor, agent, agent2: phone }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Sam', 'Can we continue by text? I am heading out.');
  await takeFromQueue(agent, 'Sam');

  // Switch to SMS opens the phone field; the composer waits; Cancel closes it.
  await widget.locator('[data-testid=switch-to-sms]').click();
  await expect(widget.locator('[data-testid=composer-input]')).toBeDisabled();
  await widget.locator('[data-testid=switch-cancel]').click();
  await expect(widget.locator('[data-testid=switch-ask]')).toHaveCount(0);
  await expect(widget.locator('[data-testid=composer-input]')).toBeEnabled();

  await widget.locator('[data-testid=switch-to-sms]').click();
  await widget.locator('[data-testid=switch-phone]').fill('555 765 4321');
  await widget.locator('[data-testid=switch-send]').click();
  await expect(widget.locator('[data-testid=switch-error]')).toContainText('Start the number with + and its country code');
  await widget.locator('[data-testid=switch-phone]').fill('+1 (555) 765-4321');
  await expect(widget.locator('[data-testid=switch-preview]')).toHaveText("We'll text +1 555 765 4321");
  await widget.locator('[data-testid=switch-send]').click();
  await expect(widget.locator('[data-testid=switch-done]')).toContainText('We texted you at +1 555 765 4321');
  await expect(widget.locator('[data-testid=switch-revert]')).toBeVisible();

  // The simulated phone got the welcome; its reply lands in the agent's same conversation.
  await visit(phone, `${server.url}/simulator`);
  await phone.locator('[data-testid=sim-channel-sms]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Hi Sam! This is the support team' })).toHaveCount(1);
  await phone.locator('[data-testid=sim-input]').fill('Texting you from the bus');
  await phone.locator('[data-testid=sim-send]').click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Sam');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Texting you from the bus' })).toHaveCount(1);
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Continued by SMS at +1 555 765 4321' })).toHaveCount(1);
  // The agent answers as usual: it goes out by SMS to the phone.
  await send(agent, 'No problem, we can go on here.');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'No problem, we can go on here.' })).toHaveCount(1);
  // After 10 seconds the revert is gone.
  await expect(widget.locator('[data-testid=switch-revert]')).toHaveCount(0, { timeout: 15_000 });
});

test('the visitor reverts the switch within 10 seconds: the phone is told once and the chat is back on the web', async ({ server, visitor, agent, agent2: phone }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Rae', 'Hello there');
  await takeFromQueue(agent, 'Rae');
  await widget.locator('[data-testid=switch-to-sms]').click();
  await widget.locator('[data-testid=switch-phone]').fill('+15557654321');
  await widget.locator('[data-testid=switch-send]').click();
  await widget.locator('[data-testid=switch-revert]').click();
  await expect(widget.locator('[data-testid=switch-notice]')).toHaveText('Back to the web chat: write here as before.');
  await expect(widget.locator('[data-testid=switch-to-sms]')).toBeVisible();
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Continued in the web chat.' })).toHaveCount(1);
  await visit(phone, `${server.url}/simulator`);
  await phone.locator('[data-testid=sim-channel-sms]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Our chat continues on the web' })).toHaveCount(1);
  // The agent's reply stays on the web.
  await send(agent, 'Welcome back!');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Welcome back!' })).toHaveCount(1);
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Welcome back!' })).toHaveCount(0);
});

test('the agent asks the visitor to switch to SMS: the widget opens the phone request and the switch follows', async ({ server, visitor, agent, agent2: phone }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Lia', 'I have to leave my desk soon');
  await takeFromQueue(agent, 'Lia');
  await agent.locator('[data-testid=ask-switch-sms]').click();
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Alex Agent asked to continue by SMS.' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Alex Agent asked to continue by SMS.' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=switch-ask]')).toBeVisible();
  await expect(widget.locator('[data-testid=composer-input]')).toBeDisabled();
  await widget.locator('[data-testid=switch-phone]').fill('+15557654321');
  await widget.locator('[data-testid=switch-send]').click();
  await expect(widget.locator('[data-testid=switch-done]')).toContainText('We texted you at +1 555 765 4321');
  // The chat is on SMS now: the button is gone from the room, the row says SMS.
  await expect(agent.locator('[data-testid=ask-switch-sms]')).toHaveCount(0);
  await visit(phone, `${server.url}/simulator`);
  await phone.locator('[data-testid=sim-channel-sms]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Hi Lia!' })).toHaveCount(1);
});

test('the agent reconnects an ended web chat by SMS: the phone gets a text and its reply reopens the same conversation', async ({ server, visitor, agent, agent2: phone }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Kai', 'My order number is 1042', '+1 555 765 4321');
  await takeFromQueue(agent, 'Kai');
  await agent.locator('[data-testid=close-conversation]').click();
  const reconnect = agent.locator('[data-testid=reconnect-sms]');
  await expect(reconnect).toBeVisible();
  await reconnect.click();
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Alex Agent reconnected by SMS at +1 555 765 4321' })).toHaveCount(1);
  await expect(reconnect).toHaveCount(0);
  await expect(agent.locator('[data-testid=composer-input]')).toBeEnabled();
  await visit(phone, `${server.url}/simulator`);
  await phone.locator('[data-testid=sim-channel-sms]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Hi Kai! This is Alex Agent from support' })).toHaveCount(1);
  await phone.locator('[data-testid=sim-input]').fill('Yes, still waiting for it');
  await phone.locator('[data-testid=sim-send]').click();
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Yes, still waiting for it' })).toHaveCount(1);
  await send(agent, 'It ships tomorrow.');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'It ships tomorrow.' })).toHaveCount(1);
});

test('the visitor moves to WhatsApp: the welcome template reaches the phone, the answer lands in the same conversation, and the agent brings replies back to the web with a chip', async ({ server, visitor, agent, agent2: phone }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Wes', 'Could we go on in WhatsApp?');
  await takeFromQueue(agent, 'Wes');
  await expect(agent.locator('[data-testid=chip-web]')).toHaveAttribute('aria-pressed', 'true');

  await widget.locator('[data-testid=switch-to-whatsapp]').click();
  await expect(widget.locator('[data-testid=composer-input]')).toBeDisabled();
  await widget.locator('[data-testid=switch-phone]').fill('+1 555 765 4321');
  await expect(widget.locator('[data-testid=switch-preview]')).toHaveText("We'll message +1 555 765 4321 on WhatsApp");
  await widget.locator('[data-testid=switch-send]').click();
  await expect(widget.locator('[data-testid=switch-done]')).toContainText('We messaged you on WhatsApp at +1 555 765 4321');

  // The phone gets the approved template, with the visitor's first name; its answer lands here.
  await visit(phone, `${server.url}/simulator`);
  await phone.locator('[data-testid=sim-channel-whatsapp]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Hi Wes, this is the support team from your web chat' })).toHaveCount(1);
  await phone.locator('[data-testid=sim-input]').fill('Hi, WhatsApp works better');
  await phone.locator('[data-testid=sim-send]').click();
  await expect(agent.locator('[data-testid=thread-title]')).toHaveText('Wes');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Hi, WhatsApp works better' })).toHaveCount(1);
  await expect(agent.locator('[data-testid=chip-whatsapp]')).toHaveAttribute('aria-pressed', 'true');
  await expect(agent.locator('[data-testid=chip-whatsapp]')).toContainText('+1 555 765 4321');
  await send(agent, 'Great, talk here.');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Great, talk here.' })).toHaveCount(1);

  // The agent moves replies back to the web chat: the widget gets them, the phone does not.
  await agent.locator('[data-testid=chip-web]').click();
  await expect(agent.locator('[data-testid=chip-web]')).toHaveAttribute('aria-pressed', 'true');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'continued on the web chat' })).toHaveCount(1);
  await send(agent, 'Also here in the browser.');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Also here in the browser.' })).toHaveCount(1);
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Also here in the browser.' })).toHaveCount(0);
});
