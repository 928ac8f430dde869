import { test, expect, openWidget, startChat, signIn, takeFromQueue, visit } from './fixtures';

/** A tiny real PNG (1x1, red). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

test('the agent and the visitor send each other files; a file the rules refuse says why and nothing is sent', async ({ server, visitor, agent }) => {
  await signIn(agent, server);
  const widget = await openWidget(visitor, server);
  await startChat(widget, 'Iris', 'My parcel arrived broken');
  await agent.locator('[data-testid=folder-queued]').click();
  await takeFromQueue(agent, 'Iris');

  // The visitor sends a photo: the agent sees a thumbnail with its name and size.
  await widget.locator('[data-testid=composer-file]').setInputFiles({ name: 'broken box.png', mimeType: 'image/png', buffer: PNG });
  const inRoom = agent.locator('[data-testid=message]').filter({ hasText: 'broken box.png' });
  await expect(inRoom.locator('[data-testid=attachment-image]')).toBeVisible();
  await expect(inRoom.locator('[data-testid=attachment-file]')).toContainText('broken box.png · 70 B');
  // The image really loads (served to the signed-in agent).
  await expect.poll(() => inRoom.locator('[data-testid=attachment-image]').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

  // The agent sends a document: the visitor gets a link that downloads it.
  await agent.locator('[data-testid=composer-file]').setInputFiles({ name: 'returns.txt', mimeType: 'text/plain', buffer: Buffer.from('Send it back within 30 days.') });
  const inWidget = widget.locator('[data-testid=message]').filter({ hasText: 'returns.txt' });
  const link = inWidget.locator('a[data-testid=attachment-file]');
  await expect(link).toContainText('returns.txt · 28 B');
  await expect(link).toHaveAttribute('href', /^blob:/);
  // The visitor's own photo shows in the widget too, fetched with the token (never in a URL).
  const mine = widget.locator('[data-testid=message]').filter({ hasText: 'broken box.png' });
  await expect(mine.locator('[data-testid=attachment-image]')).toHaveAttribute('src', /^blob:/);

  // A program renamed as a picture, and a type the admin did not allow: refused, with the rule.
  await widget.locator('[data-testid=composer-file]').setInputFiles({ name: 'cute cat.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1') });
  await expect(widget.locator('[data-testid=widget-file-error]')).toContainText('cute cat.jpg was not sent: The file\'s content is not a .jpg file');
  await agent.locator('[data-testid=composer-file]').setInputFiles({ name: 'tool.exe', mimeType: 'application/octet-stream', buffer: Buffer.from('MZ') });
  await expect(agent.locator('[data-testid=room-error]')).toContainText('Files ending in .exe are not allowed here.');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'cute cat.jpg' })).toHaveCount(0);
  await expect(widget.locator('[data-testid=message]').filter({ hasText: 'tool.exe' })).toHaveCount(0);
});

test('an agent\'s photo reaches the customer\'s phone on SMS through the provider', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await visit(phone, `${server.url}/simulator`);
  await phone.locator('[data-testid=sim-name]').fill('Nora');
  await phone.locator('[data-testid=sim-channel-sms]').click();
  await phone.locator('[data-testid=sim-input]').fill('Which cable do I need?');
  await phone.locator('[data-testid=sim-send]').click();
  await agent.locator('[data-testid=folder-queued]').click();
  await takeFromQueue(agent, '+15557654321');
  await agent.locator('[data-testid=composer-file]').setInputFiles({ name: 'cable.png', mimeType: 'image/png', buffer: PNG });
  const sent = agent.locator('[data-testid=message].mine').filter({ hasText: 'cable.png' });
  await expect(sent.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'delivered');
  // Twilio fetched it by its signed URL: the phone shows the picture.
  const onPhone = phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'cable.png' });
  await expect(onPhone).toContainText('📎 cable.png');
  await expect.poll(() => onPhone.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
});
