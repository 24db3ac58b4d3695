// The operator console: a page over the service's own HTTP API (docs/console.md). Everything it
// shows is set as text (textContent, option values as JSON), never as HTML: values are user input.
'use strict';

const KINDS = {
  'organization': { ids: ['organization'], path: (i) => `/v1/organizations/${i.organization}`, key: (i) => `organization_options:${i.organization}`, locks: true },
  'project': { ids: ['project'], path: (i) => `/v1/projects/${i.project}`, key: (i) => `project_options:${i.project}`, locks: true },
  'user': { ids: ['user'], path: (i) => `/v1/users/${i.user}`, key: (i) => `user_options:${i.user}:user`, locks: false },
  'user-in-project': { ids: ['user', 'project'], path: (i) => `/v1/users/${i.user}/projects/${i.project}`, key: (i) => `user_options:${i.user}:project:${i.project}`, locks: false },
  'user-in-organization': { ids: ['user', 'organization'], path: (i) => `/v1/users/${i.user}/organizations/${i.organization}`, key: (i) => `user_options:${i.user}:organization:${i.organization}`, locks: false },
};

const state = {
  token: sessionStorage.getItem('options-console-token') || '',
  definitions: new Map(),
  scope: null,      // {kind, ids, base, key}
  own: null,        // the scope's own document and version
  inForce: null,    // the values in force
  editing: null,    // {key, version}: the version the edit began at, kept through live reloads
  feed: null,       // the change feed's AbortController
};

const $ = (id) => document.getElementById(id);

function el(tag, text, attributes) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = text;
  }
  Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
  return node;
}

function say(text, kind) {
  const message = $('message');
  message.textContent = text;
  message.className = kind || '';
}

async function api(method, path, body, headers) {
  const request = { method, headers: Object.assign({}, headers || {}) };
  if (state.token) {
    request.headers['Authorization'] = 'Bearer ' + state.token;
  }
  if (body !== undefined) {
    request.headers['Content-Type'] = 'application/json';
    request.body = JSON.stringify(body);
  }
  const response = await fetch(path, request);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (notJson) {
    json = null;
  }
  return { status: response.status, ok: response.ok, etag: response.headers.get('ETag'), json };
}

function problemText(answer) {
  const problem = answer.json || {};
  let text = `${answer.status} ${problem.title || ''}: ${problem.detail || ''}`;
  if (Array.isArray(problem.errors)) {
    text += ' (' + problem.errors.map((e) => `${e.key}: ${e.reason}`).join('; ') + ')';
  }
  return text;
}

// --- token --------------------------------------------------------------------------------------

$('token').value = state.token;
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.token = $('token').value.trim();
  sessionStorage.setItem('options-console-token', state.token);
  say(state.token ? 'Token set for this tab.' : 'No token: requests go without one.', 'ok');
  if (state.scope) {
    openScope(state.scope.kind, state.scope.ids);
  }
});
// the dev profile's token minter exists only in dev builds: offer it where it answers
const MINTER = '/dev/token?sub=console&groups=options-admin';
fetch(MINTER).then((r) => { $('token-hint').hidden = !r.ok; }).catch(() => {});
$('token-mint').addEventListener('click', async () => {
  const response = await fetch(MINTER);
  if (response.ok) {
    $('token').value = (await response.text()).trim();
    $('token-form').requestSubmit();
  }
});

// --- finding a scope ----------------------------------------------------------------------------

function showIdFields() {
  const wanted = KINDS[$('kind').value].ids;
  document.querySelectorAll('#find [data-for]').forEach((node) => { node.hidden = !wanted.includes(node.dataset.for); });
}
$('kind').addEventListener('change', showIdFields);
showIdFields();

$('find').addEventListener('submit', (event) => {
  event.preventDefault();
  const kind = $('kind').value;
  const ids = {};
  for (const name of KINDS[kind].ids) {
    const value = $('id-' + name).value.trim();
    if (!/^[1-9][0-9]{0,18}$/.test(value)) {
      say(`The ${name} identifier must be a whole number from 1.`, 'error');
      return;
    }
    ids[name] = value;
  }
  openScope(kind, ids);
});

