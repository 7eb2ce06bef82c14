// Drives the API through Snag's official SDK (@snagsolutions/sdk), exactly as it sends
// requests: the SDK's own client, its own query encoding (arrays as repeated parameters)
// and the fields its TypeScript types mark required. Run by tests/test_sdk.py.
//
// Environment: BASE_URL, API_KEY (limited to WEBSITE_ID), WEBSITE_ID, ORGANIZATION_ID.
// Exit code 0 and a JSON summary on stdout when every step gave what was expected; any
// mismatch or SDK error (with the request, the HTTP status and the body) fails the script.

import SnagSolutions, { APIError } from '@snagsolutions/sdk';
// The fetch the SDK uses by default: wrapped only to remember what was sent.
import { fetch as sdkFetch } from '@snagsolutions/sdk/_shims/index.mjs';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
};

const BASE_URL = env('BASE_URL');
const API_KEY = env('API_KEY');
const WEBSITE_ID = env('WEBSITE_ID');
const ORGANIZATION_ID = env('ORGANIZATION_ID');
const scope = { organizationId: ORGANIZATION_ID, websiteId: WEBSITE_ID };

const WALLET = '0x' + '1'.repeat(40);
const OTHER_WALLET = '0x' + '2'.repeat(40);
const NOBODY = '0x' + '3'.repeat(40);
// Idempotency keys and external identifiers of this run (the script can run again).
const RUN = Date.now().toString(36);

let lastRequest = null;
const client = new SnagSolutions({
  apiKey: API_KEY,
  baseURL: BASE_URL,
  maxRetries: 0, // a failure is reported as it happened, not retried away
  timeout: 30_000,
  fetch: (url, init) => {
    lastRequest = { method: init?.method, url: String(url), body: init?.body ?? null };
    return sdkFetch(url, init);
  },
});

const steps = [];
// Requests the SDK's types allow that the API refuses: not sent, listed in the summary.
const skipped = [
  {
    call: "transactions.getTransactionEntries({ sortBy: 'updatedAt' | 'loyaltyAccountLockVersion' })",
    problem:
      'TransactionGetTransactionEntriesParams.sortBy allows these; the API accepts only ' +
      'createdAt (400 validation_error, sortBy: "Input should be \'createdAt\'")',
  },
  {
    call: "rules.create({ type: 'Bonus', ... }) and the other RuleCreateParams.type values outside seed 001",
    problem:
      'refused with 400 "unknown or unsupported rule type" (docs/decisions.md: types outside ' +
      'seed 001 are refused); this walk-through uses external_rule and check_in',
  },
];

class Mismatch extends Error {}

/** Runs one SDK call; an SDK error fails the script with the request and the answer. */
async function call(label, run) {
  lastRequest = null;
  try {
    const result = await run();
    steps.push(label);
    return result;
  } catch (error) {
    if (error instanceof APIError) {
      const how = error.status === undefined ? `: ${error.message}` : ` with HTTP ${error.status}`;
      const failure = new Error(
        `${label}: the SDK call failed${how}\n` +
          `request: ${JSON.stringify(lastRequest)}\n` +
          `answer: ${JSON.stringify(error.error)}`,
      );
      failure.cause = error;
      throw failure;
    }
    throw error;
  }
}

function check(condition, message, actual) {
  if (!condition) {
    const detail = actual === undefined ? '' : `\nactual: ${JSON.stringify(actual, null, 2)}`;
    throw new Mismatch(`${message}${detail}\nlast request: ${JSON.stringify(lastRequest)}`);
  }
}

