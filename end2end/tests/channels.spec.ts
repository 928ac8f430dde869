import { test, expect, visit, hydrated, signIn, send, takeFromQueue } from './fixtures';
import type { Page } from '@playwright/test';

/** The simulator page on the server, playing the customer as `name`. */
async function openSimulator(page: Page, url: string, name: string): Promise<void> {
  await visit(page, `${url}/simulator`);
  await expect(page.locator('[data-testid=sim-phone]')).toBeVisible();
  await page.locator('[data-testid=sim-name]').fill(name);
}

/** Writes as the customer on a channel of the simulator. */
async function customerWrites(page: Page, channel: string, text: string): Promise<void> {
  await page.locator(`[data-testid=sim-channel-${channel}]`).click();
  await expect(page.locator('[data-testid=sim-phone]')).toHaveAttribute('data-channel', channel);
  await page.locator('[data-testid=sim-input]').fill(text);
  await page.locator('[data-testid=sim-send]').click();
  await expect(page.locator('[data-testid=sim-message][data-from=customer]').filter({ hasText: text })).toHaveCount(1);
  await expect(page.locator('[data-testid=sim-error]')).toHaveCount(0);
}

/** The agent's message in the open room, by its text. */
function agentMessage(agent: Page, text: string) {
  return agent.locator('[data-testid=message].mine').filter({ hasText: text });
}

test('SMS and WhatsApp from the simulator reach the inbox, and the replies reach the simulated phones with receipts', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Sam Carter');

  // SMS: a Twilio webhook, signed; the contact is known by the number.
  await customerWrites(phone, 'sms', 'Where is my parcel?');
  await agent.locator('[data-testid=folder-queued]').click();
  const smsRow = agent.locator('[data-testid=conversation-row]').filter({ hasText: '+15557654321' });
  await expect(smsRow).toContainText('SMS');
  await expect(smsRow).toContainText('Where is my parcel?');
  await takeFromQueue(agent, '+15557654321');
  await send(agent, 'It left the warehouse this morning.');
  const smsReply = agentMessage(agent, 'It left the warehouse this morning.');
  // Out through the Twilio API, then the status callback: the line moves to Delivered.
  await expect(smsReply.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'delivered');
  await expect(smsReply.locator('[data-testid=delivery]')).toHaveText('Delivered');
  const smsOnPhone = phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'It left the warehouse this morning.' });
  await expect(smsOnPhone).toHaveCount(1);
  await expect(smsOnPhone.locator('[data-testid=sim-status]')).toHaveText('delivered');

  // WhatsApp: the Cloud API webhook carries the profile name.
  await customerWrites(phone, 'whatsapp', 'Can I change the address?');
  await takeFromQueue(agent, 'Sam Carter');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'Can I change the address?' })).toHaveCount(1);
  await send(agent, 'Yes, send me the new one.');
  const waReply = agentMessage(agent, 'Yes, send me the new one.');
  await expect(waReply.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'delivered');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Yes, send me the new one.' })).toHaveCount(1);
  // The SMS phone still shows only its own thread.
  await phone.locator('[data-testid=sim-channel-sms]').click();
  await expect(phone.locator('[data-testid=sim-message]')).toHaveCount(2);
});

test('an agent typing shows on the Messenger phone and stops when the reply arrives', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Lena Park');
  await customerWrites(phone, 'messenger', 'Is the blue one in stock?');
  await agent.locator('[data-testid=folder-queued]').click();
  // Messenger webhooks carry only the page-scoped id: the name comes from the Page's profile lookup.
  await takeFromQueue(agent, 'Lena Park');

  const onPhone = phone.locator('[data-testid=sim-typing]');
  await expect(onPhone).toHaveText('');
  // Typing goes out as a Send API sender action to the (simulated) Messenger.
  await agent.locator('[data-testid=composer-input]').pressSequentially('Let me look', { delay: 30 });
  await expect(onPhone).toHaveText('Support is typing…');
  await agent.locator('[data-testid=composer-input]').press('Enter');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Let me look' })).toHaveCount(1);
  await expect(onPhone).toHaveText('');
});

