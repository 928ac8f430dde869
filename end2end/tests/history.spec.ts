import { test, expect, signIn, takeFromQueue, messages } from './fixtures';

test('a long conversation opens on its latest 50 messages, with author and time, and loads older ones on scroll', async ({ server, agent }) => {
  // A visitor who wrote 60 messages (through the widget's endpoints).
  const post = async (endpoint: string, body: object) => {
    const res = await fetch(`${server.url}/api/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.ok).toBeTruthy();
    return res.json();
  };
  const chat = await post('visitor/start', { name: 'Lena', email: 'lena@example.com', phone: '', message: 'Message 1', client_msg_id: crypto.randomUUID() });
  for (let i = 2; i <= 60; i++) {
    await post('visitor/send', { token: chat.token, conversation_id: chat.conversation_id, body: `Message ${i}`, client_msg_id: crypto.randomUUID() });
  }

  await signIn(agent, server);
  await takeFromQueue(agent, 'Lena');
  const list = messages(agent);
  // The latest 50: "Alex Agent joined the chat" and messages 12 to 60.
  await expect(agent.locator('[data-testid=message]')).toHaveCount(50);
  await expect(list).toHaveCount(49);
  const shown = await list.locator('.body').allTextContents();
  expect(shown[0]).toBe('Message 12');
  expect(shown[48]).toBe('Message 60');
  // The day above its first message; who wrote each and when.
  await expect(agent.locator('[data-testid=day-separator]')).toHaveText(['Today']);
  const last = list.last();
  await expect(last.locator('.who')).toHaveText('Lena');
  await expect(last.locator('.time')).toHaveText(/^\d\d:\d\d$/);
  await expect(last.locator('.time')).toHaveAttribute('title', /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d$/);

  // Scrolling to the top brings the older ones, and the reader stays where they were.
  await agent.locator('[data-testid=messages]').evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
  await expect(list).toHaveCount(60);
  await expect(agent.locator('[data-testid=day-separator]')).toHaveText(['Today']);
  expect(await agent.locator('[data-testid=messages]').evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  const bodies = await list.locator('.body').allTextContents();
  expect(bodies.filter((b) => b.startsWith('Message ')).map((b) => Number(b.split(' ')[1]))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
});
