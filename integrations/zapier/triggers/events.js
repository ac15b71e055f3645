'use strict';

const { api } = require('../client');

// hookTrigger builds a REST hook trigger for one Roster event type. Roster
// POSTs the resource object itself to the hook URL; performList (the polling
// fallback, and sample data in the Zap editor) reads the newest events of
// the same type and returns their resources, newest first.
const hookTrigger = ({ key, noun, label, description, event, sample, uniqueId }) => ({
  key,
  noun,
  display: { label, description },
  operation: {
    type: 'hook',
    performSubscribe: async (z, bundle) => {
      const response = await z.request({
        url: api(bundle, '/hooks'),
        method: 'POST',
        body: { hookUrl: bundle.targetUrl, event },
      });
      return response.data;
    },
    performUnsubscribe: async (z, bundle) => {
      await z.request({ url: api(bundle, `/hooks/${encodeURIComponent(bundle.subscribeData.id)}`), method: 'DELETE' });
      return {};
    },
    perform: async (z, bundle) => [bundle.cleanedRequest],
    performList: async (z, bundle) => {
      const response = await z.request({ url: api(bundle, `/triggers/${event}`), params: { limit: 50 } });
      return response.data.map((e) => (uniqueId ? { ...e.data, id: uniqueId(e) } : e.data));
    },
    sample,
  },
});

const userSample = {
  id: 'k3v9q2m8x1c7z5b4',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  roleAlias: 'learner',
  language: 'en',
  timezone: 'Europe/London',
  status: 'active',
  customAttributes: { department: 'R&D' },
};

module.exports = {
  newUser: hookTrigger({
    key: 'new_user',
    noun: 'User',
    label: 'New User',
    description: 'Triggers when a user is created in Roster.',
    event: 'user.created',
    sample: userSample,
  }),
  updatedUser: hookTrigger({
    key: 'updated_user',
    noun: 'User',
    label: 'Updated User',
    description: 'Triggers when a user is changed in Roster.',
    event: 'user.updated',
    sample: { ...userSample, occupation: 'Engineer' },
    // Each update must look new to Zapier's deduplication.
    uniqueId: (e) => `${e.data.id}-${e.id}`,
  }),
  userAddedToGroup: hookTrigger({
    key: 'user_added_to_group',
    noun: 'Membership',
    label: 'User Added to Group',
    description: 'Triggers when a user joins a group.',
    event: 'group.member_added',
    sample: { id: 'evt_1', group: { id: 7, name: 'Sales' }, user: userSample },
    uniqueId: (e) => e.id,
  }),
  courseAssigned: hookTrigger({
    key: 'course_assigned',
    noun: 'Enrollment',
    label: 'Course Assigned',
    description: 'Triggers when a course is assigned to a user (directly or through a group).',
    event: 'enrollment.created',
    sample: { id: 'evt_2', courseId: 12, userId: userSample.id, status: 'assigned', deadlineAt: 0 },
    uniqueId: (e) => e.id,
  }),
  courseCompleted: hookTrigger({
    key: 'course_completed',
    noun: 'Enrollment',
    label: 'Course Completed',
    description: 'Triggers when a user completes a course.',
    event: 'enrollment.completed',
    sample: { id: 'evt_3', courseId: 12, userId: userSample.id, status: 'completed', progress: 100 },
    uniqueId: (e) => e.id,
  }),
};
