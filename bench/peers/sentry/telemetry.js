// @sentry/browser the way Sentry documents it for browser extensions and
// other shared environments: no Sentry.init() (it would patch globals), a
// BrowserClient with the fetch transport and its own Scope, and the default
// integrations minus those that wrap global APIs. Usage events go out as
// Sentry structured logs (`enableLogs`), Sentry's batched record with
// attributes (buffer of 100, or 5 s), errors as error events.
import {
  BrowserClient,
  Scope,
  defaultStackParser,
  getDefaultIntegrations,
  logger,
  makeFetchTransport,
} from '@sentry/browser';

const GLOBAL_PATCHING = ['BrowserApiErrors', 'Breadcrumbs', 'GlobalHandlers'];

const client = new BrowserClient({
  dsn: `${__COLLECTOR__.replace('//', '//0123456789abcdef@')}/sentry/1`,
  transport: makeFetchTransport,
  stackParser: defaultStackParser,
  integrations: getDefaultIntegrations({}).filter((i) => !GLOBAL_PATCHING.includes(i.name)),
  environment: 'production',
  release: 'bench@1.0.0',
  enableLogs: true,
  sendDefaultPii: false,
});
const scope = new Scope();
scope.setClient(client);
client.init();

self.benchSdk = {
  // init() is synchronous: the client records as soon as it returns.
  ready: Promise.resolve(),
  track: (name, props) => logger.info(name, props, { scope }),
  captureError: (error) => scope.captureException(error),
  flush: () => client.flush(10_000),
};
