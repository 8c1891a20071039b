// bench/bolt_peer/app.js -- the peer of the bench: cancelbot's Slack workload written
// with Slack's Bolt for JavaScript in Socket Mode, for bench/slack_load to compare
// against the real bot in the same run.
//
// It does what the bot does on the wire, in the same order: ack first, then the same
// Web API calls with messages of about the same size (/cancel -> a verify prompt with
// Confirm/Discard by chat.postEphemeral; Confirm -> the card by chat.postMessage plus
// two messages; Approve -> chat.update, thread messages, chat.update again; App Home ->
// views.publish; `/cancel list` -> the answer in the ack). What it does NOT do is the
// bot's work behind the wire: no database, no audit record, no outbox, no marketplace
// look-up over a provider interface. Requests live in a Map, so the figures are the
// framework's floor, not an equivalent app.
//
// Environment: SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL (slack_load sets them).
'use strict';

const { App, LogLevel } = require('@slack/bolt');

const APPROVERS = new Set(['U0FIN1', 'U0FIN2']);
const AGREEMENTS = new Map([   // the sim marketplace's demo agreements (deploy/sim-seed.json)
  ['agmt-1a2b3c4d5e6f7g8h9i0j', { buyer: '123456789012', offer: 'offer-9x8y7w6v5u4t',
    product: 'Acme Observability Platform', value: '1,200.00 USD',
    term: '2025-09-01 to 2026-08-31' }],
  ['agmt-big0000000000000001', { buyer: '123456789012', offer: 'offer-ent0000000001',
    product: 'Acme Observability Platform Enterprise', value: '120,000.00 USD',
    term: '2025-07-01 to 2028-06-30' }],
]);

const requests = new Map();    // CR-n -> request
let nextId = 1;

const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  appToken: process.env.SLACK_APP_TOKEN,
  socketMode: true,
  logLevel: LogLevel.ERROR,
  // Reaches both the app's WebClient and the Socket Mode client's own (which calls
  // apps.connections.open): Bolt passes clientOptions on as installerOptions.clientOptions.
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL || 'https://slack.com/api/' },
});

