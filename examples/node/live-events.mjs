// Prints a Seatwise organization's seat changes as they happen: the `licenseEvents` subscription over
// graphql-transport-ws, with the token in the connection_init payload.
//
//   cd examples/node && npm install
//   SEATWISE_TOKEN=sw_... node live-events.mjs                 # every product
//   SEATWISE_TOKEN=sw_... SEATWISE_PRODUCT=CRM_BASIC node live-events.mjs
//
// SEATWISE_WS_URL defaults to ws://127.0.0.1:8000/graphql. One line per event on stdout; status on
// stderr. Lost connections are retried; a refused token (close code 4403) or the subscription's end
// (the token was revoked or lapsed) exits with status 1.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.SEATWISE_WS_URL ?? 'ws://127.0.0.1:8000/graphql';
const token = process.env.SEATWISE_TOKEN;
const productSku = process.env.SEATWISE_PRODUCT || null;
if (!token) {
  console.error('Set SEATWISE_TOKEN to an API token or a session token.');
  process.exit(2);
}

const FORBIDDEN = 4403;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: Infinity,
  shouldRetry: (closeEvent) => closeEvent?.code !== FORBIDDEN,
  on: {
    connected: () => console.error(`Connected to ${url}; waiting for license events (Ctrl-C to stop).`),
    closed: (event) => {
      if (event?.code === FORBIDDEN) console.error('Refused (4403): the token is missing, unknown, revoked or expired.');
    },
  },
});

const query = `subscription LicenseEvents($productSku: String) {
  licenseEvents(productSku: $productSku) {
    kind at
    product { sku }
    user { email }
    seats { purchased assigned available overage }
  }
}`;

function describe(event) {
  const { purchased, assigned, available, overage } = event.seats;
  return [
    event.at, event.kind, event.product.sku, event.user?.email ?? '-',
    `purchased=${purchased} assigned=${assigned} available=${available} overage=${overage}`,
  ].join(' ');
}

function stop(code) {
  client.dispose();
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

client.subscribe({ query, variables: { productSku } }, {
  next: (result) => {
    if (result.errors?.length) {
      for (const error of result.errors) console.error(`Error ${error.extensions?.code ?? ''}: ${error.message}`);
      return;
    }
    console.log(describe(result.data.licenseEvents));
  },
  error: (error) => {
    // An array of GraphQL errors (e.g. a refused document), a close event, or a network error.
    const reason = Array.isArray(error) ? error.map((e) => e.message).join('; ') : error?.reason || error?.message || error;
    if (error?.code !== FORBIDDEN) console.error('Subscription failed:', reason);
    stop(1);
  },
  complete: () => {
    console.error('The subscription ended (the token was revoked or lapsed).');
    stop(1);
  },
});
