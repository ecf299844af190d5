// The Gator Hub web UI: runs, a run's tree, a job's messages. Served by the hub itself.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { RunPage } from './run';
import { RunsPage } from './runs';
import { navigate, useRoute } from './router';

function App() {
  const route = useRoute();
  const [connected, setConnected] = useState(true);
  const [theme, setTheme] = useState(() => localStorage.getItem('gator-hub-theme') ?? 'auto');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('gator-hub-theme', theme);
  }, [theme]);
  useEffect(() => {
    document.title = route.page === 'run' ? `Run #${route.key.split('/')[0]} · Gator Hub` : 'Gator Hub';
  }, [route.page, route.key]);
  return (
    <div class="app">
      <header class="top">
        <a
          class="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate('/');
          }}
        >
          <img src="/favicon.svg" alt="" width="20" height="20" /> Gator Hub
        </a>
        {route.page === 'run' ? <span class="muted">run #{route.key.split('/')[0]}</span> : null}
        <span class="spacer" />
        <span class={`conn ${connected ? 'up' : 'down'}`} data-testid="connection" title={connected ? 'Receiving live updates' : 'Reconnecting to the hub…'}>
          {connected ? '● connected' : '○ reconnecting'}
        </span>
        <button type="button" class="small" onClick={() => setTheme(theme === 'dark' ? 'light' : theme === 'light' ? 'auto' : 'dark')} title="Theme">
          {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
        </button>
      </header>
      <main>
        {route.page === 'run' ? (
          <RunPage key={route.key.split('/')[0]} routeKey={route.key} query={route.query} onConnection={setConnected} />
        ) : (
          <RunsPage query={route.query} onConnection={setConnected} />
        )}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
