import { test, expect, openWidget, startChat, signIn, send, thread, takeFromQueue } from './fixtures';

test('the visitor on one node and the agent on another chat live both ways', async ({ cluster, visitor, agent }) => {
  const [nodeA, nodeB] = cluster;
  await signIn(agent, nodeB);
  const widget = await openWidget(visitor, nodeA);
  await startChat(widget, 'Ada', 'Hello from node A');

  // The request shows up live in the inbox served by the other node.
  await takeFromQueue(agent, 'Ada');
  await expect(widget.locator('[data-testid=message].system')).toContainText('Alex Agent joined the chat.');

  await send(agent, 'Hi Ada, this is node B.');
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'Hi Ada, this is node B.' })).toHaveCount(1);
  await send(widget, 'Both ways!');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Both ways!' })).toHaveCount(1);
  for (const n of [1, 2, 3]) {
    await send(widget, `visitor ${n}`);
    await send(agent, `agent ${n}`);
  }
  const expected = ['Hello from node A', 'Hi Ada, this is node B.', 'Both ways!', 'visitor 1', 'agent 1', 'visitor 2', 'agent 2', 'visitor 3', 'agent 3'];
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'agent 3' })).toHaveCount(1);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'agent 3' })).toHaveCount(1);
  // Within a pair the order is whichever write committed first, but both sides show the same thread,
  // by seq, with nothing missing or doubled (`thread` checks the seqs strictly increase).
  const seenByVisitor = await thread(widget);
  expect(seenByVisitor.slice().sort()).toEqual([...expected].sort());
  expect(await thread(agent)).toEqual(seenByVisitor);
});
