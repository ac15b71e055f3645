'use strict';

// Shared request helpers: every call goes to the user's own Roster at
// bundle.authData.baseUrl, with the API key added by beforeRequest.

const baseUrl = (bundle) => String(bundle.authData.baseUrl || '').replace(/\/+$/, '');

const api = (bundle, path) => `${baseUrl(bundle)}/api/v1${path}`;

// addApiKey sends the key as X-API-KEY on every request.
const addApiKey = (request, z, bundle) => {
  if (bundle.authData && bundle.authData.apiKey) {
    request.headers = request.headers || {};
    request.headers['X-API-KEY'] = bundle.authData.apiKey;
  }
  request.headers['Accept'] = 'application/json';
  return request;
};

// raiseProblem turns Roster's problem+json answers into errors Zapier shows
// to the user, naming the offending fields. 429 is handled by Zapier itself
// (it reads Retry-After) before this runs.
const raiseProblem = (response, z) => {
  if (response.status < 400) {
    return response;
  }
  let problem = {};
  try {
    problem = JSON.parse(response.content);
  } catch (e) {
    problem = { detail: response.content };
  }
  const fields = problem.errors
    ? Object.entries(problem.errors).map(([k, v]) => `${k}: ${[].concat(v).join(', ')}`)
    : [];
  const message = [problem.detail || problem.message || `HTTP ${response.status}`, ...fields].join(' — ');
  if (response.status === 401) {
    throw new z.errors.RefreshAuthError(message);
  }
  throw new z.errors.Error(message, problem.code || `http_${response.status}`, response.status);
};

// compact drops empty inputs so Roster keeps its defaults and, on updates,
// leaves fields the user did not map alone.
const compact = (obj) =>
  Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== null && v !== ''));

module.exports = { api, baseUrl, addApiKey, raiseProblem, compact };
