import { parse, stringify } from 'yaml';
import * as z from 'zod';
import { ApiFailure, api, ok, type Plan } from './api.js';
import { confirmAction, fill, h } from './dom.js';
import type { Page } from './page.js';

/** Zod validates without generated code (the page's CSP allows no eval). */
z.config({ jitless: true });

type Issue = { path: string; message: string };

/** The JSON Schema of what PUT accepts, from the API's own OpenAPI document, as a validator. */
let validator: Promise<z.ZodType> | undefined;
function specValidator(): Promise<z.ZodType> {
  validator ??= ok(api.GET('/openapi.json', {})).then(({ body }) => {
    const schemas = (body as { components: { schemas: Record<string, object> } }).components.schemas;
    return z.fromJSONSchema(schemas.PutGroupRequest as z.core.JSONSchema.JSONSchema);
  });
  return validator;
}

const TEMPLATE = `id: web
allocation:
  size: 2
instance:
  provider: process
  properties:
    command: ["sleep", "3600"]
`;

/** Parses the text (YAML or JSON) and checks it against the schema: the issues, field by field. */
async function check(text: string, id: string | undefined): Promise<{ spec?: unknown; issues: Issue[] }> {
  let spec: unknown;
  try {
    spec = parse(text);
  } catch (err) {
    return {
      issues: [
        { path: '(text)', message: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) },
      ],
    };
  }
  const result = (await specValidator()).safeParse(spec);
  const issues: Issue[] = result.success
    ? []
    : result.error.issues.map((i) => ({ path: i.path.join('.') || '(spec)', message: i.message }));
  const specId = (spec as { id?: unknown } | null)?.id;
  if (id && specId !== undefined && specId !== id)
    issues.push({ path: 'id', message: `must be ${id}, the group edited` });
  if (!id && typeof specId !== 'string') issues.push({ path: 'id', message: 'is required for a new group' });
  return { spec, issues };
}

type PlanAction = Plan['actions'][number];

/** One action as a diff line: `+` launches, `-` terminations, `~` reboots. */
function actionLine(a: PlanAction): HTMLElement {
  if (a.kind === 'launch') {
    const ids = a.logicalIds ? ` (${a.logicalIds.join(', ')})` : '';
    return h('li', { class: 'ok' }, `+ launch ${a.count}${ids} — ${a.reason}`);
  }
  if (a.kind === 'terminate')
    return h('li', { class: 'bad' }, `- terminate ${a.ids.join(', ')} — ${a.reason}`);
  return h('li', { class: 'warn' }, `~ ${a.kind} ${a.ids.join(', ')}`);
}

/** The pretend plan: summary, actions, what the planner holds back and why, the rollout, notes. */
function planView(plan: Plan): HTMLElement {
  const rollout = plan.rollout;
  return h(
    'div',
    { id: 'plan-body' },
    h('p', {}, h('strong', {}, plan.summary), plan.blocked ? ` · blocked: ${plan.blocked.reason}` : ''),
    plan.actions.length === 0
      ? h('p', { class: 'muted' }, 'No launch or termination.')
      : h('ul', {}, ...plan.actions.map(actionLine)),
    ...(plan.holds ?? []).map((hold) =>
      h('p', { class: 'warn' }, `held ${hold.id}: ${hold.reason} — ${hold.detail}`),
    ),
    rollout
      ? h(
          'p',
          { class: 'muted' },
          `rollout of config ${rollout.configHash.slice(0, 12)}: ${rollout.counted.length} counted, ` +
            `${rollout.provenHealthy.length} proven healthy${rollout.halted ? `; halted: ${rollout.halted}` : ''}`,
        )
      : null,
    ...plan.notes.map((n) => h('p', { class: 'muted' }, n)),
  );
}

/** The spec editor: validates as you type, shows the pretend plan, saves with If-Match. */
export function editorPage(existing: string | undefined): Page {
  let etag: string | undefined;
  let loaded = false;
  const textarea = h('textarea', { id: 'spec-text', spellcheck: 'false', 'aria-label': 'spec' });
  const pretendButton = h('button', { id: 'pretend' }, 'Show plan (pretend)');
  const saveButton = h('button', { id: 'save', class: 'primary' }, 'Save');

  const validate = async () => {
    const { issues } = await check(textarea.value, existing);
    fill(
      element,
      'validation',
      issues.length === 0
        ? h('div', { class: 'notice ok', id: 'valid' }, 'Valid against the group spec schema')
        : h(
            'div',
            { class: 'issues' },
            h('ul', {}, ...issues.map((i) => h('li', { class: 'issue' }, `${i.path}: ${i.message}`))),
          ),
    );
    return issues.length === 0;
  };

  const put = async (pretend: boolean) => {
    const { spec } = await check(textarea.value, existing);
    const id = existing ?? String((spec as { id: string }).id);
    const header = etag ? { 'If-Match': etag } : existing ? {} : { 'If-None-Match': '*' };
    const text = textarea.value;
    return {
      id,
      call: api.PUT('/groups/{id}', {
        params: { path: { id }, header, query: pretend ? { pretend: true } : {} },
        // The text goes as written (YAML or JSON); the API parses and admits it again.
        body: spec as never,
        bodySerializer: () => text,
        headers: { 'content-type': 'application/yaml' },
      }),
    };
  };

  const showError = (err: unknown) => {
    const issues = err instanceof ApiFailure ? err.issues : [];
    fill(
      element,
      'plan',
      h(
        'div',
        { class: 'issues' },
        err instanceof Error ? err.message : String(err),
        issues.length > 0 ? h('ul', {}, ...issues.map((i) => h('li', {}, `${i.path}: ${i.message}`))) : null,
      ),
    );
  };

  const pretend = async () => {
    if (!(await validate())) return undefined;
    try {
      const { body } = await ok((await put(true)).call);
      if (!('pretend' in body)) throw new Error('the API stored the spec instead of pretending');
      fill(element, 'plan', h('h2', {}, 'Plan'), planView(body.plan));
      return body.plan;
    } catch (err) {
      showError(err);
      return undefined;
    }
  };

  textarea.addEventListener('input', () => void validate());
  pretendButton.addEventListener('click', () => void pretend());
  saveButton.addEventListener('click', async () => {
    const plan = await pretend();
    if (!plan) return;
    const question = `Save this spec? Plan: ${plan.summary} (${plan.actions.length} action${plan.actions.length === 1 ? '' : 's'}).`;
    if (!(await confirmAction(question))) return;
    try {
      const { id, call } = await put(false);
      await ok(call);
      location.hash = `#/groups/${encodeURIComponent(id)}`;
    } catch (err) {
      showError(err);
    }
  });

  const element = h(
    'section',
    {},
    h('h1', {}, existing ? `Edit ${existing}` : 'New group'),
    h('p', { class: 'muted' }, 'YAML or JSON. Checked as you type against the group spec schema of the API.'),
    textarea,
    h('div', { id: 'validation' }),
    h('div', { class: 'actions' }, pretendButton, saveButton),
    h('div', { id: 'plan' }),
  );

  return {
    title: existing ? `Edit ${existing}` : 'New group',
    element,
    // Loaded once: a live refresh would overwrite what is being typed.
    intervalMs: 60_000,
    async refresh() {
      if (loaded) return;
      loaded = true;
      if (existing) {
        const group = await ok(api.GET('/groups/{id}', { params: { path: { id: existing } } }));
        etag = group.etag;
        textarea.value = stringify(group.body.spec);
      } else textarea.value = TEMPLATE;
      await validate();
    },
  };
}