test('a reply the provider refuses shows on the message in the inbox with the reason', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Tess');
  await customerWrites(phone, 'telegram', 'Hello from Telegram');
  await phone.locator('[data-testid=sim-fail]').check();
  await expect(phone.locator('[data-testid=sim-fail]')).toBeChecked();

  await takeFromQueue(agent, 'Tess');
  await send(agent, 'Hi Tess, how can I help?');
  const reply = agentMessage(agent, 'Hi Tess, how can I help?');
  const line = reply.locator('[data-testid=delivery]');
  await expect(line).toHaveAttribute('data-status', 'failed');
  await expect(line).toContainText('Not delivered');
  await expect(line).toContainText(/blocked/i);
  await expect(phone.locator('[data-testid=sim-refused]')).toContainText('blocked');

  // A reload keeps it: the state is the message's, not the page's.
  await agent.reload();
  await hydrated(agent);
  await agent.locator('[data-testid=folder-engaged]').click();
  await agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Tess' }).click();
  await expect(agentMessage(agent, 'Hi Tess, how can I help?').locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'failed');
});

test('a Facebook post comment is answered by private reply, then publicly, from the inbox', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Maria Lopez');
  await customerWrites(phone, 'page_comment', 'Do you ship to Spain?');

  await agent.locator('[data-testid=folder-queued]').click();
  await expect(agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Maria Lopez' })).toContainText('Page comment');
  await takeFromQueue(agent, 'Maria Lopez');
  // The composer offers both ways of answering a comment; private is one message per comment.
  await expect(agent.locator('[data-testid=reply-as]')).toBeVisible();
  await agent.locator('[data-testid=reply-private]').check();
  await send(agent, 'Yes! I sent you our shipping prices.');
  const priv = agentMessage(agent, 'Yes! I sent you our shipping prices.');
  await expect(priv.locator('[data-testid=reply-kind]')).toHaveText('Private reply');
  await expect(priv.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'sent');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: '(private reply) Yes! I sent you our shipping prices.' })).toHaveCount(1);

  await agent.locator('[data-testid=reply-public]').check();
  await send(agent, 'Thanks for asking, we ship all over Europe.');
  const pub = agentMessage(agent, 'Thanks for asking, we ship all over Europe.');
  await expect(pub.locator('[data-testid=reply-kind]')).toHaveText('Comment reply');
  await expect(pub.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'sent');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Thanks for asking, we ship all over Europe.' })).toContainText('(reply to');

  // A comment can be deleted from the post, from the inbox.
  const comment = agent.locator('[data-testid=message]').filter({ hasText: 'Do you ship to Spain?' });
  await expect(agentMessage(agent, 'Thanks for asking').locator('[data-testid=delete-comment]')).toHaveCount(0);
  await comment.locator('[data-testid=delete-comment]').click();
  await expect(comment.locator('[data-testid=removed]')).toHaveText('Deleted from the post');
  await expect(comment.locator('[data-testid=delete-comment]')).toHaveCount(0);
  await expect(agent.locator('[data-testid=message].internal').filter({ hasText: 'asked to delete the comment' })).toHaveCount(1);
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'the Page deleted your comment' })).toHaveCount(1);

  // Other channels show no such choice.
  await customerWrites(phone, 'sms', 'Unrelated question');
  await takeFromQueue(agent, '+15557654321');
  await expect(agent.locator('[data-testid=reply-as]')).toHaveCount(0);
});

