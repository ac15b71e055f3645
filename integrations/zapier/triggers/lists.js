'use strict';

const { api } = require('../client');

// Hidden polling triggers that feed the group and course dropdowns, a page
// of 100 at a time (bundle.meta.page counts from 0).
const listTrigger = (key, noun, path, field) => ({
  key,
  noun,
  display: { label: `List ${noun}s`, description: `Lists ${noun.toLowerCase()}s for dropdowns.`, hidden: true },
  operation: {
    canPaginate: true,
    perform: async (z, bundle) => {
      const page = (bundle.meta && bundle.meta.page) || 0;
      const response = await z.request({ url: api(bundle, path), params: { limit: 100, offset: page * 100 } });
      return response.data[field];
    },
    sample: { id: 1, name: `Sample ${noun}` },
  },
});

module.exports = {
  groupList: listTrigger('group_list', 'Group', '/groups', 'groups'),
  courseList: listTrigger('course_list', 'Course', '/courses', 'courses'),
};