// `/cancel aws agmt-... reason=... note="..."`: key=value pairs, quoted values allowed.
function parseCancel(text) {
  const words = text.match(/(?:[^\s"]+|"[^"]*")+/g) || [];
  const out = { verb: words[0] || '', target: words[1] || '', args: {} };
  for (const w of words.slice(2)) {
    const eq = w.indexOf('=');
    if (eq > 0) out.args[w.slice(0, eq)] = w.slice(eq + 1).replace(/^"|"$/g, '');
  }
  return out;
}

function fields(r) {
  return [
    { type: 'mrkdwn', text: `*Requested by*\n<@${r.requester}>` },
    { type: 'mrkdwn', text: `*Agreement*\n${r.agreement}` },
    { type: 'mrkdwn', text: `*Buyer account*\n${r.info.buyer}` },
    { type: 'mrkdwn', text: `*Offer*\n${r.info.offer}` },
    { type: 'mrkdwn', text: `*Product*\n${r.info.product}` },
    { type: 'mrkdwn', text: `*Term*\n${r.info.term}` },
    { type: 'mrkdwn', text: `*Value*\n${r.info.value}` },
    { type: 'mrkdwn', text: `*Reason*\n${r.reason}` },
    { type: 'mrkdwn', text: `*Note*\n${r.note}` },
  ];
}

function title(r) { return `${r.id} · Cancel AWS agreement ${r.agreement}`; }

function card(r, status, buttons) {
  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: title(r), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: status } },
    { type: 'section', fields: fields(r) },
  ];
  if (buttons) {
    blocks.push({ type: 'actions', block_id: 'actions', elements: [
      { type: 'button', action_id: 'approve', style: 'primary', value: r.id,
        text: { type: 'plain_text', text: 'Approve' } },
      { type: 'button', action_id: 'reject', style: 'danger', value: r.id,
        text: { type: 'plain_text', text: 'Reject' } },
    ] });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Request ${r.id}` }] });
  return blocks;
}

function listText(user, scope) {
  const all = [...requests.values()].reverse();
  const chosen = all.filter((r) => scope === 'all' || (scope === 'pending'
    ? r.state === 'awaiting_approval' : r.requester === user)).slice(0, 25);
  const lines = chosen.map((r) => `  ${r.id}  ${r.state}  aws  ${r.agreement}  by ${r.requester}`);
  return `Requests (${scope}, newest first):\n${lines.length ? lines.join('\n') : '  none'}`;
}

app.command('/cancel', async ({ command, ack, client }) => {
  const cmd = parseCancel(command.text.trim());
  if (cmd.verb === 'list') {           // answered in the ack, as the bot does
    await ack({ response_type: 'ephemeral', text: listText(command.user_id, cmd.target || 'mine') });
    return;
  }
  const info = cmd.verb === 'aws' ? AGREEMENTS.get(cmd.target) : undefined;
  if (!info || !cmd.args.reason || !cmd.args.note) {
    await ack({ response_type: 'ephemeral', text: 'Usage: /cancel aws <agreement-id> reason=<code> note="..."' });
    return;
  }
  await ack();
  const r = { id: `CR-${nextId++}`, state: 'draft', requester: command.user_id,
    channel: command.channel_id, agreement: cmd.target, info, reason: cmd.args.reason,
    note: cmd.args.note, cardTs: null, cardPosted: null, approvals: [] };
  requests.set(r.id, r);
  const text = 'Please verify this agreement before it goes to finance. A cancellation cannot '
    + 'be undone once submitted: undoing it means a new offer and a new agreement. '
    + `Confirm ${r.id} or Discard it.`;
  await client.chat.postEphemeral({ channel: r.channel, user: r.requester, text, blocks: [
    { type: 'section', text: { type: 'mrkdwn', text } },
    { type: 'section', fields: fields(r) },
    { type: 'actions', block_id: 'actions', elements: [
      { type: 'button', action_id: 'confirm', style: 'primary', value: r.id,
        text: { type: 'plain_text', text: 'Confirm' } },
      { type: 'button', action_id: 'discard', value: r.id,
        text: { type: 'plain_text', text: 'Discard' } },
    ] },
  ] });
});

app.action('confirm', async ({ body, action, ack, client }) => {
  await ack();
  const r = requests.get(action.value);
  if (!r || r.state !== 'draft' || body.user.id !== r.requester) return;
  r.state = 'awaiting_approval';
  const status = 'Waiting for finance: 0 of 1 approval';
  // An Approve click can come in before this await resumes (the card is on screen as
  // soon as Slack answers): approve waits on the same promise.
  r.cardPosted = client.chat.postMessage({ channel: r.channel,
    text: `${title(r)}: ${status}`, blocks: card(r, status, true) });
  r.cardTs = (await r.cardPosted).ts;
  await client.chat.postMessage({ channel: r.channel, thread_ts: r.cardTs, unfurl_links: false,
    text: `<@${r.requester}> asked for ${r.id}. It needs 1 approval from finance `
      + '(<@U0FIN1>, <@U0FIN2>). Approve or reject with the buttons, or react '
      + ':white_check_mark: / :x: on the card.' });
  await client.chat.postEphemeral({ channel: r.channel, user: r.requester,
    text: `${r.id} is with finance now. I will post every step in its thread.` });
});

app.action('approve', async ({ body, action, ack, client }) => {
  await ack();
  const r = requests.get(action.value);
  const user = body.user.id;
  if (!r || r.state !== 'awaiting_approval' || !APPROVERS.has(user) || user === r.requester) return;
  r.state = 'submitted';
  r.approvals.push(user);
  if (!r.cardTs) r.cardTs = (await r.cardPosted).ts;
  let status = 'Approved: submitting to the marketplace';
  await client.chat.update({ channel: r.channel, ts: r.cardTs, text: `${title(r)}: ${status}`,
    blocks: card(r, status, false) });
  await client.chat.postMessage({ channel: r.channel, thread_ts: r.cardTs, unfurl_links: false,
    text: `Approved by <@${user}> (1 of 1).` });
  await client.chat.postMessage({ channel: r.channel, thread_ts: r.cardTs, unfurl_links: false,
    text: 'Approvals complete. Submitting the cancellation to AWS Marketplace...' });
  status = 'Submitted: waiting for the buyer';
  await client.chat.update({ channel: r.channel, ts: r.cardTs, text: `${title(r)}: ${status}`,
    blocks: card(r, status, false) });
  await client.chat.postMessage({ channel: r.channel, thread_ts: r.cardTs, unfurl_links: false,
    text: `Submitted to AWS Marketplace. <@${r.requester}>, share this link with the buyer to `
      + `confirm: https://console.aws.amazon.com/marketplace/home#/agreements/${r.agreement}` });
});

app.action(/^(discard|reject)$/, async ({ ack }) => { await ack(); });

app.event('app_home_opened', async ({ event, client }) => {
  if (event.tab !== 'home') return;
  const all = [...requests.values()].reverse();
  const mine = all.filter((r) => r.requester === event.user && r.state !== 'submitted').slice(0, 40);
  const waiting = APPROVERS.has(event.user)
    ? all.filter((r) => r.state === 'awaiting_approval' && r.requester !== event.user).slice(0, 40) : [];
  const item = (r) => ({ type: 'section', text: { type: 'mrkdwn',
    text: `*${r.id}* ${r.state} · ${r.agreement} · <@${r.requester}>` } });
  const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'Your open requests' } },
    ...mine.map(item), { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: 'Waiting for your approval' } },
    ...waiting.map(item)];
  await client.views.publish({ user_id: event.user, view: { type: 'home', blocks } });
});

app.error(async (error) => { console.error('bolt peer:', error.message || error); });

(async () => {
  await app.start();
  console.error('bolt peer: connected');
})();

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    app.stop().catch(() => {}).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