test('comments on two posts: the inbox filters by post, and an Instagram comment is answered by private reply and deleted', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Priya K');
  await customerWrites(phone, 'page_comment', 'Do you ship to Spain?');
  await customerWrites(phone, 'instagram_comment', 'Which sizes do you have?');

  await agent.locator('[data-testid=folder-queued]').click();
  const rows = agent.locator('[data-testid=conversation-row]');
  await expect(rows).toHaveCount(2);
  // One option per post; choosing the Instagram post leaves its conversation only.
  const byPost = agent.locator('[data-testid=filter-post]');
  await expect(byPost.locator('option')).toHaveCount(3);
  const instagramPost = await byPost.locator('option', { hasText: 'Instagram post' }).getAttribute('value');
  await byPost.selectOption(instagramPost!);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Which sizes do you have?');
  await byPost.selectOption('');
  await expect(rows).toHaveCount(2);
  await byPost.selectOption(instagramPost!);
  await expect(rows).toHaveCount(1);

  await takeFromQueue(agent, 'priya_k');
  await expect(agent.locator('[data-testid=room-post]')).toContainText('Instagram post');
  await expect(agent.locator('[data-testid=reply-as]')).toBeVisible();
  await agent.locator('[data-testid=reply-private]').check();
  await send(agent, 'I sent you our size chart.');
  const priv = agentMessage(agent, 'I sent you our size chart.');
  await expect(priv.locator('[data-testid=reply-kind]')).toHaveText('Private reply');
  await expect(priv.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'sent');
  await phone.locator('[data-testid=sim-channel-instagram_comment]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: '(private reply) I sent you our size chart.' })).toHaveCount(1);

  const comment = agent.locator('[data-testid=message]').filter({ hasText: 'Which sizes do you have?' });
  await comment.locator('[data-testid=delete-comment]').click();
  await expect(comment.locator('[data-testid=removed]')).toHaveText('Deleted from the post');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'the Page deleted your comment' })).toHaveCount(1);
});