function equal(actual, expected, message) {
  const same = JSON.stringify(actual) === JSON.stringify(expected);
  check(same, `${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** The fields the SDK's response type marks required are all there. */
function hasFields(object, fields, what) {
  const missing = fields.filter((name) => !(name in (object ?? {})));
  check(missing.length === 0, `${what} lacks ${missing.join(', ')}`, object);
}

/** The last request sent every value of a list filter as its own query parameter. */
function sentRepeated(name, values) {
  const params = new URL(lastRequest.url).searchParams;
  equal(params.getAll(name), values, `query parameter ${name} of ${lastRequest.url}`);
}

const ids = (page) => page.data.map((item) => item.id).sort();

async function balanceOf(currencyId, wallet) {
  const accounts = await call('accounts.list (balance)', () =>
    client.loyalty.accounts.list({ walletAddress: [wallet], loyaltyCurrencyId: currencyId, ...scope }),
  );
  return accounts.data.reduce((sum, account) => sum + Number(account.amount), 0);
}

/** The fields RuleCreateParams marks required, as a caller of the SDK has to give them. */
function ruleParams(currencyId, fields) {
  return {
    amount: 10,
    effectiveEndTime: null,
    effectiveStartTime: null,
    endTime: null,
    frequency: 'none',
    loyaltyCurrencyId: currencyId,
    metadata: {},
    name: 'Rule',
    organizationId: ORGANIZATION_ID,
    startTime: null,
    type: 'external_rule',
    websiteId: WEBSITE_ID,
    ...fields,
  };
}

async function main() {
  const loyalty = client.loyalty;

  // Currencies
  const currency = await call('currencies.create', () =>
    loyalty.currencies.create({ decimals: 0, name: 'SDK Points', symbol: 'SDK', ...scope }),
  );
  hasFields(
    currency,
    [
      'id',
      'createdAt',
      'decimals',
      'deletedAt',
      'name',
      'organizationId',
      'symbol',
      'updatedAt',
      'websiteId',
    ],
    'CurrencyCreateResponse',
  );
  equal([currency.name, currency.symbol, currency.decimals], ['SDK Points', 'SDK', 0], 'created currency');
  const currencies = await call('currencies.list', () => loyalty.currencies.list(scope));
  check(
    currencies.data.some((c) => c.id === currency.id),
    'currencies.list lacks the currency',
    currencies,
  );

  // Rules: an unlimited external rule and a daily check-in.
  const external = await call('rules.create external_rule', () =>
    loyalty.rules.create(
      ruleParams(currency.id, {
        name: 'SDK external',
        interval: 'unlimited',
        amount: 10,
        // Optional fields as the SDK's types allow them: null, or their plain values.
        claimType: null,
        collections: null,
        contractIds: null,
        customRewardsApiUrl: null,
        duplicatedFromId: null,
        externalIntegrationId: null,
        functionId: null,
        hideInUi: false,
        isRequired: false,
        loyaltyBadgeId: null,
        loyaltyRuleGroupId: 'no-section',
        maxAmountInterval: null,
        maxAmountPerInterval: null,
        mediaUrl: null,
        oauthCredentialsId: null,
        rewardLifetime: null,
        rewardType: 'points',
        showBeforeStart: false,
        subscriptionId: null,
      }),
    ),
  );
  hasFields(
    external,
    ['id', 'name', 'type', 'amount', 'metadata', 'loyaltyCurrencyId'],
    'RuleCreateResponse',
  );
  equal(
    [external.type, external.interval, Number(external.amount)],
    ['external_rule', 'unlimited', 10],
    'external rule',
  );
  const checkIn = await call('rules.create check_in', () =>
    loyalty.rules.create(
      ruleParams(currency.id, {
        name: 'SDK check-in',
        type: 'check_in',
        frequency: 'daily',
        interval: 'daily',
        amount: '5', // RuleCreateParams.amount is unknown; the SDK's own example sends a string
      }),
    ),
  );
  equal([checkIn.type, checkIn.interval, Number(checkIn.amount)], ['check_in', 'daily', 5], 'check-in rule');

  const listed = await call('rules.list loyaltyRuleId[]', () =>
    loyalty.rules.list({ loyaltyRuleId: [external.id, checkIn.id], includeDeleted: null, ...scope }),
  );
  sentRepeated('loyaltyRuleId', [external.id, checkIn.id]);
  equal(ids(listed), [external.id, checkIn.id].sort(), 'rules.list with two loyaltyRuleId');
  const one = await call('rules.list loyaltyRuleId', () => loyalty.rules.list({ loyaltyRuleId: checkIn.id }));
  equal(ids(one), [checkIn.id], 'rules.list with one loyaltyRuleId');

  const updated = await call('rules.update', () =>
    loyalty.rules.update(external.id, {
      amount: 10,
      endTime: null,
      name: 'SDK external (renamed)',
      description: 'Completed by the backend',
    }),
  );
  equal(
    [updated.name, updated.description],
    ['SDK external (renamed)', 'Completed by the backend'],
    'updated rule',
  );

  // Completions: the unlimited rule pays each time; the check-in once a day.
  for (const n of [1, 2]) {
    const done = await call(`rules.complete external #${n}`, () =>
      loyalty.rules.complete(external.id, {
        walletAddress: WALLET,
        idempotencyKey: `sdk-external-${RUN}-${n}`,
      }),
    );
    check(typeof done.message === 'string', 'RuleCompleteResponse has a message', done);
  }
  await call('rules.complete check_in', () => loyalty.rules.complete(checkIn.id, { walletAddress: WALLET }));
  equal(await balanceOf(currency.id, WALLET), 25, 'balance after two completions and a check-in');

  const statuses = await call('rules.getStatus loyaltyRuleId[]', () =>
    loyalty.rules.getStatus({
      loyaltyRuleId: [external.id, checkIn.id],
      walletAddress: WALLET,
      limit: null, // RuleGetStatusParams.limit: number | null, sent as limit=
      ...scope,
    }),
  );
  sentRepeated('loyaltyRuleId', [external.id, checkIn.id]);
  equal(statuses.data.length, 3, 'completion statuses of both rules');
  for (const status of statuses.data) {
    hasFields(status, ['loyaltyRuleId', 'userId'], 'RuleGetStatusResponse.Data');
    equal(status.status, 'completed', `status of ${status.loyaltyRuleId}`);
  }

  // Progress: an external rule tracking progress, with two reward ranges.
  const tracked = await call('rules.create external_rule trackProgress', () =>
    loyalty.rules.create(
      ruleParams(currency.id, {
        name: 'SDK progress',
        interval: 'once',
        amount: 0,
        metadata: {
          trackProgress: true,
          range: [
            { startRange: 50, endRange: 50, amount: 3 },
            { startRange: 100, endRange: 100, amount: 4 },
          ],
        },
      }),
    ),
  );
  equal(tracked.metadata.trackProgress, true, 'progress rule tracks progress');
  for (const [n, expected] of [
    [1, 30],
    [2, 60],
  ]) {
    const status = await call(`ruleStatuses.update incProgress #${n}`, () =>
      loyalty.transactions.ruleStatuses.update({
        loyaltyRuleId: tracked.id,
        walletAddress: WALLET,
        incProgress: 30,
      }),
    );
    hasFields(
      status,
      ['id', 'createdAt', 'loyaltyRuleId', 'organizationId', 'progress', 'updatedAt', 'userId', 'websiteId'],
      'RuleStatusUpdateResponse',
    );
    equal(status.progress, expected, `progress after increment ${n}`);
  }
  const progress = await call('ruleStatuses.list', () =>
    loyalty.transactions.ruleStatuses.list({
      loyaltyRuleId: [tracked.id, external.id],
      walletAddress: [WALLET, NOBODY],
      limit: null,
      ...scope,
    }),
  );
  sentRepeated('walletAddress', [WALLET, NOBODY]);
  equal(
    progress.data.map((s) => [s.loyaltyRuleId, s.progress]),
    [[tracked.id, 60]],
    'listed progress',
  );
  await call('rules.complete progress rule', () =>
    loyalty.rules.complete(tracked.id, { walletAddress: WALLET }),
  );
  equal(await balanceOf(currency.id, WALLET), 28, 'balance after claiming the 50% range');

  // Badges
  const badge = await call('badges.create', () =>
    loyalty.badges.create({
      conditions: [],
      imageUrl: 'https://example.com/badge.png',
      name: 'SDK badge',
      ...scope,
    }),
  );
  hasFields(badge, ['id', 'name', 'imageUrl', 'organizationId', 'websiteId'], 'BadgeCreateResponse');
  const renamed = await call('badges.update', () =>
    loyalty.badges.update(badge.id, { name: 'SDK badge (renamed)' }),
  );
  equal(renamed.name, 'SDK badge (renamed)', 'updated badge');
  const rewarded = await call('badges.reward', () =>
    loyalty.badges.reward(badge.id, { walletAddress: WALLET }),
  );
  equal(rewarded.data.status, 'active', 'rewarded badge');
  const held = await call('badges.list walletAddress[]', () =>
    loyalty.badges.list({
      badgeIds: [badge.id],
      walletAddress: [WALLET, NOBODY],
      includeDeleted: null,
      ...scope,
    }),
  );
  sentRepeated('walletAddress', [WALLET, NOBODY]);
  equal(ids(held), [badge.id], 'badges.list');
  equal(
    held.data[0].loyaltyBadgeUsers.map((h) => h.status),
    ['active'],
    'holdings of the wallet',
  );
  const revoked = await call('badges.revoke', () =>
    loyalty.badges.revoke(badge.id, { walletAddress: WALLET }),
  );
  equal(revoked.data.status, 'revoked', 'revoked badge');
  await call('badges.delete', () => loyalty.badges.delete(badge.id));

  // Multipliers
  const multiplier = await call('multipliers.create', () =>
    loyalty.multipliers.create({
      multiplier: 2,
      walletAddress: OTHER_WALLET,
      externalIdentifier: `sdk-boost-${RUN}`,
      title: 'Boost',
    }),
  );
  hasFields(
    multiplier,
    [
      'id',
      'createdAt',
      'deletedAt',
      'description',
      'externalIdentifier',
      'multiplier',
      'organizationId',
      'title',
      'updatedAt',
      'user',
      'userId',
      'websiteId',
    ],
    'MultiplierCreateResponse',
  );
  equal(multiplier.user.walletAddress.toLowerCase(), OTHER_WALLET, 'multiplier user');
  const raised = await call('multipliers.update', () =>
    loyalty.multipliers.update(multiplier.id, { multiplier: 1.5 }),
  );
  equal(raised.multiplier, 1.5, 'updated multiplier');
  const boosts = await call('multipliers.list walletAddress[]', () =>
    loyalty.multipliers.list({ walletAddress: [OTHER_WALLET, NOBODY], ...scope }),
  );
  sentRepeated('walletAddress', [OTHER_WALLET, NOBODY]);
  equal(ids(boosts), [multiplier.id], 'multipliers.list');
  const gone = await call('multipliers.deleteByExternalId', () =>
    loyalty.multipliers.deleteByExternalId({ externalIdentifier: `sdk-boost-${RUN}` }),
  );
  equal(gone.id, multiplier.id, 'multiplier deleted by external identifier');
  const plain = await call('multipliers.create with nulls', () =>
    loyalty.multipliers.create({
      multiplier: 0.5,
      walletAddress: OTHER_WALLET,
      description: null,
      externalIdentifier: null,
      title: null,
    }),
  );
  const removed = await call('multipliers.delete', () => loyalty.multipliers.delete(plain.id));
  equal(removed.id, plain.id, 'multiplier deleted by id');
  const left = await call('multipliers.list after delete', () =>
    loyalty.multipliers.list({ walletAddress: [OTHER_WALLET] }),
  );
  equal(left.data.length, 0, 'live multipliers after delete');

  // Transactions
  const transaction = await call('transactions.createTransaction', () =>
    loyalty.transactions.createTransaction({
      description: 'SDK grant',
      loyaltyCurrencyId: currency.id,
      entries: [
        { amount: 7, direction: 'credit', walletAddress: OTHER_WALLET, idempotencyKey: `sdk-grant-${RUN}` },
        { amount: 2, direction: 'debit', walletAddress: WALLET, idempotencyKey: `sdk-spend-${RUN}` },
      ],
    }),
  );
  check(typeof transaction.id === 'string', 'TransactionCreateTransactionResponse has an id', transaction);
  const entries = await call('transactions.getTransactionEntries walletAddress[]', () =>
    loyalty.transactions.getTransactionEntries({
      walletAddress: [WALLET, OTHER_WALLET],
      loyaltyCurrencyId: [currency.id],
      loyaltyTransactionId: transaction.id,
      ...scope,
    }),
  );
  sentRepeated('walletAddress', [WALLET, OTHER_WALLET]);
  equal(
    entries.data.map((e) => [e.direction, Number(e.amount), e.idempotencyKey]).sort(),
    [
      ['credit', 7, `sdk-grant-${RUN}`],
      ['debit', 2, `sdk-spend-${RUN}`],
    ],
    'entries of the transaction',
  );
  const ruleEntries = await call('transactions.getTransactionEntries loyaltyRuleId', () =>
    loyalty.transactions.getTransactionEntries({ loyaltyRuleId: external.id, walletAddress: WALLET }),
  );
  equal(
    ruleEntries.data.map((e) => Number(e.amount)),
    [10, 10],
    'entries paid by the external rule',
  );

  // Accounts
  const accounts = await call('accounts.list walletAddress[]', () =>
    loyalty.accounts.list({
      walletAddress: [WALLET, OTHER_WALLET],
      loyaltyCurrencyId: currency.id,
      sortDir: 'desc',
      ...scope,
    }),
  );
  sentRepeated('walletAddress', [WALLET, OTHER_WALLET]);
  for (const account of accounts.data) {
    hasFields(account, ['id', 'loyaltyCurrencyId', 'user', 'userId'], 'AccountListResponse.Data');
  }
  equal(
    accounts.data.map((a) => [a.user.walletAddress.toLowerCase(), Number(a.amount)]),
    [
      [WALLET, 26],
      [OTHER_WALLET, 7],
    ],
    'accounts by balance',
  );
  const rank = await call('accounts.retrieveRank', () =>
    loyalty.accounts.retrieveRank(accounts.data[1].id, { loyaltyCurrencyId: currency.id, ...scope }),
  );
  equal(rank.rank, 2, 'rank of the second account');

  // Rule groups
  const group = await call('ruleGroups.createRuleGroup', () =>
    loyalty.ruleGroups.createRuleGroup({
      name: 'SDK section',
      subTitle: 'First',
      isCollapsible: false,
      ...scope,
    }),
  );
  check(typeof group.id === 'string', 'RuleGroupCreateRuleGroupResponse has an id', group);
  await call('rules.update into the group', () =>
    loyalty.rules.update(checkIn.id, {
      amount: 5,
      endTime: null,
      name: 'SDK check-in',
      loyaltyRuleGroupId: group.id,
    }),
  );
  const groups = await call('ruleGroups.getRuleGroups', () => loyalty.ruleGroups.getRuleGroups(scope));
  const found = groups.data.find((g) => g.id === group.id);
  check(found !== undefined, 'getRuleGroups lacks the group', groups);
  equal(
    found.loyaltyGroupItems.map((item) => item.loyaltyRule.id),
    [checkIn.id],
    'rules of the group',
  );
  const regrouped = await call('ruleGroups.updateRuleGroup', () =>
    loyalty.ruleGroups.updateRuleGroup(group.id, {
      name: 'SDK section (renamed)',
      subtitle: 'Second',
      isCollapsible: true,
    }),
  );
  equal(
    [regrouped.name, regrouped.subTitle, regrouped.isCollapsible],
    ['SDK section (renamed)', 'Second', true],
    'updated group',
  );
  await call('ruleGroups.deleteRuleGroup', () => loyalty.ruleGroups.deleteRuleGroup(group.id));
  const afterDelete = await call('ruleGroups.getRuleGroups after delete', () =>
    loyalty.ruleGroups.getRuleGroups(scope),
  );
  check(!afterDelete.data.some((g) => g.id === group.id), 'deleted group still listed', afterDelete);

  // Rule edits: the external rule was created, then renamed; restoring the creation
  // brings the first name back. (RuleEditListParams types loyaltyRuleId as a boolean,
  // a slip of the SDK: it is the rule's id, which is what is sent here.)
  const edits = await call('ruleEdits.list', () =>
    loyalty.ruleEdits.list({ loyaltyRuleId: external.id, ...scope }),
  );
  equal(
    edits.data.map((e) => e.action),
    ['update', 'create'],
    'edits of the external rule',
  );
  const created = edits.data.find((e) => e.action === 'create');
  await call('ruleEdits.restore', () => loyalty.ruleEdits.restore(created.id, {}));
  const restored = await call('rules.list after restore', () =>
    loyalty.rules.list({ loyaltyRuleId: [external.id] }),
  );
  equal(
    restored.data.map((r) => r.name),
    ['SDK external'],
    'name after restoring the creation',
  );

  // Deleting a rule with debitLoyaltyPoints takes back the 20 points it paid.
  const deleted = await call('rules.delete debitLoyaltyPoints', () =>
    loyalty.rules.delete(external.id, { debitLoyaltyPoints: 'true' }),
  );
  equal(deleted.id, external.id, 'deleted rule');
  check(typeof deleted.deletedAt === 'string', 'RuleDeleteResponse has deletedAt', deleted);
  equal(await balanceOf(currency.id, WALLET), 6, 'balance after deleting the rule with its points');
  await call('rules.delete', () => loyalty.rules.delete(checkIn.id));
  const remaining = await call('rules.list after delete', () =>
    loyalty.rules.list({ loyaltyRuleId: [external.id, checkIn.id, tracked.id] }),
  );
  equal(ids(remaining), [tracked.id], 'live rules after the deletes');

  return { ok: true, calls: steps.length, steps, skipped };
}

try {
  console.log(JSON.stringify(await main(), null, 2));
} catch (error) {
  console.error(`SDK smoke test failed after ${steps.length} successful calls`);
  console.error(error instanceof Error ? error.message : error);
  if (!(error instanceof Mismatch) && !(error.cause instanceof APIError)) console.error(error);
  process.exitCode = 1;
}
