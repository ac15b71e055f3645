'use strict';

const { version: platformVersion } = require('zapier-platform-core');
const { version } = require('./package.json');
const authentication = require('./authentication');
const { addApiKey, raiseProblem } = require('./client');
const events = require('./triggers/events');
const lists = require('./triggers/lists');
const actions = require('./creates/actions');
const findUser = require('./searches/find_user');

const byKey = (items) => Object.fromEntries(items.map((i) => [i.key, i]));

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [raiseProblem],
  triggers: byKey([...Object.values(events), ...Object.values(lists)]),
  creates: byKey(Object.values(actions)),
  searches: byKey([findUser]),
  searchOrCreates: {
    find_user: { key: 'find_user', display: { label: 'Find or Create User', description: 'Finds a user by email, or creates one.' }, search: 'find_user', create: 'create_user' },
  },
};