test("a customer's photos from WhatsApp and Telegram show in the inbox as pictures, fetched through the server", async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Noor Haddad');
  await phone.locator('[data-testid=sim-channel-whatsapp]').click();
  await phone.locator('[data-testid=sim-photo]').check();
  await customerWrites(phone, 'whatsapp', 'The box arrived dented');
  await expect(phone.locator('[data-testid=sim-message][data-from=customer]').last()).toHaveText('[photo] The box arrived dented');

  await agent.locator('[data-testid=folder-queued]').click();
  await expect(agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Noor Haddad' })).toContainText('The box arrived dented');
  await takeFromQueue(agent, 'Noor Haddad');
  // The photo and its caption are two items (seed 002); the photo is a picture, loaded from
  // /media/… (the server fetched it from WhatsApp with the account's token).
  const picture = agent.locator('[data-testid=message] [data-testid=attachment-image]');
  await expect(picture).toHaveCount(1);
  await expect(picture).toHaveAttribute('src', /^\/media\//);
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(agent.locator('[data-testid=message]').filter({ hasText: 'The box arrived dented' }).locator('[data-testid=attachment]')).toHaveCount(0);

  // Telegram, a photo with no caption: getFile, then the file.
  await phone.locator('[data-testid=sim-channel-telegram]').click();
  await phone.locator('[data-testid=sim-photo]').check();
  await phone.locator('[data-testid=sim-send]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=customer]').filter({ hasText: '[photo]' })).toHaveCount(1);
  await takeFromQueue(agent, 'Noor Haddad');
  const tgPicture = agent.locator('[data-testid=message] [data-testid=attachment-image]');
  await expect(tgPicture).toHaveCount(1);
  await expect.poll(() => tgPicture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(agent.locator('[data-testid=message]').filter({ has: agent.locator('[data-testid=attachment]') })).toContainText('Photo');

  // Only signed-in agents get the file.
  const src = await tgPicture.getAttribute('src');
  const anonymous = await phone.request.get(`${server.url}${src}`);
  expect(anonymous.status()).toBe(401);
});

test('a comment its author deletes on Facebook loses its text in the inbox, live', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Ola Berg');
  await customerWrites(phone, 'page_comment', 'My order 5512 never arrived, call me at 555-0199');
  await takeFromQueue(agent, 'Ola Berg');
  const comment = agent.locator('[data-testid=message]').filter({ hasText: 'My order 5512 never arrived' });
  await expect(comment).toHaveCount(1);
  const seq = await comment.getAttribute('data-seq');

  await phone.locator('[data-testid=sim-delete-comment]').click();
  await expect(phone.locator('[data-testid=sim-message][data-from=customer]').filter({ hasText: 'you deleted your comment' })).toHaveCount(1);
  const same = agent.locator(`[data-testid=message][data-seq="${seq}"]`);
  await expect(same.locator('[data-testid=withdrawn]')).toHaveText('The contact deleted this message.');
  await expect(same.locator('[data-testid=altered]')).toHaveText('Deleted by the contact');
  await expect(agent.locator('[data-testid=message]').filter({ hasText: '555-0199' })).toHaveCount(0);
  await expect(agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Ola Berg' })).not.toContainText('555-0199');
});

test('outside the WhatsApp reply window the composer says why and an approved template goes out instead', async ({ server, visitor: phone, agent }) => {
  await signIn(agent, server);
  await openSimulator(phone, server.url, 'Grace Hopper');
  await phone.locator('[data-testid=sim-channel-whatsapp]').click();
  await phone.locator('[data-testid=sim-age]').selectOption('25');
  await customerWrites(phone, 'whatsapp', 'Is anyone there?');

  await takeFromQueue(agent, 'Grace Hopper');
  const bar = agent.locator('[data-testid=window]');
  await expect(bar).toHaveAttribute('data-state', 'closed');
  await expect(bar).toContainText('24-hour reply window has closed');
  await expect(agent.locator('[data-testid=composer-input]')).toBeDisabled();

  const picker = agent.locator('[data-testid=template-picker]');
  await picker.locator('[data-testid=template-select]').selectOption({ label: 'order_update (en_US)' });
  await expect(picker.locator('[data-testid=send-template]')).toBeDisabled();
  const params = picker.locator('[data-testid=template-param]');
  await expect(params).toHaveCount(2);
  await params.nth(0).fill('Grace');
  await params.nth(1).fill('1042');
  await expect(picker.locator('[data-testid=template-preview]')).toContainText('Hi Grace, your order 1042 has an update.');
  await picker.locator('[data-testid=send-template]').click();
  const sent = agentMessage(agent, 'Hi Grace, your order 1042 has an update.');
  await expect(sent.locator('[data-testid=delivery]')).toHaveAttribute('data-status', 'delivered');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Hi Grace, your order 1042 has an update.' })).toHaveCount(1);

  // The contact answers: the window opens again with its time left, and free text can go.
  await phone.locator('[data-testid=sim-age]').selectOption('0');
  await customerWrites(phone, 'whatsapp', 'Yes, thanks!');
  await expect(bar).toHaveAttribute('data-state', 'open');
  await expect(bar).toContainText(/WhatsApp reply window: 23 h 5\d min left/);
  await expect(agent.locator('[data-testid=composer-input]')).toBeEnabled();
  await send(agent, 'Great, it arrives Friday.');
  await expect(phone.locator('[data-testid=sim-message][data-from=business]').filter({ hasText: 'Great, it arrives Friday.' })).toHaveCount(1);
});

test('the admin sees every channel with its webhook URL and masked credentials, and tests a connection', async ({ server, admin }) => {
  await signIn(admin, server, 'admin@demo.test');
  await visit(admin, `${server.url}/admin`);
  await admin.locator('[data-testid=admin-tab-channels]').click();
  const cards = admin.locator('[data-testid=channel-card]');
  await expect(cards).toHaveCount(6);
  await expect(admin.locator('[data-testid=channels]')).toContainText('provider simulator');
  const sms = admin.locator('[data-testid=channel-card][data-channel=sms]');
  await expect(sms.locator('[data-testid=channel-webhook]')).toHaveText(`${server.url}/webhooks/twilio/sms`);
  await expect(sms.locator('[data-testid=channel-credentials]')).toContainText('••••');
  await expect(sms.locator('[data-testid=channel-credentials]')).not.toContainText('demo-twilio-auth-token');
  await sms.locator('[data-testid=channel-test]').click();
  await expect(sms.locator('[data-testid=channel-test-result]')).toHaveAttribute('data-ok', 'true');
  await expect(sms.locator('[data-testid=channel-test-result]')).toHaveText('Connected: Switchboard demo (simulated Twilio).');
  const telegram = admin.locator('[data-testid=channel-card][data-channel=telegram]');
  await telegram.locator('[data-testid=channel-test]').click();
  await expect(telegram.locator('[data-testid=channel-test-result]')).toHaveText('Connected: @switchboard_demo_bot.');
});

/** Posts a Telegram update to the server's webhook as Telegram would, with this secret. */
async function telegramWebhook(url: string, secret: string, text: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const update = {
    update_id: 9000 + Math.floor(Math.random() * 1000),
    message: { message_id: 1, date: now, text, chat: { id: 4242, type: 'private', first_name: 'Rita' }, from: { id: 4242, is_bot: false, first_name: 'Rita' } },
  };
  const res = await fetch(`${url}/webhooks/telegram`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: JSON.stringify(update),
  });
  return res.status;
}

