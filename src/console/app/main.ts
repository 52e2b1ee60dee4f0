import { editorPage } from './editor.js';
import { groupPage } from './group.js';
import { listPage } from './list.js';
import type { Page } from './page.js';

/**
 * The console: a hash router over three pages, each refreshed in place on its interval while shown
 * (the live view: no reload, no websocket, the same API calls the CLI makes).
 */

function route(hash: string): Page {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'new') return editorPage(undefined);
  if (parts[0] === 'groups' && parts[1])
    return parts[2] === 'edit' ? editorPage(parts[1]) : groupPage(parts[1]);
  return listPage();
}

let generation = 0;

async function show(): Promise<void> {
  const mine = ++generation;
  const page = route(location.hash);
  document.title = `${page.title} · InfraKit`;
  (document.getElementById('main') as HTMLElement).replaceChildren(page.element);
  const live = document.getElementById('live') as HTMLElement;
  while (mine === generation) {
    try {
      await page.refresh();
      live.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      live.className = 'live';
    } catch (err) {
      live.textContent = `cannot update: ${err instanceof Error ? err.message : String(err)}`;
      live.className = 'live bad';
    }
    await new Promise((resolve) => setTimeout(resolve, page.intervalMs));
  }
}

window.addEventListener('hashchange', () => void show());
void show();
