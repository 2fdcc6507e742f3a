// What a console built on Apollo Client 4 does with Seatwise: automatic persisted queries (PersistedQueryLink,
// hashes over GET for reads, POST otherwise) and a normalized cache in which a mutation's answer updates a cached
// `seats` query without a refetch.
//
//   cd examples/node && npm install
//   SEATWISE_TOKEN=sw_... SEATWISE_USER_ID=VXNlcjoz node apollo-console.mjs
//
// SEATWISE_URL defaults to http://127.0.0.1:8000/graphql, SEATWISE_PRODUCT to CRM_BASIC. It reads the product's
// seats twice (a GET client and a POST client), gives the user a license (assignLicense), then reads the seats from
// the cache only. One JSON line per step on stdout; exit status 1 when the mutation reports userErrors.
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const url = process.env.SEATWISE_URL ?? 'http://127.0.0.1:8000/graphql';
const token = process.env.SEATWISE_TOKEN;
const userId = process.env.SEATWISE_USER_ID;
const productSku = process.env.SEATWISE_PRODUCT || 'CRM_BASIC';
if (!token || !userId) {
  console.error('Set SEATWISE_TOKEN (an API or session token) and SEATWISE_USER_ID (the global id of the user to license).');
  process.exit(2);
}

// Every request the links send, as the server saw it: GET or POST, and whether the text went along.
const sent = [];
async function recordingFetch(input, init = {}) {
  const method = init.method ?? 'GET';
  const withText = method === 'POST' ? 'query' in JSON.parse(init.body) : new URL(input).searchParams.has('query');
  const response = await fetch(input, init);
  sent.push({ method, withText, status: response.status });
  return response;
}

// Every object a cache must merge has a global id (Node): the cache needs no typePolicies.
function cache() {
  return new InMemoryCache();
}

function client(useGETForHashedQueries) {
  const persisted = new PersistedQueryLink({
    sha256: (text) => createHash('sha256').update(text).digest('hex'),
    useGETForHashedQueries,
  });
  const http = new HttpLink({
    uri: url,
    fetch: recordingFetch,
    headers: {
      authorization: `Bearer ${token}`,
      'apollographql-client-name': 'seatwise-example-console',
      'apollographql-client-version': '1.0.0',
    },
  });
  return new ApolloClient({ link: ApolloLink.from([persisted, http]), cache: cache() });
}

const SEATS = gql`
  query Seats($productSku: String) {
    seats(productSku: $productSku) { id product { id sku } purchased assigned available }
  }
`;
const ASSIGN = gql`
  mutation Assign($userId: ID!, $productSku: String!) {
    assignLicense(input: { userId: $userId, productSku: $productSku }) {
      user { id email }
      seats { id product { id sku } purchased assigned available }
      userErrors { code field message }
    }
  }
`;

function step(name, extra) {
  console.log(JSON.stringify({ step: name, ...extra, requests: sent.splice(0) }));
}

const reader = client(true); // reads by hash over GET: a CDN may cache them
const writer = client(false); // hashes over POST

for (const [name, apollo] of [['get', reader], ['get-again', reader], ['post', writer]]) {
  const { data } = await apollo.query({ query: SEATS, variables: { productSku }, fetchPolicy: 'network-only' });
  step(name, { assigned: data.seats[0].assigned });
}

const { data } = await writer.mutate({ mutation: ASSIGN, variables: { userId, productSku } });
const errors = data.assignLicense.userErrors;
// No refetch: the cached `seats` query now reads the pool the mutation returned.
const cached = writer.readQuery({ query: SEATS, variables: { productSku } });
step('mutation', { errors, assigned: data.assignLicense.seats?.assigned ?? null, cachedAssigned: cached.seats[0].assigned });
process.exit(errors.length ? 1 : 0);
