import { startDynalite } from '../helpers/dynalite.js';
import { storeSuite } from './suite.js';

storeSuite('DynamoGroupStore on dynalite', () => startDynalite());
