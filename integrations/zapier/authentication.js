'use strict';

const { api } = require('./client');

// API-key authentication against a self-hosted Roster: the user gives the
// server's base URL and a key (roster keys create …). The test call is
// GET /api/v1/me, which any valid key may make.
module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'baseUrl',
      label: 'Roster URL',
      required: true,
      type: 'string',
      helpText: 'The address of your Roster server, e.g. `https://roster.example.com`.',
    },
    {
      key: 'apiKey',
      label: 'API key',
      required: true,
      type: 'password',
      helpText: 'Create one with `roster keys create --workspace NAME --scopes all`.',
    },
  ],
  test: async (z, bundle) => {
    if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(String(bundle.authData.baseUrl || ''))) {
      throw new z.errors.Error('The Roster URL must look like https://roster.example.com', 'invalid_url', 400);
    }
    const response = await z.request({ url: api(bundle, '/me') });
    return response.data;
  },
  connectionLabel: '{{workspaceName}} ({{keyName}})',
};
