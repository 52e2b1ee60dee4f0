import { stringify } from 'yaml';
import { ApiFailure, api, type GroupDocument, ok, type Schemas } from './api.js';
import { lineDiff } from './diff.js';
import { age, confirmAction, fill, h, when } from './dom.js';
import { stateOf } from './list.js';
import { countsOf, desiredOf, type Page } from './page.js';

type Version = Schemas['HistoryPage']['versions'][number];

/**
 * A group: its state and actions, the rolling update's progress, the instances, the event log, and
 * the spec with its history and a diff between any two versions. Refreshed every second.
 */
export function groupPage(id: string): Page {
  let current: GroupDocument | undefined;
  let etag: string | undefined;
  let versions: Version[] = [];
  /** Instances shown before and no longer observed (exited or terminated), newest first. */
  let shownIds = new Set<string>();
  const gone: { id: string; at: number }[] = [];
  const path = { path: { id } };

  /** Runs an action after confirmation, shows its outcome, then refreshes at once. */
  const act = (question: string, run: () => Promise<string>) => async () => {
    if (!(await confirmAction(question))) return;
    try {
      fill(element, 'notice', h('div', { class: 'notice' }, await run()));
    } catch (err) {
      fill(
        element,
        'notice',
        h('div', { class: 'issues' }, err instanceof Error ? err.message : String(err)),
      );
    }
    await page.refresh();
  };
  const ifMatch = () => ({ ...path, header: etag ? { 'If-Match': etag } : {} });

  const sizeInput = h('input', { type: 'number', min: 0, id: 'size-input', 'aria-label': 'size' });
  const pauseButton = h('button', { id: 'pause' }, 'Pause');
  pauseButton.addEventListener('click', () => {
    const paused = current?.spec.paused ?? false;
    void act(`${paused ? 'Resume' : 'Pause'} group ${id}?`, async () => {
      if (!current) return 'nothing loaded yet';
      const body = { ...current.spec, paused: !paused };
      await ok(api.PUT('/groups/{id}', { params: ifMatch(), body }));
      return paused ? 'resumed' : 'paused: the controller launches and terminates nothing until resumed';
    })();
  });

  const element = h(
    'section',
    {},
    h('h1', {}, 'Group ', h('code', {}, id), ' ', h('span', { id: 'group-state' })),
    h('p', { id: 'group-line', class: 'muted' }),
    h(
      'div',
      { class: 'actions' },
      h('label', {}, 'Size ', sizeInput),
      h(
        'button',
        {
          id: 'scale',
          onclick: () => {
            const size = Number(sizeInput.value);
            void act(`Scale ${id} to ${size}?`, async () => {
              await ok(api.PATCH('/groups/{id}/size', { params: ifMatch(), body: { size } }));
              return `scaled to ${size}`;
            })();
          },
        },
        'Scale',
      ),
      pauseButton,
      h(
        'button',
        {
          id: 'reconcile',
          onclick: act(`Reconcile ${id} now?`, async () => {
            const { body } = await ok(api.POST('/groups/{id}/reconcile', { params: path }));
            return 'requested' in body
              ? body.message
              : `reconciled: ${body.outcome}${body.plan ? ` (${body.plan.summary})` : ''}`;
          }),
        },
        'Reconcile now',
      ),
      h('a', { href: `#/groups/${encodeURIComponent(id)}/edit`, id: 'edit' }, h('button', {}, 'Edit spec')),
      h(
        'button',
        {
          id: 'free',
          class: 'danger',
          onclick: act(
            `Free ${id}? The controller stops managing it; its instances keep running.`,
            async () => {
              const { body } = await ok(api.POST('/groups/{id}/free', { params: ifMatch() }));
              return body.message;
            },
          ),
        },
        'Free',
      ),
      h(
        'button',
        {
          id: 'destroy',
          class: 'danger',
          onclick: act(
            `Destroy ${id}? Every instance is terminated, then the group is removed.`,
            async () => {
              await ok(api.DELETE('/groups/{id}', { params: ifMatch() }));
              return 'destroying: instances are terminated, then the group is removed';
            },
          ),
        },
        'Destroy',
      ),
    ),
    h('div', { id: 'notice' }),
    h('h2', {}, 'Rolling update'),
    h('div', { id: 'rollout' }),
    h('h2', {}, 'Instances'),
    h('div', { id: 'instances' }),
    h('div', { id: 'gone' }),
    h('h2', {}, 'Events'),
    h('div', { id: 'events' }),
    h('h2', {}, 'Spec and history'),
    h('div', { class: 'cols' }, h('div', { id: 'history' }), h('div', { id: 'diff' })),
  );

  const rollback = (version: number) =>
    act(`Roll ${id} back to the spec of version ${version}? It is stored as a new version.`, async () => {
      const { body } = await ok(api.POST('/groups/{id}/rollback', { params: ifMatch(), body: { version } }));
      return `rolled back to the spec of version ${version}: now version ${body.version}`;
    });

  /** The diff between any two stored versions, chosen with two selects. */
  const showDiff = (from: number, to: number) => {
    const spec = (v: number) => versions.find((x) => x.version === v)?.spec;
    const lines = lineDiff(stringify(spec(from) ?? {}), stringify(spec(to) ?? {}));
    const choose = (selectId: string, selected: number) => {
      const select = h(
        'select',
        { id: selectId },
        ...versions.map((v) =>
          h('option', { value: v.version, selected: v.version === selected }, `version ${v.version}`),
        ),
      );
      select.addEventListener('change', () => {
        const value = (name: string) =>
          Number((element.querySelector(`#${name}`) as HTMLSelectElement).value);
        showDiff(value('diff-from'), value('diff-to'));
      });
      return select;
    };
    fill(
      element,
      'diff',
      h('p', {}, 'Diff ', choose('diff-from', from), ' → ', choose('diff-to', to)),
      h(
        'pre',
        { class: 'diff', id: 'diff-text' },
        ...lines.map((l) =>
          h('div', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : '' }, `${l.op} ${l.text}`),
        ),
      ),
    );
  };

  const renderHistory = () => {
    const latest = versions[0]?.version;
    fill(
      element,
      'history',
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Stored'), h('th', {}, ''))),
        h(
          'tbody',
          {},
          ...versions.map((v) =>
            h(
              'tr',
              { 'data-version': v.version },
              h('td', {}, v.version === latest ? `${v.version} (current)` : v.version),
              h('td', {}, when(v.updatedAt)),
              h(
                'td',
                {},
                latest !== undefined && v.version !== latest
                  ? h(
                      'span',
                      {},
                      h(
                        'button',
                        { class: 'diff-button', onclick: () => showDiff(v.version, latest) },
                        'Diff to current',
                      ),
                      ' ',
                      h('button', { class: 'rollback-button', onclick: rollback(v.version) }, 'Roll back'),
                    )
                  : h('span', { class: 'muted' }, 'current'),
              ),
            ),
          ),
        ),
      ),
    );
    if (versions.length > 1 && latest !== undefined) showDiff(versions[1]?.version ?? latest, latest);
    else
      fill(element, 'diff', h('pre', { class: 'diff', id: 'diff-text' }, stringify(versions[0]?.spec ?? {})));
  };

  const page: Page = {
    title: `Group ${id}`,
    element,
    intervalMs: 1000,
    async refresh() {
      let group: { body: GroupDocument; etag: string | undefined };
      try {
        group = await ok(api.GET('/groups/{id}', { params: path }));
      } catch (err) {
        if (err instanceof ApiFailure && err.status === 404) {
          fill(element, 'group-state', h('span', { class: 'muted' }, 'removed'));
          return;
        }
        throw err;
      }
      const changed = current?.version !== group.body.version;
      current = group.body;
      etag = group.etag;
      const { spec, status } = current;
      if (changed || sizeInput.value === '') sizeInput.value = String(spec.allocation.size ?? '');
      sizeInput.disabled = spec.allocation.logicalIds !== undefined;
      pauseButton.textContent = spec.paused ? 'Resume' : 'Pause';
      const desired = desiredOf(spec);
      const counts = countsOf(desired, status);
      fill(
        element,
        'group-state',
        stateOf({ lifecycle: current.lifecycle, paused: spec.paused, blocked: status.blocked }, current),
      );
      fill(
        element,
        'group-line',
        `version ${current.version} · ${spec.instance.provider} · ${spec.allocation.logicalIds ? 'pets' : 'cattle'} · ` +
          `desired ${counts.desired}, running ${counts.running}, healthy ${counts.healthy}` +
          (status.observeError ? ` · cannot observe: ${status.observeError}` : ''),
      );
      fill(
        element,
        'rollout',
        h('progress', {
          id: 'rollout-progress',
          max: Math.max(desired, 1),
          value: Math.min(counts.current, desired),
        }),
        ` ${counts.current} of ${desired} on config `,
        h('code', {}, status.configHash.slice(0, 12)),
        counts.current < counts.running
          ? ` · ${counts.running - counts.current} outdated, being replaced`
          : '',
        ` · surge ${spec.update.maxSurge}, unavailable ${spec.update.maxUnavailable}`,
      );
      fill(element, 'instances', instancesTable(current));
      const ids = new Set(status.instances.map((i) => i.id));
      for (const id of shownIds) if (!ids.has(id)) gone.unshift({ id, at: Date.now() });
      shownIds = ids;
      gone.splice(10);
      fill(
        element,
        'gone',
        ...gone.map((g) =>
          h(
            'p',
            { class: 'warn gone-instance' },
            `${when(g.at)} `,
            h('code', {}, g.id),
            ' exited or was terminated',
          ),
        ),
      );
      const events = await ok(api.GET('/groups/{id}/events', { params: { ...path, query: { limit: 30 } } }));
      fill(
        element,
        'events',
        h(
          'table',
          {},
          h(
            'tbody',
            {},
            ...events.body.events.map((e) =>
              h(
                'tr',
                { class: 'event' },
                h('td', {}, when(e.at)),
                h('td', { class: e.level === 'error' ? 'bad' : e.level === 'warn' ? 'warn' : '' }, e.kind),
                h('td', {}, e.message),
              ),
            ),
          ),
        ),
      );
      if (changed) {
        versions = (await ok(api.GET('/groups/{id}/history', { params: { ...path, query: { limit: 50 } } })))
          .body.versions;
        renderHistory();
      }
    },
  };
  return page;
}

function instancesTable(group: GroupDocument): HTMLElement {
  const { instances, configHash } = group.status;
  if (instances.length === 0) return h('p', { class: 'muted' }, 'No instances.');
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Instance', 'Logical ID', 'State', 'Health', 'Config', 'Age'].map((t) => h('th', {}, t)),
      ),
    ),
    h(
      'tbody',
      {},
      ...instances.map((i) =>
        h(
          'tr',
          { 'data-instance': i.id },
          h('td', {}, h('code', {}, i.id), i.protected ? ' (protected)' : ''),
          h('td', {}, i.logicalId ?? '—'),
          h('td', { class: 'state' }, i.state),
          h(
            'td',
            { class: i.health === 'healthy' ? 'ok' : i.health === 'unhealthy' ? 'bad' : 'muted' },
            i.health,
          ),
          h(
            'td',
            {},
            h('code', {}, i.configHash.slice(0, 12)),
            i.configHash === configHash ? '' : h('span', { class: 'warn' }, ' outdated'),
          ),
          h('td', {}, age(i.launchedAt)),
        ),
      ),
    ),
  );
}
