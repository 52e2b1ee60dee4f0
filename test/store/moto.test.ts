import { motoDynamo } from '../helpers/dynalite.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { storeSuite } from './suite.js';

// Skipped with a message where moto is missing; under CI=true motoAvailable() throws instead.
const available = motoAvailable();

storeSuite(
  'DynamoGroupStore on moto server',
  async () => {
    const moto: MotoServer = await startMoto({ serial: true });
    const server = motoDynamo(moto.endpoint);
    return {
      ...server,
      stop: async () => {
        await server.stop();
        await moto.stop();
      },
    };
  },
  { skip: !available },
);
