'use strict';

// The Zapier app run by zapier-platform-core's app tester against a real
// Roster on loopback: authentication, every action and search, and the REST
// hook and polling sides of the triggers.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zapier = require('zapier-platform-core');

const App = require('../index');
const { startRoster, startReceiver } = require('./roster');

const appTester = zapier.createAppTester(App);
zapier.tools.env.inject();

describe('Roster Zapier app', () => {
  let roster;
  let receiver;
  let authData;
  const ids = {};

  before(async () => {
    roster = await startRoster();
    receiver = await startReceiver();
    authData = { baseUrl: roster.baseUrl, apiKey: roster.key };
  });

  after(() => {
    receiver && receiver.close();
    roster && roster.stop();
  });

  it('tests the connection with the key', async () => {
    const me = await appTester(App.authentication.test, { authData });
    assert.equal(me.workspaceName, 'default');
    assert.ok(me.scopes.includes('users.write'));
    await assert.rejects(appTester(App.authentication.test, { authData: { ...authData, apiKey: 'rk_wrong' } }), /invalid API key/i);
  });

  it('creates a user, and finds them by email', async () => {
    const user = await appTester(App.creates.create_user.operation.perform, {
      authData,
      inputData: { name: 'Ada Lovelace', email: 'Ada@Example.com', timezone: 'Europe/London', customAttributes: { department: 'R&D' } },
    });
    assert.match(user.id, /^[a-z0-9]{16}$/);
    assert.equal(user.customAttributes.department, 'R&D');
    ids.user = user.id;
    const found = await appTester(App.searches.find_user.operation.perform, { authData, inputData: { email: 'ada@example.com' } });
    assert.equal(found.length, 1);
    assert.equal(found[0].id, user.id);
    const none = await appTester(App.searches.find_user.operation.perform, { authData, inputData: { email: 'nobody@example.com' } });
    assert.deepEqual(none, []);
  });

  it('reports refused input with the field', async () => {
    await assert.rejects(
      appTester(App.creates.create_user.operation.perform, { authData, inputData: { name: 'X', email: 'not-an-email' } }),
      /email: must be a valid email address/,
    );
  });

  it('updates a user, merging custom attributes', async () => {
    const user = await appTester(App.creates.update_user.operation.perform, {
      authData,
      inputData: { id: ids.user, occupation: 'Mathematician', customAttributes: { floor: '3' } },
    });
    assert.equal(user.occupation, 'Mathematician');
    assert.equal(user.name, 'Ada Lovelace');
    assert.deepEqual(user.customAttributes, { department: 'R&D', floor: '3' });
  });

  it('creates a group and adds the user to it', async () => {
    const group = await appTester(App.creates.create_group.operation.perform, { authData, inputData: { name: 'Engineering' } });
    assert.equal(typeof group.id, 'number');
    ids.group = group.id;
    const listed = await appTester(App.triggers.group_list.operation.perform, { authData, meta: { page: 0 } });
    assert.ok(listed.some((g) => g.id === group.id));
    await appTester(App.creates.add_user_to_group.operation.perform, { authData, inputData: { userId: ids.user, groupId: String(group.id) } });
    // Adding again is not an error.
    await appTester(App.creates.add_user_to_group.operation.perform, { authData, inputData: { userId: ids.user, groupId: String(group.id) } });
  });

  it('imports courses and assigns one', async () => {
    const out = await appTester(App.creates.import_courses.operation.perform, {
      authData,
      inputData: { courses: [{ courseId: 'SEC-101', title: 'Security basics', category: 'Compliance' }, { courseId: 'ONB-1', title: 'Welcome' }] },
    });
    assert.equal(out.results.length, 2);
    assert.ok(out.results.every((r) => r.status === 'created'));
    ids.course = out.results[0].id;
    const courses = await appTester(App.triggers.course_list.operation.perform, { authData, meta: { page: 0 } });
    assert.ok(courses.some((c) => c.id === ids.course));
    await appTester(App.creates.assign_course.operation.perform, {
      authData,
      inputData: { courseId: String(ids.course), groups: [String(ids.group)], deadlineAt: '2030-01-31T12:00:00Z' },
    });
    const second = out.results[1].id;
    await appTester(App.creates.assign_course.operation.perform, {
      authData,
      inputData: { courseId: String(second), users: [ids.user], deadlineAt: '2030-01-31T12:00:00Z' },
    });
    const enrolled = await appTester(App.triggers.course_assigned.operation.performList, { authData });
    assert.ok(enrolled.length >= 1, 'an enrollment.created event for the direct assignment');
  });

  it('delivers New User through a REST hook, and lists it for samples', async () => {
    const subscribeData = await appTester(App.triggers.new_user.operation.performSubscribe, { authData, targetUrl: receiver.url });
    assert.ok(subscribeData.id);
    const user = await appTester(App.creates.create_user.operation.perform, {
      authData,
      inputData: { name: 'Grace Hopper', email: 'grace@example.com' },
    });
    const delivery = await receiver.waitFor((d) => d.body && d.body.id === user.id);
    assert.equal(delivery.body.email, 'grace@example.com', 'the payload is the user itself');
    assert.ok(delivery.headers['webhook-signature'], 'deliveries are signed');
    const triggered = await appTester(App.triggers.new_user.operation.perform, { authData, cleanedRequest: delivery.body });
    assert.deepEqual(triggered, [delivery.body]);
    const samples = await appTester(App.triggers.new_user.operation.performList, { authData });
    assert.equal(samples[0].id, user.id, 'newest first');
    await appTester(App.triggers.new_user.operation.performUnsubscribe, { authData, subscribeData, targetUrl: receiver.url });
    // Unsubscribing twice is fine, as Zapier may retry it.
    await appTester(App.triggers.new_user.operation.performUnsubscribe, { authData, subscribeData, targetUrl: receiver.url });
  });

  it('gives every update of a user its own trigger id', async () => {
    for (const occupation of ['One', 'Two']) {
      await appTester(App.creates.update_user.operation.perform, { authData, inputData: { id: ids.user, occupation } });
    }
    const updates = await appTester(App.triggers.updated_user.operation.performList, { authData });
    const mine = updates.filter((u) => u.id.startsWith(`${ids.user}-`));
    assert.ok(mine.length >= 2);
    assert.equal(new Set(mine.map((u) => u.id)).size, mine.length);
  });

  it('lists User Added to Group', async () => {
    const items = await appTester(App.triggers.user_added_to_group.operation.performList, { authData });
    assert.ok(items.length >= 1);
  });
});
