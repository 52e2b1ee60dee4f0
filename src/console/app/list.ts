import { api, type GroupDocument, ok, type Schemas } from './api.js';
import { age, fill, h } from './dom.js';
import { countsOf, desiredOf, type Page } from './page.js';

/** The group list: kind, provider, desired/running/healthy, converged or blocked and why, last change. */
export function listPage(): Page {
  const element = h('section', {}, h('h1', {}, 'Groups'), h('div', { id: 'groups' }, 'Loading…'));
  return {
    title: 'Groups',
    element,
    intervalMs: 2000,
    async refresh() {
      const groups: Schemas['GroupSummary'][] = [];
      let cursor: string | undefined;
      do {
        const { body } = await ok(api.GET('/groups', { params: { query: cursor ? { cursor } : {} } }));
        groups.push(...body.groups);
        cursor = body.next;
      } while (cursor);
      // The summary has no instance counts: each group's live status is read alongside.
      const documents = await Promise.all(
        groups.map((g) =>
          ok(api.GET('/groups/{id}', { params: { path: { id: g.id } } })).then(
            (r) => r.body,
            () => undefined,
          ),
        ),
      );
      fill(
        element,
        'groups',
        groups.length === 0
          ? h('p', {}, 'No groups yet. ', h('a', { href: '#/new' }, 'Create one.'))
          : h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...[
                    'Group',
                    'Kind',
                    'Provider',
                    'Desired',
                    'Running',
                    'Healthy',
                    'State',
                    'Last change',
                  ].map((t) => h('th', {}, t)),
                ),
              ),
              h('tbody', {}, ...groups.map((g, i) => row(g, documents[i]))),
            ),
      );
    },
  };
}

function row(group: Schemas['GroupSummary'], document: GroupDocument | undefined): HTMLElement {
  const counts = document ? countsOf(desiredOf(document.spec), document.status) : undefined;
  return h(
    'tr',
    { 'data-group': group.id },
    h('td', {}, h('a', { href: `#/groups/${encodeURIComponent(group.id)}` }, group.id)),
    h('td', {}, group.pets ? 'pets' : 'cattle'),
    h('td', {}, group.provider),
    h('td', { class: 'desired' }, group.desired),
    h('td', { class: 'running' }, counts?.running ?? '?'),
    h('td', { class: 'healthy' }, counts?.healthy ?? '?'),
    h('td', { class: 'state' }, stateOf(group, document)),
    h('td', {}, group.lastReconcileAt ? `${age(group.lastReconcileAt)} ago` : '—'),
  );
}

/** Destroying, paused, blocked and why, converged, or converging. */
export function stateOf(
  group: { lifecycle: string; paused: boolean; blocked?: string },
  document: GroupDocument | undefined,
): HTMLElement {
  if (group.lifecycle === 'destroying') return h('span', { class: 'warn' }, 'destroying');
  // A paused group is reported blocked by its pause: say paused.
  if (group.paused) return h('span', { class: 'warn' }, 'paused');
  if (group.blocked) return h('span', { class: 'bad' }, `blocked: ${group.blocked}`);
  if (document?.status.converged) return h('span', { class: 'ok' }, 'converged');
  return h('span', { class: 'muted' }, document?.status.summary ?? 'converging');
}
