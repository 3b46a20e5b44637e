// gRPC upstream for the HTTP/2 bench cells: the test echo service (grpc-js, h2c).
import { startEchoServer } from '../../test/helpers/grpc.ts';

const server = await startEchoServer();
process.stdout.write(`LISTENING ${server.port}\n`);