async function loadDefinitions() {
  if (state.definitions.size) {
    return;
  }
  const answer = await api('GET', '/v1/definitions');
  if (!answer.ok) {
    return;
  }
  const list = $('defined-keys');
  list.replaceChildren();
  for (const definition of answer.json.definitions) {
    state.definitions.set(definition.key, definition);
    if (!definition.prefix) {
      list.appendChild(el('option', null, { value: definition.key }));
    }
  }
}

function definitionOf(key) {
  if (state.definitions.has(key)) {
    return state.definitions.get(key);
  }
  for (const definition of state.definitions.values()) {
    if (definition.prefix && key.startsWith(definition.key.replace(/\*$/, ''))) {
      return definition;
    }
  }
  return null;
}

async function openScope(kind, ids) {
  const spec = KINDS[kind];
  state.scope = { kind, ids, base: spec.path(ids), key: spec.key(ids), locks: spec.locks };
  state.editing = null;
  $('editor').hidden = true;
  await loadDefinitions();
  const loaded = await reload();
  if (loaded) {
    say(`Opened ${state.scope.key}.`, 'ok');
    follow();
  }
}

/** Reads the scope (its own document and its values in force) and shows it; answers whether it could. */
async function reload(changedKeys) {
  const base = state.scope.base;
  const [own, inForce] = await Promise.all([
    api('GET', base + '/options?defaults=exclude', undefined, { 'Cache-Control': 'no-cache' }),
    api('GET', base + '/options?inherit=true', undefined, { 'Cache-Control': 'no-cache' }),
  ]);
  if (!own.ok || !inForce.ok) {
    say(problemText(own.ok ? inForce : own), 'error');
    $('scope').hidden = true;
    return false;
  }
  state.own = own.json;
  state.inForce = inForce.json;
  render(changedKeys || []);
  loadHistory();
  return true;
}

function render(changedKeys) {
  $('scope').hidden = false;
  $('scope-key').textContent = state.scope.key;
  $('scope-version').textContent = String(state.own.version);
  const body = $('values').tBodies[0];
  body.replaceChildren();
  const keys = new Set([...Object.keys(state.inForce.options), ...Object.keys(state.own.options), ...(state.own.locks || [])]);
  const lockedAbove = new Set(state.inForce.locked || []);
  const ownLocks = new Set(state.own.locks || []);
  for (const key of [...keys].sort()) {
    const row = el('tr', null, { 'data-key': key });
    if (changedKeys.includes(key)) {
      row.className = 'changed';
    }
    row.appendChild(el('td', key, { class: 'key' }));
    const inForce = state.inForce.options[key];
    row.appendChild(el('td', inForce === undefined ? '' : JSON.stringify(inForce), { class: 'value' }));
    row.appendChild(el('td', (state.inForce.sources || {})[key] || '', { class: 'source' }));
    const stored = state.own.options[key];
    row.appendChild(el('td', stored === undefined ? '' : JSON.stringify(stored), { class: 'stored' }));
    const lock = el('td', '', { class: 'locked' });
    if (lockedAbove.has(key)) {
      lock.textContent = 'locked above';
    } else if (ownLocks.has(key)) {
      lock.textContent = 'locked here';
    }
    row.appendChild(lock);
    const actions = el('td', null, { class: 'actions' });
    if (!lockedAbove.has(key)) {
      actions.appendChild(button('Edit', 'edit', () => edit(key)));
      if (stored !== undefined) {
        actions.appendChild(button('Unset', 'unset', () => unset(key)));
      }
    }
    if (state.scope.locks) {
      actions.appendChild(ownLocks.has(key) ? button('Unlock', 'unlock', () => setLock(key, false))
        : button('Lock', 'lock', () => setLock(key, true)));
    }
    row.appendChild(actions);
    body.appendChild(row);
  }
}

function button(text, name, action) {
  const node = el('button', text, { type: 'button', class: name });
  node.addEventListener('click', action);
  return node;
}

// --- editing, from the definitions' JSON Schema --------------------------------------------------

function schemaOf(key) {
  const definition = definitionOf(key);
  return definition && definition.schema ? definition.schema : {};
}

