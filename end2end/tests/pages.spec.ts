import { test, expect, signIn, row } from './fixtures';

// Folder pages of 5 rows (a test hook of the server), so a dozen chats make three pages: the
// paging is the same code as with 300, without starting 300 chats and rendering them.
test.use({ serverEnv: { SWITCHBOARD_TEST_INBOX_PAGE: '5' } });

test('a folder loads a page at a time with Load more, every row once, live rows merged, and starts over on another folder', async ({ server, agent }) => {
  const start = async (name: string) => {
    const res = await fetch(`${server.url}/api/visitor/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ name, email: `${name.toLowerCase().replace(' ', '.')}@example.com`, phone: '', message: `Hello from ${name}`, client_msg_id: crypto.randomUUID() }),
    });
    expect(res.ok).toBeTruthy();
  };
  // Twelve waiting chats, one after the other (newest first in the folder: Guest 12 to 1;
  // a few milliseconds apart, so no two share a time and the order is the names').
  const names = Array.from({ length: 12 }, (_, i) => `Guest ${i + 1}`);
  for (const name of names) {
    await start(name);
    await new Promise((r) => setTimeout(r, 3));
  }

  await signIn(agent, server);
  await agent.locator('[data-testid=folder-queued]').click();
  const rows = agent.locator('[data-testid=conversation-row]');
  const more = agent.locator('[data-testid=load-more]');
  const shown = async () => (await rows.locator('.name').allTextContents()).map((s) => s.trim());

  // The first page, then the next two on request; the button goes when the folder ends.
  await expect(rows).toHaveCount(5);
  expect(await shown()).toEqual(['Guest 12', 'Guest 11', 'Guest 10', 'Guest 9', 'Guest 8']);
  await more.click();
  await expect(rows).toHaveCount(10);
  await expect(more).toBeVisible();
  await more.click();
  await expect(rows).toHaveCount(12);
  await expect(more).toHaveCount(0);
  expect(await shown()).toEqual([...names].reverse());

  // A chat arriving live goes on top of the pages loaded, once.
  await start('Guest 13');
  await expect(row(agent, 'Guest 13')).toHaveCount(1);
  await expect(rows).toHaveCount(13);
  expect((await shown())[0]).toBe('Guest 13');
  expect(new Set(await shown()).size).toBe(13);

  // Another folder and back: the first page again, with its Load more.
  await agent.locator('[data-testid=folder-history]').click();
  await expect(agent.locator('[data-testid=empty-folder]')).toBeVisible();
  await expect(more).toHaveCount(0);
  await agent.locator('[data-testid=folder-queued]').click();
  await expect(rows).toHaveCount(5);
  expect(await shown()).toEqual(['Guest 13', 'Guest 12', 'Guest 11', 'Guest 10', 'Guest 9']);
  await expect(more).toBeVisible();
  await more.click();
  await expect(rows).toHaveCount(10);
  expect(new Set(await shown()).size).toBe(10);
});
