import { test, expect, openWidget, reopenWidget, signIn } from './fixtures';

// The widget's chat room is a WebAssembly chunk of its own (`.ci/widget` cuts it out): a
// visitor who only looks at the form never downloads it.
const CHUNK = /\/split_[^/]*\.wasm$/;

test('the chat room is fetched when a chat begins, not before; a failed fetch offers to try again and loses nothing', async ({ server, visitor, agent }) => {
  // Someone is Online, so the widget offers a chat (not the leave-a-message form).
  await signIn(agent, server);
  const fetched: string[] = [];
  visitor.on('request', (r) => {
    if (CHUNK.test(new URL(r.url()).pathname)) fetched.push(new URL(r.url()).pathname);
  });
  // The first fetch of the room fails, as on a connection that dropped.
  let failures = 1;
  await visitor.route(CHUNK, (route) => (failures-- > 0 ? route.abort('internetdisconnected') : route.continue()));

  const widget = await openWidget(visitor, server);
  await widget.locator('[data-testid=talk-to-agent]').click();
  const form = widget.locator('[data-testid=prechat-form]');
  await expect(form).toBeVisible();
  await form.locator('input[name=name]').fill('Grace');
  await form.locator('input[name=email]').fill('grace@example.com');
  expect(fetched, 'the form needs none of the room').toEqual([]);

  await form.locator('textarea[name=message]').fill('My order never came');
  await form.locator('button[type=submit]').click();
  const unavailable = widget.locator('[data-testid=room-unavailable]');
  await expect(unavailable).toBeVisible();
  // Under the bundle's content hash, beside its glue.
  expect(fetched).toHaveLength(1);
  expect(fetched[0]).toMatch(/^\/pkg\/[0-9a-f]{16}\/split_/);

  // Trying again brings the room, with the message the chat began with.
  await unavailable.locator('button').click();
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'My order never came' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
  await expect(unavailable).toHaveCount(0);
  expect(fetched).toHaveLength(2);

  // A returning visitor goes straight back to the room.
  const again = await reopenWidget(visitor);
  await expect(again.locator('[data-testid=message]').filter({ hasText: 'My order never came' })).toHaveCount(1);
  await expect(again.locator('[data-testid=connection]')).toHaveAttribute('data-state', 'online');
});