/** A form field for a value of {@code schema}, holding {@code current}; with read() giving the value. */
function fieldFor(schema, current) {
  const holder = $('editor-field');
  holder.replaceChildren();
  let read;
  if (Array.isArray(schema.enum)) {
    const select = el('select', null, { id: 'editor-value' });
    schema.enum.forEach((choice, index) => {
      const option = el('option', JSON.stringify(choice), { value: String(index) });
      if (JSON.stringify(choice) === JSON.stringify(current)) {
        option.selected = true;
      }
      select.appendChild(option);
    });
    holder.appendChild(select);
    read = () => schema.enum[Number(select.value)];
  } else if (schema.type === 'boolean') {
    const box = el('input', null, { id: 'editor-value', type: 'checkbox' });
    box.checked = current === true;
    holder.appendChild(el('label', null)).append(box, ' true');
    read = () => box.checked;
  } else if (schema.type === 'integer' || schema.type === 'number') {
    const input = el('input', null, { id: 'editor-value', type: 'number', step: schema.type === 'integer' ? '1' : 'any' });
    if (schema.minimum !== undefined) input.min = String(schema.minimum);
    if (schema.maximum !== undefined) input.max = String(schema.maximum);
    input.value = current === undefined ? '' : String(current);
    holder.appendChild(input);
    read = () => (input.value.trim() === '' ? undefined : Number(input.value));
  } else if (schema.type === 'string') {
    const input = el('input', null, { id: 'editor-value', type: 'text', size: '40' });
    if (schema.maxLength !== undefined) input.maxLength = schema.maxLength;
    input.value = current === undefined ? '' : String(current);
    holder.appendChild(input);
    read = () => input.value;
  } else {
    const area = el('textarea', null, { id: 'editor-value', spellcheck: 'false' });
    area.value = current === undefined ? '' : JSON.stringify(current, null, 2);
    holder.appendChild(area);
    read = () => JSON.parse(area.value);
  }
  const hints = [];
  if (schema.type) hints.push(`type ${schema.type}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) hints.push(`from ${schema.minimum ?? '…'} to ${schema.maximum ?? '…'}`);
  if (schema.pattern) hints.push(`pattern ${schema.pattern}`);
  if (schema.maxLength !== undefined) hints.push(`at most ${schema.maxLength} characters`);
  if (!schema.type && !schema.enum) hints.push('any JSON value');
  $('editor-hint').textContent = hints.join(', ');
  return read;
}

function edit(key) {
  const current = state.own.options[key] !== undefined ? state.own.options[key] : state.inForce.options[key];
  state.editing = { key, version: state.own.version, options: Object.assign({}, state.own.options), read: fieldFor(schemaOf(key), current) };
  $('editor-key').textContent = key;
  $('editor').hidden = false;
  $('editor-value').focus();
}

$('add').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('add-key').value.trim();
  if (!/^[A-Za-z0-9_.:-]{1,255}$/.test(key)) {
    say('A key is 1 to 255 characters of A-Z a-z 0-9 _ . : -', 'error');
    return;
  }
  edit(key);
});

$('editor-cancel').addEventListener('click', () => {
  state.editing = null;
  $('editor').hidden = true;
});

$('editor').addEventListener('submit', async (event) => {
  event.preventDefault();
  const editing = state.editing;
  let value;
  try {
    value = editing.read();
  } catch (notJson) {
    say('That is not JSON: ' + notJson.message, 'error');
    return;
  }
  if (value === undefined || value === null) {
    say('Give a value (to remove one, unset it).', 'error');
    return;
  }
  const answer = await api('PUT', `${state.scope.base}/options/${encodeURIComponent(editing.key)}`, value,
    { 'If-Match': `"${editing.version}"` });
  await answered(answer, `Saved ${editing.key}.`, [editing.key]);
});

async function unset(key) {
  const answer = await api('DELETE', `${state.scope.base}/options/${encodeURIComponent(key)}`, undefined,
    { 'If-Match': `"${state.own.version}"` });
  await answered(answer, `Unset ${key}.`, [key]);
}

async function setLock(key, locking) {
  const answer = await api(locking ? 'PUT' : 'DELETE', `${state.scope.base}/locks/${encodeURIComponent(key)}`, undefined,
    { 'If-Match': `"${state.own.version}"` });
  await answered(answer, locking ? `Locked ${key} for every scope below.` : `Unlocked ${key}.`, [key]);
}

/** What a write came to, told plainly; a 412 reloads the scope and shows what changed. */
async function answered(answer, done, keys) {
  if (answer.ok) {
    state.editing = null;
    $('editor').hidden = true;
    await reload(keys);
    say(`${done} Now at version ${answer.json.version}.`, 'ok');
    return;
  }
  if (answer.status === 412) {
    // what changed since the edit began (or since the scope was last shown)
    const before = state.editing ? state.editing.options : state.own.options;
    const current = answer.json && answer.json.currentVersion;
    state.editing = null;
    $('editor').hidden = true;
    await reload();
    const changed = Object.keys(Object.assign({}, before, state.own.options))
      .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(state.own.options[key]));
    render(changed);
    say(`Not saved: someone else changed this scope meanwhile (it is now at version ${current}). `
      + 'It has been reloaded, changes marked; review them and save again.', 'warn');
    return;
  }
  if (answer.status === 409) {
    say(`Not saved: ${(answer.json && answer.json.lockedBy) || 'an enclosing scope'} locks this key. ${problemText(answer)}`, 'error');
    return;
  }
  say('Not saved: ' + problemText(answer), 'error');
}

// --- history and revert -----------------------------------------------------------------------

async function loadHistory() {
  const list = $('history');
  const answer = await api('GET', state.scope.base + '/history?limit=20');
  list.replaceChildren();
  if (!answer.ok) {
    list.appendChild(el('li', problemText(answer)));
    return;
  }
  for (const entry of answer.json.entries) {
    const item = el('li', null, { 'data-version': String(entry.version) });
    item.appendChild(el('strong', `v${entry.version}`));
    item.append(` ${entry.at} ${entry.channel}${entry.actor ? ' by ' + entry.actor : ''}: `);
    item.appendChild(el('code', entry.changes.map(describeChange).join('; ')));
    if (entry.version < state.own.version) {
      item.append(' ');
      item.appendChild(button(`Revert to v${entry.version}`, 'revert', () => revert(entry.version)));
    }
    list.appendChild(item);
  }
}

function describeChange(change) {
  if (change.organization) return `organization ${change.organization.old ?? '∅'} → ${change.organization.new}`;
  if (change.epoch) return `epoch ${change.epoch.old ?? '∅'} → ${change.epoch.new}`;
  if (change.lock !== undefined) return `${change.key} ${change.lock ? 'locked' : 'unlocked'}`;
  const old = change.old === undefined ? '∅' : JSON.stringify(change.old);
  const now = change.new === undefined ? '∅' : JSON.stringify(change.new);
  return `${change.key} ${old} → ${now}`;
}

async function revert(version) {
  const answer = await api('POST', state.scope.base + '/revert', { version }, { 'If-Match': `"${state.own.version}"` });
  await answered(answer, `Reverted to the options of version ${version}.`, []);
}

// --- live updates from the change feed -----------------------------------------------------------

/**
 * Follows the scope and those it inherits from on the change feed (fetch, not EventSource: the
 * feed needs the bearer token in a header), reloading on each change; an edit in progress keeps
 * the version it began at, so saving it over a change is refused (412) and shown.
 */
async function follow() {
  if (state.feed) {
    state.feed.abort();
  }
  const controller = new AbortController();
  state.feed = controller;
  const live = $('live');
  const headers = state.token ? { Authorization: 'Bearer ' + state.token } : {};
  try {
    const response = await fetch(`/v1/changes?scope=${encodeURIComponent(state.scope.key)}&inherit=true`,
      { headers, signal: controller.signal });
    if (!response.ok) {
      live.textContent = 'offline';
      live.className = '';
      return;
    }
    live.textContent = 'live';
    live.className = 'on';
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
        if (data && controller === state.feed) {
          let change = {};
          try { change = JSON.parse(data); } catch (ignored) { change = {}; }
          await reload(change.keys || []);
        }
      }
    }
  } catch (stopped) {
    // aborted for another scope, or the connection dropped
  }
  if (controller === state.feed) {
    live.textContent = 'offline';
    live.className = '';
    setTimeout(() => { if (controller === state.feed) follow(); }, 2000);
  }
}