test('the admin connects their own Telegram bot in place of the simulator, and removes it again', async ({ server, admin, agent }) => {
  await signIn(admin, server, 'admin@demo.test');
  await visit(admin, `${server.url}/admin`);
  await admin.locator('[data-testid=admin-tab-channels]').click();
  const form = admin.locator('[data-testid=channel-settings][data-section=telegram]');
  await expect(form.locator('[data-testid=settings-source]')).toHaveText('Simulator');
  const token = form.locator('[data-testid=setting][data-var=SWITCHBOARD_TELEGRAM_BOT_TOKEN] [data-testid=setting-input]');
  // A secret is never put in the page: the field is empty, its placeholder shows the end.
  await expect(token).toHaveValue('');
  await expect(token).toHaveAttribute('placeholder', /••••oken \(leave empty to keep\)/);
  expect(await admin.content()).not.toContain('demo-telegram-bot-token');

  // A malformed token is refused with the rule, and nothing changes.
  await token.fill('not-a-token');
  await form.locator('[data-testid=channel-settings-save]').click();
  await expect(form.locator('[data-testid=channel-settings-error]')).toContainText('Bot token (Telegram) must look like <bot id>:<secret>');
  await expect(admin.locator('[data-testid=channel-card][data-channel=telegram] [data-testid=channel-address]')).toHaveText('7000000000');

  await token.fill('7100000002:my-own-bot-token');
  await form.locator('[data-testid=setting][data-var=SWITCHBOARD_TELEGRAM_SECRET_TOKEN] [data-testid=setting-input]').fill('my-webhook-secret');
  await form.locator('[data-testid=channel-settings-save]').click();
  const saved = admin.locator('[data-testid=channel-settings][data-section=telegram]');
  await expect(saved.locator('[data-testid=settings-source]')).toHaveText('Saved here');
  await expect(admin.locator('[data-testid=channel-card][data-channel=telegram] [data-testid=channel-address]')).toHaveText('7100000002');
  await expect(saved.locator('[data-testid=setting][data-var=SWITCHBOARD_TELEGRAM_BOT_TOKEN] [data-testid=setting-input]')).toHaveAttribute('placeholder', /••••oken/);
  // The other channels stay on the simulator.
  await expect(admin.locator('[data-testid=channel-settings][data-section=twilio] [data-testid=settings-source]')).toHaveText('Simulator');

  // The webhook now checks the new secret, at once: the bot's message reaches the inbox.
  expect(await telegramWebhook(server.url, 'demo-telegram-secret', 'old secret')).toBe(403);
  expect(await telegramWebhook(server.url, 'my-webhook-secret', 'Hello from my own bot')).toBe(200);
  await signIn(agent, server, 'agent1@demo.test');
  await agent.locator('[data-testid=folder-queued]').click();
  const row = agent.locator('[data-testid=conversation-row]').filter({ hasText: 'Rita' });
  await expect(row).toContainText('Telegram');
  await expect(row).toContainText('Hello from my own bot');

  // Removed: the simulator's bot is back, and the saved secret no longer works.
  await saved.locator('[data-testid=channel-settings-clear]').click();
  await expect(admin.locator('[data-testid=channel-settings][data-section=telegram] [data-testid=settings-source]')).toHaveText('Simulator');
  await expect(admin.locator('[data-testid=channel-card][data-channel=telegram] [data-testid=channel-address]')).toHaveText('7000000000');
  expect(await telegramWebhook(server.url, 'my-webhook-secret', 'gone')).toBe(403);
});
