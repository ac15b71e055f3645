'use strict';

const { api } = require('../client');

// Find User: an exact, case-insensitive email match. Roster answers a list,
// empty when nobody has the address, which Zapier reads as "not found".
module.exports = {
  key: 'find_user',
  noun: 'User',
  display: { label: 'Find User', description: 'Finds a user by email address.' },
  operation: {
    inputFields: [{ key: 'email', label: 'Email', required: true, type: 'string' }],
    perform: async (z, bundle) => {
      const response = await z.request({ url: api(bundle, '/users'), params: { email: bundle.inputData.email, limit: 1 } });
      return response.data.users;
    },
    sample: { id: 'k3v9q2m8x1c7z5b4', name: 'Ada Lovelace', email: 'ada@example.com' },
  },
};
