#!/usr/bin/env node
// Acceptance test of Roster's Chatwoot faces with the real n8n node:
// @devlikeapro/n8n-nodes-chatwoot runs inside a headless n8n (both pinned in
// ../package.json) against a Roster started here on loopback. The workflow
// (workflow.json) runs every Users, Accounts, Account Users, Agents, Teams,
// Custom Attributes, Webhooks and Profile operation once; this script then
// checks each node's answer and the resulting state through Roster's own API.
//
//   ROSTER_TEST_POSTGRES_DSN=postgres://… ROSTER_BIN=/path/to/roster node chatwoot/run.js
//   (from integrations/n8n-host, after npm ci)
//
// With ROSTER_TEST_POSTGRES_DSN n8n keeps its data in a throwaway schema of
// that database; without it n8n uses SQLite, which needs `npm run native`.
// Without ROSTER_BIN the script builds Roster with `go build`.
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');

const host = path.resolve(__dirname, '..');
const repo = path.resolve(host, '../..');
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[chatwoot-n8n ${elapsed()}] ${msg}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`roster exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('roster did not become ready');
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roster-chatwoot-n8n-'));
  let roster, pgClient, n8nSchema;
  try {
    let bin = process.env.ROSTER_BIN;
    if (!bin) {
      bin = path.join(tmp, 'roster');
      log('building roster');
      execFileSync('go', ['build', '-o', bin, './cmd/roster'], { cwd: repo, stdio: 'inherit' });
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const rosterEnv = { ...process.env, ROSTER_DATA_DIR: path.join(tmp, 'roster'), ROSTER_PUBLIC_URL: url, ROSTER_LOG_LEVEL: 'warn' };
    const cli = (...args) => execFileSync(bin, args, { env: rosterEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

    // Keys made with the CLI, as an operator would: a workspace key for the
    // Users and account-level operations, a platform key for Accounts and
    // Account Users.
    cli('workspaces', 'create', 'n8n');
    const workspaceKey = cli('keys', 'create', '--workspace', 'n8n', '--scopes', 'all', '--name', 'n8n chatwoot node');
    const platformKey = cli('keys', 'create', '--platform', '--name', 'n8n chatwoot node');
    roster = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`], { env: rosterEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    await waitReady(url, roster);
    log(`roster serving at ${url}`);

    // The node's credential test: GET {url}/api without a token.
    const status = await fetch(`${url}/api`);
    assert.equal(status.status, 200, 'credential test GET /api');
    assert.equal((await status.json()).data_services, 'ok');

    // Headless n8n with the node loaded from its installed package.
    const userFolder = path.join(tmp, 'n8n');
    fs.mkdirSync(userFolder);
    const nodePackage = path.dirname(require.resolve('@devlikeapro/n8n-nodes-chatwoot/package.json', { paths: [host] }));
    const n8nEnv = {
      ...process.env,
      N8N_USER_FOLDER: userFolder,
      N8N_ENCRYPTION_KEY: 'roster-chatwoot-acceptance-test',
      N8N_CUSTOM_EXTENSIONS: path.join(nodePackage, 'dist'),
      // isolated-vm is not built (see ../.npmrc): the legacy expression engine
      // needs no native module.
      N8N_EXPRESSION_ENGINE: 'legacy',
      N8N_RUNNERS_ENABLED: 'false',
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_LOG_LEVEL: 'warn',
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
      DB_SQLITE_POOL_SIZE: '0',
    };
    // On PostgreSQL (as in CI) n8n needs no native module at all; its SQLite
    // default needs `npm run native` first (builds sqlite3 from source).
    const dsn = process.env.ROSTER_TEST_POSTGRES_DSN;
    if (dsn) {
      const pg = require(require.resolve('pg', { paths: [require.resolve('n8n/package.json', { paths: [host] })] }));
      const u = new URL(dsn);
      n8nSchema = `n8n_chatwoot_${process.pid}_${Date.now()}`;
      pgClient = new pg.Client({ connectionString: dsn });
      await pgClient.connect();
      await pgClient.query(`CREATE SCHEMA ${n8nSchema}`);
      Object.assign(n8nEnv, {
        DB_TYPE: 'postgresdb',
        DB_POSTGRESDB_HOST: u.hostname,
        DB_POSTGRESDB_PORT: u.port || '5432',
        DB_POSTGRESDB_DATABASE: decodeURIComponent(u.pathname.slice(1)),
        DB_POSTGRESDB_USER: decodeURIComponent(u.username),
        DB_POSTGRESDB_PASSWORD: decodeURIComponent(u.password),
        DB_POSTGRESDB_SCHEMA: n8nSchema,
      });
      log(`n8n on PostgreSQL, schema ${n8nSchema}`);
    }
    const n8nBin = require.resolve('n8n/bin/n8n', { paths: [host] });
    const n8n = (...args) => execFileSync(process.execPath, [n8nBin, ...args], {
      // execute prints its result at info level.
      env: args[0] === 'execute' ? { ...n8nEnv, N8N_LOG_LEVEL: 'info' } : n8nEnv, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });

    const creds = [
      { id: 'rosterWorkspace1', name: 'Roster workspace key', type: 'chatwootApi', data: { url, accessToken: workspaceKey } },
      { id: 'rosterPlatform01', name: 'Roster platform key', type: 'chatwootApi', data: { url, accessToken: platformKey } },
    ];
    fs.writeFileSync(path.join(tmp, 'creds.json'), JSON.stringify(creds));
    n8n('import:credentials', `--input=${path.join(tmp, 'creds.json')}`);
    const workflowFile = path.join(__dirname, 'workflow.json');
    n8n('import:workflow', `--input=${workflowFile}`);
    log('workflow imported; executing');
    const out = n8n('execute', '--id=rosterChatwoot01', '--rawOutput');
    log('workflow executed');

    const start = out.search(/^\{/m);
    assert.ok(start >= 0, `no JSON in n8n's output:\n${out}`);
    const run = JSON.parse(out.slice(start));
    const runData = run.data.resultData.runData;
    const workflow = JSON.parse(fs.readFileSync(workflowFile, 'utf8'));
    const json = (node) => {
      const items = runData[node]?.[0]?.data?.main?.[0] ?? [];
      return items.map((i) => i.json);
    };
    for (const node of workflow.nodes) {
      assert.ok(runData[node.name], `node "${node.name}" did not run`);
      assert.equal(runData[node.name][0].error, undefined, `node "${node.name}" failed`);
    }
    log(`${workflow.nodes.length - 1} Chatwoot operations ran`);

    // Each node's answer.
    const first = (node) => json(node)[0];
    const profile = first('Fetch Profile');
    const ada = first('Create User');
    assert.equal(ada.name, 'Ada Lovelace');
    assert.equal(ada.custom_attributes.plan, 'pro');
    assert.ok(ada.created_at > 0, 'created_at');
    assert.equal(first('Get User').email, 'ada.n8n@example.com');
    assert.equal(first('Update User').name, 'Ada King');
    assert.ok(first('Get SSO URL').url.startsWith(`${url}/sso/login/`), 'sign-in URL');
    assert.deepEqual(first('Delete Temp User'), { id: first('Create Temp User').id, deleted: true });
    assert.equal(first('Update Account').name, 'n8n-account-renamed');
    assert.equal(first('Get Account').id, first('Create Account').id);
    assert.equal(first('Delete Account').deleted, true);
    assert.equal(first('Create Account User').role, 'administrator');
    assert.equal(first('Create Account User').account_id, profile.account_id);
    assert.ok(json('List Account Users').some((u) => u.user_id === ada.id), 'account users list Ada');
    const grace = first('Add Agent');
    assert.equal(grace.role, 'agent');
    assert.ok(json('List Agents').some((a) => a.id === grace.id), 'agents list Grace');
    assert.equal(first('Update Agent').role, 'administrator');
    assert.equal(first('Get Team').name, 'Support');
    assert.equal(first('Update Team').name, 'Support EU');
    assert.ok(json('List Teams').length >= 2, 'teams listed');
    assert.deepEqual(json('Get Team Members').map((m) => m.id), [ada.id]);
    assert.equal(first('Create Attribute').attribute_display_type, 'list');
    assert.ok(json('List Attributes').some((d) => d.attribute_key === 'tier'), 'attributes list tier');
    assert.equal(first('Get Attribute').attribute_key, 'tier');
    assert.deepEqual(first('Update Attribute').attribute_values, ['gold', 'silver', 'bronze']);
    const hook = first('Create Webhook').payload.webhook;
    assert.ok(hook.secret.startsWith('whsec_'), 'webhook secret shown once');
    assert.equal(first('List Webhooks').payload.webhooks.length, 2);
    assert.deepEqual(first('Update Webhook').payload.webhook.subscriptions, ['user.created', 'user.updated']);
    assert.equal(first('Delete Agent').deleted, true);

    // The resulting state, through Roster's own API.
    const api = async (key, method, p) => {
      const res = await fetch(url + p, { method, headers: { 'X-API-KEY': key } });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    const expect = async (key, p, status) => {
      const r = await api(key, 'GET', p);
      assert.equal(r.status, status, `GET ${p}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const me = await expect(workspaceKey, '/api/v1/me', 200);
    assert.equal(profile.account_id, me.workspaceId);
    const adaNow = await expect(workspaceKey, `/api/v1/users/${ada.id}`, 200);
    assert.equal(adaNow.name, 'Ada King', 'renamed');
    assert.equal(adaNow.email, 'ada.n8n@example.com', 'blank email kept the email');
    assert.equal(adaNow.hasPassword, true, 'blank password kept the password');
    assert.equal(adaNow.customAttributes.plan, 'pro', 'empty attributes kept the attributes');
    assert.equal(adaNow.roleAlias, 'learner', 'account user removed');
    await expect(workspaceKey, `/api/v1/users/${first('Create Temp User').id}`, 404);
    const graceNow = await expect(workspaceKey, `/api/v1/users/${grace.id}`, 200);
    assert.equal(graceNow.roleAlias, 'learner', 'agent removed, person kept');
    const team = await expect(workspaceKey, `/api/v1/groups/${first('Create Team').id}`, 200);
    assert.equal(team.name, 'Support EU');
    assert.equal(team.description, 'Front line', 'blank description kept');
    const members = await expect(workspaceKey, `/api/v1/groups/${team.id}/users`, 200);
    assert.deepEqual(members.users.map((u) => u.id), [ada.id]);
    await expect(workspaceKey, `/api/v1/groups/${first('Create Temp Team').id}`, 404);
    const defs = await expect(workspaceKey, '/api/v1/custom/attributes/users', 200);
    assert.deepEqual(defs.map((d) => [d.key, d.name, d.options]), [['tier', 'Customer tier', ['gold', 'silver', 'bronze']]]);
    const endpoint = await expect(workspaceKey, `/api/v1/webhooks/${hook.id}`, 200);
    assert.deepEqual(endpoint.eventTypes, ['user.created', 'user.updated']);
    await expect(workspaceKey, `/api/v1/webhooks/${first('Create Temp Webhook').payload.webhook.id}`, 404);
    const acct = await fetch(`${url}/platform/api/v1/accounts/${first('Create Account').id}`, { headers: { api_access_token: platformKey } });
    assert.equal(acct.status, 404, 'account deleted');
    log('OK: every node answered as expected and Roster holds the results');
  } finally {
    if (roster && roster.exitCode === null) {
      roster.kill('SIGTERM');
      await new Promise((r) => roster.once('exit', r));
    }
    if (pgClient) {
      await pgClient.query(`DROP SCHEMA IF EXISTS ${n8nSchema} CASCADE`);
      await pgClient.end();
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
