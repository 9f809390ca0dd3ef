// The baseline for bench/api: graphql-yoga with nothing behind it, answering { __typename }.
import { createServer } from 'node:http';
import { createSchema, createYoga } from 'graphql-yoga';

const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { ok: Boolean }' }), logging: false });
const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stderr.write(`GraphQL at http://127.0.0.1:${port}/graphql\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
