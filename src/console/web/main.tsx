/**
 * The console's entry: sign-in gate, the frame (skip link, navigation, notices) and the routes. Every page reads
 * and acts through the public API (api.ts) with the signed-in key.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { forgetKey, get, storedKey, type Team, whenUnauthorized } from './api';
import { Notices, notify } from './components';
import { BulkRetriesPage, BulkRetryPage } from './pages/bulkRetries';
import { ConnectionPage, ConnectionsPage } from './pages/connections';
import { DestinationPage, DestinationsPage } from './pages/destinations';
import { EventDestinationPage, EventDestinationsPage, NewEventDestinationPage } from './pages/eventDestinations';
import { EventPage } from './pages/eventDetail';
import { EventsPage } from './pages/events';
import { OverviewPage } from './pages/overview';
import { PublishedEventsPage } from './pages/publishedEvents';
import { SignInPage } from './pages/signIn';
import { SourcePage, SourcesPage } from './pages/sources';
import { Link, match, navigate, useLocation } from './router';
import './styles.css';

const NAV: { to: string; label: string }[] = [
  { to: '/overview', label: 'Overview' },
  { to: '/events', label: 'Events' },
  { to: '/sources', label: 'Sources' },
  { to: '/destinations', label: 'Destinations' },
  { to: '/connections', label: 'Connections' },
  { to: '/event-destinations', label: 'Event destinations' },
  { to: '/published-events', label: 'Published events' },
  { to: '/bulk-retries', label: 'Bulk retries' },
];

type Route = [pattern: string, page: (params: Record<string, string>) => preact.JSX.Element];

const ROUTES: Route[] = [
  ['/overview', () => <OverviewPage />],
  ['/events', () => <EventsPage />],
  ['/events/:id', (p) => <EventPage id={p.id ?? ''} />],
  ['/sources', () => <SourcesPage />],
  ['/sources/:id', (p) => <SourcePage id={p.id ?? ''} />],
  ['/destinations', () => <DestinationsPage />],
  ['/destinations/:id', (p) => <DestinationPage id={p.id ?? ''} />],
  ['/connections', () => <ConnectionsPage />],
  ['/connections/:id', (p) => <ConnectionPage id={p.id ?? ''} />],
  ['/event-destinations', () => <EventDestinationsPage />],
  ['/event-destinations/new', () => <NewEventDestinationPage />],
  ['/event-destinations/:id', (p) => <EventDestinationPage id={p.id ?? ''} />],
  ['/published-events', () => <PublishedEventsPage />],
  ['/bulk-retries', () => <BulkRetriesPage />],
  ['/bulk-retries/:id', (p) => <BulkRetryPage id={p.id ?? ''} />],
];

function NotFound() {
  return (
    <section class="page">
      <h1>Not found</h1>
      <p>
        There is no such page. Go to the <Link to="/overview">overview</Link>.
      </p>
    </section>
  );
}

function App() {
  const location = useLocation();
  const [team, setTeam] = useState<Team | null>(null);
  const signedIn = storedKey() !== null;

  useEffect(() => {
    whenUnauthorized(() => {
      forgetKey();
      setTeam(null);
      notify('The API key was refused. Sign in again.', 'error');
      navigate(`/signin?next=${encodeURIComponent(location.path)}`, { replace: true });
    });
  }, [location.path]);

  useEffect(() => {
    if (!signedIn) {
      if (location.path !== '/signin') navigate(`/signin?next=${encodeURIComponent(location.path === '/' ? '/overview' : location.path)}`, { replace: true });
      return;
    }
    if (location.path === '/' || location.path === '/signin') navigate('/overview', { replace: true });
    if (team === null) get<Team>('/team').then(setTeam, () => undefined);
  }, [signedIn, location.path, team]);

  if (!signedIn || location.path === '/signin') {
    return (
      <>
        <main id="main">
          <SignInPage next={location.query.get('next') ?? '/overview'} onSignedIn={setTeam} />
        </main>
        <Notices />
      </>
    );
  }

  let page: preact.JSX.Element = <NotFound />;
  for (const [pattern, make] of ROUTES) {
    const params = match(pattern, location.path);
    if (params !== null) {
      page = make(params);
      break;
    }
  }
  const signOut = () => {
    forgetKey();
    setTeam(null);
    navigate('/signin', { replace: true });
  };
  return (
    <div class="layout">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Sluice</span>
        <span class="team">{team === null ? '' : `Team ${team.name}`}</span>
        <button type="button" class="button-small" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav class="sidebar" aria-label="Console">
        <ul>
          {NAV.map((item) => {
            const current = location.path === item.to || location.path.startsWith(`${item.to}/`);
            return (
              <li key={item.to}>
                <Link to={item.to} aria-current={current ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" key={location.path}>
        {page}
      </main>
      <Notices />
    </div>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
