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
// Wallets of this run only, for the user-completed rule types (streaks, answers, referrals).
const RUN_HEX = Date.now().toString(16).padStart(12, '0');
const freshWallet = (n) => `0x${RUN_HEX}${n.toString(16).padStart(28, '0')}`;

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
    call: 'questionsResponses.submit({ loyaltyQuestionChoiceId }) without userId',
    problem:
      'QuestionsResponseSubmitParams.userId is optional (Snag answers for the signed-in user); ' +
      'a server key has no user of its own, so the API requires userId (400 validation_error)',
  },
  {
    call: 'referral.createCode({ loyaltyRuleId }) without userId',
    problem:
      'ReferralCreateCodeParams.userId is optional (Snag makes the code of the signed-in user); ' +
      'a server key has no user of its own, so the API requires userId (400 validation_error)',
  },
  {
    call: "rules.create({ type: 'Bonus', ... }) and the other RuleCreateParams.type values outside seed 001",
    problem:
      'refused with 400 "unknown or unsupported rule type" (docs/decisions.md: types outside ' +
      'seed 001 are refused); this walk-through uses external_rule, check_in, quiz ' +
      'and referred_user',
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

/** Runs one SDK call the API must refuse: the SDK's APIError with this status and code. */
async function refused(label, status, code, run) {
  lastRequest = null;
  try {
    const result = await run();
    throw new Mismatch(
      `${label}: expected HTTP ${status} ${code}, the call succeeded: ${JSON.stringify(result)}` +
        `\nlast request: ${JSON.stringify(lastRequest)}`,
    );
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    equal([error.status, error.error?.code], [status, code], `${label}: the refusal`);
    steps.push(label);
    return error;
  }
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

  // Rule types the user completes: check-ins with streaks, quizzes, referrals.
  const quests = await call('currencies.create (user-completed rules)', () =>
    loyalty.currencies.create({ decimals: 0, name: 'SDK Quest Points', symbol: 'SDKQ', ...scope }),
  );
  await streaks(quests.id);
  await quiz(quests.id);
  await referrals(quests.id);

  return { ok: true, calls: steps.length, steps, skipped };
}

/** A user of this run, saved through users.metadatas: its id. */
async function userOf(wallet, label) {
  const saved = await call(`users.metadatas.create ${label}`, () =>
    client.users.metadatas.create({ walletAddress: wallet, websiteId: WEBSITE_ID }),
  );
  hasFields(saved, ['id', 'createdAt', 'organizationId', 'user'], 'MetadataCreateResponse');
  equal(saved.user.walletAddress.toLowerCase(), wallet, `saved user ${label}`);
  return saved.user.id;
}

const STREAK_FIELDS = [
  'createdAt',
  'expiresAt',
  'loyaltyRuleId',
  'milestone',
  'streakCount',
  'updatedAt',
  'userId',
  'walletAddress',
];

/** A daily check-in with streaks: one check-in makes a streak of 1 and pays its milestone. */
async function streaks(currencyId) {
  const loyalty = client.loyalty;
  const wallet = freshWallet(1);
  const rule = await call('rules.create check_in enableStreaks', () =>
    loyalty.rules.create(
      ruleParams(currencyId, {
        name: 'SDK streaks',
        type: 'check_in',
        frequency: 'daily',
        interval: 'daily',
        amount: 5,
        metadata: { enableStreaks: true, streakArray: [{ streakMilestone: 1, streakAmount: 3 }] },
      }),
    ),
  );
  equal(
    [rule.metadata.enableStreaks, rule.metadata.streakArray],
    [true, [{ streakMilestone: 1, streakAmount: 3 }]],
    'streak metadata of the check-in rule',
  );
  // A user the website does not know has no items; a known one without a streak, an empty one.
  const unknown = await call('accountStreaks.getStreaks unknown wallet', () =>
    loyalty.accountStreaks.getStreaks({ loyaltyRuleId: rule.id, walletAddress: wallet, ...scope }),
  );
  equal(unknown, [], 'streaks of a wallet the website does not know');
  const userId = await userOf(wallet, 'checking in');
  const before = await call('accountStreaks.getStreaks before checking in', () =>
    loyalty.accountStreaks.getStreaks({ loyaltyRuleId: rule.id, walletAddress: wallet, ...scope }),
  );
  equal(
    before.map((s) => [s.loyaltyRuleId, s.userId, s.streakCount, s.milestone, s.createdAt, s.expiresAt]),
    [[rule.id, userId, 0, [], null, null]],
    'an empty streak before the first check-in',
  );
  hasFields(before[0], STREAK_FIELDS, 'AccountStreakGetStreaksResponseItem (no streak)');
  const done = await call('rules.complete check_in with streaks', () =>
    loyalty.rules.complete(rule.id, { walletAddress: wallet, idempotencyKey: `sdk-streak-${RUN}` }),
  );
  check(typeof done.message === 'string', 'RuleCompleteResponse has a message', done);
  equal(await balanceOf(currencyId, wallet), 8, 'check-in and its 1-day milestone');

  const streak = await call('accountStreaks.getStreaks loyaltyRuleId[]', () =>
    loyalty.accountStreaks.getStreaks({ loyaltyRuleId: [rule.id], walletAddress: wallet, ...scope }),
  );
  sentRepeated('loyaltyRuleId', [rule.id]);
  check(Array.isArray(streak), 'AccountStreakGetStreaksResponse is an array', streak);
  equal(streak.length, 1, 'streaks of the wallet on one rule');
  const [item] = streak;
  hasFields(item, STREAK_FIELDS, 'AccountStreakGetStreaksResponseItem');
  equal(
    [item.loyaltyRuleId, item.userId, item.streakCount, item.walletAddress.toLowerCase()],
    [rule.id, userId, 1, wallet],
    'streak after one check-in',
  );
  equal(item.milestone, [{ streakAmount: 3, streakMilestone: 1 }], 'milestones reached');
  check(typeof item.id === 'string', 'a live streak has an id', item);
  for (const name of ['createdAt', 'expiresAt', 'updatedAt']) {
    check(!Number.isNaN(Date.parse(item[name])), `streak ${name} is a date`, item);
  }
  check(Date.parse(item.expiresAt) > Date.now(), 'the streak expires in the future', item);

  // Without a user: every user's streaks on the rule, found again by the user's id.
  const every = await call('accountStreaks.getStreaks every user', () =>
    loyalty.accountStreaks.getStreaks({ loyaltyRuleId: rule.id, limit: 10 }),
  );
  equal(
    every.map((s) => [s.userId, s.streakCount]),
    [[userId, 1]],
    'every streak on the rule',
  );
  const byId = await call('accountStreaks.getStreaks userId', () =>
    loyalty.accountStreaks.getStreaks({ loyaltyRuleId: rule.id, userId }),
  );
  equal(byId.map((s) => s.id), [item.id], 'streak by user id');
}

/** A quiz whose question is set through the questions API: a wrong answer is refused and
 * kept, the right one pays (allowMultipleAttempts); responses are recorded and listed. */
async function quiz(currencyId) {
  const loyalty = client.loyalty;
  const wallet = freshWallet(2);
  const other = freshWallet(3);
  const rule = await call('rules.create quiz', () =>
    loyalty.rules.create(
      ruleParams(currencyId, { name: 'SDK quiz', type: 'quiz', interval: 'once', amount: 4 }),
    ),
  );
  equal(rule.type, 'quiz', 'quiz rule');
  const question = await call('questions.create', () =>
    loyalty.questions.create({
      loyaltyRuleId: rule.id,
      questionText: 'Which chain settles in 12 seconds?',
      allowMultipleAttempts: true,
      loyaltyQuestionAnswers: [
        { isCorrect: true, sortIdentifier: 1, text: 'Ethereum' },
        { isCorrect: false, sortIdentifier: 2, text: 'Bitcoin' },
      ],
    }),
  );
  hasFields(question, ['id', 'loyaltyQuestionChoices', 'text'], 'QuestionCreateResponse');
  for (const choice of question.loyaltyQuestionChoices) {
    hasFields(choice, ['id', 'sortIdentifier', 'text'], 'QuestionCreateResponse.LoyaltyQuestionChoice');
  }
  const listed = await call('questions.list loyaltyRuleIds[]', () =>
    loyalty.questions.list({ loyaltyRuleIds: [rule.id], ...scope }),
  );
  sentRepeated('loyaltyRuleIds', [rule.id]);
  equal(ids(listed), [question.id], 'questions of the quiz rule');
  const [found] = listed.data;
  hasFields(found, ['id', 'loyaltyQuestionChoices', 'text'], 'QuestionListResponse.Data');
  equal(
    found.loyaltyQuestionChoices.map((c) => [c.sortIdentifier, c.text]),
    [
      [1, 'Ethereum'],
      [2, 'Bitcoin'],
    ],
    'listed choices',
  );
  const choice = Object.fromEntries(found.loyaltyQuestionChoices.map((c) => [c.text, c.id]));
  const answerer = await userOf(wallet, 'quiz answerer');

  await refused('rules.complete quiz wrong answer (422 incorrect_answer)', 422, 'incorrect_answer', () =>
    loyalty.rules.complete(rule.id, { walletAddress: wallet, loyaltyQuestionChoiceId: choice.Bitcoin }),
  );
  equal(await balanceOf(currencyId, wallet), 0, 'balance after the wrong answer');
  const right = await call('rules.complete quiz right answer', () =>
    loyalty.rules.complete(rule.id, { walletAddress: wallet, loyaltyQuestionChoiceId: choice.Ethereum }),
  );
  check(typeof right.message === 'string', 'RuleCompleteResponse has a message', right);
  equal(await balanceOf(currencyId, wallet), 4, 'balance after the right answer');

  // The update keeps both choices by id (their responses with them) and renames one.
  const updated = await call('questions.update', () =>
    loyalty.questions.update(question.id, {
      questionText: 'Which chain has 12-second slots?',
      loyaltyQuestionAnswers: [
        { id: choice.Ethereum, isCorrect: true, sortIdentifier: 1, text: 'Ethereum' },
        { id: choice.Bitcoin, isCorrect: false, sortIdentifier: 2, text: 'Bitcoin (PoW)' },
      ],
    }),
  );
  hasFields(updated, ['id', 'loyaltyQuestionChoices', 'text'], 'QuestionUpdateResponse');
  equal(
    [updated.id, updated.text, updated.loyaltyQuestionChoices.map((c) => [c.id, c.text])],
    [
      question.id,
      'Which chain has 12-second slots?',
      [
        [choice.Ethereum, 'Ethereum'],
        [choice.Bitcoin, 'Bitcoin (PoW)'],
      ],
    ],
    'updated question',
  );

  const otherId = await userOf(other, 'quiz respondent');
  const submitted = await call('questionsResponses.submit', () =>
    loyalty.questionsResponses.submit({
      loyaltyQuestionChoiceId: choice.Bitcoin,
      userId: otherId,
      ...scope,
    }),
  );
  hasFields(
    submitted,
    ['alreadySubmitted', 'isCorrect', 'response'],
    'QuestionsResponseSubmitResponse',
  );
  hasFields(
    submitted.response,
    ['id', 'loyaltyQuestionChoiceId', 'loyaltyQuestionId', 'userId'],
    'QuestionsResponseSubmitResponse.Response',
  );
  equal(
    [
      submitted.alreadySubmitted,
      submitted.isCorrect,
      submitted.response.loyaltyQuestionId,
      submitted.response.loyaltyQuestionChoiceId,
      submitted.response.userId,
    ],
    [false, false, question.id, choice.Bitcoin, otherId],
    'submitted response',
  );
  equal(await balanceOf(currencyId, other), 0, 'a response alone pays nothing');

  const all = await call('questionsResponses.list questionsId[]', () =>
    loyalty.questionsResponses.list({ questionsId: [question.id], ...scope }),
  );
  sentRepeated('questionsId', [question.id]);
  for (const response of all.data) {
    hasFields(
      response,
      [
        'id',
        'createdAt',
        'isCorrect',
        'loyaltyQuestionChoiceId',
        'loyaltyQuestionId',
        'question',
        'userId',
      ],
      'QuestionsResponseListResponse.Data',
    );
    hasFields(
      response.question,
      ['loyaltyQuestionChoices', 'text'],
      'QuestionsResponseListResponse.Question',
    );
    for (const listedChoice of response.question.loyaltyQuestionChoices) {
      hasFields(listedChoice, ['id', 'isCorrect', 'text'], 'QuestionsResponseListResponse.Choice');
    }
  }
  // Both answers of the completions (the wrong one kept) and the response on its own.
  equal(
    all.data.map((r) => [r.userId, r.loyaltyQuestionChoiceId, r.isCorrect]),
    [
      [answerer, choice.Bitcoin, false],
      [answerer, choice.Ethereum, true],
      [otherId, choice.Bitcoin, false],
    ],
    'responses to the question',
  );
  equal(
    all.data[0].question.text,
    'Which chain has 12-second slots?',
    'responses show the current question',
  );
  const mine = await call('questionsResponses.list userId', () =>
    loyalty.questionsResponses.list({ userId: otherId, questionsId: question.id }),
  );
  equal(mine.data.map((r) => r.id), [submitted.response.id], 'responses of one user');
}

/** A referred_user rule: the referrer's code (create-or-get), a referral, both rewards. */
async function referrals(currencyId) {
  const loyalty = client.loyalty;
  const referrerWallet = freshWallet(4);
  const refereeWallet = freshWallet(5);
  const rule = await call('rules.create referred_user', () =>
    loyalty.rules.create(
      ruleParams(currencyId, {
        name: 'SDK referral',
        type: 'referred_user',
        interval: 'once',
        amount: 10,
        metadata: { referrerReward: 25 },
      }),
    ),
  );
  equal([rule.type, rule.metadata.referrerReward], ['referred_user', 25], 'referral rule');
  const referrer = await userOf(referrerWallet, 'referrer');
  const referee = await userOf(refereeWallet, 'referee');

  const code = await call('referral.createCode', () =>
    client.referral.createCode({ loyaltyRuleId: rule.id, userId: referrer, ...scope }),
  );
  hasFields(
    code,
    ['id', 'createdAt', 'deletedAt', 'organizationId', 'referralCode', 'updatedAt', 'userId', 'websiteId'],
    'ReferralCreateCodeResponse',
  );
  equal([code.userId, code.websiteId, code.deletedAt], [referrer, WEBSITE_ID, null], 'referral code');
  const again = await call('referral.createCode again', () =>
    client.referral.createCode({ loyaltyRuleId: rule.id, userId: referrer }),
  );
  equal([again.id, again.referralCode], [code.id, code.referralCode], 'the same code the second time');

  const referred = await call('referral.users.create', () =>
    client.referral.users.create({ userIds: [referee], referralCode: code.referralCode }),
  );
  check(typeof referred.message === 'string', 'UserCreateResponse has a message', referred);
  equal(await balanceOf(currencyId, refereeWallet), 10, 'the referee earns the rule amount');
  equal(await balanceOf(currencyId, referrerWallet), 25, 'the referrer earns metadata.referrerReward');

  const listed = await call('referral.users.list walletAddress[]', () =>
    client.referral.users.list({
      loyaltyRuleId: rule.id,
      walletAddress: [referrerWallet, NOBODY],
      limit: 10,
      ...scope,
    }),
  );
  sentRepeated('walletAddress', [referrerWallet, NOBODY]);
  equal(listed.data.length, 1, 'referrals of the referrer');
  const [referral] = listed.data;
  hasFields(
    referral,
    ['id', 'amount', 'referralCode', 'tier1Amount', 'tier2Amount', 'user'],
    'ReferralUserListResponse.Data',
  );
  hasFields(
    referral.referralCode,
    ['id', 'createdAt', 'deletedAt', 'referralCode', 'updatedAt', 'userId'],
    'ReferralUserListResponse.Data.ReferralCode',
  );
  hasFields(referral.user, ['id', 'walletAddress'], 'ReferralUserListResponse.Data.User');
  equal(
    [
      referral.user.id,
      referral.user.walletAddress.toLowerCase(),
      referral.referralCode.id,
      referral.referralCode.userId,
      referral.amount,
      referral.tier1Amount,
      referral.tier2Amount,
      referral.eligible,
    ],
    [referee, refereeWallet, code.id, referrer, 25, 0, 0, true],
    'the listed referral',
  );

  const users = await call('users.list walletAddress (referrers)', () =>
    client.users.list({ walletAddress: refereeWallet, ...scope }),
  );
  equal(ids(users), [referee], 'users.list of the referee');
  const [user] = users.data;
  hasFields(user, ['id', 'isSnagSuperAdmin', 'walletAddress'], 'UserListResponse.Data');
  check(Array.isArray(user.referrers), 'the referee lists referrers', user);
  equal(user.referrers.length, 1, 'referrers of the referee');
  const [by] = user.referrers;
  hasFields(by, ['eligible', 'referralCode', 'user'], 'UserListResponse.Data.Referrer');
  hasFields(by.referralCode.user, ['id', 'walletAddress'], 'Referrer.ReferralCode.User');
  equal(
    [by.eligible, by.referralCode.user.id, by.referralCode.user.walletAddress.toLowerCase(), by.user.id],
    [true, referrer, referrerWallet, referee],
    'the referee\'s referrer',
  );
  const both = await call('users.list userId[]', () =>
    client.users.list({ userId: [referrer, referee], includeDelegation: null, ...scope }),
  );
  sentRepeated('userId', [referrer, referee]);
  equal(ids(both), [referrer, referee].sort(), 'users.list with two userId');
  equal(
    both.data.find((u) => u.id === referrer).referrers ?? [],
    [],
    'the referrer was referred by nobody',
  );
}

try {
  console.log(JSON.stringify(await main(), null, 2));
} catch (error) {
  console.error(`SDK smoke test failed after ${steps.length} successful calls`);
  console.error(error instanceof Error ? error.message : error);
  if (!(error instanceof Mismatch) && !(error.cause instanceof APIError)) console.error(error);
  process.exitCode = 1;
}
