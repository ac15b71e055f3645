'use strict';

const { api, compact } = require('../client');

const roleChoices = { learner: 'Learner', manager: 'Manager', admin: 'Administrator' };

const userFields = [
  { key: 'name', label: 'Full name', type: 'string' },
  { key: 'email', label: 'Email', type: 'string' },
  { key: 'roleAlias', label: 'Role', type: 'string', choices: roleChoices },
  { key: 'language', label: 'Language', type: 'string', helpText: 'de, en, es, fr, pl, pt, ru, it, nl, uk, tr, ja or zh.' },
  { key: 'timezone', label: 'Time zone', type: 'string', helpText: 'An IANA zone such as Europe/London.' },
  { key: 'occupation', label: 'Job title', type: 'string' },
  { key: 'location', label: 'Location', type: 'string' },
  { key: 'customAttributes', label: 'Custom attributes', dict: true },
];

const required = (fields, keys) => fields.map((f) => (keys.includes(f.key) ? { ...f, required: true } : f));

// Unix seconds from whatever Zapier gives for a datetime field.
const unixSeconds = (v) => {
  if (v === undefined || v === null || v === '') return undefined;
  if (/^\d+$/.test(String(v))) return Number(v);
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
};

const userBody = (d) =>
  compact({
    name: d.name, email: d.email, roleAlias: d.roleAlias, language: d.language, timezone: d.timezone,
    occupation: d.occupation, location: d.location,
    customAttributes: d.customAttributes && Object.keys(d.customAttributes).length ? d.customAttributes : undefined,
  });

module.exports = {
  createUser: {
    key: 'create_user',
    noun: 'User',
    display: { label: 'Create User', description: 'Creates a user in Roster.' },
    operation: {
      inputFields: required(userFields, ['name', 'email']),
      perform: async (z, bundle) => {
        const response = await z.request({ url: api(bundle, '/users'), method: 'POST', body: userBody(bundle.inputData) });
        return response.data;
      },
      sample: { id: 'k3v9q2m8x1c7z5b4', name: 'Ada Lovelace', email: 'ada@example.com', roleAlias: 'learner' },
    },
  },
  updateUser: {
    key: 'update_user',
    noun: 'User',
    display: { label: 'Update User', description: 'Changes the given fields of a user; custom attributes are merged.' },
    operation: {
      inputFields: [{ key: 'id', label: 'User ID', required: true, type: 'string', dynamic: 'new_user.id.email' }, ...userFields],
      perform: async (z, bundle) => {
        const response = await z.request({
          url: api(bundle, `/users/${encodeURIComponent(bundle.inputData.id)}`),
          method: 'PUT',
          body: userBody(bundle.inputData),
        });
        return response.data;
      },
      sample: { id: 'k3v9q2m8x1c7z5b4', name: 'Ada Lovelace', email: 'ada@example.com', occupation: 'Engineer' },
    },
  },
  createGroup: {
    key: 'create_group',
    noun: 'Group',
    display: { label: 'Create Group', description: 'Creates a group, optionally inside another.' },
    operation: {
      inputFields: [
        { key: 'name', label: 'Name', required: true, type: 'string' },
        { key: 'parentId', label: 'Parent group', type: 'integer', dynamic: 'group_list.id.name' },
        { key: 'description', label: 'Description', type: 'text' },
        { key: 'customAttributes', label: 'Custom attributes', dict: true },
      ],
      perform: async (z, bundle) => {
        const d = bundle.inputData;
        const body = compact({ name: d.name, parentId: d.parentId ? Number(d.parentId) : undefined, description: d.description,
          customAttributes: d.customAttributes && Object.keys(d.customAttributes).length ? d.customAttributes : undefined });
        const response = await z.request({ url: api(bundle, '/groups'), method: 'POST', body });
        return response.data;
      },
      sample: { id: 7, name: 'Sales', parentId: null, usersCount: 0, coursesCount: 0 },
    },
  },
  addUserToGroup: {
    key: 'add_user_to_group',
    noun: 'Membership',
    display: { label: 'Add User to Group', description: 'Adds a user to a group (nothing happens if they are in it).' },
    operation: {
      inputFields: [
        { key: 'userId', label: 'User ID', required: true, type: 'string', dynamic: 'new_user.id.email' },
        { key: 'groupId', label: 'Group', required: true, type: 'integer', dynamic: 'group_list.id.name' },
      ],
      perform: async (z, bundle) => {
        const { userId, groupId } = bundle.inputData;
        const response = await z.request({
          url: api(bundle, `/groups/${Number(groupId)}/users`),
          method: 'POST',
          body: { users: [String(userId)] },
        });
        return { groupId: Number(groupId), userId: String(userId), ...response.data };
      },
      sample: { groupId: 7, userId: 'k3v9q2m8x1c7z5b4' },
    },
  },
  assignCourse: {
    key: 'assign_course',
    noun: 'Assignment',
    display: { label: 'Assign Course', description: 'Assigns a course to users and/or groups, with an optional deadline.' },
    operation: {
      inputFields: [
        { key: 'courseId', label: 'Course', required: true, type: 'integer', dynamic: 'course_list.id.name' },
        { key: 'users', label: 'User IDs', type: 'string', list: true },
        { key: 'groups', label: 'Groups', type: 'integer', list: true, dynamic: 'group_list.id.name' },
        { key: 'deadlineAt', label: 'Deadline', type: 'datetime' },
      ],
      perform: async (z, bundle) => {
        const d = bundle.inputData;
        const body = compact({
          users: (d.users || []).filter(Boolean).map(String),
          groups: (d.groups || []).filter(Boolean).map(Number),
          deadlineAt: unixSeconds(d.deadlineAt),
        });
        const response = await z.request({ url: api(bundle, `/courses/${Number(d.courseId)}/assign`), method: 'POST', body });
        return { courseId: Number(d.courseId), ...response.data };
      },
      sample: { courseId: 12, users: [], groups: [] },
    },
  },
  importCourses: {
    key: 'import_courses',
    noun: 'Course',
    display: { label: 'Import Courses', description: 'Creates or updates courses by your own course id.' },
    operation: {
      inputFields: [
        {
          key: 'courses',
          label: 'Courses',
          required: true,
          children: [
            { key: 'courseId', label: 'Course ID (yours)', required: true, type: 'string' },
            { key: 'title', label: 'Title', required: true, type: 'string' },
            { key: 'category', label: 'Category', type: 'string' },
            { key: 'description', label: 'Description', type: 'text' },
          ],
        },
      ],
      perform: async (z, bundle) => {
        const courses = (bundle.inputData.courses || []).map((c) => compact({ courseId: String(c.courseId), title: c.title, category: c.category, description: c.description }));
        const response = await z.request({ url: api(bundle, '/courses/courses-exporter/public/import'), method: 'POST', body: { courses } });
        return response.data;
      },
      sample: { created: 1, updated: 0, unchanged: 0, failed: 0, results: [{ index: 0, courseId: 'C-1', id: 12, status: 'created' }] },
    },
  },
};
