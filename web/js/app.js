// The dashboard's shell: asks for a key once (kept in sessionStorage), starts the tenant stream and
// routes #/jobs, #/submit, #/job/<id>, #/compare?ids=a,b to their views. Each view is a function
// (main, params) that renders into <main> and returns a cleanup function.
import { api, key, whenUnauthorized } from './api.js';
import { startTenantStream, stopTenantStream } from './store.js';
import { jobsView } from './jobs-view.js';
import { submitView } from './submit-view.js';
import { jobView } from './job-view.js';
import { compareView } from './compare-view.js';

const VIEWS = { jobs: jobsView, submit: submitView, job: jobView, compare: compareView };
const main = document.getElementById('main');
const dialog = document.getElementById('key-dialog');
const connection = document.getElementById('connection');
let cleanup = () => {};

function route() {
  cleanup();
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, arg] = path.split('/');
  const view = VIEWS[name] ?? jobsView;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === (VIEWS[name] ? name : 'jobs')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  cleanup = view(main, { id: arg, query: new URLSearchParams(query) }) ?? (() => {});
}

function showState(state) {
  connection.textContent = state === 'live' ? 'live' : state;
  connection.dataset.state = state;
}

function start() {
  startTenantStream(showState);
  route();
}

function askForKey(message = '') {
  cleanup();
  cleanup = () => {};
  stopTenantStream();
  document.getElementById('key-error').textContent = message;
  if (!dialog.open) dialog.showModal();
  document.getElementById('key-input').focus();
}

document.getElementById('key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.getElementById('key-input');
  key.set(input.value);
  try {
    await api('/v1/jobs?limit=1');
  } catch (err) {
    key.clear();
    document.getElementById('key-error').textContent = err.status === 401 ? 'The API refused this key.' : err.message;
    return;
  }
  input.value = '';
  dialog.close();
  start();
});
dialog.addEventListener('cancel', (event) => event.preventDefault()); // nothing works without a key

document.getElementById('sign-out').addEventListener('click', () => {
  key.clear();
  askForKey();
});
whenUnauthorized(() => {
  key.clear();
  askForKey('The API refused the key (revoked?): enter another.');
});
window.addEventListener('hashchange', () => {
  if (key.get()) route();
});

if (key.get()) start();
else askForKey();
