/** The CLI signs its requests to a deployed API with the shared SigV4 signer (service `execute-api`). */
export {
  createSigV4Signer,
  type OutgoingRequest,
  type RequestSigner,
  regionFromHost,
  resolveRegion,
  type SignerOptions,
} from '../sigv4.js';
